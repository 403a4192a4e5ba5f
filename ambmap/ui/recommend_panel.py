"""Where to recruit next: the question dialog and the ranked-sites panel.

The dialog asks one of the two questions of ``ambmap.analysis.recommend`` (« I can recruit k more:
where? » or « how many, and where, so that every QPV reaches T % covered? ») and where candidates come
from; the panel lists the chosen sites with their marginal gain and whether the answer is proven optimal.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ambmap import text
from ambmap.errors import CancelledError
from ambmap.ui.dialogs import browse_row, ok_cancel, show_error
from ambmap.ui.listening import listen
from ambmap.ui.workers import run_task

GRID, TRAINING, FILE = "grille", "en formation", "fichier"
FINAL, PROVISIONAL, STOPPED = "final", "provisional", "stopped"  # Recommendation.stage (no analysis import here)
STAGE_BANNERS = {
    PROVISIONAL: "Première réponse — recherche de la meilleure solution… (provisoire : « Arrêter » la garde)",
    STOPPED: "Recherche arrêtée : meilleure réponse trouvée avant l'arrêt, pas forcément la meilleure possible.",
}
STAGE_STYLE = {
    PROVISIONAL: "background: #e7f1fb; border: 1px solid #5b9bd5; padding: 3px; font-weight: bold;",
    STOPPED: "background: #fff3cd; border: 1px solid #e0a800; padding: 3px;",
}


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
        name, _ = QFileDialog.getOpenFileName(
            self, "Lieux possibles", "", "Points (*.csv *.geojson *.json *.gpkg);;Tous les fichiers (*)"
        )
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
    """The answer to « où recruter ? » in plain words: how many sites and whom they add, each QPV's share
    before → after, one row per numbered site (the numbers of the map), the notes, and a « détails » line
    with the method. ``site_selected(rank)`` on a pick. Shown in its dock: never a modal box."""

    site_selected = Signal(str)
    refresh_requested = Signal()  # « Actualiser » on a recommendation made from older data
    COLUMNS = ("N°", "Lieu", "QPV", "Gain")
    EMPTY = "Aucune recommandation. Menu Analyse > Recommander…"

    def __init__(self, session=None, parent=None):
        """With a session (``ambmap.session.Session``), shows its recommendation as it changes."""
        super().__init__(parent)
        self.summary, self.before_after, self.notes, self.details = (self._label() for _ in range(4))
        self.details.setStyleSheet("color: #555; font-size: 9pt;")
        self.summary.setText(self.EMPTY)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()  # the others sized once filled (show_result): ResizeToContents
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # beside a stretched column re-measured
        # every row at each cell set: 200 sites refilled took 3.5 s, 1,000 rows 84 s
        header.setStretchLastSection(False)
        self.before_after.setAlignment(Qt.AlignmentFlag.AlignTop)
        middle = QHBoxLayout()  # the sites and, beside them, what they change per QPV
        middle.addWidget(self.table, 3)
        middle.addWidget(self.before_after, 2)
        self.stale_banner = _stale_banner(self.refresh_requested.emit)
        self.stage_banner = self._label()  # a provisional or stopped answer says so above everything
        self.stage_banner.setObjectName("stage_banner")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.stale_banner)
        layout.addWidget(self.stage_banner)
        layout.addWidget(self.summary)
        layout.addLayout(middle, 1)
        layout.addWidget(self.notes)
        layout.addWidget(self.details)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.clear()
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

    def _label(self) -> QLabel:
        label = QLabel()
        label.setTextFormat(Qt.TextFormat.PlainText)  # notes quote QPV names: data, never rich text
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def clear(self, text: str = EMPTY) -> None:
        self.table.setRowCount(0)
        self.summary.setText(text)
        for label in (self.stage_banner, self.before_after, self.notes, self.details):
            label.clear()
            label.setVisible(False)

    def show_result(self, result) -> None:
        from ambmap.analysis.recommend import before_after, details

        stage = getattr(result, "stage", FINAL)
        self.stage_banner.setText(STAGE_BANNERS.get(stage, ""))
        self.stage_banner.setStyleSheet(STAGE_STYLE.get(stage, ""))
        sites = result.sites
        self.table.setRowCount(len(sites))
        for row, site in enumerate(sites.itertuples()):
            values = (str(site.rank), site.label, site.nom_qp, f"+{_number(site.gain)} {result.unit}")
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, str(site.rank))
                if col == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if stage != FINAL:  # greyed while not the solver's answer
                    item.setForeground(Qt.GlobalColor.darkGray)
                self.table.setItem(row, col, item)
        for col in (0, 2, 3):
            self.table.resizeColumnToContents(col)
        self.summary.setText(summary_text(result))
        lines = before_after(result)
        self.before_after.setText(
            "Part de la population couverte, avant → après :\n" + "\n".join(f"• {line}" for line in lines)
            if lines
            else ""
        )
        notes = [m for m in result.messages[1:] if not m.startswith("Couverture :")]
        self.notes.setText("\n".join(notes[:-1]))  # the last one says how population was counted: a detail
        self.details.setText(" ".join([details(result)] + notes[-1:]))
        for label in (self.stage_banner, self.before_after, self.notes, self.details):
            label.setVisible(bool(label.text()))

    def _on_selection(self) -> None:
        items = self.table.selectedItems()
        if items:
            self.site_selected.emit(items[0].data(Qt.ItemDataRole.UserRole))


def _stale_banner(on_refresh) -> QWidget:
    """« À actualiser » above a recommendation computed from older data, with its one-click refresh."""
    banner = QWidget()
    banner.setObjectName("stale_banner")
    banner.setStyleSheet("#stale_banner { background: #fff3cd; border: 1px solid #e0a800; }")
    label = QLabel(
        "À actualiser : les données ou les paramètres ont changé depuis ce calcul ; "
        "les gains affichés peuvent être faux."
    )
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
    """How many sites, inhabitants covered before → after, and whether it is the best possible, in plain words."""
    unit = result.unit
    gained = result.covered_after - result.covered_before
    line = (
        f"{text.quantity(len(result.sites), 'site proposé', 'sites proposés')} (numérotés sur la carte). "
        f"Couverts : {_number(result.covered_before)} → {_number(result.covered_after)} {unit} "
        f"(+{_number(gained)}) sur {_number(result.total)}."
    )
    return f"{line} {result.messages[0]}" if result.messages else line


#: A first answer is shown only if the solver has not answered within this delay: no flash, no second map page.
FIRST_ANSWER_DELAY_MS = 300


def run_recommendation(parent: QWidget, session, question: dict, params, reveal=lambda: None) -> bool:
    """Ask ``question`` (``recommend_for_project`` keywords) of the session's project in a worker, showing
    the greedy answer (stage « provisional », in the panel and on the map) when the solver takes longer
    than :data:`FIRST_ANSWER_DELAY_MS`, until its answer replaces it. « Arrêter » keeps the greedy answer,
    stage « stopped »; before one exists, it changes nothing. ``reveal()`` brings the panel forward.
    Returns whether a recommendation was set."""
    from ambmap.analysis.recommend import recommend_for_project, stopped

    first: list = []

    def show_first() -> None:
        session.set_recommendation(first[0])
        reveal()

    timer = QTimer(singleShot=True, interval=FIRST_ANSWER_DELAY_MS, timeout=show_first)
    try:
        result = run_task(
            parent,
            "Recherche des meilleurs emplacements…",
            recommend_for_project,
            session.project,
            params=params,
            first_answer=lambda answer: (first.append(answer), timer.start()),
            **question,
        )
    except Exception as e:  # noqa: BLE001
        timer.stop()
        if first:  # never leave a provisional answer looking final or still searching
            session.set_recommendation(stopped(first[0]))
            reveal()
        if not isinstance(e, CancelledError):
            show_error(parent, e)
        return bool(first)
    timer.stop()
    session.set_recommendation(result)  # shown by the panel, notes included: no modal box
    reveal()
    return True
