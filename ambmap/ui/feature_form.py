"""The form shown after a click on the map in edit mode: what to add there, and its attributes.

The widgets are generated from the layer schema, so a new field appears in the form without code
here; the values are checked with the same validation as an import before the dialog closes.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from shapely.geometry import Point

from ambmap.errors import ValidationError
from ambmap.layers import KINDS, LayerSchema, kinds, validate
from ambmap.project import Project
from ambmap.ui.commands import next_id
from ambmap.ui.dialogs import ok_cancel


class _Editable(Mapping):
    """Layers the user can add to by clicking (the registry's editable kinds, top layer first), with the
    label shown and the identifier prefix; read when asked, so a kind registered later is offered too."""

    def __getitem__(self, name: str) -> tuple[str, str]:
        kind = KINDS[name]
        if not kind.editable:
            raise KeyError(name)
        return kind.singular, kind.id_prefix

    def __iter__(self):
        return (k.name for k in reversed(kinds(editable=True)))

    def __len__(self) -> int:
        return len(kinds(editable=True))


EDITABLE = _Editable()
_HIDDEN = {"geocode_score", "a_verifier", "status_history"}  # the history is dated by the edits themselves
_HINTS = {"list": "valeurs séparées par « ; »", "date": "JJ/MM/AAAA", "float": "nombre"}


class _FieldsForm(QWidget):
    """One form for one layer schema."""

    def __init__(self, schema: LayerSchema, new_id: str):
        super().__init__()
        self.schema = schema
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout(self)
        for f in schema.fields:
            if f.name in _HIDDEN:
                continue
            if f.kind == "choice":
                editor = QComboBox()
                editor.addItems(f.choices)
            elif f.kind == "bool":
                editor = QCheckBox()
            else:
                editor = QLineEdit()
                editor.setPlaceholderText(_HINTS.get(f.kind, "" if f.required else "facultatif"))
            if f.name == schema.id_field:
                editor.setText(new_id)
            label = f.label + (" *" if f.required and f.kind != "bool" else "")
            if f.private:
                label += " (donnée personnelle)"
            editor.setObjectName(f.name)
            form.addRow(label, editor)
            self.editors[f.name] = editor

    def values(self) -> dict:
        out = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                out[name] = editor.currentText()
            elif isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            else:
                out[name] = editor.text().strip() or None
        return out


class FeatureForm(QDialog):
    """Ask what to add at (lat, lon); ``kind()`` and ``values()`` give the checked answer."""

    def __init__(self, project: Project, lat: float, lon: float, parent=None, kind: str = "poles"):
        super().__init__(parent)
        self.setWindowTitle("Ajouter un élément sur la carte")
        self.setMinimumWidth(460)
        self.lat, self.lon = lat, lon
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Position : {lat:.5f} N, {lon:.5f} E"))
        self.kind_box = QComboBox()
        self.stack = QStackedWidget()
        self.forms: dict[str, _FieldsForm] = {}
        for name, (label, prefix) in EDITABLE.items():
            self.kind_box.addItem(label, name)
            self.forms[name] = _FieldsForm(KINDS[name].schema, next_id(project.layer(name), prefix))
            self.stack.addWidget(self.forms[name])
        self.kind_box.currentIndexChanged.connect(self._show_page)
        self.kind_box.setCurrentIndex(list(EDITABLE).index(kind))
        self._show_page(self.kind_box.currentIndex())
        layout.addWidget(QLabel("Type d'élément :"))
        layout.addWidget(self.kind_box)
        layout.addWidget(self.stack)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = ok_cancel("Ajouter")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _show_page(self, index: int) -> None:
        """Show one layer's fields; the dialog takes that page's height, not the tallest page's."""
        for i, form in enumerate(self.forms.values()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            form.setSizePolicy(policy, policy)
        self.stack.setCurrentIndex(index)
        self.adjustSize()

    def kind(self) -> str:
        return self.kind_box.currentData()

    def form(self) -> _FieldsForm:
        return self.forms[self.kind()]

    def values(self) -> dict:
        return self.form().values()

    def problems(self) -> list[str]:
        """French reasons why the current values would be refused (empty when they are fine)."""
        schema = self.form().schema
        row = gpd.GeoDataFrame([self.values()], geometry=[Point(self.lon, self.lat)], crs="EPSG:4326")
        try:
            validate(schema, row, schema.title)
        except ValidationError as e:
            return [f"{schema.field(p.field).label if p.field in schema.names else p.field} : {p.reason}"
                    for p in e.problems]
        return []

    def accept(self) -> None:
        problems = self.problems()
        if problems:
            self.error.setText("\n".join(problems))
            return
        super().accept()
