"""Which coordinate system a pair of number columns is in (WGS84, swapped WGS84 or Lambert-93), and
which one a geographic file's points are really in.

Users' files mix everything: latitude and longitude swapped by hand, Lambert-93 metres exported from
a GIS, decimal commas. Each row is classified on its own (vectorised), by the ranges that make sense
for France (mainland and overseas for WGS84, mainland for Lambert-93).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from ambmap import crs

WGS84_OK, OUTSIDE, SWAPPED, LAMBERT93, LAMBERT93_SWAPPED, INVALID, MISSING = (
    "wgs84",
    "hors métropole",
    "inversées",
    "lambert93",
    "lambert93 inversées",
    "invalides",
    "absentes",
)

# Mainland France with a margin (Corsica included), in degrees.
_FR_LON, _FR_LAT = crs.MAINLAND[0::2], crs.MAINLAND[1::2]
# Lambert-93 extent of mainland France with a margin, in metres.
_L93_X, _L93_Y = (50_000.0, 1_300_000.0), (6_000_000.0, 7_200_000.0)


def to_number(values: pd.Series) -> np.ndarray:
    """Numbers from text cells, accepting decimal commas and thin spaces; NaN when unreadable."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, copy=True)
    retry = np.isnan(numbers)
    if retry.any():  # only the cells plain parsing refused: commas, spaces
        text = values[retry].astype(str).str.replace(r"[\s\u202f\u00a0]", "", regex=True).str.replace(",", ".")
        numbers[retry] = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    return numbers


def _between(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return (values >= bounds[0]) & (values <= bounds[1])


def classify(first: np.ndarray, second: np.ndarray, projected: bool = False) -> np.ndarray:
    """Per-row verdict for (lon, lat) or, when ``projected``, (x, y) pairs.

    A pair read as (lon, lat) that only makes sense the other way round in France is « inversées »;
    valid degrees outside mainland France (overseas) are « hors métropole »; metres in the Lambert-93
    range are Lambert-93 whatever the column names said.
    """
    verdict = np.full(len(first), INVALID, dtype=object)
    missing = np.isnan(first) | np.isnan(second)
    in_france = _between(first, _FR_LON) & _between(second, _FR_LAT)
    swapped = _between(second, _FR_LON) & _between(first, _FR_LAT) & ~in_france
    world = (np.abs(first) <= 180) & (np.abs(second) <= 90)
    l93 = _between(first, _L93_X) & _between(second, _L93_Y)
    l93_swapped = _between(second, _L93_X) & _between(first, _L93_Y)
    if projected:
        verdict[l93_swapped] = LAMBERT93_SWAPPED
        verdict[l93] = LAMBERT93
        verdict[~l93 & ~l93_swapped & in_france] = WGS84_OK  # « x/y » columns holding degrees
    else:
        verdict[world] = OUTSIDE  # overseas France stays as given, flagged for a check
        verdict[in_france] = WGS84_OK
        verdict[swapped] = SWAPPED
        verdict[l93] = LAMBERT93
        verdict[l93_swapped] = LAMBERT93_SWAPPED
    verdict[(first == 0) & (second == 0)] = INVALID  # « 0 ; 0 »: an empty cell exported as zero
    verdict[missing] = MISSING
    return verdict


def to_lon_lat(first: np.ndarray, second: np.ndarray, verdict: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude and latitude for every row (NaN where the verdict is invalid or missing)."""
    lon, lat = np.full(len(first), np.nan), np.full(len(first), np.nan)
    ok = (verdict == WGS84_OK) | (verdict == OUTSIDE)
    lon[ok], lat[ok] = first[ok], second[ok]
    sw = verdict == SWAPPED
    lon[sw], lat[sw] = second[sw], first[sw]
    for flag, (xs, ys) in ((LAMBERT93, (first, second)), (LAMBERT93_SWAPPED, (second, first))):
        mask = verdict == flag
        if mask.any():
            transformer = Transformer.from_crs(crs.LAMBERT93, crs.WGS84, always_xy=True)
            lon[mask], lat[mask] = transformer.transform(xs[mask], ys[mask])
    return lon, lat


def settle_crs(geometry: gpd.GeoSeries) -> tuple[gpd.GeoSeries, str | None]:
    """``geometry`` with the system its numbers are really in, and a French note when that is not the
    one the file declared (or when it declared none: WGS84 is then assumed).

    A GIS's metres in a file that declares no system (Shapefile without .prj, GeoJSON) are Lambert-93:
    degrees never reach these values. The opposite slip, a metric system declared over degrees (a wrong
    .prj or "crs"), is read as longitude/latitude.
    """
    points = geometry[geometry.notna() & ~geometry.is_empty & (geometry.geom_type == "Point")]
    if geometry.crs is None or geometry.crs.is_geographic:
        if len(points) and (classify(points.x.to_numpy(), points.y.to_numpy(), projected=True) == LAMBERT93).all():
            return geometry.set_crs(crs.LAMBERT93, allow_override=True), (
                "Le fichier ne dit pas son système de coordonnées, mais ses valeurs sont des mètres en Lambert-93 : "
                "converties en latitude/longitude (vérifiez les positions sur la carte)."
            )
    elif geometry.crs.is_projected and len(points) and ((points.x.abs() <= 180) & (points.y.abs() <= 90)).all():
        return geometry.set_crs(crs.WGS84, allow_override=True), (
            f"Le fichier annonce des coordonnées en mètres ({geometry.crs.name}), mais ses valeurs sont des "
            "degrés : lues comme longitude/latitude (vérifiez les positions sur la carte)."
        )
    if geometry.crs is None:
        return geometry.set_crs(crs.WGS84), (
            "Le fichier ne dit pas son système de coordonnées : WGS84 (latitude/longitude) supposé."
        )
    return geometry, None
