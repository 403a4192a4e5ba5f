"""The atlas (``--atlas``): a cover map, one page per QPV with its own figures, the closing table."""

from __future__ import annotations

import re
import subprocess

import pytest

from ambmap.cli import main
from ambmap.errors import UsageError
from ambmap.export import export
from ambmap.export.common import prepare
from ambmap.export.layout import LayoutOptions
from ambmap.text import number, percent
from tests.export.test_privacy import leaks, secret_patterns


def pages(path) -> list[str]:
    """Each page's text in reading order (not « -layout »: columns side by side would interleave), one line."""
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(page.replace("\u202f", " ").replace("\u00a0", " ").split()) for page in text.split("\f")[:-1]]


@pytest.fixture(scope="module")
def recommendation(project):
    from ambmap.analysis.recommend import recommend_for_project

    return recommend_for_project(project, k=3, time_limit=10)


@pytest.fixture(scope="module")
def atlases(project, recommendation, tmp_path_factory):
    """{level: (path, Prepared)}: the atlas at both levels, with three recruitment sites."""
    folder = tmp_path_factory.mktemp("atlas")
    made = {}
    for level in ("public", "interne"):
        path = export(
            project,
            "pdf",
            folder / f"atlas-{level}.pdf",
            level=level,
            layout=LayoutOptions(atlas=True),
            recommendation=recommendation,
        )
        made[level] = path, prepare(project, level, recommendation=recommendation)
    return made


@pytest.mark.parametrize("level", ["public", "interne"])
def test_one_page_per_qpv_between_the_cover_and_the_table(atlases, level):
    path, prepared = atlases[level]
    qpv = prepared.project.layer("qpv").data
    text = pages(path)
    assert len(text) == 1 + len(qpv) + 1
    assert "Atlas des quartiers prioritaires — Lille" in text[0] and "Légende" in text[0]
    assert "Indicateurs par quartier prioritaire" in text[-1]
    for page, (code, name) in zip(text[1:-1], zip(qpv["code_qp"], qpv["nom_qp"], strict=True), strict=True):
        assert f"Quartier prioritaire {name}" in page and f"Code : {code}" in page
        assert "Le quartier en chiffres" in page
        assert "Méthode : zone de chaque ambassadeur·rice à vol d'oiseau, 500 m" in page
        assert "statuts comptés : « actif »" in page and "Objectif : 80 %" in page


@pytest.mark.parametrize("level", ["public", "interne"])
def test_each_page_shows_its_own_figures_at_the_level(atlases, level):
    path, prepared = atlases[level]
    table = prepared.coverage.per_qpv
    text = pages(path)[1:-1]
    for page, (code, row) in zip(text, table.iterrows(), strict=True):
        share = row["covered_share"]
        shown = f"{percent(share)} (objectif 80 %)" if share == share else "non publiée (secret statistique)"
        assert f"Part de la population couverte : {shown}".replace("\u202f", " ") in page, code
        assert f"Habitants : {number(row['population']).replace(chr(0x202F), ' ')}" in page, code
        covering = row["ambassadors_covering"]
        assert f"Ambassadeurs·rices couvrant le quartier : {covering}" in page, code
        assert f"Ressources de santé dans le quartier : {row['resources_inside']}" in page, code
    # the recommended sites inside a QPV, with their numbers and the share before → after
    fives = text[list(table.index).index("QN059D04")]
    assert re.search("Où recruter : [^;]*site n° 3", fives) and "Part couverte avant → après" in fives
    assert "aucun site proposé dans le quartier" in text[0]


def test_public_atlas_keeps_the_secret_and_no_languages(project, atlases):
    public, _ = atlases["public"]
    text = " ".join(pages(public))
    # 1 or 2 ambassadors reach Porte de Valenciennes and Faubourg de Béthune: « < 3 », share withheld
    assert "Ambassadeurs·rices y résidant : < 3" in text
    assert text.count("non publiée (secret statistique)") >= 4
    assert "Langues" not in text
    internal_table = atlases["interne"][1].coverage.per_qpv
    languages = {w.strip() for v in internal_table["languages"] for w in str(v).split(";") if w.strip()}
    assert languages and not [w for w in languages if f" {w}" in text]
    assert leaks(public.read_bytes() + text.encode(), secret_patterns(project)) == []


def test_internal_atlas_shows_the_languages_per_qpv(atlases):
    text = pages(atlases["interne"][0])
    assert sum("Langues parlées : " in page for page in text[1:-1]) == len(text) - 2
    assert "Document interne — données personnelles" in text[1]


def test_a_single_qpv_print_carries_its_figures_not_the_table_of_all(project, tmp_path):
    path = export(project, "pdf", tmp_path / "moulins.pdf", layout=LayoutOptions(extent="QN059D02", table=True))
    text = pages(path)
    assert len(text) == 1
    assert "Le quartier en chiffres" in text[0] and "Code : QN059D02" in text[0]
    assert "Habitants : 11 300" in text[0] and "Lille-Sud 99" not in text[0]


def test_atlas_needs_a_pdf(project, tmp_path, capsys):
    with pytest.raises(UsageError, match="format PDF"):
        export(project, "png", tmp_path / "atlas.png", layout=LayoutOptions(atlas=True))
    assert main(["export", "--format", "png", "--atlas", "--output", str(tmp_path / "a.png")]) != 0
    assert "--atlas produit un PDF" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_atlas(tmp_path, capsys):
    assert main(["export", "--format", "pdf", "--atlas", "--level", "interne", "--output", str(tmp_path / "a")]) == 0
    assert "niveau interne" in capsys.readouterr().out
    assert len(pages(tmp_path / "a.pdf")) == 10
