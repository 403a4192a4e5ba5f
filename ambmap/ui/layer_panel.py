"""The layer panel: which layers show, in what order, and how they look.

State lives in the Layer models (``layer.visible``, ``layer.set_style(...)``) and in the project's
``layer_order`` option; the panel writes there and listens to the session (``ambmap.session``), so an
Undo, a loaded project or a test changing a layer updates the widgets too. Style keys:
``color`` (#rrggbb), ``opacity`` (0–1), ``labels`` (bool), and for resources ``categories`` (list of
shown categories; absent or None = all).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QColorDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ambmap.layers import CATEGORIES, KINDS
from ambmap.project import Project
from ambmap.render import symbology
from ambmap.session import Session
from ambmap.ui.listening import listen

KIND_ROLE = Qt.ItemDataRole.UserRole


def default_color(kind: str | None) -> str:
    """The colour a layer kind is drawn in until the user picks one: the map's and the print's."""
    return symbology.color(KINDS[kind].symbol) if kind in KINDS else "#777777"


def coloured_by_user(kind: str | None) -> bool:
    """Layers drawn in one colour the user may change; the others' colours carry meaning (status,
    category, class)."""
    return kind in KINDS and KINDS[kind].class_field is None and KINDS[kind].drawing != "grid"


def swatch_color(layer) -> str:
    """The colour of ``layer``'s swatch: the user's, else the symbology's."""
    return layer.style.get("color") or default_color(layer.kind)


def layer_order(project: Project) -> list[str]:
    """Kinds in drawing order (bottom first): the saved order, then any layer it does not name."""
    saved = [k for k in project.options.get("layer_order", []) if k in project.layers]
    return saved + [layer.kind for layer in project.ordered_layers() if layer.kind not in saved]


def shown_categories(project: Project) -> list[str] | None:
    """Resource categories the user chose to show, or None for all of them."""
    if "resources" not in project.layers:
        return None
    chosen = project.layers["resources"].style.get("categories")
    return None if chosen is None else list(chosen)


def disabled_reasons(kind: str | None) -> dict[str, str | None]:
    """Why each style widget is greyed for layer ``kind`` (None: enabled), said in its tooltip."""
    if kind is None:
        none = "Sélectionnez d'abord une couche dans la liste ci-dessus."
        return {"opacity": none, "color": none, "labels": none}
    known = KINDS.get(kind)
    if coloured_by_user(kind):
        color = None
    elif known is not None and known.class_field is not None:
        field = known.schema.field(known.class_field).label.lower()  # the registry checked the field exists
        color = f"Couleurs fixes : une couleur par {field}, la même sur la carte, le papier et la légende."
    elif known is not None and known.drawing == "grid":
        color = "Couleurs fixes : une couleur par tranche d'habitant·es par carreau (voir la légende)."
    else:
        color = "Couleur fixe pour cette couche (voir la légende)."
    labels = None if kind == "qpv" else "Seuls les QPV portent un nom sur la carte : sélectionnez la couche des QPV."
    return {"opacity": None, "color": color, "labels": labels}


def _swatch(color: str) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class LayerPanel(QWidget):
    """List of layers (tick = visible, drag = order) and the look of the selected one.

    Shows the session's project; a bare Project gets a session of its own.
    """

    def __init__(self, session: Session | Project, parent=None):
        super().__init__(parent)
        self.session = session if isinstance(session, Session) else Session(session)
        self.project = self.session.project
        self.list = QListWidget()
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setToolTip("Cochez pour afficher une couche ; glissez pour changer l'ordre (en haut = dessus).")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.color = QPushButton("Couleur…")
        self.labels = QCheckBox("Afficher les noms des QPV")
        self.categories = QListWidget()
        self.categories.setToolTip("Catégories de ressources affichées sur la carte")
        self.categories.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.all_categories = QPushButton("Tout")
        self.no_category = QPushButton("Aucune")
        style_box = QGroupBox("Apparence de la couche")
        form = QFormLayout(style_box)
        form.addRow("Opacité :", self.opacity)
        form.addRow("", self.color)
        form.addRow("", self.labels)
        self.category_box = QGroupBox("Filtrer les ressources par catégorie")
        cat_layout = QVBoxLayout(self.category_box)
        cat_layout.addWidget(self.categories)
        buttons = QHBoxLayout()
        buttons.addWidget(self.all_categories)
        buttons.addWidget(self.no_category)
        cat_layout.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(QLabel("Couches (en haut = dessus) :"))
        self.list.setMaximumHeight(self.list.fontMetrics().height() * 8 + 12)  # six layers, no blank area
        layout.addWidget(self.list)
        layout.addWidget(style_box)
        layout.addWidget(self.category_box, 1)
        for category in CATEGORIES:
            item = QListWidgetItem(category)
            item.setToolTip(category)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.categories.addItem(item)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentItemChanged.connect(lambda *_: self._show_style())
        self.list.model().rowsMoved.connect(self._on_rows_moved)
        self.opacity.valueChanged.connect(lambda v: self._set_style(opacity=round(v / 100, 2)))
        self.color.clicked.connect(self._pick_color)
        self.labels.toggled.connect(lambda on: self._set_style(labels=on))
        self.categories.itemChanged.connect(self._on_category_changed)
        self.all_categories.clicked.connect(lambda: self.set_categories(None))
        self.no_category.clicked.connect(lambda: self.set_categories([]))
        listen(
            self,
            (self.session.project_changed, self.set_project),
            (self.session.layers_changed, self._fill_list),
            (self.session.layer_changed, self._on_layer_changed),
            (self.session.options.changed, self._on_option),
        )
        self.set_project(self.session.project)

    # -- model -> widgets ---------------------------------------------------------------------------
    def set_project(self, project: Project) -> None:
        self.project = project
        self._fill_list()

    def _fill_list(self) -> None:
        current = self.current_kind()
        self.list.blockSignals(True)
        self.list.clear()
        for kind in reversed(layer_order(self.project)):
            layer = self.project.layers[kind]
            item = QListWidgetItem(_swatch(swatch_color(layer)), f"{layer.title} ({len(layer)})")
            item.setData(KIND_ROLE, kind)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDropEnabled)
            item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
            self.list.addItem(item)
            if kind == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._show_style()

    def _on_layer_changed(self, kind: str, what: str) -> None:
        """Update the one item of the layer that changed (items are rebuilt only on a new order)."""
        layer = self.project.layers[kind]
        item = self._item(kind)
        if item is None:
            return self._fill_list()
        self.list.blockSignals(True)
        try:
            item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
            item.setText(f"{layer.title} ({len(layer)})")
            item.setIcon(_swatch(swatch_color(layer)))
        finally:
            self.list.blockSignals(False)
        if what == "style" and layer.kind in (self.current_kind(), "resources"):
            self._show_style()

    def _on_option(self, key: str) -> None:
        if key == "layer_order" and self._shown_order() != layer_order(self.project):
            self._fill_list()

    def _shown_order(self) -> list[str]:
        return [self.list.item(row).data(KIND_ROLE) for row in reversed(range(self.list.count()))]

    def _item(self, kind: str) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            if self.list.item(row).data(KIND_ROLE) == kind:
                return self.list.item(row)
        return None

    def current_kind(self) -> str | None:
        item = self.list.currentItem() if hasattr(self, "list") else None
        return item.data(KIND_ROLE) if item else None

    def select_layer(self, kind: str) -> None:
        item = self._item(kind)
        if item is not None:
            self.list.setCurrentItem(item)

    def _show_style(self) -> None:
        kind = self.current_kind()
        widgets = (self.opacity, self.labels, self.categories, self.color)
        for w in widgets:
            w.blockSignals(True)
        try:
            style = self.project.layers[kind].style if kind else {}
            self.opacity.setValue(int(round(float(style.get("opacity", 1.0)) * 100)))
            self.labels.setChecked(bool(style.get("labels", kind == "qpv")))
            self.color.setIcon(_swatch(style.get("color") or default_color(kind)))
            chosen = shown_categories(self.project)
            for row in range(self.categories.count()):
                item = self.categories.item(row)
                on = chosen is None or item.text() in chosen
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        finally:
            for w in widgets:
                w.blockSignals(False)
        for widget, reason in disabled_reasons(kind).items():
            getattr(self, widget).setEnabled(reason is None)
            getattr(self, widget).setToolTip(reason or "")

    # -- widgets -> model ---------------------------------------------------------------------------
    def _set_style(self, **changes) -> None:
        kind = self.current_kind()
        if kind:
            self.project.layers[kind].set_style(**changes)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        self.project.layers[item.data(KIND_ROLE)].visible = item.checkState() == Qt.CheckState.Checked

    def _on_rows_moved(self, *_) -> None:
        order = self._shown_order()
        if order != layer_order(self.project):
            self.session.options.layer_order = order

    def move_layer(self, kind: str, steps: int) -> None:
        """Move ``kind`` up (positive) or down in the drawing order, as a drag would."""
        order = layer_order(self.project)
        i = order.index(kind)
        j = max(0, min(len(order) - 1, i + steps))
        order.insert(j, order.pop(i))
        self.session.options.layer_order = order  # the list follows through the session

    def _pick_color(self) -> None:
        kind = self.current_kind()
        if not kind:
            return
        start = QColor(swatch_color(self.project.layers[kind]))
        color = QColorDialog.getColor(start, self, f"Couleur de « {self.project.layers[kind].title} »")
        if color.isValid():
            self._set_style(color=color.name())

    def _on_category_changed(self, _item) -> None:
        chosen = [
            self.categories.item(r).text()
            for r in range(self.categories.count())
            if self.categories.item(r).checkState() == Qt.CheckState.Checked
        ]
        self.set_categories(None if len(chosen) == len(CATEGORIES) else chosen)

    def set_categories(self, categories: list[str] | None) -> None:
        """Show only ``categories`` of health resources on the map (None: all)."""
        chosen = None if categories is None else [c for c in CATEGORIES if c in categories]
        self.project.layer("resources").set_style(categories=chosen)
        self._show_style()
