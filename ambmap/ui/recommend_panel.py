"""Where to recruit next: the question dialog and the ranked-sites panel.

The dialog asks one of the two questions of ``ambmap.analysis.recommend`` (« I can recruit k more:
where? » or « how many, and where, so that every QPV reaches T % covered? ») and where candidates come
from; the panel lists the chosen sites with their marginal gain and whether the answer is proven optimal.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QComboBox, QDialog, QFileDialog,
                               QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QRadioButton,
                               QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ambmap import text
from ambmap.ui.dialogs import browse_row, ok_cancel
from ambmap.ui.listening import listen

GRID, TRAINING, FILE = "grille", "en formation", "fichier"


class RecommendDialog(QDialog):
    """Budget or target question, and the candidate sites (100 m grid, ambassadors in training, a file)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Où recruter ?")
        self.budget = QRadioButton("Je peux recruter")
        self.target = QRadioButton("Pour que chaque QPV soit couvert à au moins")
        self.budget.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.budget)
        group.addButton(self.target)
        self.k = QSpinBox(minimum=1, maximum=500, value=3, suffix=" personne(s) de plus : où ?")
        self.share = QSpinBox(minimum=1, maximum=100, value=80, suffix=" % de sa population : combien, et où ?")
        self.candidates = QComboBox()
        self.candidates.addItem("Partout dans les QPV (grille de 100 m)", GRID)
        self.candidates.addItem("Parmi les ambassadeurs·rices en formation (qui former d'abord ?)", TRAINING)
        self.candidates.addItem("Parmi une liste de lieux ou de volontaires (fichier)…", FILE)
        self.path = QLineEdit(placeholderText="CSV (lon, lat), GeoJSON ou GeoPackage")
        self.file_box = QWidget()
        self.file_box.setLayout(browse_row(self.path, "Parcourir…", self._browse))
        form = QFormLayout()
        form.addRow(self.budget, self.k)
        form.addRow(self.target, self.share)
        form.addRow("Lieux possibles :", self.candidates)
        form.addRow("", self.file_box)
        buttons = ok_cancel("Chercher")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.candidates.currentIndexChanged.connect(self._sync)
        self.budget.toggled.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        self.k.setEnabled(self.budget.isChecked())
        self.share.setEnabled(self.target.isChecked())
        self.file_box.setVisible(self.candidates.currentData() == FILE)

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Lieux possibles", "",
                                              "Points (*.csv *.geojson *.json *.gpkg);;Tous les fichiers (*)")
        if name:
            self.path.setText(name)

    def question(self) -> dict:
        """Keyword arguments for ``recommend_for_project`` (the candidates file is read by the caller)."""
        kind = self.candidates.currentData()
        candidates = {GRID: None, TRAINING: TRAINING}.get(kind, Path(self.path.text().strip()))
        if self.budget.isChecked():
            return {"k": self.k.value(), "candidates": candidates}
        return {"target": self.share.value() / 100, "candidates": candidates}


class RecommendationPanel(QWidget):
    """Summary (covered before/after, proof) and one row per site; ``site_selected(rank)`` on a pick."""

    site_selected = Signal(str)
    refresh_requested = Signal()  # « Actualiser » on a recommendation made from older data
    COLUMNS = ("Rang", "Lieu", "QPV", "Gain")

    def __init__(self, session=None, parent=None):
        """With a session (``ambmap.session.Session``), shows its recommendation as it changes."""
        super().__init__(parent)
        self.summary = QLabel("Aucune recommandation. Menu Analyse > Recommander…")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.stale_banner = _stale_banner(self.refresh_requested.emit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.stale_banner)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self.table.itemSelectionChanged.connect(self._on_selection)
        if session is not None:
            self.session = session
            listen(self, (session.recommendation_changed, self._on_recommendation))

    def _on_recommendation(self, result) -> None:
        self.stale_banner.setVisible(result is not None and self.session.recommendation_stale)
        if result is not None:
            self.show_result(result)
        elif self.session.stale:
            self.clear("Les données ont changé : relancez la recommandation.")
        else:
            self.clear()

    def clear(self, text: str = "Aucune recommandation. Menu Analyse > Recommander…") -> None:
        self.table.setRowCount(0)
        self.summary.setText(text)

    def show_result(self, result) -> None:
        sites = result.sites
        self.table.setRowCount(len(sites))
        for row, site in enumerate(sites.itertuples()):
            values = (str(site.rank), site.label, site.nom_qp, f"+{_number(site.gain)} {result.unit}")
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, str(site.rank))
                self.table.setItem(row, col, item)
        self.summary.setText(summary_text(result))

    def _on_selection(self) -> None:
        items = self.table.selectedItems()
        if items:
            self.site_selected.emit(items[0].data(Qt.ItemDataRole.UserRole))


def _stale_banner(on_refresh) -> QWidget:
    """« À actualiser » above a recommendation computed from older data, with its one-click refresh."""
    banner = QWidget()
    banner.setObjectName("stale_banner")
    banner.setStyleSheet("#stale_banner { background: #fff3cd; border: 1px solid #e0a800; }")
    label = QLabel("À actualiser : les données ou les paramètres ont changé depuis ce calcul ; "
                   "les gains affichés peuvent être faux.")
    label.setWordWrap(True)
    button = QPushButton("Actualiser")
    button.setObjectName("refresh_button")
    button.clicked.connect(on_refresh)
    row = QHBoxLayout(banner)
    row.setContentsMargins(6, 3, 6, 3)
    row.addWidget(label, 1)
    row.addWidget(button)
    banner.hide()
    return banner


def _number(value: float) -> str:
    return text.number(value)


def summary_text(result) -> str:
    """Covered before → after, and whether the answer is proven optimal (or how far it may be from it)."""
    unit = result.unit
    line = (f"{text.quantity(len(result.sites), 'site')}. Couverts : {_number(result.covered_before)} → "
            f"{_number(result.covered_after)} {unit} sur {_number(result.total)}.")
    if result.question == "budget":
        proof = ("Optimum prouvé." if result.optimal else
                 f"Non prouvé optimal : au mieux {_number(result.bound)} {unit} (borne).")
    else:
        proof = ("Nombre minimal de sites prouvé." if result.optimal else
                 f"Non prouvé minimal : il en faut au moins {_number(result.bound)}.")
    return f"{line} {proof} Calcul : {text.duration(result.seconds)}."
