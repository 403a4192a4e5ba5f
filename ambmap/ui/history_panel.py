"""The « Suivi » panel: coverage over time per QPV (``ambmap.analysis.history``), as a table and a chart.

It computes on its own, in a worker thread, when its tab is shown and the project changed since the
last result (so a hidden tab costs nothing), and again when the data change while it is shown.
"""

from __future__ import annotations

import functools
import math
import warnings

import pandas as pd
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ambmap.analysis.history import BY_QUARTER, BY_YEAR, HistoryResult, compute_history
from ambmap.analysis.history import COLUMNS as HISTORY_COLUMNS
from ambmap.errors import AmbmapError, CancelledError
from ambmap.project import Project
from ambmap.session import Session
from ambmap.ui.coverage_panel import SORT_ROLE, _Item
from ambmap.ui.listening import listen
from ambmap.ui.workers import run_task


def _count(v) -> str:
    return f"{int(v)}"


def _share(v) -> str:
    return "—" if v is None or math.isnan(float(v)) else f"{float(v) * 100:.0f} %"


def _people(v) -> str:
    return "—" if v is None or math.isnan(float(v)) else f"{float(v):,.0f}".replace(",", "\u202f")


#: (column of HistoryResult.table, header, how to show it)
COLUMNS = (
    ("period", "Période", str),
    ("nom_qp", "QPV", str),
    ("covered_share", "Part couverte", _share),
    ("covered_population", "Habitants couverts", _people),
    ("ambassadors_covering", "Actifs", _count),
    ("recruited", "Recrutements", _count),
    ("departed", "Départs", _count),
    ("as_of", "Situation au", lambda v: "/".join(reversed(str(v).split("-")))),
)
REFRESH_DELAY_MS = 400


class HistoryPanel(QWidget):
    """Period chooser, notes, the per-period table and the chart of covered shares."""

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        self.result: HistoryResult | None = None
        self.stale = True
        self._busy = False
        self._sized = False
        self.period = QComboBox()
        self.period.addItem("par année", BY_YEAR)
        self.period.addItem("par trimestre", BY_QUARTER)
        self.button = QPushButton("Actualiser")
        self.notes = QLabel("Suivi non calculé.")
        self.notes.setTextFormat(Qt.TextFormat.PlainText)
        self.notes.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([header for _, header, _ in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)  # latest period first
        self.table.setHorizontalHeaderItem(4, QTableWidgetItem("Actifs"))
        self.table.horizontalHeaderItem(4).setToolTip(
            "Ambassadeurs·rices comptés dont la zone touche le QPV, à la fin de la période"
        )
        # matplotlib (0.3 s of import) waits for the first chart: the window opens without it
        self.canvas: QWidget = QLabel("Le graphique s'affiche une fois le suivi calculé (« Actualiser »).")
        self.canvas.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.canvas.setMinimumSize(360, 140)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.canvas)
        self.splitter.setChildrenCollapsible(False)  # a chart squeezed to nothing cannot be laid out
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        top = QHBoxLayout()
        top.addWidget(QLabel("Couverture des QPV dans le temps,"))
        top.addWidget(self.period)
        top.addStretch(1)
        top.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.notes)
        layout.addWidget(self.splitter, 1)
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS, timeout=self._refresh_if_shown)
        self.button.clicked.connect(self.refresh)
        self.period.currentIndexChanged.connect(lambda _: self.refresh())
        listen(
            self,
            (session.project_changed, self._on_changed),
            (session.layers_changed, self._on_changed),
            (session.layer_changed, self._on_changed),
            (session.params_changed, self._on_changed),
        )
        self._on_changed()

    @property
    def project(self) -> Project:
        return self.session.project

    def _on_changed(self, *_) -> None:
        self.stale = True
        self._timer.start()

    def _refresh_if_shown(self) -> None:
        if self.stale and self.isVisible() and not self.visibleRegion().isEmpty():
            self.refresh()  # a tab behind another stays « visible » to Qt, with nothing on screen

    def brought_to_front(self, shown: bool = True) -> None:
        """Its tab was chosen (the dock's ``visibilityChanged``): compute the history if it is out of date."""
        if shown and self.stale:
            self._timer.start(0)

    def refresh(self) -> None:
        """Compute the history in a worker thread and show it; a French message instead if it cannot."""
        if self._busy:
            return self._timer.start()
        self._busy, self.stale = True, False
        try:
            result = run_task(
                self,
                "Calcul du suivi dans le temps…",
                compute_history,
                self.project,
                by=self.period.currentData(),
                params=self.session.coverage_params,
            )
        except CancelledError:
            self.stale = True
            self.notes.setText("Calcul du suivi annulé : cliquez sur « Actualiser » pour le relancer.")
            return
        except AmbmapError as e:
            self.notes.setText(e.message)
            return self.show_result(None)
        finally:
            self._busy = False
        self.show_result(result)

    def show_result(self, result: HistoryResult | None) -> None:
        self.result = result
        table = result.table if result is not None else _empty_table()
        if result is not None:
            statuses = " et ".join(f"« {s} »" for s in result.params.statuses)
            method = (
                f"Rayon {result.params.radius_m:g} m, statuts comptés : {statuses}. "
                "Recrutements et départs par QPV : ambassadeurs qui y habitent."
            )
            self.notes.setText(" ".join([method, *result.notes]))
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(table))
        bold = QFont()
        bold.setBold(True)
        for r, row in enumerate(table.to_dict(orient="records")):
            for c, (key, _, show) in enumerate(COLUMNS):
                item = _Item(show(row[key]))
                item.setData(SORT_ROLE, row[key])
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if row["code_qp"] == "":
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        canvas, sizes = self._canvas(table), self.splitter.sizes()
        self.splitter.replaceWidget(1, canvas)
        self.splitter.setSizes(sizes)  # the new chart takes the old one's place, not its natural width
        self.canvas.deleteLater()
        self.canvas = canvas

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.brought_to_front()

    def resizeEvent(self, event) -> None:
        """The first real width: the table as wide as its columns (at most 3/5), the chart gets the rest."""
        super().resizeEvent(event)
        width = self.splitter.width()
        if not self._sized and width > 600:
            self._sized = True
            header = self.table.horizontalHeader()
            needed = header.length() + 150  # the headers now; QPV names come with the data
            table = min(needed, width * 3 // 5)
            self.splitter.setSizes([table, width - table])

    @staticmethod
    def _canvas(table: pd.DataFrame) -> QWidget:
        """Small type and no title (the panel's line says what it is): readable in a low dock."""
        import matplotlib
        from matplotlib.figure import Figure

        from ambmap.render.history_chart import draw_history

        with matplotlib.rc_context({"text.parse_math": False, "font.family": "DejaVu Sans"}):
            figure = Figure(figsize=(5.0, 2.2), layout="constrained")
            draw_history(figure.add_subplot(), table, title="", fontsize=7)
        canvas = _canvas_class()(figure)
        canvas.setMinimumSize(360, 140)
        return canvas


@functools.cache
def _canvas_class() -> type:
    """The chart's canvas class, made on the first chart (it needs matplotlib's Qt backend). In a low dock
    the legend is taller than the chart: matplotlib then keeps the previous layout and warns at every
    repaint; the chart stays readable, so the warning is dropped."""
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

    class Canvas(FigureCanvasQTAgg):
        def draw(self) -> None:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "constrained_layout not applied", UserWarning)
                super().draw()

    return Canvas


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype=object) for name in HISTORY_COLUMNS})
