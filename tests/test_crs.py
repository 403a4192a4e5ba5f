"""One CRS rule: the official metric projection of each French territory, from its codes or its place."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS, Geod
from shapely.geometry import Point, box

from ambmap import crs
from ambmap.export.privacy import GRID_SIZE_M, snap_to_grid

# (département, a commune, a point inside, official metric CRS, words of its EPSG name)
TERRITORIES = [
    ("59", "59350", (3.06, 50.63), "EPSG:2154", "Lambert-93"),  # Lille
    ("2A", "2A004", (8.74, 41.93), "EPSG:2154", "Lambert-93"),  # Ajaccio
    ("2B", "2B033", (9.45, 42.70), "EPSG:2154", "Lambert-93"),  # Bastia
    ("971", "97120", (-61.53, 16.24), "EPSG:5490", "RGAF09 / UTM zone 20N"),  # Pointe-à-Pitre
    ("972", "97209", (-61.07, 14.61), "EPSG:5490", "RGAF09 / UTM zone 20N"),  # Fort-de-France
    ("973", "97302", (-52.33, 4.94), "EPSG:2972", "RGFG95 / UTM zone 22N"),  # Cayenne
    ("974", "97411", (55.45, -20.88), "EPSG:2975", "RGR92 / UTM zone 40S"),  # Saint-Denis
    ("975", "97502", (-56.18, 46.78), "EPSG:4467", "RGSPM06 / UTM zone 21N"),  # Saint-Pierre
    ("976", "97611", (45.23, -12.78), "EPSG:4471", "RGM04 / UTM zone 38S"),  # Mamoudzou
]


@pytest.mark.parametrize(("department", "commune", "lonlat", "expected", "name"), TERRITORIES)
def test_each_territory_has_its_official_crs(department, commune, lonlat, expected, name):
    assert name in CRS.from_user_input(expected).name
    assert crs.crs_for_code(department) == crs.crs_for_code(commune) == expected
    assert crs.crs_for_lonlat(*lonlat) == expected
    # codes decide; without them, the place does (whatever CRS the data is in)
    coded = gpd.GeoDataFrame({"code": [commune]}, geometry=[Point(lonlat)], crs=crs.WGS84)
    assert crs.metric_crs(coded) == expected
    uncoded = gpd.GeoSeries([Point(lonlat).buffer(0.01)], crs=crs.WGS84).to_crs("EPSG:3857")
    assert crs.metric_crs(uncoded) == expected


def test_codes_outside_france_and_conflicting_codes_fall_back_to_the_place():
    assert crs.crs_for_code("99100") is None and crs.crs_for_code("") is None and crs.crs_for_code("7511") is None
    reunion = Point(55.45, -20.88)
    # a QPV listing two communes (one code per commune, comma separated) of La Réunion
    assert (
        crs.metric_crs(gpd.GeoDataFrame({"insee_com": ["97411, 97415"]}, geometry=[reunion], crs=crs.WGS84))
        == "EPSG:2975"
    )
    mixed = gpd.GeoDataFrame({"code": ["59350", "97411"]}, geometry=[reunion, reunion], crs=crs.WGS84)
    assert crs.metric_crs(mixed) == "EPSG:2975"
    # elsewhere in the world: the local UTM zone; nothing at all: Lambert-93
    assert crs.metric_crs(gpd.GeoSeries([Point(-74.0, 40.7)], crs=crs.WGS84)) == "EPSG:32618"
    assert crs.metric_crs(gpd.GeoSeries([], crs=crs.WGS84)) == crs.LAMBERT93


def test_to_metric_and_labels():
    lille = gpd.GeoDataFrame({"code": ["59350"]}, geometry=[box(3.0, 50.6, 3.1, 50.65)], crs=crs.WGS84)
    points = gpd.GeoDataFrame(geometry=[Point(55.45, -20.88)], crs=crs.WGS84)
    assert crs.to_metric(points).crs == CRS.from_epsg(2975)
    assert crs.to_metric(points, lille).crs == CRS.from_epsg(2154)
    assert crs.crs_label("EPSG:2154") == "Lambert-93 (EPSG:2154)"
    assert crs.crs_label("EPSG:2975") == "RGR92 / UTM zone 40S (EPSG:2975)"


def test_insee_grid_crs():
    def at(lon, lat):
        return gpd.GeoSeries([Point(lon, lat)], crs=crs.WGS84)

    assert crs.grid_crs(at(3.06, 50.63)) == crs.INSEE_GRID_MAINLAND == "EPSG:3035"
    assert crs.grid_crs(at(8.74, 41.93)) == "EPSG:3035"
    assert crs.grid_crs(at(55.45, -20.88)) == "EPSG:2975"
    assert crs.grid_crs(at(-61.07, 14.61)) == "EPSG:5490"


@pytest.mark.parametrize(("lon", "lat"), [(3.06, 50.63), (55.45, -20.88), (45.23, -12.78)])
def test_public_squares_are_200_m_squares_overseas_too(lon, lat):
    # ETRS89-LAEA is centred on Europe: over La Réunion its « 200 m » squares are ~270 m × 150 m on the
    # ground; in the local projection a point moves at most half the square's diagonal
    rng = np.random.default_rng(3)
    points = gpd.GeoSeries(
        gpd.points_from_xy(lon + rng.uniform(-0.02, 0.02, 300), lat + rng.uniform(-0.02, 0.02, 300)), crs=crs.WGS84
    )
    snapped = snap_to_grid(points)
    _, _, moved = Geod(ellps="GRS80").inv(
        points.x.to_numpy(), points.y.to_numpy(), snapped.x.to_numpy(), snapped.y.to_numpy()
    )
    assert moved.max() <= GRID_SIZE_M / np.sqrt(2) * 1.005
    assert len(set(zip(snapped.x.round(7), snapped.y.round(7), strict=True))) < len(points)  # squares shared by points


def test_qpv_cut_from_the_national_file_overseas():
    """A QPV whose commune code lags behind is kept by its share inside the territory, measured in the
    local projection; the national file's QPVs far away (mainland, Antilles) are never projected there."""
    from ambmap.sources.qpv import filter_to_territory

    national = gpd.GeoDataFrame(
        {
            "code_qp": ["QN05901", "QN97401", "QN97402", "QN97101"],
            "lib_qp": ["Lille", "Centre", "Bas", "Pointe"],
            "insee_com": ["59350", "97411", "97499", "97120"],
            "lib_com": ["Lille", "Saint-Denis", "", "Pointe-à-Pitre"],
        },
        geometry=[
            box(3.05, 50.62, 3.07, 50.64),
            box(55.44, -20.89, 55.46, -20.87),
            box(55.47, -20.93, 55.49, -20.91),
            box(-61.54, 16.23, -61.52, 16.25),
        ],
        crs=crs.WGS84,
    )
    territory = gpd.GeoDataFrame({"code": ["97411"]}, geometry=[box(55.38, -20.96, 55.52, -20.86)], crs=crs.WGS84)
    assert list(filter_to_territory(national, territory)["code_qp"]) == ["QN97401", "QN97402"]
