"""Points of ``ambmap recommend --demand/--candidates/--existing``: the import's readers and coordinate rules."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from ambmap.errors import ImportFileError
from ambmap.io import coords
from ambmap.io.mapping import coordinate_columns
from ambmap.io.points import read_points

LILLE = (3.0573, 50.6292)
LILLE_L93 = (704_000.0, 7_059_000.0)  # about the same place, in metres


def test_coordinate_columns_use_the_import_names():
    assert coordinate_columns(["Nom", "Longitude", "Latitude"]) == ("Longitude", "Latitude")
    assert coordinate_columns(["nom", "X", "Y", "lon", "lat"]) == ("lon", "lat")
    assert coordinate_columns(["nom", "coord_x", "coord_y"]) == ("coord_x", "coord_y")
    assert coordinate_columns(["nom", "lat"]) is None


def test_lambert93_metres_and_swapped_degrees_become_longitude_latitude(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(f"nom;x;y\nA;{LILLE_L93[0]:.0f};{LILLE_L93[1]:.0f}\nB;50,63;3,06\n", encoding="utf-8")
    points = read_points(path)
    assert str(points.crs) == "EPSG:4326" and list(points.index) == [0, 1]
    assert points.geometry.x[0] == pytest.approx(3.06, abs=0.05) and points.geometry.y[0] == pytest.approx(
        50.6, abs=0.05
    )
    assert (points.geometry.x[1], points.geometry.y[1]) == (3.06, 50.63)  # a France pair written lat/lon


def test_csv_encodings_title_lines_and_blank_cells(tmp_path):
    path = tmp_path / "demande.csv"
    path.write_bytes(
        "\ufeffDemande des quartiers\n\nnom;poids;lon;lat\nPôle A;;3,05;50,62\n".encode("utf-8")
        + "Église B;12;3.06;50.63\n".encode("cp1252")
    )
    points = read_points(path)
    assert list(points["nom"]) == ["Pôle A", "Église B"]
    assert pd.isna(points["poids"][0]) and points["poids"][1] == "12"  # a blank weight weighs nothing


def test_errors_name_the_line_as_in_a_spreadsheet(tmp_path):
    path = tmp_path / "titre.csv"
    path.write_text("Sites candidats\nnom;lon;lat\nA;3.05;50.62\nB;3.06;\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="« titre.csv », ligne 4 : coordonnées lon/lat manquantes"):
        read_points(path)
    path.write_text("nom;lon;lat\nA;0;0\n", encoding="utf-8")  # an empty cell exported as zero
    with pytest.raises(ImportFileError, match="« titre.csv », ligne 2 : coordonnées absentes ou hors limites"):
        read_points(path)
    path.write_text("nom;lon;lat\nA;3.05;50.62\nRue de Lille; Paris;3.06;50.63\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="« titre.csv », ligne 3 : 4 cellules au lieu de 3"):
        read_points(path)


def test_overseas_degrees_are_kept_as_given(tmp_path):
    path = tmp_path / "reunion.csv"
    path.write_text("nom,x,y\nSaint-Denis,55.45,-20.88\n", encoding="utf-8")
    point = read_points(path).geometry.iloc[0]
    assert (point.x, point.y) == (55.45, -20.88)


def test_xlsx_points(tmp_path):
    path = tmp_path / "sites.xlsx"
    pd.DataFrame({"Nom": ["A"], "Longitude": [3.05], "Latitude": [50.62]}).to_excel(path, index=False)
    points = read_points(path)
    assert points.iloc[0]["Nom"] == "A" and (points.geometry.x[0], points.geometry.y[0]) == (3.05, 50.62)


def test_geojson_of_lambert93_metres_without_a_system(tmp_path):
    path = tmp_path / "sig.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"poids":3},'
        f'"geometry":{{"type":"Point","coordinates":[{LILLE_L93[0]},{LILLE_L93[1]}]}}}}]}}'
    )
    points = read_points(path).to_crs("EPSG:4326")
    assert points.geometry.x[0] == pytest.approx(LILLE[0], abs=0.05)
    assert points.geometry.y[0] == pytest.approx(LILLE[1], abs=0.05)


def test_settle_crs_is_the_imports_rule():
    metres = gpd.GeoSeries([Point(*LILLE_L93)])
    settled, note = coords.settle_crs(metres)
    assert settled.crs == "EPSG:2154" and "Lambert-93" in note
    degrees = gpd.GeoSeries([Point(*LILLE)], crs="EPSG:2154")
    settled, note = coords.settle_crs(degrees)
    assert settled.crs == "EPSG:4326" and "mais ses valeurs sont des degrés" in note
    settled, note = coords.settle_crs(gpd.GeoSeries([Point(*LILLE)]))
    assert settled.crs == "EPSG:4326" and "WGS84 (latitude/longitude) supposé" in note
    assert coords.settle_crs(gpd.GeoSeries([Point(*LILLE)], crs="EPSG:4326"))[1] is None
