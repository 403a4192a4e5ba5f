"""The « À placer » panel: rows an import kept without a position, placed later by a click or geocoded.

The rows live in ``project.to_place`` (see :func:`ambmap.imports.plan_import`), outside every layer, so
no analysis or export sees them until they are placed. Placing one (a click on the map) or geocoding
some (once online) is ONE undoable step (:class:`PlaceRows`), handed to the window by ``command_ready``.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ambmap.layers import SCHEMAS
from ambmap.project import Project
from ambmap.session import Session
from ambmap.ui.data_text import plain_tip, shorten
from ambmap.ui.listening import listen

COLUMNS = ("Nom", "Couche", "Adresse", "Pourquoi", "Fichier, ligne")


class PlaceRows(QUndoCommand):
    """Swap in the new data of the layers concerned and the new « à placer » table; Undo puts both back."""

    def __init__(self, project: Project, frames: dict[str, gpd.GeoDataFrame], to_place: pd.DataFrame, text: str):
        super().__init__(text)
        self.project = project
        self.old = {kind: project.layer(kind).data for kind in frames}
        self.new = frames
        self.old_rows, self.new_rows = project.to_place, to_place

    def redo(self) -> None:
        for kind, data in self.new.items():
            self.project.layer(kind).data = data
        self.project.set_to_place(self.new_rows)

    def undo(self) -> None:
        for kind, data in self.old.items():
            self.project.layer(kind).data = data
        self.project.set_to_place(self.old_rows)


class SetToPlace(QUndoCommand):
    """Replace the « à placer » table (an import's rows set aside); Undo puts the old one back."""

    def __init__(self, project: Project, rows: pd.DataFrame, text: str):
        super().__init__(text)
        self.project, self.old, self.new = project, project.to_place, rows

    def redo(self) -> None:
        self.project.set_to_place(self.new)

    def undo(self) -> None:
        self.project.set_to_place(self.old)


class ToPlacePanel(QWidget):
    """The list of rows « à placer », with « Placer sur la carte » and « Chercher les adresses ».

    Signals: ``placing_changed(bool)`` (the next map click places the selected row: the window routes
    it to :meth:`place_at`), ``geocode_requested(list)`` (rows of ``project.to_place`` to look up, all
    when empty), ``command_ready(command)`` (an undoable step to push).
    """

    placing_changed = Signal(bool)
    geocode_requested = Signal(list)
    command_ready = Signal(object)

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        self.placing: int | None = None  # row of project.to_place waiting for a click
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)  # names come from data: never rich text
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()  # sized once filled (refresh): ResizeToContents measured every
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # row at each new cell (2,000 rows: 4 min)
        self.place_button = QPushButton("Placer sur la carte")
        self.place_button.setToolTip(
            "Sélectionnez une ligne, puis cliquez sur la carte à l'endroit voulu (ce bouton à nouveau : annuler)."
        )
        self.place_button.setCheckable(True)
        self.geocode_button = QPushButton("Chercher les adresses")
        self.geocode_button.setToolTip(
            "Cherche la position des adresses des lignes sélectionnées (toutes si aucune) auprès de la "
            "Géoplateforme IGN : il faut être en ligne."
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.place_button)
        buttons.addWidget(self.geocode_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.place_button.toggled.connect(self._on_place_toggled)
        self.geocode_button.clicked.connect(lambda: self.geocode_requested.emit(self.selected_rows()))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        listen(self, (session.project_changed, self.refresh), (session.to_place_changed, self.refresh))
        self.refresh()

    @property
    def project(self) -> Project:
        return self.session.project

    def refresh(self, *_) -> None:
        """Fill the list from the project (after an import, a placement, an undo, another project)."""
        from ambmap.imports import to_place_label

        self.stop_placing()
        rows = self.project.to_place
        self.table.setRowCount(len(rows))
        for i, (position, row) in enumerate(rows.iterrows()):
            kind = SCHEMAS[row["kind"]].title if row.get("kind") in SCHEMAS else str(row.get("kind", ""))
            where = f"{row.get('fichier', '')}, ligne {row.get('ligne', '')}" if row.get("fichier") else ""
            values = (to_place_label(row), kind, row.get("address", ""), row.get("motif", ""), where)
            for column, value in enumerate(values):
                item = QTableWidgetItem(shorten(value))  # cell text from a file: cut short, never HTML
                item.setData(Qt.ItemDataRole.UserRole, int(position))
                item.setToolTip(plain_tip(value))
                self.table.setItem(i, column, item)
        for column in (0, 1, 2, 4):  # once, on the first rows (the header's resize precision)
            self.table.resizeColumnToContents(column)
        self.setWindowTitle(f"À placer ({len(rows)})" if len(rows) else "À placer")  # the dock's title follows
        self.summary.setText(
            "Aucune ligne à placer."
            if not len(rows)
            else f"{len(rows)} ligne(s) importée(s) sans position : elles sont gardées dans le projet mais ne comptent "
            "ni dans la couverture, ni dans la recommandation, ni dans les exports tant qu'elles ne sont pas placées."
        )
        self._update_buttons()

    def selected_rows(self) -> list[int]:
        """Rows of ``project.to_place`` selected in the list."""
        rows = {
            self.table.item(index.row(), 0).data(Qt.ItemDataRole.UserRole) for index in self.table.selectedIndexes()
        }
        return sorted(rows)

    def _update_buttons(self) -> None:
        has_rows = bool(len(self.project.to_place))
        self.place_button.setText(
            "Cliquez sur la carte… (ou ici pour annuler)" if self.placing is not None else "Placer sur la carte"
        )
        self.place_button.setEnabled(len(self.selected_rows()) == 1 or self.placing is not None)
        self.geocode_button.setEnabled(has_rows)

    # -- placing by a click -------------------------------------------------------------------------
    def _on_place_toggled(self, on: bool) -> None:
        if on and len(self.selected_rows()) == 1:
            self.placing = self.selected_rows()[0]
            self.placing_changed.emit(True)
        elif not on and self.placing is not None:
            self.placing = None
            self.placing_changed.emit(False)
        self._update_buttons()

    def stop_placing(self) -> None:
        if self.place_button.isChecked():
            self.place_button.setChecked(False)  # re-enters through toggled

    def placing_label(self) -> str:
        from ambmap.imports import to_place_label

        return "" if self.placing is None else to_place_label(self.project.to_place.loc[self.placing])

    def place_at(self, lat: float, lon: float) -> None:
        """Place the row waiting for a click at (lat, lon): one undoable step."""
        if self.placing is None:
            return
        from ambmap.imports import place_rows

        position, label = self.placing, self.placing_label()
        self.stop_placing()
        frames, rest = place_rows(self.project, {position: (lon, lat, None)})
        self.command_ready.emit(PlaceRows(self.project, frames, rest, f"Placer « {label} »"))

    def place_found(self, found: dict[int, tuple[float, float, float | None]], min_score: float) -> None:
        """Rows geocoded (row -> (lon, lat, score)) placed as one undoable step."""
        if not found:
            return
        from ambmap.imports import place_rows

        frames, rest = place_rows(self.project, found, min_score=min_score)
        self.command_ready.emit(
            PlaceRows(self.project, frames, rest, f"Placer {len(found)} ligne(s) d'après leur adresse")
        )
