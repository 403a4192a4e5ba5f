"""The « À placer » panel: rows an import kept without a position, placed later by a click or geocoded,
corrected (id, name, address) or deleted.

The rows live in ``project.to_place`` (see :func:`ambmap.imports.plan_import`), outside every layer, so
no analysis or export sees them until they are placed. Placing one (a click on the map) or geocoding
some (once online) is ONE undoable step (:class:`PlaceRows`); editing or deleting rows too
(:class:`SetToPlace`); each is handed to the window by ``command_ready``.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ambmap.errors import AmbmapError
from ambmap.layers import SCHEMAS
from ambmap.project import Project
from ambmap.session import Session
from ambmap.ui.data_text import plain_tip, shorten
from ambmap.ui.dialogs import ok_cancel
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


class ToPlaceDialog(QDialog):
    """The id, name and address of one waiting row. « Enregistrer » checks them
    (:func:`ambmap.imports.edit_to_place`: the id stays unique) and keeps the dialog open with the
    reason when refused; ``rows`` is then the new « à placer » table."""

    def __init__(self, project: Project, row: int, parent=None):
        from ambmap.imports import IMPORTABLE, name_field

        super().__init__(parent)
        self.setWindowTitle("Modifier une ligne « à placer »")
        self.project, self.row = project, row
        self.rows: pd.DataFrame | None = None
        self.search = False  # « Enregistrer et chercher l'adresse »: the panel searches it at once
        pending, kind = project.to_place, str(project.to_place.at[row, "kind"])
        schema = IMPORTABLE[kind]
        form = QFormLayout(self)
        note = QLabel(
            "La ligne reste dans la liste « À placer » : une fois l'adresse corrigée, « Enregistrer et chercher "
            "l'adresse » la place sur la carte si elle est trouvée (il faut être en ligne)."
        )
        note.setWordWrap(True)
        form.addRow(note)
        layer = QLabel(project.layer(kind).title)
        layer.setTextFormat(Qt.TextFormat.PlainText)  # a title read from the project file: never rich text
        form.addRow("Couche :", layer)
        self.edits = {}
        for name in (schema.id_field, name_field(kind), "address"):
            value = str(pending.at[row, name]) if name in pending else ""
            edit = QLineEdit()
            edit.setMaxLength(max(edit.maxLength(), len(value)))  # a long cell is kept whole, never cut
            edit.setText(value)
            edit.setCursorPosition(0)
            self.edits[name] = edit
            form.addRow(f"{schema.field(name).label} :", edit)
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # quotes the id typed: never rich text
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020")
        self.error.hide()
        form.addRow(self.error)
        buttons = ok_cancel("Enregistrer")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        self.search_button = buttons.addButton("Enregistrer et chercher l'adresse", buttons.ButtonRole.ActionRole)
        self.search_button.setToolTip("Enregistre, puis cherche la nouvelle adresse (Géoplateforme IGN, en ligne)")
        self.search_button.clicked.connect(lambda: self._save(search=True))
        address = self.edits["address"]
        address.textChanged.connect(lambda text: self.search_button.setEnabled(bool(text.strip())))
        self.search_button.setEnabled(bool(address.text().strip()))
        form.addRow(buttons)
        longest = max(self.fontMetrics().horizontalAdvance(e.text()) for e in self.edits.values())
        self.setMinimumWidth(min(max(560, longest + 220), 900))  # a long address read whole, up to a point

    def _save(self, search: bool = False) -> None:
        from ambmap.imports import edit_to_place

        self.search = search
        try:
            self.rows = edit_to_place(self.project, self.row, *(edit.text() for edit in self.edits.values()))
        except AmbmapError as e:
            self.error.setText(e.message)
            self.error.show()
            self.adjustSize()  # the reason read whole, never over the fields
            return
        self.error.hide()
        self.accept()


class ToPlacePanel(QWidget):
    """The list of rows « à placer », with « Placer sur la carte », « Chercher les adresses »,
    « Modifier… » (or a double-click) and « Supprimer » (or Suppr in the list).

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
        self.edit_button = QPushButton("Modifier…")
        self.edit_button.setToolTip(
            "Corriger l'identifiant, le nom ou l'adresse de la ligne sélectionnée (double-clic, ou Entrée dans la liste)"
        )
        self.delete_button = QPushButton("Supprimer")
        self.delete_button.setToolTip("Retirer du projet les lignes sélectionnées (Suppr ; Ctrl+Z pour annuler)")
        self.delete_action = QAction("Supprimer", self.table)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # only when the list has focus
        self.table.addAction(self.delete_action)
        self.edit_action = QAction("Modifier…", self.table)
        self.edit_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        self.edit_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.table.addAction(self.edit_action)
        buttons = QHBoxLayout()
        for button in (self.place_button, self.geocode_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.place_button.toggled.connect(self._on_place_toggled)
        self.geocode_button.clicked.connect(lambda: self.geocode_requested.emit(self.selected_rows()))
        self.edit_button.clicked.connect(self.edit_selected)
        self.edit_action.triggered.connect(self.edit_selected)
        self.table.itemDoubleClicked.connect(lambda item: self.edit_row(item.data(Qt.ItemDataRole.UserRole)))
        self.delete_button.clicked.connect(self.delete_selected)
        self.delete_action.triggered.connect(self.delete_selected)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        listen(self, (session.project_changed, self.refresh), (session.to_place_changed, self.refresh))
        self.refresh()

    @property
    def project(self) -> Project:
        return self.session.project

    def refresh(self, *_) -> None:
        """Fill the list from the project (after an import, a placement, an undo, another project)."""
        self.stop_placing()
        rows = self.project.to_place
        if len(rows):  # the import machinery (requests…) only when there is a row to name: not at every start
            from ambmap.imports import to_place_label
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
        text = (
            "Aucune ligne à placer."
            if not len(rows)
            else f"{len(rows)} ligne(s) importée(s) sans position : elles sont gardées dans le projet mais ne comptent "
            "ni dans la couverture, ni dans la recommandation, ni dans les exports tant qu'elles ne sont pas placées. "
            "Pour chacune : « Placer sur la carte » puis un clic à l'endroit voulu, ou « Chercher les adresses » "
            "(en ligne) ; « Modifier… » pour corriger une adresse (la colonne « Pourquoi » dit ce qui manque)."
        )
        self.summary.setText(text.replace("« ", "«\u00a0").replace(" »", "\u00a0»"))  # never broken inside « … »
        self._update_buttons()

    def selected_rows(self) -> list[int]:
        """Rows of ``project.to_place`` selected in the list."""
        rows = {
            self.table.item(index.row(), 0).data(Qt.ItemDataRole.UserRole) for index in self.table.selectedIndexes()
        }
        return sorted(rows)

    def _update_buttons(self) -> None:
        chosen = len(self.selected_rows())  # read once: the list walks every selected cell
        self.place_button.setText(
            "Cliquez sur la carte… (ou ici pour annuler)" if self.placing is not None else "Placer sur la carte"
        )
        self.place_button.setEnabled(chosen == 1 or self.placing is not None)
        self.geocode_button.setEnabled(bool(len(self.project.to_place)))
        self.geocode_button.setText(
            "Chercher les adresses"
            if not chosen
            else "Chercher l'adresse sélectionnée"
            if chosen == 1
            else f"Chercher les {chosen} adresses sélectionnées"
        )
        self.edit_button.setEnabled(chosen == 1)
        self.delete_button.setEnabled(chosen > 0)

    # -- editing and deleting -----------------------------------------------------------------------
    def edit_selected(self) -> None:
        if len(rows := self.selected_rows()) == 1:
            self.edit_row(rows[0])

    def edit_row(self, row: int) -> None:
        """The row's dialog; saved, its new id, name and address are one undoable step."""
        from ambmap.imports import to_place_label

        dialog = ToPlaceDialog(self.project, row, self)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.rows is None:
            return
        if not dialog.rows.equals(self.project.to_place):
            label = to_place_label(self.project.to_place.loc[row])
            self.command_ready.emit(SetToPlace(self.project, dialog.rows, f"Modifier « {label} » (à placer)"))
        if dialog.search:
            self.geocode_requested.emit([row])  # the edit never moves a row: ``row`` is still this one

    def delete_selected(self) -> None:
        """The selected rows removed from the project after a confirmation naming how many: one undoable step."""
        from ambmap.imports import drop_to_place, to_place_label

        rows = self.selected_rows()
        if not rows:
            return
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        if len(rows) == 1:
            what = f"« {shorten(to_place_label(self.project.to_place.loc[rows[0]]))} »"
            then = "Elle sera retirée du projet et ne pourra plus être placée sur la carte."
        else:
            names = [shorten(to_place_label(self.project.to_place.loc[i])) for i in rows[:5]]
            more = f" et {len(rows) - 5} autre(s)" if len(rows) > 5 else ""
            what = f"les {len(rows)} lignes sélectionnées ({', '.join(names)}{more})"
            then = "Elles seront retirées du projet et ne pourront plus être placées sur la carte."
        box = QMessageBox(QMessageBox.Icon.Question, "Supprimer des lignes « à placer »", "", yes | no, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # names come from data: never rich text
        box.setText(
            f"Supprimer {what} de la liste « À placer » ? {then}\n\n"
            "Pour revenir en arrière : Édition › Annuler (Ctrl+Z)."
        )
        box.button(yes).setText("Supprimer")
        box.button(no).setText("Garder")
        box.setDefaultButton(no)
        if QMessageBox.StandardButton(box.exec()) == yes:
            text = f"Supprimer {len(rows)} ligne(s) « à placer »"
            self.command_ready.emit(SetToPlace(self.project, drop_to_place(self.project, rows), text))

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

    def place_found(
        self, found: dict[int, tuple[float, float, float | None]], min_score: float, why: dict[int, str] | None = None
    ) -> None:
        """Rows geocoded (row -> (lon, lat, score)) placed, and the « Pourquoi » of those not found
        (``why``) updated, as one undoable step."""
        from ambmap.imports import place_rows

        frames, rest = place_rows(self.project, found, min_score=min_score, reasons=why)
        if not found and rest.equals(self.project.to_place):
            return
        text = (
            f"Placer {len(found)} ligne(s) d'après leur adresse" if found else "Chercher les adresses (aucune trouvée)"
        )
        self.command_ready.emit(PlaceRows(self.project, frames, rest, text))
