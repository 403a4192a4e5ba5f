"""Layer: a GeoDataFrame in EPSG:4326 with a schema, display state and change notifications.

Models emit, views listen: setters change state and emit ``changed`` (psygnal, no Qt), so the core
runs headless and any view (Qt window, CLI, test) can listen.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from psygnal import Signal

from ambmap.crs import WGS84
from ambmap.errors import Problem, ValidationError
from ambmap.geometry import repair
from ambmap.io.text import REMOVED, clean_column, strip_controls

POSITION_LABEL = "Position"
LIST_SEPARATOR = "; "
#: Largest coverage radius accepted anywhere: beyond 20 km it is no longer a neighbourhood (a typo, a
#: value in the wrong unit), and the analyses would cover a whole department.
MAX_RADIUS_M = 20_000.0
REPAIRED = "polygone invalide (contour qui se recoupe) : réparé"


def radius_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a coverage radius in metres, in French (None when it can).

    The one rule for ``--radius`` on the command line, the project's radius options and each
    ambassador's own radius: a finite number, above 0, at most :data:`MAX_RADIUS_M`.
    """
    try:
        if isinstance(value, bool):  # JSON true/false: float() would take it as 1 or 0
            raise TypeError
        number = float(value.replace(",", ".").strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return f"« {value} » n'est pas un nombre (exemple : 500)"
    if math.isnan(number) or math.isinf(number):
        return f"rayon « {value} » : donnez un nombre de mètres fini (exemple : 500)"
    if number <= 0:
        return f"rayon de {number:g} m : donnez un nombre de mètres supérieur à 0 (exemple : 500)"
    if number > MAX_RADIUS_M:
        return (
            f"rayon de {number:g} m : au-delà de {MAX_RADIUS_M / 1000:g} km ce n'est plus un rayon de quartier "
            "(valeur en mètres attendue, exemple : 500)"
        )
    return None


@dataclass(frozen=True)
class Field:
    """One attribute of a layer: its type, whether it is required, its allowed values."""

    name: str
    label: str
    kind: str = "str"  # str, int, float, bool, date, choice, list
    required: bool = True
    choices: tuple[str, ...] = ()
    private: bool = False
    minimum: float | None = None
    maximum: float | None = None
    check: Callable[[float], str | None] | None = None  # a number's own rule (e.g. :func:`radius_problem`)


@dataclass(frozen=True)
class LayerSchema:
    """What a layer kind holds: its fields, its geometry types and the field that identifies a row."""

    kind: str
    title: str
    fields: tuple[Field, ...]
    geometry_types: tuple[str, ...]
    id_field: str | None = None
    #: Rules across fields of a row: ``check(columns) -> [(row index, field, French reason)]``, given the
    #: normalised columns (a value may be None where its own check failed).
    checks: tuple[Callable[[dict[str, list]], list[tuple[int, str, str]]], ...] = ()

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def private_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.private]

    @property
    def unique(self) -> tuple[str, ...]:
        """Fields whose values may not repeat: the identifying one."""
        return (self.id_field,) if self.id_field else ()

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


POINT = ("Point",)
LINE = ("LineString", "MultiLineString")
AREA = ("Polygon", "MultiPolygon")

#: Optional fields shared by every point layer placed by geocoding.
GEOCODING_FIELDS = (
    Field("geocode_score", "Score de géocodage", "float", required=False, minimum=0, maximum=1),
    Field("a_verifier", "À vérifier", "bool", required=False),
)

_DATE_FR = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def split_list(value: str) -> list[str]:
    """Split a list field (« français; arabe ») into its items."""
    return [item.strip() for item in re.split(r"[;,|]", value or "") if item.strip()]


def _normalise_value(f: Field, value: Any) -> tuple[Any, str | None]:
    """Return (normalised value, French reason if refused)."""
    missing = (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or value is pd.NA
        or (isinstance(value, str) and not value.strip())
    )
    if missing:
        if f.required and f.kind != "bool":
            return None, "valeur obligatoire manquante"
        return {"bool": False, "str": "", "list": "", "date": ""}.get(f.kind, None), None
    if f.kind not in _NORMALISERS:
        raise AssertionError(f"unknown field kind {f.kind}")
    return _NORMALISERS[f.kind](f, value)


def _text_value(f: Field, value: Any) -> tuple[Any, str | None]:
    return str(value).strip(), None


def _choice_value(f: Field, value: Any) -> tuple[Any, str | None]:
    text = str(value).strip()
    lowered = {c.lower(): c for c in f.choices}
    if text.lower() in lowered:
        return lowered[text.lower()], None
    return None, f"valeur « {text} » non reconnue (valeurs possibles : {', '.join(f.choices)})"


def _list_value(f: Field, value: Any) -> tuple[Any, str | None]:
    items = value if isinstance(value, (list, tuple)) else split_list(str(value))
    return LIST_SEPARATOR.join(str(i).strip() for i in items if str(i).strip()), None


def _bool_value(f: Field, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, (bool, np.bool_)):
        return bool(value), None
    text = str(value).strip().lower()
    if text in {"1", "true", "vrai", "oui", "yes", "o", "x"}:
        return True, None
    if text in {"0", "false", "faux", "non", "no", "n"}:
        return False, None
    return None, f"« {value} » n'est ni oui ni non"


def _date_value(f: Field, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.strftime("%Y-%m-%d"), None
    text = str(value).strip()
    m = _DATE_FR.match(text)
    try:
        if m:
            return dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat(), None
        return dt.date.fromisoformat(text[:10]).isoformat(), None
    except ValueError:
        return None, f"date « {text} » invalide (format attendu JJ/MM/AAAA ou AAAA-MM-JJ)"


def _number_value(f: Field, value: Any) -> tuple[Any, str | None]:
    try:
        number = (
            float(str(value).replace("\u202f", "").replace(" ", "").replace(",", "."))
            if isinstance(value, str)
            else float(value)
        )
    except (TypeError, ValueError):
        return None, f"« {value} » n'est pas un nombre"
    if np.isnan(number):
        return _normalise_value(f, None)
    if f.minimum is not None and number < f.minimum:
        return None, f"{value} est inférieur au minimum ({f.minimum:g})"
    if f.maximum is not None and number > f.maximum:
        return None, f"{value} est supérieur au maximum ({f.maximum:g})"
    if f.check is not None and (reason := f.check(number)):
        return None, reason
    if f.kind == "int":
        if number != int(number):
            return None, f"« {value} » n'est pas un nombre entier"
        return int(number), None
    return number, None


#: One rule per field kind: the exact check (and its French reason) of a single value.
_NORMALISERS = {
    "str": _text_value,
    "choice": _choice_value,
    "list": _list_value,
    "bool": _bool_value,
    "date": _date_value,
    "int": _number_value,
    "float": _number_value,
}


def _fast_normalise(f: Field, values: pd.Series) -> tuple[list[Any], list[int]]:
    """Column-at-once normalisation for the common kinds (100,000-row imports).

    Returns the normalised values and the rows it is unsure of; those go through
    :func:`_normalise_value`, the single reference for every rule and message.
    """
    n = len(values)
    missing = np.array(values.isna(), dtype=bool)
    if missing.all() and not f.required:
        return [_normalise_value(f, None)[0]] * n, []
    if f.kind == "bool":
        mapped = values.map(_BOOLEANS.get, na_action="ignore")
        suspect = np.array(mapped.isna(), dtype=bool) & ~missing
        return mapped.where(~missing, False).tolist(), np.flatnonzero(suspect).tolist()
    if f.kind not in ("str", "choice", "int", "float"):
        return [None] * n, list(range(n))
    text = values.where(~missing, "").map(str).str.strip()
    missing |= (text == "").to_numpy()
    if f.kind == "str":
        out, suspect = text.where(~missing, "").tolist(), missing & f.required
        return [None if s else v for v, s in zip(out, suspect, strict=True)], np.flatnonzero(suspect).tolist()
    if f.kind == "choice":
        lowered = {c.lower(): c for c in f.choices}
        mapped = text.str.lower().map(lowered)
        suspect = missing | mapped.isna().to_numpy()
        return mapped.where(~suspect, None).tolist(), np.flatnonzero(suspect).tolist()
    cleaned = (
        text.str.replace("\u202f", "", regex=False).str.replace(" ", "", regex=False).str.replace(",", ".", regex=False)
    )
    numbers = pd.to_numeric(cleaned.where(~missing, "nan"), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(numbers) & ~missing
    with np.errstate(invalid="ignore"):
        if f.minimum is not None:
            bad |= numbers < f.minimum
        if f.maximum is not None:
            bad |= numbers > f.maximum
        if f.kind == "int":
            bad |= ~np.isnan(numbers) & (numbers != np.round(numbers))
    if f.check is not None:
        bad |= np.array([not np.isnan(x) and f.check(x) is not None for x in numbers], dtype=bool)
    suspect = bad | (missing & f.required)
    return (
        [None if np.isnan(x) else (int(x) if f.kind == "int" else float(x)) for x in numbers],
        np.flatnonzero(suspect).tolist(),
    )


def _suspect_geometries(schema: LayerSchema, geometries: np.ndarray) -> list[int]:
    """Rows whose geometry may be wrong, found with vectorised shapely; checked one by one after."""
    if len(geometries) == 0:
        return []
    absent = shapely.is_missing(geometries) | shapely.is_empty(geometries)
    safe = geometries.copy()
    safe[absent] = None
    bounds = shapely.bounds(safe)
    with np.errstate(invalid="ignore"):
        out_of_range = ~((bounds[:, 1] >= -90) & (bounds[:, 3] <= 90) & (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180))
    allowed = [_TYPE_IDS[t] for t in schema.geometry_types]
    wrong_type = ~np.isin(shapely.get_type_id(safe), allowed)
    suspect = absent | out_of_range | wrong_type
    if schema.geometry_types == AREA:
        suspect |= ~shapely.is_valid(safe) & ~absent
    return np.flatnonzero(suspect).tolist()


_BOOLEANS = {True: True, False: False, np.True_: True, np.False_: False}  # 1 and 0 hash as True and False
_TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiLineString": 5, "MultiPolygon": 6}

_DTYPES = {
    "str": object,
    "choice": object,
    "list": object,
    "date": object,
    "bool": bool,
    "int": "Int64",
    "float": "float64",
}


def _normalised_columns(
    schema: LayerSchema,
    gdf: gpd.GeoDataFrame,
    title: str,
    file: str | None,
    first_row: int,
    problems: list[Problem],
    notes: list[Problem],
) -> dict[str, list[Any]]:
    """Each schema field's values in canonical form; refused values go to ``problems``, mended ones to ``notes``."""
    columns: dict[str, list[Any]] = {}
    for f in schema.fields:
        if f.name not in gdf.columns:
            if f.required and f.kind != "bool":
                problems.append(Problem(title, None, f.name, "colonne obligatoire absente", file, f.label))
                continue
            values = np.full(len(gdf), None, dtype=object)
        else:
            values = gdf[f.name].to_numpy(dtype=object)
        series = pd.Series(values, dtype=object)
        if f.kind in ("str", "choice", "list"):
            series, dirty = clean_column(series)
            values = series.to_numpy(dtype=object)
            notes += [Problem(title, int(i) + first_row, f.name, REMOVED, file, f.label) for i in dirty]
        normalised, suspects = _fast_normalise(f, series)
        done: dict[tuple[type, Any], tuple[Any, str | None]] = {}
        for i in suspects:  # the exact rule (and its French reason) for the cells the fast path doubts
            value = values[i]
            try:  # each distinct value once (dates, lists of languages: a few hundred among thousands)
                key = (type(value), value)
                if key not in done:
                    done[key] = _normalise_value(f, value)
                normalised[i], reason = done[key]
            except TypeError:  # unhashable (a list given as such)
                normalised[i], reason = _normalise_value(f, value)
            if reason:
                problems.append(Problem(title, i + first_row, f.name, reason, file, f.label))
        columns[f.name] = normalised
    return columns


def _duplicate_ids(
    schema: LayerSchema, columns: dict[str, list[Any]], n: int, title: str, file: str | None, first_row: int
) -> list[Problem]:
    """A value of a unique field met again: the later row, naming the line of the first."""
    problems = []
    for name in schema.unique:
        if name in columns and len(columns[name]) == n:
            seen: dict[Any, int] = {}
            for i, value in enumerate(columns[name]):
                if value in (None, ""):
                    continue
                if value in seen:
                    problems.append(
                        Problem(
                            title,
                            i + first_row,
                            name,
                            f"identifiant « {value} » en double (déjà ligne {seen[value]})",
                            file,
                            schema.field(name).label,
                        )
                    )
                else:
                    seen[value] = i + first_row
    return problems


def validate(
    schema: LayerSchema,
    data: gpd.GeoDataFrame | pd.DataFrame,
    layer_title: str | None = None,
    file: str | None = None,
    first_row: int = 1,
    notes: list[Problem] | None = None,
) -> gpd.GeoDataFrame:
    """Check and normalise ``data`` against ``schema``; raise ValidationError listing every problem.

    Rows are numbered from ``first_row`` (1 for a layer, 2 for a spreadsheet with a header line) so that
    the message points at the line the user sees. The result has exactly the schema's columns, in
    order, with canonical types, and its geometry in EPSG:4326.

    What can be mended without losing data is mended, and told in ``notes`` (when given): control
    characters are removed from text (a project file or a form cannot carry them either), and
    self-intersecting polygons are repaired.
    """
    notes = [] if notes is None else notes
    title = layer_title or schema.title
    problems: list[Problem] = []
    if not isinstance(data, gpd.GeoDataFrame) or data.geometry.name not in data:
        raise ValidationError([Problem(title, None, "geometry", "la couche n'a pas de géométrie", file)])
    gdf = data
    if gdf.crs is None:
        problems.append(Problem(title, None, "geometry", "système de coordonnées inconnu", file))
        raise ValidationError(problems)
    if not gdf.crs.equals(WGS84):
        gdf = gdf.to_crs(WGS84)
    columns = _normalised_columns(schema, gdf, title, file, first_row, problems, notes)
    for check in schema.checks:
        for i, name, reason in check(columns):
            problems.append(Problem(title, i + first_row, name, reason, file, schema.field(name).label))
    geometries = gdf.geometry.to_numpy()
    if schema.geometry_types == AREA and len(geometries):
        broken = np.flatnonzero(~shapely.is_missing(geometries) & ~shapely.is_valid(geometries))
        if len(broken):
            geometries = geometries.copy()
            geometries[broken] = repair(geometries[broken])
            notes += [Problem(title, int(i) + first_row, "geometry", REPAIRED, file, POSITION_LABEL) for i in broken]
    for i in _suspect_geometries(schema, geometries):
        if why := _geometry_problem(schema, geometries[i]):
            problems.append(Problem(title, i + first_row, "geometry", why, file, POSITION_LABEL))
    problems += _duplicate_ids(schema, columns, len(gdf), title, file, first_row)
    if problems:
        raise ValidationError(problems)
    if schema.geometry_types in (AREA, LINE):  # one geometry type per layer, as GIS files want
        single, multiple = (
            (shapely.GeometryType.POLYGON, shapely.multipolygons)
            if schema.geometry_types == AREA
            else (shapely.GeometryType.LINESTRING, shapely.multilinestrings)
        )
        alone = shapely.get_type_id(geometries) == single
        if alone.any():  # each in a collection of its own, all at once
            geometries = np.array(geometries, dtype=object)
            geometries[alone] = multiple(geometries[alone], indices=np.arange(int(alone.sum())))
    frame = {f.name: pd.Series(columns[f.name], dtype=_DTYPES[f.kind]) for f in schema.fields}
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=WGS84), crs=WGS84)


def _geometry_problem(schema: LayerSchema, geom) -> str | None:
    if geom is None or geom.is_empty:
        return "géométrie absente (coordonnées manquantes)"
    if geom.geom_type not in schema.geometry_types:
        return f"géométrie de type {geom.geom_type}, attendu {' ou '.join(schema.geometry_types)}"
    minx, miny, maxx, maxy = geom.bounds
    if not (-90 <= miny <= maxy <= 90):
        return f"latitude hors limites ({miny if miny < -90 else maxy:.6g} ; attendu entre -90 et 90)"
    if not (-180 <= minx <= maxx <= 180):
        return f"longitude hors limites ({minx if minx < -180 else maxx:.6g} ; attendu entre -180 et 180)"
    if schema.geometry_types == AREA and not geom.is_valid:
        return "polygone invalide (contour qui se recoupe)"
    return None


def empty_frame(schema: LayerSchema) -> gpd.GeoDataFrame:
    """An empty, valid GeoDataFrame for ``schema``."""
    frame = {f.name: pd.Series([], dtype=_DTYPES[f.kind]) for f in schema.fields}
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)


class Layer:
    """A layer of the project: validated data plus how it is shown and where it comes from.

    Emits ``changed(what)`` with ``what`` in {"data", "visible", "style", "title"}. ``notes`` lists
    what validation mended in the last data it was given (control characters, repaired polygons).
    """

    changed = Signal(str)

    def __init__(
        self,
        schema: LayerSchema,
        data: gpd.GeoDataFrame | None = None,
        *,
        title: str | None = None,
        visible: bool = True,
        style: dict | None = None,
        provenance: dict | None = None,
    ):
        self.schema = schema
        self._title = strip_controls(title) if title else schema.title
        self.notes: list[Problem] = []
        self._data = empty_frame(schema) if data is None else validate(schema, data, self._title, notes=self.notes)
        self._visible = visible
        self._style = dict(style or {})
        self.provenance: dict = dict(provenance or {})

    @property
    def kind(self) -> str:
        return self.schema.kind

    @property
    def title(self) -> str:
        return self._title

    @title.setter
    def title(self, value: str) -> None:
        value = strip_controls(value)
        if value != self._title:
            self._title = value
            self.changed.emit("title")

    @property
    def data(self) -> gpd.GeoDataFrame:
        """The validated rows. Treat as read-only: set a new frame to change it."""
        return self._data

    @data.setter
    def data(self, value: gpd.GeoDataFrame) -> None:
        notes: list[Problem] = []
        self._data = validate(self.schema, value, self._title, notes=notes)
        self.notes = notes
        self.changed.emit("data")

    @property
    def visible(self) -> bool:
        return self._visible

    @visible.setter
    def visible(self, value: bool) -> None:
        if bool(value) != self._visible:
            self._visible = bool(value)
            self.changed.emit("visible")

    @property
    def style(self) -> dict:
        return dict(self._style)

    def set_style(self, **changes) -> None:
        new = {**self._style, **changes}
        if new != self._style:
            self._style = new
            self.changed.emit("style")

    def copy(self) -> Layer:
        return Layer(
            self.schema,
            self._data.copy(),
            title=self._title,
            visible=self._visible,
            style=copy.deepcopy(self._style),
            provenance=copy.deepcopy(self.provenance),
        )

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"<Layer {self.kind} « {self.title} » {len(self)} lignes>"
