"""The form of one feature: what to add after a click on the map in edit mode, or the details of an
existing one (double-click on a point or a table row).

The widgets are generated from the layer schema, so a new field appears in the form without code
here: a list for a choice, the project's pôles for a field naming a pôle, tags with the project's known
values for a list, a calendar for a date, metres for a radius. The values are checked with the same
validation as an import (against the whole layer: a duplicate identifier is caught too) and each
refusal is shown under its field, the dialog staying open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd
from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from shapely.geometry import Point

from ambmap import text
from ambmap.crs import WGS84
from ambmap.errors import ValidationError
from ambmap.layers import KINDS, LayerSchema, kinds, validate
from ambmap.layers.base import LIST_SEPARATOR, MAX_RADIUS_M, radius_problem, split_list
from ambmap.project import Project
from ambmap.ui.dialogs import ok_cancel

FRENCH = QLocale(QLocale.Language.French, QLocale.Country.France)


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
_HINTS = {"float": "nombre", "int": "nombre entier"}


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or value == ""


def referenced_kind(schema: LayerSchema, name: str) -> str | None:
    """The editable kind a field points at (``pole_id`` of an ambassador names a pôle), or None."""
    if name == schema.id_field:
        return None
    return next((k.name for k in kinds(editable=True) if k.id_field == name and k.name != schema.kind), None)


class TagList(QWidget):
    """Values of a list field as checkable tags (the project's known values), plus a line to add one."""

    def __init__(self, known: list[str]):
        super().__init__()
        self.list = QListWidget()
        self.list.setMaximumHeight(100)
        self.list.setFlow(QListWidget.Flow.LeftToRight)
        self.list.setWrapping(True)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setSpacing(2)
        self.new = QLineEdit(placeholderText="Autre valeur, puis Entrée")
        add = QPushButton("Ajouter")
        add.setAutoDefault(False)
        self.new.returnPressed.connect(self._add_typed)
        add.clicked.connect(self._add_typed)
        row = QHBoxLayout()
        row.addWidget(self.new, 1)
        row.addWidget(add)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(row)
        for value in known:
            self._item(value, False)

    def _item(self, value: str, checked: bool) -> QListWidgetItem:
        for i in range(self.list.count()):
            if self.list.item(i).text().casefold() == value.casefold():
                item = self.list.item(i)
                break
        else:
            item = QListWidgetItem(value, self.list)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
        if checked:
            item.setCheckState(Qt.CheckState.Checked)
        return item

    def _add_typed(self) -> None:
        for value in split_list(self.new.text()):
            self.list.scrollToItem(self._item(value, True))
        self.new.clear()

    def set_values(self, values: list[str]) -> None:
        for value in values:
            self._item(value, True)

    def values(self) -> list[str]:
        items = (self.list.item(i) for i in range(self.list.count()))
        return [item.text() for item in items if item.checkState() == Qt.CheckState.Checked]


class DateField(QWidget):
    """A date with a calendar, or « pas de date »."""

    def __init__(self):
        super().__init__()
        self.edit = QDateEdit(calendarPopup=True, displayFormat="dd/MM/yyyy")
        self.edit.setLocale(FRENCH)
        self.edit.calendarWidget().setLocale(FRENCH)
        self.edit.setDate(QDate.currentDate())
        self.none = QCheckBox("pas de date")
        self.none.toggled.connect(lambda on: self.edit.setEnabled(not on))
        self.none.setChecked(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.none)
        layout.addStretch(1)

    def set_value(self, value) -> None:
        if _missing(value):
            self.none.setChecked(True)
            return
        day = dt.date.fromisoformat(str(value)[:10])
        self.edit.setDate(QDate(day.year, day.month, day.day))
        self.none.setChecked(False)

    def value(self) -> str | None:
        return None if self.none.isChecked() else self.edit.date().toString("yyyy-MM-dd")


class RadiusField(QSpinBox):
    """A radius in metres; 0, shown « rayon du projet », leaves it empty (the project's radius applies)."""

    def __init__(self, project_radius: float | None):
        super().__init__(minimum=0, maximum=int(MAX_RADIUS_M), singleStep=50, suffix=" m")
        default = f" ({text.number(project_radius)} m)" if project_radius else ""
        self.setSpecialValueText(f"rayon du projet{default}")
        self.setLocale(FRENCH)

    def set_value(self, value) -> None:
        self.setValue(0 if _missing(value) else round(float(value)))

    def value_or_none(self) -> float | None:
        return None if self.value() == 0 else float(self.value())


class _FieldsForm(QWidget):
    """One form for one layer schema, filled with ``values`` (an existing row) or a new identifier."""

    def __init__(self, schema: LayerSchema, project: Project, new_id: str | None = None, values: dict | None = None):
        super().__init__()
        self.schema = schema
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layer = project.layers.get(schema.kind)
        for f in schema.fields:
            if f.name in _HIDDEN:
                continue
            editor = self._editor(f, project, layer)
            if f.name == schema.id_field:
                editor.setText(new_id or "")
                if values is not None:  # an identifier ties the row to its history: shown, not edited
                    editor.setReadOnly(True)
                    editor.setStyleSheet("background: palette(window)")
            editor.setObjectName(f.name)
            error = QLabel()
            error.setObjectName(f"{f.name}_error")
            error.setStyleSheet("color: #b00020")
            error.setWordWrap(True)
            error.setTextFormat(Qt.TextFormat.PlainText)
            error.hide()
            cell = QWidget()
            box = QVBoxLayout(cell)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(1)
            box.addWidget(editor)
            box.addWidget(error)
            label = f.label + (" *" if f.required and f.kind != "bool" else "")
            if f.private:
                label += " (donnée personnelle)"
            form.addRow(label, cell)
            self.editors[f.name] = editor
            self.errors[f.name] = error
        if values is not None:
            self.set_values(values)

    def _editor(self, f, project: Project, layer) -> QWidget:
        ref = referenced_kind(self.schema, f.name)
        if ref is not None:
            box = QComboBox()
            box.addItem("(aucun)", None)
            target = project.layers.get(ref)
            if target is not None:
                search = KINDS[ref].search_field
                for _, row in target.data.iterrows():
                    ident = str(row[KINDS[ref].id_field])
                    box.addItem(f"{ident} — {row[search]}" if search else ident, ident)
            return box
        if f.kind == "choice":
            box = QComboBox()
            for choice in f.choices:
                box.addItem(choice, choice)
            return box
        if f.kind == "bool":
            return QCheckBox()
        if f.kind == "list":
            known = sorted(
                {v for cell in (layer.data[f.name] if layer is not None else []) for v in split_list(cell)},
                key=str.casefold,
            )
            return TagList(known)
        if f.kind == "date":
            return DateField()
        if f.kind == "float" and f.check is radius_problem:
            try:
                from ambmap.analysis.coverage import CoverageParams

                radius = CoverageParams.from_project(project).radius_m
            except Exception:  # noqa: BLE001 - an unreadable saved radius: just no figure in the hint
                radius = None
            return RadiusField(radius)
        editor = QLineEdit()
        editor.setPlaceholderText(_HINTS.get(f.kind, "" if f.required else "facultatif"))
        return editor

    def set_values(self, values: dict) -> None:
        for name, editor in self.editors.items():
            value = values.get(name)
            if isinstance(editor, QComboBox):
                data = None if _missing(value) else str(value)
                index = editor.findData(data)
                if index < 0:  # a pôle the project no longer has: kept, and said
                    editor.addItem(f"{data} (inconnu dans le projet)", data)
                    index = editor.count() - 1
                editor.setCurrentIndex(index)
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value) and not _missing(value))
            elif isinstance(editor, TagList):
                editor.set_values(split_list("" if _missing(value) else str(value)))
            elif isinstance(editor, (DateField, RadiusField)):
                editor.set_value(value)
            elif isinstance(editor, QLineEdit) and name != self.schema.id_field:
                editor.setText(
                    ""
                    if _missing(value)
                    else (text.number(value, 6).replace("\u202f", "") if isinstance(value, float) else str(value))
                )

    def values(self) -> dict:
        out = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                out[name] = editor.currentData()
            elif isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            elif isinstance(editor, TagList):
                out[name] = LIST_SEPARATOR.join(editor.values()) or None
            elif isinstance(editor, DateField):
                out[name] = editor.value()
            elif isinstance(editor, RadiusField):
                out[name] = editor.value_or_none()
            else:
                out[name] = editor.text().strip() or None
        return out

    def show_problems(self, problems: dict[str | None, list[str]]) -> None:
        for name, label in self.errors.items():
            label.setText("\n".join(problems.get(name, [])))
            label.setVisible(name in problems)


class FeatureForm(QDialog):
    """Ask what to add at (lat, lon), or edit feature ``feature_id`` of ``kind``; ``kind()`` and
    ``values()`` give the checked answer."""

    def __init__(
        self, project: Project, lat: float, lon: float, parent=None, kind: str = "poles", feature_id: str | None = None
    ):
        super().__init__(parent)
        self.project = project
        self.feature_id = feature_id
        self.setMinimumWidth(640)
        self.lat, self.lon = lat, lon
        layout = QVBoxLayout(self)
        self.kind_box = QComboBox()
        self.stack = QStackedWidget()
        self.forms: dict[str, _FieldsForm] = {}
        if feature_id is None:
            self.setWindowTitle("Ajouter un élément sur la carte")
            layout.addWidget(QLabel(f"Position : {lat:.5f} N, {lon:.5f} E"))
            from ambmap.imports import next_id  # the import machinery (requests…) when a form opens

            for name, (label, prefix) in EDITABLE.items():
                self.kind_box.addItem(label, name)
                self.forms[name] = _FieldsForm(KINDS[name].schema, project, next_id(project, name, prefix))
                self.stack.addWidget(self.forms[name])
            self.kind_box.currentIndexChanged.connect(self._show_page)
            self.kind_box.setCurrentIndex(list(EDITABLE).index(kind))
            layout.addWidget(QLabel("Type d'élément :"))
            layout.addWidget(self.kind_box)
        else:
            layer = project.layer(kind)
            row = self._row(kind, feature_id)
            values = layer.data.iloc[row].to_dict()
            self.setWindowTitle(f"Modifier « {feature_id} » ({KINDS[kind].singular})")
            self.kind_box.addItem(KINDS[kind].singular, kind)
            self.forms[kind] = _FieldsForm(layer.schema, project, str(feature_id), values)
            self.stack.addWidget(self.forms[kind])
        self._show_page(self.kind_box.currentIndex())
        layout.addWidget(self.stack)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.error)
        buttons = ok_cancel("Ajouter" if feature_id is None else "Enregistrer")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _row(self, kind: str, feature_id: str) -> int:
        layer = self.project.layer(kind)
        ids = layer.data[layer.schema.id_field].astype(str).to_numpy()
        matches = (ids == str(feature_id)).nonzero()[0]
        if not len(matches):
            raise KeyError(feature_id)
        return int(matches[0])

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

    def changes(self) -> dict:
        """The edited values that differ from the row's (editing an existing feature)."""
        layer = self.project.layer(self.kind())
        old = layer.data.iloc[self._row(self.kind(), self.feature_id)]
        editors = self.form().editors
        return {
            name: value
            for name, value in self.values().items()
            if not (_missing(value) and _missing(old[name]))
            and not (
                value == old[name]
                or isinstance(editors[name], TagList)
                and sorted(split_list(value or "")) == sorted(split_list(old[name] or ""))
            )
        }

    def _candidate(self) -> tuple[gpd.GeoDataFrame, int]:
        """The whole layer as it would be after this form, and the edited row's position in it."""
        layer = self.project.layer(self.kind())
        values = self.values()
        if self.feature_id is None:
            row = gpd.GeoDataFrame([values], geometry=[Point(self.lon, self.lat)], crs=WGS84)
            frame = pd.concat([layer.data, row], ignore_index=True) if len(layer) else row
            return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84), len(frame) - 1
        index = self._row(self.kind(), self.feature_id)
        frame = layer.data.copy()
        for name, value in values.items():
            frame[name] = frame[name].astype(object)
            frame.iat[index, frame.columns.get_loc(name)] = value
        return frame, index

    def problems(self) -> list[str]:
        """French reasons why the current values would be refused (empty when they are fine); each is
        also shown under its field."""
        schema = self.form().schema
        frame, index = self._candidate()
        by_field: dict[str | None, list[str]] = {}
        try:
            validate(schema, frame, schema.title)
        except ValidationError as e:
            for p in e.problems:
                if p.row is None or p.row == index + 1:  # other rows' problems are not this form's
                    by_field.setdefault(p.field, []).append(p.reason)
        self.form().show_problems(by_field)
        return [
            f"{schema.field(name).label if name in schema.names else (name or '')} : {reason}"
            for name, reasons in by_field.items()
            for reason in reasons
        ]

    def accept(self) -> None:
        problems = self.problems()
        if problems:
            fields = ", ".join(dict.fromkeys(p.split(" : ", 1)[0] for p in problems))
            self.error.setText(f"À corriger (en rouge ci-dessus) : {fields}. Rien n'a été modifié.")
            self.adjustSize()
            return
        super().accept()
