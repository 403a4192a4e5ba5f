"""A ``.umap`` file: the public map as uMap imports it (Importer « umap », ``importRaw``).

uMap's own format is one JSON document: ``"type": "umap"``, the map ``properties`` (name, centre,
zoom, tile layer, licence…), its centre as a GeoJSON point ``geometry``, and ``layers``: one GeoJSON
FeatureCollection per layer whose ``_umap_options`` are the layer's name, colours and popup; a
feature's own ``_umap_options`` hold its colour where it differs from the layer's (a QPV's coverage
class, a resource's category). Popups are plain text: uMap reads a small markup in descriptions
(``*``, ``#``, ``[[…]]``, ``{…}``), which is removed from data text. Only the public level reaches
this writer (``WRITERS["umap"].public_only``); the population grid is left out (thousands of
squares in one colour say nothing on a web map).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd

from ambmap.analysis.indicators import INDICATORS
from ambmap.crs import WGS84
from ambmap.export.common import OSM_CREDIT, Prepared, sources_lines
from ambmap.export.data import ANALYSIS_LAYERS, clean_text, layer_frames
from ambmap.export.styles import layer_style
from ambmap.layers import KINDS
from ambmap.render.symbology import Symbol

LEFT_OUT = ("population",)
#: Fields that say how a point was placed, not what it is.
TECHNICAL = ("geocode_score", "a_verifier")
TILES = {
    "name": "OpenStreetMap",
    "url_template": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "attribution": OSM_CREDIT,
    "minZoom": 0,
    "maxZoom": 19,
}
LICENCE = {"name": "ODbL 1.0", "url": "https://opendatacommons.org/licenses/odbl/1.0/"}
#: What uMap's description markup would read as a list, heading, rule, emphasis, link or template.
MARKUP = re.compile(r"[*{}<>]|\[\[|\]\]|^\s*(#+|-{3,})", re.MULTILINE)


def plain(value) -> str:
    """``value`` as plain text for a uMap popup: no control character, no markup uMap would interpret."""
    text = clean_text(value) if isinstance(value, str) else "" if value is None else str(value)
    return MARKUP.sub("", text).strip()


def _shown(value) -> bool:
    """True for a value worth a popup line (not empty, not missing)."""
    return value != "" if isinstance(value, str) else not pd.api.types.is_scalar(value) or not pd.isna(value)


def _options(symbol: Symbol, point: bool) -> dict:
    """uMap path/marker options drawing ``symbol``."""
    if point:
        return {"color": symbol.color, "iconClass": "Circle"}
    options = {
        "color": symbol.color,
        "weight": max(symbol.width, 1),
        "opacity": 1,
        "fill": bool(symbol.fill),
        "fillColor": symbol.fill or symbol.color,
        "fillOpacity": symbol.fill_opacity,
    }
    if symbol.dash:
        options["dashArray"] = ",".join(f"{d:g}" for d in symbol.dash)
    return options


def _describe(name: str, row) -> tuple[str, str]:
    """(name, popup text) of one feature of layer ``name``: public fields only."""
    kind = KINDS.get(name)
    if name == "qpv":
        lines = [
            f"{i.label} : {i.show(row[c], unit=True) if not isinstance(row[c], str) else row[c]}"
            for c, i in INDICATORS.items()
            if c in row.index and c not in ("nom_qp",) and _shown(row[c])
        ]
        return plain(row.get("nom_qp")), "\n".join(plain(line) for line in lines)
    if kind is not None:
        fields = [f for f in kind.schema.fields if not f.private and f.name not in TECHNICAL]
        title = row.get(kind.search_field) if kind.search_field not in kind.private_fields else None
        title = title or f"{kind.singular} {row.get(kind.id_field, '')}"
        return plain(title), "\n".join(
            plain(f"{f.label} : {row[f.name]}")
            for f in fields
            if f.name in row.index and _shown(row[f.name]) and f.name != kind.search_field
        )
    title = row.get("label") or row.get("nom_qp") or ANALYSIS_LAYERS[name]
    return plain(title), plain(ANALYSIS_LAYERS[name])


def umap_layers(prepared: Prepared) -> list[dict]:
    """One FeatureCollection per exported layer, with its uMap options."""
    layers = []
    for name, frame in layer_frames(prepared).items():
        if name in LEFT_OUT:
            continue
        frame = frame.to_crs(WGS84)
        drawn, field = layer_style(name, frame.columns)
        point = bool(frame.geom_type.isin(["Point", "MultiPoint"]).all())
        kind = KINDS.get(name)
        title = ANALYSIS_LAYERS.get(name) or prepared.project.layer(name).title
        options = {
            "name": plain(title),
            "displayOnLoad": prepared.project.layer(name).visible if kind else True,
            "browsable": True,
            "popupTemplate": "Default",
            "labelKey": "name",
            "showLabel": True if kind is not None and kind.drawing == "quarters" else None,
            **_options(drawn.symbol, point),
        }
        geometries = json.loads(frame.geometry.to_json(drop_id=True))["features"]
        features = []
        for (_, row), geometry in zip(frame.iterrows(), geometries, strict=True):
            title, description = _describe(name, row)
            feature = {
                "type": "Feature",
                "geometry": geometry["geometry"],
                "properties": {"name": title, "description": description},
            }
            own = _options(drawn.of(row[field]), point) if field else {}
            differs = {k: v for k, v in own.items() if options.get(k) != v}
            if differs:
                feature["properties"]["_umap_options"] = differs
            features.append(feature)
        layers.append({"type": "FeatureCollection", "features": features, "_umap_options": options})
    return layers


def _view(prepared: Prepared) -> tuple[float, float, int]:
    """(longitude, latitude, zoom) showing the whole territory."""
    frames = [layer.data.to_crs(WGS84) for layer in prepared.project.ordered_layers() if len(layer)]
    west, south, east, north = frames[0].total_bounds if frames else (-5.0, 42.0, 8.0, 51.0)
    for frame in frames[1:]:
        w, s, e, n = frame.total_bounds
        west, south, east, north = min(west, w), min(south, s), max(east, e), max(north, n)
    span = max(east - west, (north - south) * 1.5, 1e-4)
    zoom = int(min(18, max(3, math.floor(math.log2(360 / span)) + 1)))
    return (west + east) / 2, (south + north) / 2, zoom


def umap_document(prepared: Prepared) -> dict:
    """The whole ``.umap`` document of ``prepared``."""
    lon, lat, zoom = _view(prepared)
    sources = [plain(line) for line in sources_lines(prepared.project, "osm")]
    centre = {"type": "Point", "coordinates": [lon, lat]}
    properties = {
        "name": plain(f"Ambassadeurs·rices de santé — {prepared.project.name}"),
        "description": "\n".join([plain(prepared.diffusion), *sources]),
        "zoom": zoom,
        "tilelayer": TILES,
        "licence": LICENCE,
        "shortCredit": "ambmap — " + " ; ".join(sources),
        "captionBar": True,
        "slideshow": {},
    }
    return {"type": "umap", "uri": "", "properties": properties, "geometry": centre, "layers": umap_layers(prepared)}


def write_umap(prepared: Prepared, path: Path) -> Path:
    """Write ``prepared`` as a ``.umap`` file (UTF-8 JSON)."""
    path = Path(path)
    path.write_text(json.dumps(umap_document(prepared), ensure_ascii=False, indent=1), encoding="utf-8")
    return path
