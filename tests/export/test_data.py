"""GeoPackage/GeoJSON/XLSX/CSV exports read back with GDAL, openpyxl and pandas."""

from __future__ import annotations

import json
import subprocess

import openpyxl
import pandas as pd
import pytest

from ambmap.errors import AmbmapError
from ambmap.export import export


def test_geopackage_opens_in_gdal_with_layers_and_analysis(exports):
    out = subprocess.run(
        ["ogrinfo", "-so", "-ro", str(exports["gpkg", "public"])], capture_output=True, text=True, check=True
    ).stdout
    for line in (
        "1: territory (Multi Polygon)",
        "3: qpv (Multi Polygon)",
        "4: resources (Point)",
        "6: ambassadors (Point)",
        "zone_couverte (Multi Polygon)",
        "manques (Multi Polygon)",
        "recrutement_propose (Point)",
        "ambmap_niveau=public",
    ):
        assert line in out, line
    assert "zones_ambassadeurs" not in out  # per-ambassador zones would follow home points
    internal = subprocess.run(
        ["ogrinfo", "-so", "-ro", str(exports["gpkg", "interne"])], capture_output=True, text=True, check=True
    ).stdout
    assert "zones_ambassadeurs (Multi Polygon)" in internal
    qpv = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-q", "-where", "code_qp='QN059D01'", str(exports["gpkg", "public"]), "qpv"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "nom_qp (String) = Lille-Sud" in qpv and "covered_share (Real) = " in qpv and "status (String) = " in qpv


def test_geojson_is_one_layer_with_metadata(exports):
    collection = json.loads(exports["geojson", "public"].read_text(encoding="utf-8"))
    assert collection["name"] == "ambassadors" and len(collection["features"]) == 65
    assert {f["properties"]["address"] for f in collection["features"]} == {""}
    assert collection["ambmap"]["ambmap_niveau"] == "public"


def test_xlsx_has_french_headers_and_number_formats(exports):
    book = openpyxl.load_workbook(exports["xlsx", "public"])
    sheet = book["Indicateurs par QPV"]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["Code QPV", "Quartier", "Commune", "Population"]
    assert "Part de la population couverte" in headers and "Couverture" in headers
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] != "Total"}
    assert len(rows) == 8 and rows["QN059D01"][1] == "Lille-Sud" and rows["QN059D01"][3] == 19800
    share = sheet.cell(row=2, column=headers.index("Part de la population couverte") + 1)
    assert share.number_format == "0.0 %" and 0 <= share.value <= 1
    assert sheet.cell(row=2, column=4).number_format == "# ##0"  # 19 800 with a space, whatever the locale
    assert book.properties.language == "fr-FR"
    about = dict(book["À propos"].iter_rows(values_only=True))
    assert about["Niveau"] == "public" and "Licence Ouverte" in about["Sources"]


def test_csv_opens_in_french_excel(exports):
    raw = exports["csv", "public"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfCode QPV;")  # the header in A1
    table = pd.read_csv(exports["csv", "public"], sep=";", decimal=",", encoding="utf-8-sig")
    assert list(table.columns[:2]) == ["Code QPV", "Quartier"]
    assert table["Ressources pour 1 000 habitants"].dtype == float
    assert "," in raw.decode("utf-8-sig").splitlines()[1]  # decimal comma


def test_unknown_format_or_layer_is_explained(project, tmp_path):
    with pytest.raises(AmbmapError, match="Format « shp » inconnu"):
        export(project, "shp", tmp_path / "x.shp")
    with pytest.raises(AmbmapError, match="Couche « routes » absente"):
        export(project, "geojson", tmp_path / "x.geojson", layer="routes")
    with pytest.raises(AmbmapError, match="n'existe pas"):
        export(project, "csv", tmp_path / "nowhere" / "x.csv")
