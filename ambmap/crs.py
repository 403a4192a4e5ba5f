"""The metric coordinate system of a territory: one rule for analysis, sources, privacy and print.

Distances (coverage radii, the 50 m de-duplication), areas and printed scales need metres. Each French
territory has its official projection: Lambert-93 for mainland France and Corsica, a local UTM zone on
the overseas geodetic system elsewhere (RGAF09, RGFG95, RGR92, RGM04, RGSPM06). Lambert-93 drawn over
La Réunion would turn the map by ~38° and double the scale, hence one rule used everywhere.

The territory is recognised by its INSEE codes (commune ``97411`` or département ``974``) when the data
carries them, else by where it lies (the centre of its bounding box in longitude/latitude).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import geopandas as gpd
from pyproj import CRS

WGS84 = "EPSG:4326"
LAMBERT93 = "EPSG:2154"
#: INSEE 200 m squares (carreaux Filosofi) of mainland France are drawn in ETRS89-LAEA; overseas
#: squares in the local legal projection (the territory's metric CRS).
INSEE_GRID_MAINLAND = "EPSG:3035"

#: Overseas département/collectivité code -> (name, official metric CRS).
OVERSEAS = {
    "971": ("Guadeloupe", "EPSG:5490"),  # RGAF09 / UTM zone 20N
    "972": ("Martinique", "EPSG:5490"),  # RGAF09 / UTM zone 20N
    "973": ("Guyane", "EPSG:2972"),  # RGFG95 / UTM zone 22N
    "974": ("La Réunion", "EPSG:2975"),  # RGR92 / UTM zone 40S
    "975": ("Saint-Pierre-et-Miquelon", "EPSG:4467"),  # RGSPM06 / UTM zone 21N
    "976": ("Mayotte", "EPSG:4471"),  # RGM04 / UTM zone 38S
    "977": ("Saint-Barthélemy", "EPSG:5490"),  # RGAF09 / UTM zone 20N
    "978": ("Saint-Martin", "EPSG:5490"),  # RGAF09 / UTM zone 20N
}

#: Mainland France and Corsica with a margin: (min lon, min lat, max lon, max lat).
MAINLAND = (-5.8, 41.0, 10.0, 51.6)
#: (min lon, min lat, max lon, max lat, CRS): where each official metric CRS applies, for data without codes.
REGIONS = (
    (*MAINLAND, LAMBERT93),  # France métropolitaine et Corse
    (-63.3, 14.2, -60.7, 18.2, "EPSG:5490"),  # Guadeloupe, Martinique, Saint-Martin, Saint-Barthélemy
    (-54.8, 2.0, -51.4, 6.0, "EPSG:2972"),  # Guyane
    (55.1, -21.5, 56.0, -20.8, "EPSG:2975"),  # La Réunion
    (44.9, -13.1, 45.4, -12.5, "EPSG:4471"),  # Mayotte
    (-56.6, 46.7, -56.0, 47.2, "EPSG:4467"),  # Saint-Pierre-et-Miquelon
)

#: Columns holding INSEE commune codes in the project's layers (territory: ``code``; QPV: ``insee_com``).
CODE_COLUMNS = ("code", "insee_com")

_MAINLAND_DEPARTMENT = re.compile(r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B)")


def crs_for_code(code: str) -> str | None:
    """The metric CRS of an INSEE commune or département code, None when the code names no French place.

    Parameters
    ----------
    code : str
        A commune code (``"59350"``, ``"2A004"``, ``"97411"``) or a département code (``"59"``, ``"2B"``,
        ``"974"``).

    Returns
    -------
    str or None
        ``"EPSG:…"``; Lambert-93 for mainland France and Corsica.
    """
    code = str(code).strip().upper()
    if code[:3] in OVERSEAS:
        return OVERSEAS[code[:3]][1]
    if len(code) in (2, 5) and _MAINLAND_DEPARTMENT.match(code):
        return LAMBERT93
    return None


def crs_for_lonlat(lon: float, lat: float) -> str | None:
    """The official metric CRS of the French territory holding (``lon``, ``lat``), None elsewhere."""
    for minx, miny, maxx, maxy, crs in REGIONS:
        if minx <= lon <= maxx and miny <= lat <= maxy:
            return crs
    return None


def _codes(frame) -> Iterable[str]:
    for column in CODE_COLUMNS:
        if isinstance(frame, gpd.GeoDataFrame) and column in frame:
            for value in frame[column].dropna().astype(str):
                yield from (c for c in re.split(r"[,;\s]+", value) if c)


def metric_crs(territory: gpd.GeoDataFrame | gpd.GeoSeries) -> str:
    """The metric CRS to measure and draw ``territory`` in.

    Parameters
    ----------
    territory : GeoDataFrame or GeoSeries
        Any CRS. Its INSEE codes (columns :data:`CODE_COLUMNS`) decide when they all name one CRS;
        otherwise the centre of its bounding box does.

    Returns
    -------
    str
        ``"EPSG:…"``: the official projection of the French territory, the local UTM zone (WGS 84)
        elsewhere, Lambert-93 when there is no geometry at all.
    """
    found = {crs for crs in map(crs_for_code, _codes(territory)) if crs}
    if len(found) == 1:
        return found.pop()
    geometries = territory.geometry if isinstance(territory, gpd.GeoDataFrame) else territory
    geometries = geometries[geometries.notna() & ~geometries.is_empty]
    if geometries.empty:
        return LAMBERT93
    lonlat = geometries.to_crs(WGS84) if geometries.crs is not None else geometries
    minx, miny, maxx, maxy = lonlat.total_bounds
    return crs_for_lonlat((minx + maxx) / 2, (miny + maxy) / 2) or lonlat.estimate_utm_crs().to_string()


def to_metric(gdf: gpd.GeoDataFrame, territory: gpd.GeoDataFrame | gpd.GeoSeries | None = None):
    """``gdf`` in the metric CRS of ``territory`` (default: of ``gdf`` itself)."""
    return gdf.to_crs(metric_crs(gdf if territory is None else territory))


def grid_crs(territory: gpd.GeoDataFrame | gpd.GeoSeries) -> str:
    """The CRS in which INSEE draws its 200 m squares over ``territory``.

    The local legal projection overseas (INSEE's Martinique and La Réunion grids are in RGAF09 / UTM 20N
    and RGR92 / UTM 40S), ETRS89-LAEA (EPSG:3035) everywhere else, mainland France and Corsica included.
    """
    crs = metric_crs(territory)
    overseas = {crs for _, crs in OVERSEAS.values()}
    return crs if crs in overseas else INSEE_GRID_MAINLAND


def epsg(code: int | str) -> str:
    """The CRS of an EPSG code read or computed from data (an INSEE square id, a FINESS UTM zone): the one
    place besides the constants above that writes « EPSG: » (tests/test_architecture.py checks it)."""
    return f"EPSG:{code}"


def crs_label(crs: str) -> str:
    """A CRS as printed on a map: « Lambert-93 (EPSG:2154) », « RGR92 / UTM zone 40S (EPSG:2975) »."""
    name = "Lambert-93" if crs == LAMBERT93 else CRS.from_user_input(crs).name
    return f"{name} ({crs})"


__all__ = [
    "INSEE_GRID_MAINLAND",
    "LAMBERT93",
    "MAINLAND",
    "OVERSEAS",
    "WGS84",
    "crs_for_code",
    "crs_for_lonlat",
    "crs_label",
    "epsg",
    "grid_crs",
    "metric_crs",
    "to_metric",
]
