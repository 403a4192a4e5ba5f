"""The coverage panel: per-QPV coverage from ``ambmap.analysis.coverage``, with status colours.

It shows a result and edits the project's coverage parameters (radius, pôle radius, ambassadors in
training counted or not); computing is the window's job (in a worker thread), through the « Calculer la
couverture » button that emits ``compute_requested``, and ``params_changed`` when a parameter is edited.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ambmap import text
from ambmap.analysis.indicators import (
    CLASS_TARGET,
    COVERAGE_CLASS_KEYS,
    DEFAULT_TARGET,
    class_labels,
    coverage_classes,
    indicators,
    project_target,
)
from ambmap.analysis.reach import STRATEGIES
from ambmap.render.symbology import CLASS_TINTS
from ambmap.ui.listening import listen

#: Rows are tinted by the QPV's coverage class, in the map's hues (the legend's words in the tooltip).
CLASS_COLORS = {cls: QColor(tint) for cls, tint in CLASS_TINTS.items()}
#: The per-QPV indicators shown, in order (columns of CoverageResult.per_qpv; labels and formats are theirs).
COLUMNS = indicators(
    "nom_qp",
    "status",
    "population",
    "covered_population",
    "covered_share",
    "covered_share_circle",
    "covered_share_walk",
    "ambassadors_covering",
    "pole_within_reach",
    "resources_inside",
    "languages",
)
#: Shown only when the result has them (a project with streets).
BOTH_STRATEGIES = ("covered_share_circle", "covered_share_walk")


SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class _Item(QTableWidgetItem):
    """Sorts numbers as numbers, not as the French text shown."""

    def __lt__(self, other) -> bool:
        mine, theirs = self.data(SORT_ROLE), other.data(SORT_ROLE)
        try:
            return float(mine) < float(theirs)
        except (TypeError, ValueError):
            return str(mine) < str(theirs)


def _metres() -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(50, 5000)
    box.setSingleStep(50)
    box.setDecimals(0)
    box.setSuffix(" m")
    box.setKeyboardTracking(False)  # one change when the typing is done, not one per digit
    return box


class CoveragePanel(QWidget):
    """The project's coverage parameters, a summary line and one row per QPV.

    Emits ``qpv_selected(code_qp)`` when a row is picked and ``params_changed(CoverageParams)`` when the
    user edits a parameter (not when :meth:`set_params` shows the project's).
    """

    compute_requested = Signal()
    qpv_selected = Signal(str)
    params_changed = Signal(object)

    def __init__(self, session=None, parent=None):
        """With a session (``ambmap.session.Session``), shows its parameters and coverage as they change."""
        super().__init__(parent)
        self.params = None
        self.radius = _metres()
        self.radius.setToolTip(
            "Distance à laquelle un·e ambassadeur·rice touche les habitants, sauf si sa fiche "
            "indique son propre rayon. Enregistrée dans le projet."
        )
        self.reach = QComboBox()
        for name, strategy in STRATEGIES.items():
            self.reach.addItem(strategy.label, name)
        self.reach.setToolTip(
            "À vol d'oiseau : un cercle autour du domicile. À pied : le long des rues du projet "
            "(franchir une voie ferrée ou la Deûle demande un pont). Enregistré dans le projet."
        )
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0, 120)
        self.minutes.setDecimals(0)
        self.minutes.setSuffix(" min")
        self.minutes.setSpecialValueText("en mètres")
        self.minutes.setKeyboardTracking(False)
        self.minutes.setToolTip(
            "À pied : un temps de marche (vitesse du projet, 4,5 km/h par défaut) au lieu de la "
            "distance en mètres ; « en mètres » : la distance ci-dessus."
        )
        self.pole_radius = _metres()
        self.pole_radius.setToolTip("Distance à laquelle un pôle de santé touche les habitants.")
        self.in_training = QCheckBox("Compter celles et ceux en formation")
        self.in_training.setToolTip("Compter aussi les ambassadeurs·rices en formation dans la couverture.")
        # parameters on two short lines, the button beside them: in a low dock (1366×768) the table keeps its
        # rows, and the dock stays narrow enough for a 1000 px window
        params = QHBoxLayout()
        params.addWidget(QLabel("Rayon d'action d'un·e ambassadeur·rice :"))
        for widget in (self.reach, self.radius, self.minutes):
            params.addWidget(widget)
        params.addSpacing(12)
        params.addWidget(QLabel("d'un pôle :"))
        params.addWidget(self.pole_radius)
        params.addStretch(1)
        options = QHBoxLayout()
        options.addWidget(self.in_training)
        options.addStretch(1)
        self.summary = QLabel("Couverture non calculée. Cliquez sur « Calculer la couverture ».")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)  # may quote data (QPV names, warnings)
        self.summary.setWordWrap(True)
        self.button = QPushButton("Calculer la couverture")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([indicator.header for indicator in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setDefaultSectionSize(22)  # compact rows, like the « Suivi » table
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        options.addWidget(self.button)
        layout.addLayout(params)
        layout.addLayout(options)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.button.clicked.connect(self.compute_requested)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.radius.valueChanged.connect(lambda value: self._edit(radius_m=float(value)))
        self.pole_radius.valueChanged.connect(lambda value: self._edit(pole_radius_m=float(value)))
        self.in_training.toggled.connect(lambda on: self._edit(include_in_training=on))
        self.reach.currentIndexChanged.connect(lambda i: self._edit(reach=self.reach.itemData(i)))
        self.minutes.valueChanged.connect(lambda value: self._edit(walk_minutes=float(value) or None))
        self.session = session
        if session is not None:
            listen(self, (session.params_changed, self.set_params), (session.coverage_changed, self._on_coverage))

    def set_params(self, params) -> None:
        """Show the project's CoverageParams (no ``params_changed``)."""
        self.params = params
        for widget, value in ((self.radius, params.radius_m), (self.pole_radius, params.pole_radius_m)):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        for widget in (self.in_training, self.reach, self.minutes):
            widget.blockSignals(True)
        self.in_training.setChecked(params.include_in_training)
        self.reach.setCurrentIndex(max(0, self.reach.findData(params.reach)))
        self.minutes.setValue(params.walk_minutes or 0)
        for widget in (self.in_training, self.reach, self.minutes):
            widget.blockSignals(False)
        self._enable()

    def _enable(self) -> None:
        """Minutes are a walking time: offered on foot only, and then they replace the metres."""
        walking = self.params is not None and self.params.reach == "marche"
        self.minutes.setEnabled(walking)
        self.radius.setEnabled(not (walking and self.params.walk_minutes))

    def _edit(self, **change) -> None:
        """Only the edited field changes (a saved value outside the boxes' range stays as it is)."""
        if self.params is None:
            return
        edited = self.params.replace(**change)
        if edited != self.params:
            self.params = edited
            self._enable()
            self.params_changed.emit(edited)

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.summary.setText("Couverture non calculée. Cliquez sur « Calculer la couverture ».")

    def _on_coverage(self, result) -> None:
        if result is not None:
            return self.show_result(result)
        self.clear()
        if self.session.stale:
            self.summary.setText("Les données ont changé : recalculez la couverture.")

    def show_result(self, result) -> None:
        """Fill the table from a CoverageResult (``per_qpv`` indexed by code_qp, ``summary`` dict)."""
        frame = result.per_qpv
        target = project_target(self.session.project) if self.session is not None else DEFAULT_TARGET
        classes, words = coverage_classes(frame, target), class_labels(target)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(frame))
        for row, (code, values) in enumerate(frame.iterrows()):
            cls = classes.get(code)
            color = CLASS_COLORS.get(cls)
            for col, indicator in enumerate(COLUMNS):
                value = values.get(indicator.column)
                if indicator.column == "status" and cls in words:  # the map's class, not « partiellement »
                    value = words[cls]  # (a QPV at 98 % is « partiellement couvert » but reaches the target)
                missing = value is None or (isinstance(value, float) and math.isnan(value))
                item = _Item("" if missing else indicator.show(value))
                rank = COVERAGE_CLASS_KEYS.index(cls) if indicator.column == "status" and cls in words else value
                item.setData(SORT_ROLE, None if missing else rank)
                item.setData(Qt.ItemDataRole.UserRole, str(code))
                if color is not None:
                    item.setBackground(color)
                    item.setToolTip(f"Sur la carte : {words[cls].lower()}")
                self.table.setItem(row, col, item)
        for col, indicator in enumerate(COLUMNS):
            self.table.setColumnHidden(col, indicator.column in BOTH_STRATEGIES and indicator.column not in frame)
        self.table.setSortingEnabled(True)
        self.summary.setText(summary_text(result, target))
        method = getattr(result, "population_method", "")  # a long sentence: on demand, the table keeps its rows
        self.summary.setToolTip(f"Méthode : {method}" if method else "")

    def _on_selection(self) -> None:
        items = self.table.selectedItems()
        if items:
            self.qpv_selected.emit(items[0].data(Qt.ItemDataRole.UserRole))


def summary_text(result, target: float = DEFAULT_TARGET) -> str:
    """One French sentence from ``result.summary`` (falls back to the per-QPV table): how many QPV fall in
    each of the map's classes at ``target`` and how many reach it (the map's darkest class)."""
    frame = result.per_qpv
    classes, words = (coverage_classes(frame, target), class_labels(target)) if len(frame) else ({}, {})
    counts = classes.value_counts() if len(frame) else {}
    others = [f"{words[c].lower()} : {counts[c]}" for c in reversed(COVERAGE_CLASS_KEYS[:-1]) if counts.get(c, 0)]
    share = None
    summary = getattr(result, "summary", {}) or {}
    if "covered_share" in summary:
        share = summary["covered_share"]
    elif {"population", "covered_population"} <= set(frame.columns) and frame["population"].sum():
        share = frame["covered_population"].sum() / frame["population"].sum()
    reached = int(counts.get(CLASS_TARGET, 0)) if len(frame) else 0
    line = f"{len(frame)} QPV. Objectif ({text.percent(target)}) atteint dans {reached} QPV sur {len(frame)}"
    line += "".join(f" ; {part}" for part in others) + "."
    if share is not None:
        line += f" Part de la population des QPV couverte : {text.percent(share)}."
    if summary.get("method"):
        line += f" Zones {summary['method']}."
    warnings = " ".join(f"Attention : {w}." for w in getattr(result, "warnings", []))
    return f"{line} {warnings}".strip()
