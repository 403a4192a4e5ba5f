"""Issue 9: data text is never a spreadsheet formula, and one control character cannot break an export."""

from __future__ import annotations

import csv
import json

import openpyxl
import pyogrio
import pytest

from ambmap.export import export
from ambmap.export.data import _csv_cell, is_formula_like

PAYLOADS = ('=HYPERLINK("http://x","y")', "+1", "-1+2", "@SUM(A1)", "\t=1+1", "\r=1+1")


def hostile(project, names):
    """The demo project with its first QPVs renamed ``names`` (QPV names reach every table)."""
    layer = project.layer("qpv")
    data = layer.data.copy()
    for i, name in enumerate(names):
        data.loc[i, "nom_qp"] = name
        data.loc[i, "lib_com"] = name
    layer.data = data
    return project


def test_formula_like_text_is_stored_as_text(demo_project, tmp_path):
    project = hostile(demo_project, PAYLOADS[:4])
    for level in ("public", "interne"):
        book = openpyxl.load_workbook(export(project, "xlsx", tmp_path / f"{level}.xlsx", level=level))
        sheet = book["Indicateurs par QPV"]
        shown = {c.value: c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
        for payload in PAYLOADS[:4]:
            cell = shown[payload]  # the text as typed…
            assert cell.data_type == "s" and cell.quotePrefix, payload  # …as a string, never a formula
        assert not [c for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"]
        follow = [c for row in book["Suivi"].iter_rows(min_row=2) for c in row if c.value in PAYLOADS]
        assert follow and all(c.data_type == "s" and c.quotePrefix for c in follow)  # the « Suivi » sheet too
        with open(export(project, "csv", tmp_path / f"{level}.csv", level=level), encoding="utf-8-sig") as f:
            rows = list(csv.reader(f, delimiter=";"))
        names = [row[1] for row in rows[1:]]
        assert names[:4] == ["'" + p for p in PAYLOADS[:4]]
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_tab_and_carriage_return_starts_are_neutralised(demo_project, tmp_path):
    # the layers trim leading blanks, so the formula behind them is what reaches the files
    project = hostile(demo_project, PAYLOADS[4:])
    book = openpyxl.load_workbook(export(project, "xlsx", tmp_path / "t.xlsx"))
    cells = [
        c
        for row in book["Indicateurs par QPV"].iter_rows(min_row=2)
        for c in row
        if isinstance(c.value, str) and c.value.endswith("=1+1")
    ]
    assert len(cells) == 4 and all(c.data_type == "s" and c.quotePrefix for c in cells)
    text = export(project, "csv", tmp_path / "t.csv").read_bytes().decode("utf-8-sig")
    assert text.count(";'=1+1") == 4
    # and were one to reach a writer untrimmed, it is a formula start like the others
    assert all(is_formula_like(p) and _csv_cell(p) == "'" + p for p in PAYLOADS)
    assert not is_formula_like("Lille-Sud") and _csv_cell(12) == 12


@pytest.mark.parametrize("character", ["\v", "\x00", "\x1b", "\x7f", "\uffff"])
def test_a_control_character_does_not_break_any_data_export(demo_project, tmp_path, character):
    name = f"Quartier{character}Nord"
    project = hostile(demo_project, [name])
    layer = project.layer("resources")
    data = layer.data.copy()
    data.loc[0, "name"] = f"Pharmacie{character}du Centre"
    layer.data = data
    book = openpyxl.load_workbook(export(project, "xlsx", tmp_path / "c.xlsx"))
    assert "QuartierNord" in [c.value for row in book["Indicateurs par QPV"].iter_rows() for c in row]
    text = export(project, "csv", tmp_path / "c.csv").read_text(encoding="utf-8-sig")
    assert "QuartierNord" in text and character not in text
    gpkg = export(project, "gpkg", tmp_path / "c.gpkg")
    assert "Pharmacie du Centre".replace(" ", "", 1) in set(pyogrio.read_dataframe(gpkg, layer="resources")["name"])
    features = json.loads(export(project, "geojson", tmp_path / "c.geojson").read_text())["features"]
    assert "QuartierNord" in {f["properties"]["nom_qp"] for f in features}
