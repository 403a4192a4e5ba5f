"""The attribute table: the rows behind the points of one layer, sortable, searchable and editable.

Private columns (ambassadors' names and addresses) are shown here, to the coordinator, and nowhere
public. The model listens to the layer's ``changed`` signal, the widget to the session (a project
opened, a layer replaced by an import); selecting a row emits
``feature_selected(kind, id)`` and :meth:`AttributeTable.select_feature` does the reverse.

Editing: the simple fields of editable layers (text, number, choice) are edited in their cell (F2, a
key, or a click on the selected cell); a double-click (or « Modifier… ») asks for the whole form
(``edit_requested(kind, id)``); « Changer le statut… » sets a choice on every selected row at once.
Every edit is checked like an import and handed over as ONE undoable command (``command_ready``);
a refused value is said in the table, and nothing changes.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ambmap import text
from ambmap.errors import AmbmapError
from ambmap.layers import KINDS, Layer, kinds
from ambmap.project import Project
from ambmap.session import Session
from ambmap.ui import commands
from ambmap.ui.data_text import plain_tip
from ambmap.ui.listening import listen

#: Field kinds edited in their cell; lists and dates take the form (tags, calendar).
CELL_KINDS = ("str", "int", "float", "choice", "bool")
NOT_IN_CELL = {"geocode_score", "status_history"}  # set by geocoding and by the edits themselves
SIZED_ROWS = 20  # rows read to size a column to its contents (the visible ones are always read too)
TIP_FROM_CHARS = 20  # a cell with more characters shows them all in its tooltip


def table_kinds() -> list[str]:
    """Layers worth a table (the registry's ``tabled`` kinds: not the population grid, a background),
    top layer first."""
    return [k.name for k in reversed(kinds(tabled=True))]


PRIVATE_TINT = QColor("#fff4e0")


class LayerTableModel(QAbstractTableModel):
    """Qt model over ``layer.data`` (one column per schema field, no geometry).

    Cells of :meth:`editable` fields take edits: each becomes a change handed to ``on_edit({id:
    {field: value}})``, which answers whether it was accepted (the layer is changed by the command).
    """

    def __init__(self, layer: Layer, parent=None, on_edit=None):
        super().__init__(parent)
        self.layer = layer
        self.on_edit = on_edit
        self.fields = list(layer.schema.fields)
        self._frame = layer.data
        self.detach = listen(self, (layer.changed, self._on_changed))  # the layer may outlive the table

    def _on_changed(self, what: str) -> None:
        if what == "data":
            self.beginResetModel()
            self._frame = self.layer.data
            self.endResetModel()

    def editable(self, column: int) -> bool:
        f = self.fields[column]
        kind = KINDS.get(self.layer.kind)
        return (
            self.on_edit is not None
            and kind is not None
            and kind.editable
            and f.kind in CELL_KINDS
            and f.name != self.layer.schema.id_field
            and f.name not in NOT_IN_CELL
        )

    def flags(self, index):
        flags = super().flags(index)
        if index.isValid() and self.editable(index.column()):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or not self.editable(index.column()):
            return False
        f = self.fields[index.column()]
        if f.kind == "bool":
            value = {"oui": True, "non": False}.get(str(value), value)
        if str(value) == self.data(index, Qt.ItemDataRole.EditRole):
            return False  # unchanged: no step in the undo history
        return self.on_edit({self.feature_id(index.row()): {f.name: value if str(value).strip() else None}})

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._frame)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.fields)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.fields):
            f = self.fields[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return f.label + (" (privé)" if f.private else "")
            if role == Qt.ItemDataRole.ToolTipRole:
                return (
                    "Donnée personnelle : visible ici seulement, jamais dans un export public." if f.private else f.name
                )
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        f = self.fields[index.column()]
        value = self._frame.iat[index.row(), index.column()]
        missing = value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("<NA>", "nan")
        if role == Qt.ItemDataRole.DisplayRole:
            if missing:
                return ""
            if f.kind == "bool":
                return "oui" if value else "non"
            if f.kind == "date":
                return text.date(value) or str(value)
            if isinstance(value, float):  # six significant digits, as typed: « 750,5 », « 0,87 »
                digits = f"{value:.6g}"
                return text.number(value, len(digits.partition(".")[2]) if "e" not in digits else 2)
            return str(value)
        if role == Qt.ItemDataRole.ToolTipRole:  # a long value cut by its column (sized from the first rows)
            shown = "" if missing else self.data(index)
            return plain_tip(shown) if len(shown) > TIP_FROM_CHARS else None
        if role == Qt.ItemDataRole.EditRole:  # what the cell editor starts from
            if missing:
                return ""
            if f.kind == "bool":
                return "oui" if value else "non"
            return f"{value:.6g}" if isinstance(value, float) else str(value)
        if role == Qt.ItemDataRole.UserRole:  # sort key
            if missing:
                return None
            return value.item() if hasattr(value, "item") else value
        if role == Qt.ItemDataRole.BackgroundRole and f.private:
            return PRIVATE_TINT
        return None

    def feature_id(self, row: int) -> str:
        id_field = self.layer.schema.id_field
        if id_field is None:
            return str(row)
        return str(self._frame[id_field].iat[row])

    def row_of(self, feature_id: str) -> int | None:
        id_field = self.layer.schema.id_field
        if id_field is None:
            return int(feature_id) if str(feature_id).isdigit() and int(feature_id) < len(self._frame) else None
        matches = (self._frame[id_field].astype(str) == str(feature_id)).to_numpy().nonzero()[0]
        return int(matches[0]) if len(matches) else None


class _CellDelegate(QStyledItemDelegate):
    """A list of the allowed values for a choice (and oui/non) cell; the default line for the others."""

    def createEditor(self, parent, option, index):
        model = index.model().sourceModel() if hasattr(index.model(), "sourceModel") else index.model()
        f = model.fields[index.column()]
        if f.kind in ("choice", "bool"):
            box = QComboBox(parent)
            box.addItems(list(f.choices) if f.kind == "choice" else ["oui", "non"])
            if f.kind == "choice" and not f.required:
                box.insertItem(0, "")
            return box
        return super().createEditor(parent, option, index)

    def setEditorData(self, editor, index):
        if isinstance(editor, QComboBox):
            editor.setCurrentText(index.data(Qt.ItemDataRole.EditRole) or "")
        else:
            super().setEditorData(editor, index)


class AttributeTable(QWidget):
    """Layer chooser + search box + table; emits ``feature_selected(kind, id)``, ``edit_requested(kind,
    id)`` (open the form) and ``command_ready(command)`` (an undoable edit to push).

    Shows the session's project; a bare Project gets a session of its own.
    """

    feature_selected = Signal(str, str)
    edit_requested = Signal(str, str)
    command_ready = Signal(object)

    def __init__(self, session: Session | Project, parent=None):
        super().__init__(parent)
        self.session = session if isinstance(session, Session) else Session(session)
        self.project = self.session.project
        self.model: LayerTableModel | None = None
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.layer_box = QComboBox()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Rechercher dans la table…")
        self.search.setClearButtonEnabled(True)
        self.count = QLabel()
        self.view = QTableView()
        self.view.setModel(self.proxy)
        # column widths from the first rows, not all of them: sizing 20,000 rows cell by cell took 2 s of
        # every start on a big project (Qt's default reads 1,000 rows per column)
        self.view.horizontalHeader().setResizeContentsPrecision(SIZED_ROWS)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # file order until a header is clicked
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        triggers = QAbstractItemView.EditTrigger  # a double-click opens the whole form instead
        self.view.setEditTriggers(triggers.SelectedClicked | triggers.EditKeyPressed | triggers.AnyKeyPressed)
        self.view.setItemDelegate(_CellDelegate(self.view))
        self.view.doubleClicked.connect(self._on_double_click)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.edit_button = QPushButton("Modifier…")
        self.edit_button.setToolTip("Modifier la ligne sélectionnée dans un formulaire (ou double-clic)")
        self.edit_button.clicked.connect(self.edit_selected)
        self.bulk_button = QToolButton()
        self.bulk_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.bulk_button.setMenu(QMenu(self.bulk_button))
        self.bulk_button.menu().aboutToShow.connect(lambda: self._fill_bulk_menu(self.bulk_button.menu()))
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.hide()
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        top = QHBoxLayout()
        top.addWidget(QLabel("Couche :"))
        top.addWidget(self.layer_box)
        top.addWidget(self.search, 1)
        top.addWidget(self.count)
        top.addWidget(self.edit_button)
        top.addWidget(self.bulk_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.view)
        self.search.textChanged.connect(self._on_search)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.layer_box.currentIndexChanged.connect(self._on_layer_chosen)
        listen(
            self, (self.session.project_changed, self.set_project), (self.session.layers_changed, self._fill_layer_box)
        )
        self._fill_layer_box()

    def set_project(self, project: Project) -> None:
        self.project = project
        self._fill_layer_box()

    def _fill_layer_box(self) -> None:
        """List the project's layers, keeping the one shown (a layer swap, e.g. an import, keeps its table)."""
        current = self.current_kind()
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        for kind in table_kinds():
            if kind in self.project.layers:
                self.layer_box.addItem(self.project.layers[kind].title, kind)
        self.layer_box.setCurrentIndex(max(0, self.layer_box.findData(current)))
        self.layer_box.blockSignals(False)
        self._on_layer_chosen()

    def current_kind(self) -> str | None:
        return self.layer_box.currentData()

    def show_layer(self, kind: str) -> None:
        index = self.layer_box.findData(kind)
        if index >= 0 and index != self.layer_box.currentIndex():
            self.layer_box.setCurrentIndex(index)

    def _on_layer_chosen(self) -> None:
        kind = self.current_kind()
        if self.model is not None:
            self.model.detach()
            self.model.modelReset.disconnect(self._update_count)
            self.model.modelAboutToBeReset.disconnect(self._remember_selection)
            self.model.modelReset.disconnect(self._restore_selection)
        self.model = LayerTableModel(self.project.layers[kind], self, on_edit=self.apply) if kind else None
        self.proxy.setSourceModel(self.model)
        if self.model is not None:
            self.model.modelReset.connect(self._update_count)
            self.model.modelAboutToBeReset.connect(self._remember_selection)  # an edit keeps the selection
            self.model.modelReset.connect(self._restore_selection)
        self.view.resizeColumnsToContents()
        self._update_count()
        self._update_buttons()

    # -- editing ------------------------------------------------------------------------------------
    def editable_kind(self) -> bool:
        kind = KINDS.get(self.current_kind() or "")
        return bool(kind and kind.editable)

    def bulk_field(self):
        """The choice field a bulk change sets (the kind's class field: an ambassador's status)."""
        kind = KINDS.get(self.current_kind() or "")
        return kind.schema.field(kind.class_field) if kind and kind.editable and kind.class_field else None

    def _update_buttons(self) -> None:
        self.edit_button.setVisible(self.editable_kind())
        f = self.bulk_field()
        self.bulk_button.setVisible(f is not None)
        if f is not None:
            self.bulk_button.setText("Changer le statut…" if f.name == "status" else f"Changer « {f.label} »…")
        self.message.hide()

    def apply(self, changes: dict, title: str | None = None) -> bool:
        """Check ``changes`` ({id: {field: value}}) as one command and hand it over; a refusal is said
        above the table and changes nothing."""
        try:
            command = commands.edit_features(self.model.layer, changes, title)
        except AmbmapError as e:
            self.message.setText(f"Modification refusée : {e.message}")
            self.message.show()
            return False
        except KeyError as e:
            self.message.setText(f"Modification refusée : élément « {e.args[0]} » introuvable.")
            self.message.show()
            return False
        self.message.hide()
        QTimer.singleShot(0, lambda: self.command_ready.emit(command))  # after the cell editor has closed
        return True

    def selected_ids(self) -> list[str]:
        """Identifiers of the selected rows, in the table's order."""
        if self.model is None:
            return []
        rows = sorted(self.view.selectionModel().selectedRows(), key=lambda i: i.row())
        return [self.model.feature_id(self.proxy.mapToSource(i).row()) for i in rows]

    def set_choice(self, field: str, value: str, ids: list[str] | None = None) -> bool:
        """Give ``field`` the value ``value`` on the rows ``ids`` (the selection): one step of Undo."""
        ids = self.selected_ids() if ids is None else ids
        if not ids:
            return False
        label = self.model.layer.schema.field(field).label
        return self.apply(
            {i: {field: value} for i in ids},
            f"Passer {text.quantity(len(ids), 'ligne')} en « {value} » ({label.lower()})",
        )

    def _fill_bulk_menu(self, menu: QMenu) -> None:
        menu.clear()
        f, ids = self.bulk_field(), self.selected_ids()
        if f is None:
            return
        if not ids:
            menu.addAction("(sélectionnez d'abord des lignes)").setEnabled(False)
            return
        for choice in f.choices:
            menu.addAction(
                f"Passer en « {choice} » ({text.quantity(len(ids), 'ligne')})",
                lambda *_, c=choice: self.set_choice(f.name, c, ids),
            )

    def _context_menu(self, pos) -> None:
        if not self.editable_kind() or not self.selected_ids():
            return
        menu = QMenu(self)
        menu.addAction("Modifier…", self.edit_selected)
        f = self.bulk_field()
        if f is not None:
            self._fill_bulk_menu(menu.addMenu(self.bulk_button.text()))
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def _on_double_click(self, index) -> None:
        if self.editable_kind() and self.model is not None:
            self.edit_requested.emit(self.current_kind(), self.model.feature_id(self.proxy.mapToSource(index).row()))

    def edit_selected(self) -> None:
        ids = self.selected_ids()
        if ids and self.editable_kind():
            self.edit_requested.emit(self.current_kind(), ids[0])

    def _remember_selection(self) -> None:
        self._kept = self.selected_ids()

    def _restore_selection(self) -> None:
        """Select again the rows selected before the data changed (those still there), quietly."""
        selection = self.view.selectionModel()
        flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        self.blockSignals(True)
        try:
            for feature_id in getattr(self, "_kept", []):
                row = self.model.row_of(feature_id)
                index = self.proxy.mapFromSource(self.model.index(row, 0)) if row is not None else None
                if index is not None and index.isValid():
                    selection.select(index, flags)
        finally:
            self.blockSignals(False)
        self._kept = []

    def _on_search(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        self._update_count()

    def _update_count(self) -> None:
        total = self.model.rowCount() if self.model else 0
        shown = self.proxy.rowCount()
        self.count.setText(f"{shown} / {total} ligne(s)" if shown != total else f"{total} ligne(s)")

    def _on_selection(self, *_) -> None:
        rows = self.view.selectionModel().selectedRows()
        if rows and self.model is not None and not self.signalsBlocked():
            source_row = self.proxy.mapToSource(rows[0]).row()
            self.feature_selected.emit(self.current_kind(), self.model.feature_id(source_row))

    def selected_feature(self) -> tuple[str, str] | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows or self.model is None:
            return None
        return self.current_kind(), self.model.feature_id(self.proxy.mapToSource(rows[0]).row())

    def select_feature(self, kind: str, feature_id: str) -> bool:
        """Select and show the row of ``feature_id`` without echoing ``feature_selected`` back."""
        if self.layer_box.findData(kind) < 0:
            return False
        self.show_layer(kind)
        row = self.model.row_of(feature_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():  # hidden by the search: clear it so the row can be shown
            self.search.clear()
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.blockSignals(True)
        try:
            self.view.selectRow(index.row())
            self.view.scrollTo(index)
        finally:
            self.blockSignals(False)
        return True
