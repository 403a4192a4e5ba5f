"""QGIS styles that travel inside a GeoPackage: ambmap's symbology as QML in the ``layer_styles`` table.

QGIS (and GDAL, ``ogrinfo FILE layer_styles``) read the table QGIS itself writes when a style is saved
« dans la base de données »: one row per layer, ``useAsDefault`` set, so each layer opens with the
colours of ``ambmap.render.symbology``. Resources are drawn by category, ambassadors by status, and
the QPV by coverage class when the layer carries the coverage class column (an export with its
analysis); every other layer with its single symbol. :func:`qml` is pure; :func:`write_styles` adds
the rows to a GeoPackage with sqlite3 (the exported file and the project file).
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from xml.sax.saxutils import quoteattr

from ambmap.layers import KINDS
from ambmap.render.symbology import Style, Symbol, style

#: The per-QPV coverage class column of an exported QPV layer (``CoverageResult.per_qpv``).
COVERAGE_FIELD = "coverage_class"  # the class against the project's target (symbology's qpv classes)
#: Symbol keys of the analysis layers an export adds (``ambmap.export.data.ANALYSIS_LAYERS``).
ANALYSIS_SYMBOLS = {
    "zone_couverte": "coverage",
    "manques": "gaps",
    "zones_ambassadeurs": "coverage",
    "recrutement_propose": "recommendation",
}
STYLE_NAME = "ambmap"
#: A screen pixel in millimetres (QGIS sizes symbols in mm).
PX_MM = 0.26
#: QGIS simple-marker shape of each symbology shape.
MARKER_SHAPES = {"circle": "circle", "square": "square", "star": "star", "pin": "diamond"}
#: GeoPackage geometry type name → QGIS symbol type.
SYMBOL_TYPES = {"POINT": "marker", "MULTIPOINT": "marker", "LINESTRING": "line", "MULTILINESTRING": "line"}

CREATE_TABLE = """CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
    styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30),
    ui TEXT(30), update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""


def rgba(color: str, opacity: float = 1.0) -> str:
    """QGIS's « r,g,b,a » of a CSS ``#rrggbb`` colour."""
    value = color.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(255 * opacity)}"


def layer_style(name: str, columns) -> tuple[Style, str | None]:
    """(style, class field or None) of exported layer ``name`` whose fields are ``columns``."""
    kind = KINDS.get(name)
    if kind is None:
        return style(ANALYSIS_SYMBOLS.get(name, name)), None
    drawn = style(kind.symbol)
    if kind.class_field and drawn.classes:
        return drawn, kind.class_field
    if kind.drawing == "quarters" and COVERAGE_FIELD in columns and drawn.classes:
        return drawn, COVERAGE_FIELD
    return Style(drawn.symbol), None


def _options(props: dict[str, str]) -> str:
    """A symbol layer's properties, as QGIS ≥ 3.26 writes them (``Option``) and older ones read (``prop``)."""
    options = "".join(f'<Option name={quoteattr(k)} type="QString" value={quoteattr(v)}/>' for k, v in props.items())
    return f'<Option type="Map">{options}</Option>' + "".join(
        f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in props.items()
    )


def _symbol_layer(symbol: Symbol, kind: str) -> tuple[str, dict[str, str]]:
    """(QGIS symbol layer class, properties) drawing ``symbol`` as a ``kind`` (marker, line or fill)."""
    dash = (
        {"customdash": ";".join(f"{d * PX_MM:g}" for d in symbol.dash), "use_custom_dash": "1", "customdash_unit": "MM"}
        if symbol.dash
        else {}
    )
    if kind == "marker":
        return "SimpleMarker", {
            "name": MARKER_SHAPES.get(symbol.shape, "circle"),
            "color": rgba(symbol.color),
            "outline_color": rgba(symbol.edge),
            "outline_width": "0.3",
            "size": f"{max(2.0, symbol.size * 0.2):g}",
            "size_unit": "MM",
        }
    if kind == "line":
        return "SimpleLine", {
            "line_color": rgba(symbol.color),
            "line_width": f"{max(symbol.width, 0.5) * PX_MM:g}",
            "line_width_unit": "MM",
            "line_style": "solid",
            **dash,
        }
    fill = symbol.fill
    return "SimpleFill", {
        "color": rgba(fill, symbol.fill_opacity) if fill else "0,0,0,0",
        "style": "solid" if fill else "no",
        "outline_color": rgba(symbol.color),
        "outline_width": f"{symbol.width * PX_MM:g}",
        "outline_width_unit": "MM",
        "outline_style": "no" if symbol.width == 0 else "dash" if symbol.dash else "solid",
    }


def _symbol(name: str, symbol: Symbol, kind: str) -> str:
    cls, props = _symbol_layer(symbol, kind)
    return (
        f'<symbol name={quoteattr(name)} type="{kind}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="{cls}" enabled="1" locked="0" pass="0">{_options(props)}</layer></symbol>'
    )


def qml(drawn: Style, kind: str, field: str | None = None) -> str:
    """The QML document of a layer drawn with ``drawn`` as ``kind`` (marker, line, fill): categorized on
    ``field`` (one category per class of ``drawn``, others with the layer's symbol), else single symbol."""
    head = (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis version="3.22.0" styleCategories="Symbology">'
    )
    if field:
        classes = list(drawn.classes.items())
        categories = "".join(
            f'<category symbol="{i}" value={quoteattr(value)} label={quoteattr(value)} render="true" type="string"/>'
            for i, (value, _) in enumerate(classes)
        )
        symbols = "".join(_symbol(str(i), symbol, kind) for i, (_, symbol) in enumerate(classes))
        renderer = (
            f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" '
            f'enableorderby="0" forceraster="0"><categories>{categories}</categories>'
            f"<symbols>{symbols}</symbols>"
            f"<source-symbol>{_symbol('0', drawn.symbol, kind)}</source-symbol></renderer-v2>"
        )
    else:
        renderer = (
            '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
            f"<symbols>{_symbol('0', drawn.symbol, kind)}</symbols></renderer-v2>"
        )
    return f"{head}{renderer}</qgis>\n"


def write_styles(path: Path, frames: dict) -> None:
    """Add one default QGIS style per layer of ``frames`` (name → its data, for the field names) to the
    GeoPackage at ``path``; the ``layer_styles`` table is registered in ``gpkg_contents`` as attributes."""
    try:
        with sqlite3.connect(path) as db:
            geometry = {
                table: (column, kind)
                for table, column, kind in db.execute(
                    "SELECT table_name, column_name, geometry_type_name FROM gpkg_geometry_columns"
                )
            }
            db.execute(CREATE_TABLE)
            db.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) SELECT "
                "'layer_styles', 'attributes', 'layer_styles', 'Styles QGIS (ambmap)' WHERE NOT EXISTS "
                "(SELECT 1 FROM gpkg_contents WHERE table_name = 'layer_styles')"
            )
            for name, frame in frames.items():
                if name not in geometry:
                    continue
                column, geometry_type = geometry[name]
                drawn, field = layer_style(name, getattr(frame, "columns", ()))
                document = qml(drawn, SYMBOL_TYPES.get(geometry_type.upper(), "fill"), field)
                db.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (name,))
                db.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                    "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL)",
                    (name, column, STYLE_NAME, document, "Symbologie d'ambmap"),
                )
        db.close()
    except sqlite3.Error as e:  # a full disk or a locked file: the caller names the file in French
        full = getattr(e, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        raise OSError(errno.ENOSPC if full else errno.EIO, f"styles QGIS : {e}") from e
