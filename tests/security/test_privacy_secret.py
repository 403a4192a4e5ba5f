"""Issue 9: secret statistique (figures resting on 1 or 2 ambassadors withheld), rounding, and no
imported file name in a public export."""

from __future__ import annotations

import json
import re
import subprocess

import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from ambmap import imports
from ambmap.config import Settings
from ambmap.export import FORMATS, export
from ambmap.export.common import prepare
from ambmap.export.layout import LayoutOptions
from ambmap.export.privacy import CITY_FILE, WITHHELD
from ambmap.project import Project
from ambmap.render.map import MapOptions

LONE_QPV = "QN059D03"


def demo() -> Project:
    source = Project.default()
    return Project(source.territory, [layer.copy() for layer in source.ordered_layers()], dict(source.options))


@pytest.fixture
def lone_project() -> Project:
    """The demo with one active ambassador, speaking a rare language, in the middle of one QPV."""
    project = demo()
    qpv = project.layer("qpv").data
    centre = qpv[qpv["code_qp"] == LONE_QPV].to_crs("EPSG:2154").geometry.iloc[0].representative_point()
    layer = project.layer("ambassadors")
    row = layer.data[layer.data["status"] == "actif"].iloc[[0]].copy()
    row["languages"] = "tamoul"
    row["radius_m"] = 150.0
    row = row.set_geometry(pd.Series([Point(centre.x, centre.y)], index=row.index)).set_crs(
        "EPSG:2154", allow_override=True
    )
    layer.data = row.to_crs("EPSG:4326").reset_index(drop=True)
    return project


def test_a_lone_ambassador_qpv_shows_only_its_class_in_public(lone_project):
    internal = prepare(lone_project, "interne").coverage.per_qpv.loc[LONE_QPV]
    assert internal["ambassadors_living"] == 1 and internal["ambassadors_covering"] == 1
    assert internal["languages"] == "tamoul" and 0 < internal["covered_share"] < 1
    public = prepare(lone_project, "public").coverage
    row = public.per_qpv.loc[LONE_QPV]
    assert row["ambassadors_living"] == WITHHELD and row["ambassadors_covering"] == WITHHELD
    assert row["languages"] == "" and row["status"] == internal["status"]
    for column in (
        "covered_share",
        "covered_area_share",
        "covered_population",
        "covered_area_ha",
        "uncovered_population",
    ):
        assert pd.isna(row[column]), column
    gap = public.gaps.set_index("code_qp").loc[LONE_QPV]
    assert pd.isna(gap["uncovered_population"])
    # a QPV nobody reaches keeps its zero figures: no person behind them
    other = public.per_qpv.drop(LONE_QPV)
    assert (other["ambassadors_covering"] == 0).all() and (other["covered_share"] == 0).all()


def cells_of(sheet, headers) -> dict:
    return {r[0]: dict(zip(headers, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}


def test_withheld_figures_in_every_table_format(lone_project, tmp_path):
    kwargs = {"layout": LayoutOptions(table=True), "map_options": MapOptions(basemap="none")}
    for level in ("public", "interne"):
        csv = export(lone_project, "csv", tmp_path / f"{level}.csv", level=level)
        table = pd.read_csv(csv, sep=";", encoding="utf-8-sig", dtype=str).set_index("Code QPV")
        xlsx = openpyxl.load_workbook(export(lone_project, "xlsx", tmp_path / f"{level}.xlsx", level=level))
        sheet = xlsx["Indicateurs par QPV"]
        headers = [c.value for c in sheet[1]]
        cells = {r[0]: dict(zip(headers, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}[
            LONE_QPV
        ]
        gpkg = (
            pyogrio.read_dataframe(export(lone_project, "gpkg", tmp_path / f"{level}.gpkg", level=level), layer="qpv")
            .set_index("code_qp")
            .loc[LONE_QPV]
        )
        pdf = export(lone_project, "pdf", tmp_path / f"{level}.pdf", level=level, **kwargs)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
        html = export(lone_project, "html", tmp_path / f"{level}.html", level=level, **kwargs).read_text()
        living = "Ambassadeurs·rices y résidant"
        if level == "public":
            assert table.loc[LONE_QPV, living] == WITHHELD and cells[living] == WITHHELD
            row = next(line for line in text.splitlines() if LONE_QPV in line)
            assert gpkg["ambassadors_living"] == WITHHELD and re.search(r"—.*<\s?3\s+<\s?3", row)
            assert pd.isna(table.loc[LONE_QPV, "Langues parlées"]) and cells["Langues parlées"] is None
            assert pd.isna(table.loc[LONE_QPV, "Part de la population couverte"])
            assert cells["Part de la population couverte"] is None
            assert table.loc[LONE_QPV, "Couverture"] == "partiellement couvert"
            # the other QPVs' counts stay numbers in Excel
            assert all(
                isinstance(r[headers.index(living)], int)
                for r in sheet.iter_rows(min_row=2, values_only=True)
                if r[0] not in (LONE_QPV, "Total")
            )
            # … and their total is withheld: it would give the lone QPV's count by subtraction
            assert cells_of(sheet, headers)["Total"][living] == "secret statistique"
            assert "tamoul" not in html and "tamoul" not in text
        else:
            assert table.loc[LONE_QPV, living] == "1" and cells[living] == 1 and gpkg["ambassadors_living"] == 1
            assert table.loc[LONE_QPV, "Langues parlées"] == "tamoul" and "tamoul" in html
            assert cells["Part de la population couverte"] > 0


def test_public_figures_are_rounded_as_they_are_read(demo_project):
    table = prepare(demo_project, "public").coverage.per_qpv
    shown = table[table["covered_population"].notna()]
    assert len(shown) and (shown["covered_population"] % 10 == 0).all()
    assert ((shown["covered_share"] * 100).round(9) % 1 == 0).all()
    assert (shown["covered_area_ha"] % 1 == 0).all()
    summary = prepare(demo_project, "public").coverage.summary
    assert summary["covered_population"] % 10 == 0 and round(summary["covered_share"], 2) == summary["covered_share"]
    exact = prepare(demo_project, "interne").coverage.per_qpv
    assert not (exact["covered_population"] % 10 == 0).all()  # the internal level keeps exact figures


def test_the_imported_file_name_never_reaches_a_public_export(demo_project, tmp_path):
    source = tmp_path / "Liste_Mme_Dupont_benevoles.csv"
    source.write_text("identifiant;nom;categorie;lat;lon\nR1;Centre test;pharmacie;50.62;3.05\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "d", cache_dir=tmp_path / "c", config_dir=tmp_path / "cf", offline=True)
    imports.apply_import(demo_project, imports.import_file(source, "resources", settings, geocode=False))
    imports.apply_import(demo_project, imports.import_file(source, "resources", settings, geocode=False))  # a previous
    kwargs = {"layout": LayoutOptions(table=True), "map_options": MapOptions(basemap="none")}
    secret = b"Mme_Dupont"
    for fmt in FORMATS:
        public = export(
            demo_project, fmt, tmp_path / f"public.{fmt}", layer="resources" if fmt == "geojson" else None, **kwargs
        )
        blob = public.read_bytes()
        if fmt == "pdf":
            blob += subprocess.run(["pdftotext", str(public), "-"], capture_output=True, check=True).stdout
            blob += subprocess.run(["pdfinfo", str(public)], capture_output=True, check=True).stdout
        if fmt == "xlsx":
            book = openpyxl.load_workbook(public)
            blob += json.dumps([c.value for ws in book for row in ws.iter_rows() for c in row], default=str).encode()
        assert secret not in blob, fmt
    assert (
        CITY_FILE
        in dict(openpyxl.load_workbook(tmp_path / "public.xlsx")["À propos"].iter_rows(values_only=True))["Sources"]
    )
    internal = export(demo_project, "xlsx", tmp_path / "interne.xlsx", level="interne")
    assert (
        "Liste_Mme_Dupont_benevoles.csv"
        in dict(openpyxl.load_workbook(internal)["À propos"].iter_rows(values_only=True))["Sources"]
    )
