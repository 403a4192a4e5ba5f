"""Points from other planners' files (``ambmap recommend --demand/--candidates/--existing``).

Read by the same readers and coordinate rules as an import (encodings, separators, title lines,
decimal commas, Lambert-93 recognised by its range, a declared system checked against the numbers),
but kept as they are: no layer schema, no geocoding, any column carried along (a weight, a name).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np

from ambmap.crs import WGS84
from ambmap.errors import ImportFileError
from ambmap.io import coords
from ambmap.io.mapping import coordinate_columns
from ambmap.io.tables import TABLE_SUFFIXES, read_geofile, read_table

_FORMATS = "un CSV avec des colonnes lon et lat (séparateur ; ou ,), un GeoJSON ou un GeoPackage de points"


def read_points(path: Path | str) -> gpd.GeoDataFrame:
    """Points (EPSG:4326 or the file's own system) from a CSV or XLSX with lon/lat (longitude/latitude,
    x/y) columns, or from a GeoJSON, GeoPackage or Shapefile; empty cells are missing values.

    Raises ImportFileError naming the file and the first wrong line.
    """
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"Le fichier « {path} » n'existe pas.")
    if path.is_file() and path.stat().st_size == 0:
        raise ImportFileError(
            f"Le fichier « {path.name} » est vide : il faut des points (CSV avec colonnes lon et "
            "lat, GeoJSON ou GeoPackage)."
        )
    try:
        if path.suffix.lower() in TABLE_SUFFIXES | {".xls", ".ods"}:
            frame = _table_points(path)
        else:
            frame = read_geofile(path)
            frame = frame.set_geometry(coords.settle_crs(frame.geometry)[0])
    except ImportFileError:
        raise
    except Exception as e:  # any reader failure (pandas, csv, GDAL): the file is not usable as points
        raise ImportFileError(f"Impossible de lire « {path.name} » : utilisez {_FORMATS}.") from e
    _check_points(frame, path.name)
    geometry = frame.geometry.name
    cells = frame.drop(columns=geometry)
    cells = cells.mask(cells.eq(""))  # as a blank cell reads elsewhere: a weight of nothing, no label
    return gpd.GeoDataFrame(cells, geometry=frame.geometry, crs=frame.crs).reset_index(drop=True)


def _table_points(path: Path) -> gpd.GeoDataFrame:
    table = read_table(path)
    pair = coordinate_columns(list(table.columns))
    if pair is None:
        raise ImportFileError(
            f"« {path.name} » : colonnes lon et lat introuvables "
            f"(colonnes présentes : {', '.join(map(str, table.columns))})."
        )
    shifted = table.attrs.get("bad_lines", {})  # a cell holding the separator: the points would be wrong
    if shifted:
        line = min(shifted)
        raise ImportFileError(f"« {path.name} », ligne {line} : {shifted[line]}.")
    first, second = coords.to_number(table[pair[0]]), coords.to_number(table[pair[1]])
    # degrees anywhere in the world whatever the column names (other planners' points may lie overseas),
    # Lambert-93 metres by their range, a France pair written lat/lon swapped back
    verdict = coords.classify(first, second)
    missing, invalid = np.flatnonzero(verdict == coords.MISSING), np.flatnonzero(verdict == coords.INVALID)
    if len(missing):
        raise ImportFileError(
            f"« {path.name} », ligne {table.index[missing[0]]} : coordonnées lon/lat manquantes ou illisibles."
        )
    if len(invalid):
        pos = invalid[0]
        raise ImportFileError(_out_of_bounds(path.name, table.index[pos], first[pos], second[pos]))
    lon, lat = coords.to_lon_lat(first, second, verdict)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)


def _check_points(frame: gpd.GeoDataFrame, name: str) -> None:
    """Every point has a real longitude/latitude, else an error naming the first bad line."""
    if frame.empty:
        raise ImportFileError(f"« {name} » ne contient aucun point.")
    bounds = frame.geometry.to_crs(WGS84).bounds.to_numpy()  # minx, miny, maxx, maxy per feature
    lon, lat = bounds[:, [0, 2]], bounds[:, [1, 3]]
    ok = np.isfinite(bounds).all(axis=1) & (np.abs(lon) <= 180).all(axis=1) & (np.abs(lat) <= 90).all(axis=1)
    bad = np.flatnonzero(~ok)
    if len(bad):
        i = bad[0]
        raise ImportFileError(_out_of_bounds(name, frame.index[i], lon[i, 0], lat[i, 0]))


def _out_of_bounds(name: str, line, lon: float, lat: float) -> str:
    return (
        f"« {name} », ligne {line} : coordonnées absentes ou hors limites (longitude {lon:g}, latitude {lat:g} ; "
        "attendu entre -180 et 180, et entre -90 et 90). Vérifiez l'ordre lon/lat et le système de coordonnées "
        "du fichier."
    )


__all__ = ["read_points"]
