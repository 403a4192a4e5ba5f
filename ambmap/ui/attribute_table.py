"""The attribute table: the rows behind the points of one layer, sortable and searchable.

Private columns (ambassadors' names and addresses) are shown here, to the coordinator, and nowhere
public. The model listens to the layer's ``changed`` signal, the widget to the session (a project
opened, a layer replaced by an import); selecting a row emits
``feature_selected(kind, id)`` and :meth:`AttributeTable.select_feature` does the reverse.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ambmap import text
from ambmap.layers import Layer, kinds
from ambmap.project import Project
from ambmap.session import Session
from ambmap.ui.listening import listen


def table_kinds() -> list[str]:
    """Layers worth a table (the registry's ``tabled`` kinds: not the population grid, a background),
    top layer first."""
    return [k.name for k in reversed(kinds(tabled=True))]


PRIVATE_TINT = QColor("#fff4e0")


class LayerTableModel(QAbstractTableModel):
    """Read-only Qt model over ``layer.data`` (one column per schema field, no geometry)."""

    def __init__(self, layer: Layer, parent=None):
        super().__init__(parent)
        self.layer = layer
        self.fields = list(layer.schema.fields)
        self._frame = layer.data
        self.detach = listen(self, (layer.changed, self._on_changed))  # the layer may outlive the table

    def _on_changed(self, what: str) -> None:
        if what == "data":
            self.beginResetModel()
            self._frame = self.layer.data
            self.endResetModel()

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
                return ("Donnée personnelle : visible ici seulement, jamais dans un export public."
                        if f.private else f.name)
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


class AttributeTable(QWidget):
    """Layer chooser + search box + table; emits ``feature_selected(kind, id)``.

    Shows the session's project; a bare Project gets a session of its own.
    """

    feature_selected = Signal(str, str)

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
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # file order until a header is clicked
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        top = QHBoxLayout()
        top.addWidget(QLabel("Couche :"))
        top.addWidget(self.layer_box)
        top.addWidget(self.search, 1)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.view)
        self.search.textChanged.connect(self._on_search)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.layer_box.currentIndexChanged.connect(self._on_layer_chosen)
        listen(self, (self.session.project_changed, self.set_project), (self.session.layers_changed, self._fill_layer_box))
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
        self.model = LayerTableModel(self.project.layers[kind], self) if kind else None
        self.proxy.setSourceModel(self.model)
        if self.model is not None:
            self.model.modelReset.connect(self._update_count)
        self.view.resizeColumnsToContents()
        self._update_count()

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
