"""Issue 14: the reporting workbook (totals, filters, widths, « Suivi », « Méthode »), the CSV with its header
in A1, and the one-page bilan for the contrat de ville, read back as their readers read them."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import math
import subprocess

import numpy as np
import openpyxl
import pytest

from ambmap.cli import main
from ambmap.export import export
from ambmap.export.common import prepare
from ambmap.export.data import NOT_PUBLISHED, TOTAL_LABEL, method_lines, totals
from ambmap.export.layout import LayoutOptions
from ambmap.export.privacy import INTERNAL_MARK, WITHHELD

SHEETS = ["Indicateurs par QPV", "Suivi", "Méthode", "À propos"]


@pytest.fixture(scope="module")
def bilans(project, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bilan")
    return {
        level: export(project, "pdf", folder / f"bilan-{level}.pdf", level=level, layout=LayoutOptions(bilan=True))
        for level in ("public", "interne")
    }


def rows_of(sheet) -> tuple[list, list[tuple], tuple]:
    """(headers, QPV rows, totals row) of the indicators sheet."""
    values = list(sheet.iter_rows(values_only=True))
    headers = list(values[0])
    body = [row for row in values[1:] if row[1] != TOTAL_LABEL]
    total = next(row for row in values[1:] if row[1] == TOTAL_LABEL)
    return headers, body, total


def test_the_workbook_has_its_sheets(exports):
    for level in ("public", "interne"):
        assert openpyxl.load_workbook(exports["xlsx", level]).sheetnames == SHEETS


def test_totals_are_the_sums_of_the_rows_and_the_share_is_recomputed(exports):
    sheet = openpyxl.load_workbook(exports["xlsx", "interne"])["Indicateurs par QPV"]
    headers, body, total = rows_of(sheet)
    column = {h: i for i, h in enumerate(headers)}
    assert len(body) == 8 and total[column["Commune"]] == "8 QPV"
    for header in (
        "Population",
        "Population couverte",
        "Ambassadeurs·rices y résidant",
        "Ressources de santé dans le quartier",
    ):
        assert total[column[header]] == sum(row[column[header]] for row in body), header
    share = total[column["Part de la population couverte"]]
    assert share == pytest.approx(total[column["Population couverte"]] / total[column["Population"]], abs=1e-4)
    assert share != pytest.approx(sum(row[column["Part de la population couverte"]] for row in body))
    # figures that do not add up (an ambassador covers several QPVs) have no total
    assert total[column["Ambassadeurs·rices couvrant le quartier"]] is None
    # the totals row stays under the filter's range: sorting the QPVs leaves it last
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(headers)).column_letter}9" and sheet.max_row == 10
    assert all(cell.font.b for cell in sheet[10] if cell.value is not None)


def test_public_totals_do_not_give_a_withheld_figure_away(project):
    prepared = prepare(project, "public")
    per_qpv = prepared.coverage.per_qpv
    withheld = per_qpv["covered_population"].isna()
    assert withheld.sum() >= 2  # the demo withholds two QPVs: the territory's covered population is published
    whole = totals(prepared)
    assert whole["covered_population"] == prepared.coverage.summary["covered_population"]
    # recomputed from the totals, to the percent like the public rows
    assert whole["covered_share"] == round(whole["covered_population"] / whole["population"], 2)
    # counts of 1 or 2 ambassadors: their sum would tell each one
    assert (per_qpv["ambassadors_living"] == WITHHELD).any() and whole["ambassadors_living"] == NOT_PUBLISHED
    # one QPV alone withheld: its covered population is the total minus the others, so the total goes too
    one = per_qpv.copy()
    keep = per_qpv.index[withheld][0]
    for name in ("covered_population", "covered_share", "covered_area_ha", "covered_area_share"):
        one.loc[withheld & (per_qpv.index != keep), name] = 1000.0 if name.endswith("population") else 0.5
    alone = dataclasses.replace(prepared, coverage=dataclasses.replace(prepared.coverage, per_qpv=one))
    whole = totals(alone)
    assert whole["covered_population"] == NOT_PUBLISHED and whole["covered_share"] == NOT_PUBLISHED
    assert whole["covered_area_share"] == NOT_PUBLISHED and isinstance(whole["population"], int)


def test_no_formula_anywhere(exports):
    for level in ("public", "interne"):
        book = openpyxl.load_workbook(exports["xlsx", level])
        for sheet in book:
            assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row), sheet.title


def shown(cell) -> int:
    """Characters a cell shows: numbers as their format writes them (thousands grouped, « 99.1 % »)."""
    value = cell.value
    if isinstance(value, (int, float)):
        return len(f"{value * 100:.1f} %") if "%" in cell.number_format else len(f"{value:,.0f}")
    return len(str(value))


def test_columns_are_as_wide_as_their_content_and_headers_frozen(exports):
    book = openpyxl.load_workbook(exports["xlsx", "public"])
    for name in ("Indicateurs par QPV", "Suivi"):
        sheet = book[name]
        assert sheet.freeze_panes in ("C2", "D2") and sheet.auto_filter.ref.startswith("A1:")
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                width = sheet.column_dimensions[cell.column_letter].width
                need = max(map(len, str(cell.value).split())) if cell.alignment.wrap_text else shown(cell)
                assert width >= need, (name, cell.coordinate, cell.value, width)
    names = book["Indicateurs par QPV"]
    assert names.column_dimensions["B"].width >= len("Porte de Valenciennes") + 2


def test_the_follow_up_sheet_has_every_year_and_its_chart(exports):
    book = openpyxl.load_workbook(exports["xlsx", "interne"])
    sheet = book["Suivi"]
    values = list(sheet.iter_rows(values_only=True))
    headers = list(values[0])
    assert headers[:3] == ["Année", "Code QPV", "Quartier"] and "Part de la population couverte" in headers
    assert "Recrutements (résidant dans le quartier)" in headers and "Départs (résidant dans le quartier)" in headers
    last = int(sheet.auto_filter.ref.split(":")[1][1:])
    table = values[1:last]
    years = sorted({row[0] for row in table})
    this = str(dt.date.today().year)
    assert years[-1] == this and len(years) >= 2
    assert [row[2] for row in table].count("Ensemble des QPV") == len(years)
    assert len(table) == 9 * len(years)
    # this year's figures are today's coverage, as in the indicators sheet
    indicators = {row[0]: row for row in rows_of(book["Indicateurs par QPV"])[1]}
    i_share = list(book["Indicateurs par QPV"][1]).index(
        next(c for c in book["Indicateurs par QPV"][1] if c.value == "Part de la population couverte")
    )
    for row in table:
        if row[0] == this and row[1] in indicators:
            assert row[headers.index("Part de la population couverte")] == pytest.approx(
                indicators[row[1]][i_share], abs=1e-4
            )
    charts = sheet._charts
    assert len(charts) == 1 and len(charts[0].series) == 9  # one line per QPV, plus the territory


def test_the_public_follow_up_withholds_figures_resting_on_one_or_two_ambassadors(exports):
    sheet = openpyxl.load_workbook(exports["xlsx", "public"])["Suivi"]
    values = list(sheet.iter_rows(values_only=True))
    headers = list(values[0])
    last = int(sheet.auto_filter.ref.split(":")[1][1:])
    covering = headers.index("Ambassadeurs·rices actifs couvrant le quartier")
    share = headers.index("Part de la population couverte")
    qpv_rows = [row for row in values[1:last] if row[1]]
    small = [row for row in qpv_rows if row[covering] == WITHHELD]
    assert small and all(row[share] is None for row in small)
    counted = [row for row in qpv_rows if isinstance(row[covering], int) and row[covering] >= 3]
    assert all(
        isinstance(row[share], (int, float))
        for row in counted
        if row[headers.index("Ambassadeurs·rices actifs y résidant")] != WITHHELD
    )
    populations = [row[headers.index("Population couverte")] for row in qpv_rows]
    assert all(p % 10 == 0 for p in populations if isinstance(p, int))  # to the ten


def test_the_method_sheet_says_how(exports, project):
    method = {
        a or "": b
        for a, b in openpyxl.load_workbook(exports["xlsx", "public"])["Méthode"].iter_rows(min_row=2, values_only=True)
    }
    assert "à vol d'oiseau" in method["Zone couverte"] and "500 m" in method["Zone couverte"]
    assert method["Statuts comptés"].startswith("« actif »")
    assert method["Objectif"].startswith("80\u202f%")
    assert "publique" in method["Niveau de diffusion"] and "Licence Ouverte" in method["Sources"]
    assert "carreaux INSEE" in method["Population"] and "< 3" in method["Secret statistique"]
    project.options["target"] = 0.75
    project.options["include_in_training"] = True
    try:
        lines = dict(method_lines(prepare(project, "interne")))
    finally:
        del project.options["target"], project.options["include_in_training"]
    assert lines["Objectif"].startswith("75\u202f%") and "option « target »" in lines["Objectif"]
    assert lines["Statuts comptés"].startswith("« actif » et « en formation »")
    assert INTERNAL_MARK in lines["Niveau de diffusion"]


def test_csv_opens_with_its_header_in_a1(exports):
    raw = exports["csv", "public"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and not raw.startswith(b"\xef\xbb\xbf#")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""), delimiter=";"))
    assert rows[0][:4] == ["Code QPV", "Quartier", "Commune", "Population"] and rows[0][-1] == "Diffusion"
    assert len(rows) == 9 and all(len(row) == len(rows[0]) for row in rows)
    body = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert body["QN059D05"]["Quartier"] == "Porte de Valenciennes"
    assert body["QN059D01"]["Part de la population couverte"] == "0,99"  # decimal comma
    assert {row["Diffusion"] for row in body.values()} == {"Document public — sans données personnelles"}


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_bilan_is_one_a4_page_with_figures_map_table_chart_and_method(bilans, project):
    info = subprocess.run(["pdfinfo", str(bilans["public"])], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info and "595.276 x 841.89" in info and "niveau=public" in info
    page = pdf_text(bilans["public"])
    this, last = dt.date.today().year, dt.date.today().year - 1
    for expected in (
        "Bilan des ambassadeurs·rices de santé — Lille",
        "quartiers prioritaires",
        "73 600",
        "Par quartier",
        "Quartier",
        "Habitants",
        "Part couverte",
        f"{this} (évolution",
        f"depuis {last}",
        "Objectif 80",
        "Lille-Sud",
        "Porte de Valenciennes",
        "Ensemble des QPV",
        "Suivi : part de la population des QPV couverte",
        str(last),
        str(this),
        "Méthode",
        "à vol d'oiseau",
        "Échelle 1 :",
        "Limite de la zone couverte",
    ):
        assert expected in page, expected
    assert "pts)" in page or "pt)" in page or "(=)" in page  # the change since last year
    names = set(project.layer("ambassadors").data["display_name"])
    assert not any(name in page for name in names)


def test_the_bilan_draws_the_map_and_the_chart(project):
    import matplotlib.pyplot as plt

    from ambmap.export.bilan import draw_bilan

    prepared = prepare(project, "public")
    fig = draw_bilan(prepared, LayoutOptions(bilan=True))
    try:
        map_ax, chart = fig.axes
        assert any(c.get_gid() == "coverage" for c in map_ax.collections)  # the covered zone, from draw_layers
        labels = [line.get_label() for line in chart.get_lines()]
        assert "Ensemble des QPV" in labels and "Porte de Valenciennes" in labels and len(labels) >= 9
    finally:
        plt.close(fig)


def test_the_bilan_year_on_year_figures_come_from_the_history(bilans, project):
    from ambmap.export.bilan import year_on_year

    prepared = prepare(project, "interne")
    table, this, last = year_on_year(prepared)
    history = prepared.history.table
    now = history[(history["period"] == this) & (history["code_qp"] == "QN059D04")].iloc[0]
    before = history[(history["period"] == last) & (history["code_qp"] == "QN059D04")].iloc[0]
    points = round(100 * now["covered_share"]) - round(100 * before["covered_share"])
    fives = table[table["Quartier"] == "Fives"].iloc[0]
    share = fives[f"Part couverte {this} (évolution depuis {last})"]
    assert share.startswith(f"{round(100 * now['covered_share'])}\u202f%")
    assert (f"({points:+d} pt{'s' if abs(points) > 1 else ''})" if points else "(=)") in share
    assert INTERNAL_MARK in pdf_text(bilans["interne"])
    assert not math.isnan(np.float64(now["covered_share"]))


def test_cli_bilan_flag(tmp_path, capsys):
    assert main(["export", "--format", "pdf", "--bilan", "--output", str(tmp_path / "bilan.pdf")]) == 0
    assert (
        "Pages:           1"
        in subprocess.run(["pdfinfo", str(tmp_path / "bilan.pdf")], capture_output=True, text=True, check=True).stdout
    )
    assert main(["export", "--format", "xlsx", "--bilan", "--output", str(tmp_path / "x.xlsx")]) == 2
    assert "--bilan produit une page PDF" in capsys.readouterr().err
