"""The streets of a line file (« filaire de voirie », OSM extract) as the project's streets layer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ambmap.crs import WGS84
from ambmap.errors import ImportFileError
from ambmap.io.tables import GEO_SUFFIXES, read_geofile
from ambmap.layers import Layer
from ambmap.layers.streets import NOT_WALKABLE_HIGHWAYS

# -- the streets of a line file (« filaire de voirie ») ------------------------------------------------------
#: Columns read as a street's class, name and identifier when the user names none (lower-case).
STREET_CLASS_COLUMNS = ("street_class", "classe", "highway", "roadclass", "class", "fclass", "type_voie", "nature")
STREET_NAME_COLUMNS = ("name", "nom", "nom_voie", "nom_rue", "libelle", "libelle_voie", "nom_1_gauche")
STREET_ID_COLUMNS = ("street_id", "id", "osm_id", "identifiant", "cleabs")
#: Class values of a file that name roads a pedestrian may not walk (motorways, trunks, « highway »).
_NOT_WALKED = NOT_WALKABLE_HIGHWAYS | {"highway", "autoroute"}  # the OSM rule, plus roadClass and French names


def _street_column(
    table: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], path: Path, what: str
) -> str | None:
    lowered = {str(c).lower(): c for c in table.columns}
    if wanted:
        if wanted in table.columns or wanted.lower() in lowered:
            return wanted if wanted in table.columns else lowered[wanted.lower()]
        raise ImportFileError(
            f"« {path.name} » n'a pas de colonne « {wanted} » ({what}). Colonnes présentes : "
            f"{', '.join(map(str, table.columns)) or 'aucune'}."
        )
    return next((lowered[c] for c in candidates if c in lowered), None)


def import_streets(
    path: Path | str,
    *,
    class_field: str | None = None,
    name_field: str | None = None,
    default_class: str = "desserte",
    source: str | None = None,
    licence: str = "",
    attribution: str = "",
) -> tuple[Layer, list[str]]:
    """A streets layer from a line file (GeoJSON, GeoPackage, Shapefile), and notes for the user.

    The class is read from ``class_field`` (else the first of :data:`STREET_CLASS_COLUMNS` present) and
    mapped by :data:`ambmap.layers.streets.CLASS_ALIASES` (OSM ``highway`` values, ``roadClass``
    highway/major/minor, French words); an unknown or absent value becomes ``default_class`` (counted in
    the notes). Motorways are not walkable. Non-line features are skipped (counted).
    """
    from ambmap.layers.streets import STREET_CLASSES, STREETS, street_class

    path = Path(path)
    if default_class not in STREET_CLASSES:
        raise ImportFileError(
            f"Classe par défaut « {default_class} » inconnue : choisissez parmi {', '.join(STREET_CLASSES)}."
        )
    if path.suffix.lower() not in GEO_SUFFIXES:
        raise ImportFileError(
            f"« {path.name} » : les rues s'importent d'un fichier de lignes GeoJSON, GeoPackage "
            "ou Shapefile (.shp ou .zip)."
        )
    frame = read_geofile(path)
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    frame = frame.to_crs(WGS84)
    notes: list[str] = []
    lines = frame.geometry.notna() & frame.geometry.geom_type.isin(["LineString", "MultiLineString"])
    lines &= ~frame.geometry.is_empty & (shapely.length(frame.geometry.values) > 0)
    if (~lines).any():
        notes.append(f"{int((~lines).sum())} élément(s) qui ne sont pas des lignes ignoré(s).")
    frame = frame[lines.to_numpy()]
    if not len(frame):
        raise ImportFileError(f"« {path.name} » ne contient aucune ligne (rue) : rien à importer.")
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    class_col = _street_column(table, class_field, STREET_CLASS_COLUMNS, path, "classe des rues")
    name_col = _street_column(table, name_field, STREET_NAME_COLUMNS, path, "nom des rues")
    id_col = _street_column(table, None, STREET_ID_COLUMNS, path, "identifiant")
    raw = (
        table[class_col].fillna("").astype(str).str.strip().str.lower()
        if class_col
        else pd.Series("", index=table.index)
    )
    mapped = raw.map(lambda v: street_class(v) if v else None)
    unknown = mapped.isna()
    if unknown.any():
        values = sorted(set(raw[unknown]) - {""})[:8]
        shown = f" (valeurs : {', '.join(values)})" if values else ""
        notes.append(f"{int(unknown.sum())} rue(s) sans classe reconnue{shown} : classées « {default_class} ».")
    ids = table[id_col].fillna("").astype(str) if id_col else pd.Series("", index=table.index)
    numbered = [f"{path.stem}-{i}" for i in range(1, len(table) + 1)]
    ids = [v if v and v not in seen else n for v, n, seen in _first_seen(ids.tolist(), numbered)]
    data = gpd.GeoDataFrame(
        {
            "street_id": ids,
            "name": table[name_col].where(table[name_col].astype(str).str.strip() != "") if name_col else None,
            "street_class": mapped.fillna(default_class).to_numpy(),
            "walkable": ~raw.isin(_NOT_WALKED).to_numpy(),
        },
        geometry=frame.geometry.values,
        crs=WGS84,
    )
    prov = {
        "source": source or f"Fichier {path.name}",
        "date": dt.date.today().isoformat(),
        "licence": licence,
        "attribution": attribution,
    }
    return Layer(STREETS, data, provenance=prov), notes


def _first_seen(values: list[str], fallbacks: list[str]):
    """(value, fallback, values seen before) for each value: a repeated identifier gets its line number."""
    seen: set[str] = set()
    for value, fallback in zip(values, fallbacks, strict=True):
        yield value, fallback, seen
        seen.add(value)
