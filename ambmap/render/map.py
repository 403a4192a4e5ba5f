"""Project -> folium map, and one self-contained offline HTML file.

Each layer kind becomes a folium group whose features are built in the page by ``ambmap.js`` from
compact JSON, so that every Leaflet layer stays addressable by kind and feature id
(``window.ambmap.layers[kind]``, ``window.ambmap.features[kind][id]``): the desktop view toggles,
highlights, counts and drags them without re-rendering. Leaflet and its plugins are inlined from the
``offlinefolium`` package: the page makes no request at all but for basemap tiles.

Text from data (names, addresses, layer titles, credits) is hostile. It never reaches a template: folium
compiles the output of every element's script macro as a Jinja2 template a second time, so a name like
``{{7*7}}`` would be evaluated. All data therefore travels in ONE ``<script type="application/json">``
block written as is (:func:`json_script`), which ``ambmap.js`` parses; the scripts folium sees only hold
variable names and layer kinds. In that block, tooltips, popups and the legend are HTML built here with
every data value escaped; titles, credits and the banner are plain text, escaped by ``ambmap.js`` where
Leaflet writes them with innerHTML.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from ambmap import text
from ambmap.analysis.indicators import (
    DEFAULT_TARGET,
    class_labels,
    coverage_classes,
    indicators,
    project_target,
    qpv_label,
)
from ambmap.config import Settings
from ambmap.errors import AmbmapError
from ambmap.layers import BASEMAP_KINDS, KINDS, LayerKind
from ambmap.project import DEMO_LABEL
from ambmap.render import symbology
from ambmap.render.symbology import COVERAGE_CLASSES, Symbol

if TYPE_CHECKING:
    import folium

    from ambmap.project import Project  # noqa: F401

#: The tiles under the map: « plan-ign », « osm », « streets » (no tiles shown, both offered in the layer
#: control: the project's own streets are the basemap) or « none » (no tiles at all: offline). The street
#: layers follow their own visibility (layer panel, layer control) whatever the choice, as a light veil
#: over tiles: tiles, streets or both.
BASEMAPS = ("plan-ign", "osm", "streets", "none")
IGN_ATTRIBUTION = "Fond de carte : Plan IGN © IGN – Géoplateforme"
OSM_ATTRIBUTION = "© les contributeurs d'OpenStreetMap"
_IGN_QUERY = (
    "?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal"
    "&TILEMATRIXSET=PM&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)
_ASSETS = Path(__file__).resolve().parent

#: Title shown in the layer control and the legend for the kinds that are not project layers.
OVERLAY_TITLES = {
    "coverage": "Zone couverte (ambassadeurs·rices)",
    "ambassador_zones": "Zone de chaque ambassadeur·rice",
    "pole_coverage": "Zones couvertes (pôles)",
    "gaps": "Parties de QPV non couvertes",
    "recommendation_zones": "Zone ajoutée par chaque site proposé",
    "recommendation": "Où recruter : sites proposés (n° de priorité)",
}
#: Kinds drawn but off at start: one disc per ambassador stacks into a moiré; the merged area says it all.
HIDDEN_AT_START = frozenset({"ambassador_zones"})
#: Kinds off at start once coverage is drawn (170 resources would bury the classes), unless in ``shown``.
HIDDEN_WITH_COVERAGE = frozenset({"resources"})
#: The legend's word on a cluster of markers.
CLUSTER_NOTE = "Groupe de N {} : zoomer pour détailler"


@dataclass(frozen=True)
class MapOptions:
    """How to draw the map; immutable, derive variants with :meth:`replace`.

    ``hidden`` lists kinds drawn but not shown at start (toggled later without re-rendering);
    ``resource_categories`` keeps only those health resource categories (None: the resource layer's
    ``style["categories"]`` if set, else all);
    ``view`` is (lat, lon, zoom) to open at, else the map fits the territory;
    ``tile_url`` replaces the basemap's tile template (a local offline tile server);
    ``shown`` lists kinds the user turned on, which win over :data:`HIDDEN_WITH_COVERAGE`;
    ``target`` is the coverage target the QPV classes are drawn against (None: the project's);
    ``layer_control`` adds Leaflet's layer control (off in the window, whose layer panel is the one list).
    """

    basemap: str = "plan-ign"
    tile_url: str | None = None
    wmts_url: str = Settings.wmts_url
    osm_tile_url: str = Settings.osm_tile_url
    resource_categories: tuple[str, ...] | None = None
    labels: bool = True
    hidden: frozenset[str] = frozenset()
    shown: frozenset[str] = frozenset()
    target: float | None = None
    view: tuple[float, float, float] | None = None
    cluster_above: int = 40
    max_zoom: int = 19
    legend: bool = True
    layer_control: bool = True

    def __post_init__(self):
        if self.basemap not in BASEMAPS:
            raise AmbmapError(f"Fond de carte « {self.basemap} » inconnu (choix possibles : {', '.join(BASEMAPS)}).")
        object.__setattr__(self, "hidden", frozenset(self.hidden))
        object.__setattr__(self, "shown", frozenset(self.shown))
        if self.resource_categories is not None:
            object.__setattr__(self, "resource_categories", tuple(self.resource_categories))

    def replace(self, **changes) -> MapOptions:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_settings(cls, settings: Settings, **changes) -> MapOptions:
        """Options following the user's basemap and tile server settings.

        In offline mode no remote basemap is asked for (plain background), unless ``tile_url`` points
        at a local tile server.
        """
        remote_ok = not settings.offline or changes.get("tile_url")
        values = {
            "basemap": settings.basemap if remote_ok else "none",
            "wmts_url": settings.wmts_url,
            "osm_tile_url": settings.osm_tile_url,
        }
        return cls(**{**values, **changes})


# -- text helpers -------------------------------------------------------------------------------
def _text(value: Any) -> str:
    """A data value as escaped HTML text ('' for missing values), numbers written the French way."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "oui" if value else "non"
    if isinstance(value, (int, np.integer)):
        return text.number(value)
    if isinstance(value, (float, np.floating)):
        return text.number(value, 0 if float(value).is_integer() else 2)
    return html.escape(str(value))


def _popup(title: Any, values: list[Any]) -> list[str]:
    """A popup as data: its title (None: the feature's name, ``t``) then each row's value, as escaped HTML
    text ('' hides the row).

    ``ambmap.js`` (popupHtml) writes the table with the spec's row labels (``pl``, :func:`_labels`): the
    page carries no table markup per feature (20,000 resources: a third of the weight)."""
    out = [_text(title)] + [_text(v) for v in values]
    while len(out) > 1 and not out[-1]:
        out.pop()
    return out


def _coded(features: list[dict]) -> list[list[str] | None]:
    """Popup columns with few distinct values (category, source, status…) written once: each such
    column's values become indexes into its table (``pc``), which ``ambmap.js`` looks up."""
    rows = [f["p"] for f in features if "p" in f]
    tables: list[list[str] | None] = []
    for i in range(1, max((len(r) for r in rows), default=0)):
        distinct = list(dict.fromkeys(r[i] for r in rows if i < len(r)))
        if len(rows) < 50 or len(distinct) * 4 > len(rows):
            tables.append(None)
            continue
        index = {v: n for n, v in enumerate(distinct)}
        for r in rows:
            if i < len(r):
                r[i] = index[r[i]]
        tables.append(distinct)
    return tables


def _labels(labels) -> list[str]:
    """Row labels of a layer's popups, as escaped HTML text."""
    return [html.escape(label) for label in labels]


def _people(value: Any, suffix: str = "") -> str:
    """« 1 234 habitants » + suffix, or « population inconnue » without a figure."""
    shown = text.people(value)
    return html.escape(shown if shown == "population inconnue" else shown + suffix)


# -- geometry helpers ---------------------------------------------------------------------------
def pack(geoms) -> list[list]:
    """Each geometry's parts as packed strings (:func:`_encode`), the one packing of every line and area of
    the page (``ambmap.js`` unpack reads it back). Lines: a list of parts; areas: a list of polygons, each
    a list of rings (outer first). A fifth of the weight of GeoJSON, read by JSON.parse as plain strings,
    and vectorised: tens of thousands of squares or streets in one pass. Points and empty parts inside
    collections (an overlay's leftovers) are dropped: they draw nothing in an area."""
    geoms = np.asarray(geoms, dtype=object)
    out: list[list] = [[] for _ in range(len(geoms))]
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keep = ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    types = shapely.get_type_id(parts)
    areas = types == 3
    if areas.any():  # polygons, then their rings: an area kind
        rings, polygon = shapely.get_rings(parts[areas], return_index=True)
        polygons: list[list] = [[] for _ in range(int(areas.sum()))]
        for p, ring in zip(polygon, _encoded_parts(rings), strict=False):
            polygons[p].append(ring)
        for g, rings_of in zip(owner[areas], polygons, strict=False):
            out[g].append(rings_of)
        return out
    lines = (types == 1) | (types == 2)
    for g, part in zip(owner[lines], _encoded_parts(parts[lines]), strict=False):
        out[g].append(part)
    return out


#: The 64 signs of a packed string: URL-safe base64's, none of which JSON, HTML or a template escapes.
PACK_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SIGNS = np.frombuffer(PACK_ALPHABET.encode("ascii"), dtype=np.uint8)


def _encoded_parts(lines) -> list[str]:
    """Each line's coordinates as one packed string, all lines at once: [lat, lon, dlat, dlon, …] in
    1e-5 degrees (about 1 m), each integer zigzag-signed then written in 5-bit groups, low first, one sign
    each (+32 while more groups follow), as Google's polyline format but in base64's signs. Small steps
    along a street take one or two signs where decimal text took three or four."""
    coords, index = shapely.get_coordinates(lines, return_index=True)
    if not len(coords):
        return []
    q = np.round(coords[:, ::-1] * 1e5).astype(np.int64)
    d = q.copy()
    d[1:] -= q[:-1]
    starts = np.flatnonzero(np.r_[True, np.diff(index) != 0])
    d[starts] = q[starts]
    values = d.ravel()
    z = ((values << 1) ^ (values >> 63)).astype(np.uint64)  # zigzag: small magnitudes, small numbers
    groups = np.ones(len(z), dtype=np.int64)
    rest = z >> np.uint64(5)
    while rest.any():
        groups += rest > 0
        rest >>= np.uint64(5)
    width = int(groups.max())
    digits = (z[:, None] >> (np.arange(width, dtype=np.uint64) * np.uint64(5))) & np.uint64(31)
    more = np.arange(width) < (groups[:, None] - 1)
    signs = _SIGNS[(digits + more * np.uint64(32)).astype(np.intp)]
    packed = signs[np.arange(width) < groups[:, None]].tobytes().decode("ascii")
    ends = np.cumsum(groups)[2 * np.r_[starts[1:], len(coords)] - 1]
    begins = np.r_[0, ends[:-1]]
    return [packed[b:e] for b, e in zip(begins.tolist(), ends.tolist(), strict=False)]


def unpack(part: str) -> np.ndarray:
    """A packed part back as (lat, lon) rows (what ``ambmap.js`` draws; for checks and tools)."""
    values, value, shift = [], 0, 0
    for sign in part:
        digit = PACK_ALPHABET.index(sign)
        value |= (digit & 31) << shift
        shift += 5
        if digit < 32:
            values.append((value >> 1) ^ -(value & 1))
            value, shift = 0, 0
    return np.cumsum(np.asarray(values, dtype=np.int64).reshape(-1, 2), axis=0) / 1e5


def _latlon(geom) -> list[float]:
    return [round(geom.y, 5), round(geom.x, 5)]  # about 1 m, as every packed coordinate


# -- symbols ------------------------------------------------------------------------------------
#: CSS class of each marker shape of the symbology (see ambmap.css).
_SHAPES = {"square": "amb-res", "circle": "amb-amb", "pin": "amb-pole", "number": "amb-reco"}


def _sym(symbol: Symbol, color: str | None = None, sign: str | None = None) -> dict:
    """A symbology marker as a Leaflet divIcon's HTML and size (``sign``: written in it instead of its own)."""
    sign = symbol.text if sign is None else sign
    style = f"background:{color or symbol.color};" + ("font-size:7px;" if len(sign) > 2 else "")
    css = _SHAPES.get(symbol.shape, "amb-amb")
    return {
        "html": f'<div class="amb-sym {css}" style="{style}">{html.escape(sign)}</div>',
        "size": [symbol.size, symbol.size],
    }


def _path(symbol: Symbol) -> dict:
    """A symbology area or line as a Leaflet path style."""
    style: dict = {"color": symbol.color, "weight": symbol.width}
    if symbol.width <= 0:
        style = {"stroke": False}
    if symbol.dash:
        style["dashArray"] = " ".join(f"{d:g}" for d in symbol.dash)
    if symbol.fill is None:
        style["fill"] = False
    else:
        style.update(fillColor=symbol.fill, fillOpacity=symbol.fill_opacity)
    return style


def _spec(
    title: str,
    features: list[dict],
    *,
    icons=None,
    styles=None,
    labels=False,
    interactive=True,
    z=0,
    opacity=1.0,
    editable=False,
) -> dict:
    spec = {
        "title": title,
        "features": features,
        "labels": labels,
        "interactive": interactive,
        "z": z,
        "opacity": float(opacity),
        "editable": editable,
    }
    if icons is not None:
        spec["icons"] = {"": next(iter(icons.values())), **icons}
    if styles is not None:
        spec["styles"] = {"": next(iter(styles.values())), **styles}
    return spec


_COLOR = re.compile(r"#[0-9A-Fa-f]{3,8}|[A-Za-z]{3,20}")


def _color(value: Any, default: str | None = None) -> str | None:
    """A layer's colour if it is a plain CSS colour (#rgb… or a name), else ``default``: it comes from the
    project file and is written into the legend's and icons' HTML."""
    return value if isinstance(value, str) and _COLOR.fullmatch(value) else default


def _style_of(layer, default: dict, classed: bool = False) -> dict:
    """Leaflet path style from defaults and the layer's own ``style`` (color, opacity, fill_opacity).

    The user's colour is the outline's; it fills the area too unless the fill says a class (``classed``):
    a colour choice never changes what a class means."""
    own = layer.style if layer is not None else {}
    style = dict(default)
    if _color(own.get("color")):
        style["color"] = own["color"]
        if not classed:
            style["fillColor"] = own["color"]
    if own.get("opacity") is not None:
        style["fillOpacity"] = float(own["opacity"]) * default.get("fillOpacity", 1)
        style["opacity"] = float(own["opacity"])
    if own.get("fill_opacity") is not None:
        style["fillOpacity"] = float(own["fill_opacity"])
    return style


# -- one draw function per way of drawing (the registry's ``drawing``) ----------------------------
def _outline_spec(kind: LayerKind, layer, coverage, options: MapOptions) -> dict:
    """Areas drawn as an outline only (the territory)."""
    features = [
        {"id": str(i), "k": "", "m": m}
        for i, m in zip(layer.data[kind.id_field], pack(layer.data.geometry), strict=False)
    ]
    return _spec(layer.title, features, styles=_path_styles(kind, layer), interactive=False)


def _grid_spec(kind: LayerKind, layer, coverage, options: MapOptions) -> dict:
    """Grid squares coloured by population quintile."""
    data = layer.data
    edges, classes = symbology.grid_classes(data["population"])
    people = {n: _people(n) for n in set(data["population"].tolist())}  # a few hundred values among thousands
    features = [
        {"id": idcar, "k": str(c), "m": m, "t": people[n]}
        for idcar, n, c, m in zip(
            data[kind.id_field], data["population"].tolist(), classes, pack(data.geometry), strict=False
        )
    ]
    spec = _spec(layer.title, features, styles=_path_styles(kind, layer))
    bounds = [text.number(e) for e in edges]
    spec["classes"] = (
        (
            [f"moins de {bounds[0]}"]
            + [f"{a} à {b}" for a, b in zip(bounds, bounds[1:], strict=False)]
            + [f"{bounds[-1]} et plus"]
        )
        if len(bounds) == 4
        else []
    )
    spec["canvas"] = True  # thousands of squares on a territory: a canvas stays fluid where SVG crawls
    return spec


#: Per-QPV figures shown in a QPV's popup once coverage is computed.
QPV_POPUP = (
    "status",
    "covered_population",
    "covered_share",
    "ambassadors_covering",
    "languages",
    "pole_within_reach",
    "resources_500m",
)


def _priority(population: Any) -> float:
    """A label's priority when names collide: the QPV's population (0 when unknown)."""
    try:
        value = float(population)
    except (TypeError, ValueError):  # pd.NA, text
        return 0.0
    return 0.0 if math.isnan(value) else value


def _quarters_spec(kind: LayerKind, layer, coverage, options: MapOptions) -> dict:
    """The QPV: named areas, filled by coverage class against the target once coverage is computed,
    labelled with their covered share."""
    target = options.target if options.target is not None else DEFAULT_TARGET
    per_qpv = getattr(coverage, "per_qpv", None)
    classes = coverage_classes(per_qpv, target) if per_qpv is not None else None
    words = class_labels(target)
    labels = options.labels and layer.style.get("labels", True)
    features = []
    for r, geometry in zip(layer.data.itertuples(), pack(layer.data.geometry), strict=False):
        rows = [r.code_qp, r.lib_com, r.population]
        key, share = "", None
        if per_qpv is not None and r.code_qp in per_qpv.index:
            c = per_qpv.loc[r.code_qp]
            key, share = (classes.get(r.code_qp) if classes is not None else None) or "", c.get("covered_share")
            rows += [words.get(key, "")] + [i.show(c.get(i.column), unit=True) for i in indicators(*QPV_POPUP)]
        # the name (a permanent label), and the class words the page adds to a hover tooltip without labels
        features.append(
            {
                "id": str(r.code_qp),
                "k": key,
                "m": geometry,
                "t": _text(qpv_label(r.nom_qp, share, key or None, target)),
                "w": _text(words.get(key, "")) if key else "",
                "p": _popup(r.nom_qp, rows),
                "r": _priority(r.population),
            }
        )
    spec = _spec(layer.title, features, styles=_path_styles(kind, layer), labels=labels)
    spec["pl"] = _labels(["Code", "Commune(s)", "Population", "Classe"] + [i.label for i in indicators(*QPV_POPUP)])
    spec["classes"] = [words[c] for c in COVERAGE_CLASSES] if per_qpv is not None else []
    return spec


_NOT_SHOWN = {"geocode_score"}


def _row_value(f, value):
    if f.kind == "bool":
        return "oui" if value is True or value is np.True_ else ""
    if f.kind == "date":
        return text.date(value)
    return value


def _shown_column(field, values: pd.Series) -> list[str]:
    """A field's values as a popup shows them (escaped text): text escaped as is (ids are all distinct),
    any other value written once (most columns of thousands of points hold a few dozen values; every
    missing number is one NaN key)."""
    plain = field.kind not in ("bool", "date")
    shown: dict = {}
    out = []
    for value in values.tolist():
        if plain and type(value) is str:
            out.append(html.escape(value))
            continue
        key = _NAN if isinstance(value, float) and value != value else value
        try:
            text_ = shown.get(key)
            if text_ is None:
                text_ = shown[key] = _text(_row_value(field, value))
        except TypeError:  # unhashable (a list of tags)
            text_ = _text(_row_value(field, value))
        out.append(text_)
    return out


_NAN = object()  # the one key of every missing number (NaN is not equal to itself)


def _points_spec(kind: LayerKind, layer, coverage, options: MapOptions) -> dict:
    """Point markers, one symbol per class of ``kind.class_field`` (or one for the layer); the tooltip
    names the feature and its class, the popup lists its fields."""
    data = layer.data
    categories = options.resource_categories
    if categories is None and layer.style.get("categories") is not None:
        categories = tuple(layer.style["categories"])
    if kind.class_field == "category" and categories is not None:  # the category filter (resources)
        data = data[data["category"].isin(categories)]
    name_field = kind.search_field or kind.id_field
    fields = [f for f in kind.schema.fields if f.name not in _NOT_SHOWN and f.name != name_field]
    columns = [_shown_column(f, data[f.name]) for f in fields]  # column by column: 20,000 rows in one pass
    keys = data[kind.class_field].tolist() if kind.class_field else [""] * len(data)
    lats, lons = np.round(data.geometry.y.to_numpy(), 5).tolist(), np.round(data.geometry.x.to_numpy(), 5).tolist()
    names = [html.escape(n) if type(n) is str else _text(n) for n in data[name_field].tolist()]
    cells = zip(*columns, strict=True) if columns else itertools.repeat((), len(data))
    features = []
    for ident, key, name, lat, lon, row in zip(
        data[kind.id_field].tolist(), keys, names, lats, lons, cells, strict=True
    ):
        popup = ["", *row]
        while len(popup) > 1 and not popup[-1]:
            popup.pop()
        # the name; the page writes « name / class » on hover and titles the popup with the name
        features.append({"id": str(ident), "k": key, "ll": [lat, lon], "t": name, "p": popup})
    spec = _spec(
        layer.title,
        features,
        icons=_icons(kind, layer),
        z=kind.z,
        opacity=layer.style.get("opacity", 1.0),
        editable=kind.editable,
    )
    spec["pl"] = _labels(f.label for f in fields)
    spec["pc"] = _coded(features)
    spec["kw"] = {key: _text(key or kind.singular) for key in {f["k"] for f in features}}  # the class on hover
    return spec


# -- a layer's look, the one place for the page's first drawing and for its restyles -----------------
def _path_styles(kind: LayerKind, layer) -> dict:
    """Leaflet path styles of an area or line kind by class ("" the layer's own look): the symbology's,
    with the layer's colour and opacities. A QPV class fill keeps its meaning whatever the colour."""
    look = symbology.style(kind.symbol)
    styles = {"": _style_of(layer, _path(look.symbol))}
    styles.update(
        {
            key: _style_of(layer, _path(symbol), classed=kind.drawing == "quarters")
            for key, symbol in look.classes.items()
        }
    )
    return styles


def _icons(kind: LayerKind, layer) -> dict:
    """Marker icons of a point kind by class, or the layer's one icon in its own colour."""
    look = symbology.style(kind.symbol)
    if look.classes and kind.class_field:
        return {key: _sym(symbol) for key, symbol in look.classes.items()}
    return {"": _sym(look.symbol, _color(layer.style.get("color"), look.symbol.color))}


#: Style keys the page applies itself (``ambmap.restyle``); any other change needs a new page.
RESTYLE_KEYS = frozenset({"color", "opacity", "fill_opacity", "labels"})


def restyled_in_page(kind: str, key: str) -> bool:
    """Whether a change of ``kind``'s style ``key`` is applied by the page itself (the resource filter,
    :data:`RESTYLE_KEYS` of a kind :func:`page_style` can give), so that no new page is needed."""
    layer_kind = KINDS.get(kind)
    return key == "categories" or (
        key in RESTYLE_KEYS and layer_kind is not None and layer_kind.drawing not in ("lines", "areas")
    )


def page_style(layer) -> dict | None:
    """``layer``'s look as ``ambmap.restyle(kind, style)`` takes it: path styles (areas) or icons and
    opacity (points), and whether the QPV names are written. None for the basemap kinds (their look
    depends on the tiles under them): those are re-rendered."""
    kind = KINDS.get(layer.kind)
    if kind is None or kind.drawing in ("lines", "areas"):
        return None
    if kind.is_point:
        icons = _icons(kind, layer)
        return {"icons": {"": next(iter(icons.values())), **icons}, "opacity": float(layer.style.get("opacity", 1.0))}
    styles = {key: {"opacity": 1.0, **style} for key, style in _path_styles(kind, layer).items()}  # undo a change
    return {"styles": styles, "labels": kind.drawing == "quarters" and bool(layer.style.get("labels", True))}


def _lines_spec(kind: LayerKind, layer, coverage, options: MapOptions) -> dict:
    """Basemap lines (streets, railways): packed, by class, on one canvas; street names (``n``, plain
    text) are written along the streets by ``ambmap.js`` at street zoom."""
    data = layer.data
    keys = data[kind.class_field].astype(str).tolist() if kind.class_field else [""] * len(data)
    names = data["name"].tolist() if "name" in data.columns else [None] * len(data)
    features = []
    for i, key, name, parts in zip(data[kind.id_field], keys, names, pack(data.geometry.values), strict=False):
        feature = {"id": str(i), "k": key, "m": parts}
        if isinstance(name, str) and name.strip():
            feature["n"] = name.strip()
        features.append(feature)
    return _basemap_spec(kind, layer, features)


def _areas_spec(kind: LayerKind, layer, coverage, options: MapOptions) -> dict:
    """Basemap areas (water, parks): packed polygons on one canvas, not clickable."""
    features = [
        {"id": str(i), "k": "", "m": parts}
        for i, parts in zip(layer.data[kind.id_field], pack(layer.data.geometry.values), strict=False)
    ]
    return _basemap_spec(kind, layer, features)


def _basemap_spec(kind: LayerKind, layer, features: list[dict]) -> dict:
    styles = _path_styles(kind, layer)
    for style in styles.values():
        style["lineCap"] = style["lineJoin"] = "round"
    spec = _spec(layer.title, features, styles=styles, interactive=False)
    spec["canvas"] = True  # ten thousand lines: one canvas, where SVG paths crawl
    spec["basemap"] = kind.drawing
    spec["labelZoom"] = STREET_LABEL_ZOOM
    spec["fullZoom"] = STREET_FULL_ZOOM
    spec["attribution"] = layer.provenance.get("attribution", "")  # credited while the layer is shown
    return spec


STREET_LABEL_ZOOM = 16  # street names from this zoom on (a quarter fills the screen)
#: Lines keep the symbology's widths from this zoom on; below it, those under 2 px are drawn 1 px wide
#: (a hairline: ten times faster on a software canvas, and lighter when the whole city shows).
STREET_FULL_ZOOM = 15

#: How each registered ``drawing`` becomes the page's data (the print layout has its own table).
DRAWERS = {
    "areas": _areas_spec,
    "lines": _lines_spec,
    "outline": _outline_spec,
    "grid": _grid_spec,
    "quarters": _quarters_spec,
    "points": _points_spec,
}


def _zones_spec(title: str, zones, id_column: str, key: str) -> dict:
    zones = zones[~(zones.geometry.isna() | zones.geometry.is_empty)]
    features = [
        {"id": str(getattr(r, id_column, i)), "k": "", "m": m}
        for i, (r, m) in enumerate(zip(zones.itertuples(), pack(zones.geometry), strict=False))
    ]
    return _spec(title, features, styles={"": _path(symbology.style(key).symbol)}, interactive=False)


def _gaps_spec(gaps) -> dict:
    gaps = gaps[~(gaps.geometry.isna() | gaps.geometry.is_empty)]
    features = [
        {
            "id": str(r.code_qp),
            "k": "",
            "m": m,
            "t": f"<b>Non couvert : {_text(r.nom_qp)}</b><br>{_people(r.uncovered_population, ' hors de portée')}",
        }
        for r, m in zip(gaps.itertuples(), pack(gaps.geometry), strict=False)
    ]
    return _spec(OVERLAY_TITLES["gaps"], features, styles={"": _path(symbology.style("gaps").symbol)})


def _stage_note(recommendation) -> str:
    """« Sites proposés : première réponse, provisoire » over a recommendation that is not the solver's answer."""
    if recommendation is None:
        return ""
    from ambmap.analysis.recommend import stage_note  # only with a recommendation: the solver stays unloaded

    return stage_note(recommendation)


def _recommendation_spec(sites) -> dict:
    """Large numbered markers, one per site in priority order (the number is the rank)."""
    look = symbology.style("recommendation").symbol
    features = [
        {
            "id": str(r.rank),
            "k": str(r.rank),
            "ll": _latlon(r.geometry),
            "t": f"<b>Site n° {_text(r.rank)} : {_text(r.label)}</b><br>{_people(r.gain, ' en plus')}",
            "p": _popup(f"Recruter ici (site n° {r.rank})", [r.label, r.nom_qp, text.people(r.gain)]),
        }
        for r in sites.itertuples()
    ]
    icons = {str(r): _sym(look, sign=str(r)) for r in sites["rank"]}
    spec = _spec(OVERLAY_TITLES["recommendation"], features, icons=icons, z=2000)
    spec["pl"] = _labels(["Lieu", "Quartier", "Gain"])
    return spec


def _recommendation_zones_spec(zones) -> dict:
    """The zone each recommended site would add (the reach strategy's zone: a disc or a walking area)."""
    zones = zones[~(zones.geometry.isna() | zones.geometry.is_empty)]
    features = [
        {"id": str(r.rank), "k": "", "m": m} for r, m in zip(zones.itertuples(), pack(zones.geometry), strict=False)
    ]
    return _spec(
        OVERLAY_TITLES["recommendation_zones"],
        features,
        styles={"": _path(symbology.style("recommendation_zones").symbol)},
        interactive=False,
    )


# -- legend -------------------------------------------------------------------------------------
def _category_box(category: str) -> str:
    """A resource category's tick box in the legend: shown only where no app filters the categories (an
    exported page, see ambmap.js categoryBoxes); ticking calls ambmap.filterCategories."""
    value = html.escape(category)
    return f'<input type="checkbox" class="amb-cat" value="{value}" checked title="Afficher : {value}">'


def _legend(specs: dict[str, dict]) -> str:
    def key(icon: dict) -> str:
        return f'<span class="key">{icon["html"]}</span>'

    def swatch(style: dict) -> str:
        fill = style.get("fillColor", "transparent") if style.get("fill", True) else "transparent"
        border = style.get("color", fill) if style.get("stroke", True) else fill
        dashed = "dashed" if style.get("dashArray") else "solid"
        return f'<span class="swatch" style="background:{fill};border-color:{border};border-style:{dashed}"></span>'

    def row(mark: str, label: str, cls: str = "") -> str:
        return f'<div class="row" data-class="{html.escape(cls)}">{mark}<span>{html.escape(label)}</span></div>'

    parts = []
    for name, spec in specs.items():
        kind = KINDS.get(name)
        classes = kind.classes if kind is not None else ()
        body = []
        if kind is not None and kind.drawing in ("lines", "areas"):  # the basemap: one quiet row each
            look = spec["styles"][""]
            color = look.get("fillColor") if kind.drawing == "areas" else look.get("color")
            body, classes = [row(swatch({"fillColor": color, "color": color}), spec["title"])], ()
        elif kind is not None and kind.drawing == "quarters" and spec.get("classes"):
            title = f"{spec['title']} : part de la population couverte"
            body = [
                row(swatch(spec["styles"][c]), label, c)
                for c, label in zip(COVERAGE_CLASSES, spec["classes"], strict=False)
            ]
            parts.append(
                f'<div class="amb-legend-kind" data-kind="{name}"><h4>{html.escape(title)}</h4>{"".join(body)}</div>'
            )
            continue
        elif classes and "icons" in spec:
            present = {f["k"] for f in spec["features"]}
            toggle = kind is not None and kind.class_field == "category"  # the resource filter, in a lone page
            body = [
                row((_category_box(c) if toggle else "") + key(spec["icons"][c]), c[0].upper() + c[1:], c)
                for c in classes
                if c in present
            ]
        elif kind is not None and kind.drawing == "grid":
            body = [
                row(swatch(spec["styles"][str(i)]), f"{label} hab. par carreau", str(i))
                for i, label in enumerate(spec["classes"])
            ]
        elif "icons" in spec:
            body = [row(key(spec["icons"][""]), spec["title"])]
        else:
            body = [row(swatch(spec["styles"][""]), spec["title"])]
        if spec.get("cluster") and kind is not None:
            colour = _color(symbology.color(kind.symbol))
            cluster = f'<span class="key amb-cluster-key" style="background:{colour}">N</span>'
            body.append(row(cluster, CLUSTER_NOTE.format(kind.plural[0].lower() + kind.plural[1:])))
        title = "" if len(body) == 1 and not classes else f"<h4>{html.escape(spec['title'])}</h4>"
        if body:
            parts.append(f'<div class="amb-legend-kind" data-kind="{name}">{title}{"".join(body)}</div>')
    return f"<details open><summary>Légende</summary>{''.join(parts)}</details>"


# -- folium assembly ----------------------------------------------------------------------------
DATA_ID = "ambmap-data"
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _no_braces(match: re.Match) -> str:
    text = match.group(0)
    return text.replace("{", "\\u007b").replace("}", "\\u007d") if "{" in text or "}" in text else text


def json_text(value: Any) -> str:
    """JSON that stays inert wherever it is written: no ``<``, ``>``, ``&`` (so no ``</script>`` or
    ``<!--`` in a script element), and no template delimiter ``{{`` ``{%`` ``{#``, should it ever pass
    through a template: JSON's own braces never form one, so when a string does, the braces of every
    string are written ``\\u007b`` ``\\u007d`` (JSON.parse reads them back). Line and paragraph separators
    are escaped for older JavaScript parsers."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if "{{" in text or "{%" in text or "{#" in text:
        text = _JSON_STRING.sub(_no_braces, text)
    return text


def json_script(element_id: str, value: Any) -> str:
    """``value`` as a JSON data block of the page (read back with ``JSON.parse``; never run, never templated)."""
    if not re.fullmatch(r"[a-z][a-z0-9-]*", element_id):
        raise ValueError(f"identifiant d'élément invalide : {element_id!r}")
    return f'<script type="application/json" id="{element_id}">{json_text(value)}</script>'


def page_data(page: str, element_id: str = DATA_ID) -> Any:
    """The data block ``element_id`` of a page written by :func:`json_script` (for checks and tools)."""
    match = re.search(rf'<script type="application/json" id="{re.escape(element_id)}">(.*?)</script>', page, re.DOTALL)
    if match is None:
        raise AmbmapError(f"La page ne contient pas de bloc de données « {element_id} ».")
    return json.loads(match.group(1))


@functools.cache
def _elements():
    """folium element classes, made once and lazily: folium is heavy and only render/export need it."""
    from branca.element import Element, MacroElement
    from jinja2 import Template

    class Raw(Element):
        """Text put in the page as is: never compiled as a template (assets are large, data is hostile)."""

        def __init__(self, text: str):
            super().__init__()
            self.text = text

        def render(self, **kwargs) -> str:
            return self.text

    class Assets(MacroElement):
        """Puts ambmap.css, ambmap.js and the map's data block in the page header."""

        _template = Template("")

        def __init__(self, data: dict):
            super().__init__()
            self.data = data

        def render(self, **kwargs):
            header = self.get_root().header
            header.add_child(
                Raw(f"<style>{(_ASSETS / 'ambmap.css').read_text(encoding='utf-8')}</style>"), name="ambmap_css"
            )
            header.add_child(
                Raw(f"<script>{(_ASSETS / 'ambmap.js').read_text(encoding='utf-8')}</script>"), name="ambmap_js"
            )
            header.add_child(Raw(json_script(DATA_ID, self.data)), name="ambmap_data")
            super().render(**kwargs)

    class Call(MacroElement):
        """One line of the page's script, made at render time from the element's parents (their variable
        names) and written as is, where a folium macro's output would be compiled as a template again."""

        _template = Template("")

        def __init__(self, make):
            super().__init__()
            self.make = make

        def render(self, **kwargs):
            self.get_root().script.add_child(Raw(self.make(self)), name=self.get_name())
            super().render(**kwargs)

    return Assets, Call


def _cluster_icon(kind: LayerKind) -> str:
    """A cluster of ``kind``'s markers: a disc of the layer's colour with the count (of the markers the
    category filter keeps)."""
    color = _color(symbology.color(kind.symbol), "#546e7a")
    return (
        f"function (c) {{ return L.divIcon({{html: '<div style=\"background:{color}\"><span>' + "
        f"ambmap.kept(c) + '</span></div>', className: 'marker-cluster amb-cluster-{kind.name}', "
        "iconSize: L.point(36, 36)}); }"
    )


def _basemaps(options: MapOptions) -> list[dict]:
    """Tile layers for the chosen basemap (shown) and the other one (offered in the layer control);
    with ``tile_url`` only that local server, credited like the basemap it copies. Built by
    ``ambmap.js`` from the data block, like the layers."""
    if options.basemap == "none" and not options.tile_url:
        return []
    if options.basemap == "streets":  # the project's streets instead: the tiles offered, off
        return [dict(b, show=False) for b in _basemaps(options.replace(basemap="plan-ign"))]
    ign = (options.wmts_url + _IGN_QUERY, "Plan IGN", IGN_ATTRIBUTION)
    osm = (options.osm_tile_url, "OpenStreetMap", OSM_ATTRIBUTION)
    choices = [ign, osm] if options.basemap != "osm" else [osm, ign]
    if options.tile_url:
        chosen = choices[0] if options.basemap != "none" else (None, None, "Fond de carte local")
        choices = [(options.tile_url, f"{chosen[1] or 'Fond'} (hors ligne)", chosen[2])]
    return [
        {
            "url": url,
            "name": name,
            "attribution": attribution,
            "maxZoom": options.max_zoom,
            "maxNativeZoom": min(options.max_zoom, 19),
        }
        for url, name, attribution in choices
    ]


def build_map(project: Project, *, coverage=None, recommendation=None, options: MapOptions | None = None) -> folium.Map:
    """Draw ``project`` (and optionally a CoverageResult and a Recommendation) as a folium map.

    Every layer kind is a named group in the layer control; its features are registered in
    ``window.ambmap`` by kind and id (see ``ambmap.js``).
    """
    import folium

    options = options or MapOptions()
    Assets, Call = _elements()
    MarkerCluster, Fullscreen = _plugins()
    bounds = None
    areas = [k.name for k in KINDS.values() if k.drawing in ("outline", "quarters")]
    for kind in areas + [k.name for k in KINDS.values() if k.is_point]:  # the territory first, else what is there
        layer = project.layers.get(kind)
        if layer is not None and len(layer):
            minx, miny, maxx, maxy = layer.data.total_bounds
            bounds = [[float(miny), float(minx)], [float(maxy), float(maxx)]]
            break
    center = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2] if bounds else [46.6, 2.4]
    location, zoom = (list(options.view[:2]), float(options.view[2])) if options.view else (center, 13)
    # maxZoom on the map itself: without a tile layer MarkerCluster needs it
    m = folium.Map(
        location=location,
        zoom_start=zoom,  # type: ignore[arg-type]  # typed int, but Leaflet takes half levels
        tiles=None,
        prefer_canvas=False,
        maxZoom=options.max_zoom,
        zoomSnap=0.5,
    )  # half levels: the territory fits snugly
    # Only Leaflet itself: our icons are CSS, so no jQuery, Bootstrap or icon fonts (~1.2 MB saved).
    m.default_js = [js for js in m.default_js if js[0] == "leaflet"]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    specs = _specs(project, coverage, recommendation, options)
    basemaps = _basemaps(options)
    if any(b.get("show", True) for b in basemaps):  # over tiles, the project's streets are a light veil
        for kind in BASEMAP_KINDS:
            for style in specs.get(kind, {}).get("styles", {}).values():
                style.update(opacity=0.6, fillOpacity=0.4 * style.get("fillOpacity", 1.0))
    attributions = data_attributions(project, drawn=[k for k in specs if k not in BASEMAP_KINDS])
    resources = project.layers.get("resources")
    if resources is not None and resources.data["source"].fillna("").str.contains("OpenStreetMap|OSM").any():
        attributions = ["Ressources : " + OSM_ATTRIBUTION] + [a for a in attributions if a != OSM_ATTRIBUTION]
    config = {
        "basemaps": basemaps,
        "attributions": attributions,
        "legend": _legend(specs) if options.legend else "",
        "fit": bounds if not options.view else None,
        "banner": " · ".join(filter(None, [DEMO_LABEL if project.is_demo else "", _stage_note(recommendation)])),
        "layerControl": options.layer_control,
    }
    Assets({"layers": specs, "config": config}).add_to(m)

    off = set(HIDDEN_AT_START) | (set(HIDDEN_WITH_COVERAGE) if coverage is not None else set())
    for kind, spec in specs.items():
        layer = project.layers.get(kind)
        show = (
            kind not in options.hidden
            and (layer is None or layer.visible)
            and (kind not in off or kind in options.shown)
        )
        spec["shown"] = show  # the page tells the app which layers it left off
        # folium is given the kind only: the title is data, named in the layer control by ambmap.js
        group: folium.map.Layer
        if spec.get("cluster"):
            group = MarkerCluster(
                name=kind,
                show=show,
                icon_create_function=_cluster_icon(KINDS[kind]),
                options={"disableClusteringAtZoom": 15, "showCoverageOnHover": False, "maxClusterRadius": 50},
            )
        else:
            group = folium.FeatureGroup(name=kind, show=show)
        Call(
            lambda e, kind=kind: (
                f"ambmap.fill({json.dumps(kind)}, {e._parent.get_name()}, {e._parent._parent.get_name()});"
            )
        ).add_to(group)
        group.add_to(m)

    Fullscreen(position="topleft", title="Plein écran", title_cancel="Quitter le plein écran").add_to(m)
    Call(lambda e: f"ambmap.finish({e._parent.get_name()});").add_to(m)
    return m


def _specs(project: Project, coverage, recommendation, options: MapOptions) -> dict[str, dict]:
    """The data of every drawn kind, in drawing order: the registry's area kinds, the coverage overlays,
    its point kinds, then the recommended sites."""
    specs: dict[str, dict] = {}
    overlays = False
    if options.target is None:
        options = options.replace(target=project_target(project))
    for kind in KINDS.values():
        if kind.is_point and not overlays:
            specs.update(_overlay_specs(coverage))
            overlays = True
        layer = project.layers.get(kind.name)
        if layer is not None and len(layer):
            specs[kind.name] = DRAWERS[kind.drawing](kind, layer, coverage, options)
    if not overlays:
        specs.update(_overlay_specs(coverage))
    sites = getattr(recommendation, "sites", None)
    if sites is not None and len(sites):
        zones = getattr(recommendation, "zones", None)
        if zones is not None and len(zones):
            specs["recommendation_zones"] = _recommendation_zones_spec(zones)
        specs["recommendation"] = _recommendation_spec(sites)
    for kind, spec in specs.items():
        spec["cluster"] = kind in KINDS and KINDS[kind].cluster and len(spec["features"]) > options.cluster_above
    return specs


def _overlay_specs(coverage) -> dict[str, dict]:
    """The coverage zones and the uncovered parts of the QPV."""
    specs: dict[str, dict] = {}
    if coverage is None:
        return specs
    area = getattr(coverage, "covered_area", None)
    if area is not None and len(area):  # ONE merged area: stacked discs make a moiré
        specs["coverage"] = _zones_spec(
            OVERLAY_TITLES["coverage"], area.assign(amb_id="zone couverte"), "amb_id", "coverage"
        )
    zones = getattr(coverage, "zones", None)
    if zones is not None and len(zones) and "status" in zones:  # one disc per ambassador: internal documents
        specs["ambassador_zones"] = _zones_spec(OVERLAY_TITLES["ambassador_zones"], zones, "amb_id", "ambassador_zones")
    pole_zones = getattr(coverage, "pole_zones", None)
    if pole_zones is not None and len(pole_zones):
        specs["pole_coverage"] = _zones_spec(OVERLAY_TITLES["pole_coverage"], pole_zones, "pole_id", "pole_coverage")
    gaps = getattr(coverage, "gaps", None)
    if gaps is not None and len(gaps):
        specs["gaps"] = _gaps_spec(gaps)
    return specs


def data_attributions(project: Project, drawn=None) -> list[str]:
    """Each drawn layer's own credit (« QPV 2024 : ANCT », « Données de démonstration »…), once each.

    Taken from the layers' provenance so that the map credits what it really shows: the demo data
    is not ANCT's, and a town hall's own file needs no credit at all. ``drawn`` limits it to those kinds
    (the basemap layers credit themselves in the page, only while they are shown).
    """
    credits = (
        layer.provenance.get("attribution", "")
        for layer in project.ordered_layers()
        if len(layer) and (drawn is None or layer.kind in drawn)
    )
    return list(dict.fromkeys(c.strip() for c in credits if c and c.strip()))


_LINK = re.compile(r'<script src="([^"]+)"></script>|<link rel="stylesheet" href="([^"]+)"\s*/?>')


def _bare_import(package: str, *modules: str) -> list:
    """``package``'s ``modules``, loaded without running the package's ``__init__`` when it is not
    imported yet: under a bare stand-in package, removed afterwards, so that a later ``import package``
    gets the real, complete one. For packages whose ``__init__`` imports every sibling (compiling their
    templates) where one or two are needed."""
    import importlib
    import importlib.util
    import sys
    import types

    if package in sys.modules:
        return [importlib.import_module(f"{package}.{m}") for m in modules]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.submodule_search_locations is None:
        raise ModuleNotFoundError(package)
    bare = types.ModuleType(package)
    bare.__path__ = list(spec.submodule_search_locations)
    sys.modules[package] = bare
    try:
        return [importlib.import_module(f"{package}.{m}") for m in modules]
    finally:
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]


@functools.cache
def _embedded_assets() -> dict[str, str]:
    """The copies of CDN files embedded in ``offlinefolium``, by URL.

    They live in its ``elements`` module; importing the package itself would first build its whole
    private copy of folium (about 150 templates compiled, half a second at start-up).
    """
    try:
        (elements,) = _bare_import("offlinefolium", "elements")
    except ModuleNotFoundError as e:
        raise AmbmapError(
            "Le module offlinefolium est introuvable : réinstallez ambmap (bash scripts/install.sh)."
        ) from e
    return elements._res


@functools.cache
def _plugins():
    """folium's MarkerCluster and Fullscreen, without ``folium.plugins``' ``__init__``, which imports its
    forty plugins (a quarter of a second of every map's first drawing)."""
    marker_cluster, fullscreen = _bare_import("folium.plugins", "marker_cluster", "fullscreen")
    return marker_cluster.MarkerCluster, fullscreen.Fullscreen


def inline_assets(page: str) -> str:
    """Replace every external <script src>/<link href> by the copy embedded in ``offlinefolium``.

    Raises AmbmapError naming the asset if one is not embedded: better no map than one that silently
    needs the internet.
    """
    embedded = _embedded_assets()

    def replace(match: re.Match) -> str:
        url = match.group(1) or match.group(2)
        if url not in embedded:
            raise AmbmapError(
                f"La ressource « {url} » n'est pas disponible hors ligne ; la carte ne peut pas être "
                "produite sans connexion. Signalez ce problème aux développeurs d'ambmap."
            )
        body = embedded[url].replace("</script", "<\\/script")
        return f"<script>{body}</script>" if match.group(1) else f"<style>{body}</style>"

    return _LINK.sub(replace, page)


def map_html(project: Project, **kwargs) -> str:
    """The self-contained HTML page of :func:`build_map`."""
    return inline_assets(build_map(project, **kwargs).get_root().render())


def write_map_html(project: Project, path: Path | str, **kwargs) -> Path:
    """Write the map of ``project`` to ``path`` as ONE offline HTML file; same keywords as build_map."""
    target = Path(path)
    page = map_html(project, **kwargs)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
    except OSError as e:
        raise AmbmapError(
            f"Impossible d'écrire la carte dans « {target} » ({e.strerror or e}). "
            "Vérifiez l'espace disque et les droits d'écriture."
        ) from e
    return target
