"""Print layouts checked with poppler (pdfinfo, pdftotext, pdftoppm) and PIL."""

from __future__ import annotations

import subprocess

import pytest
from PIL import Image

from ambmap.errors import AmbmapError
from ambmap.export import export
from ambmap.export.layout import LayoutOptions, nice_scale, page_size_mm


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_info(path) -> str:
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout


def test_pdf_has_title_legend_scale_sources_and_table_page(exports):
    path = exports["pdf", "public"]
    info = pdf_info(path)
    assert "Page size:       841.89 x 595.276 pts (A4)" in info  # A4 landscape
    assert "Pages:           2" in info
    text = pdf_text(path)
    page1, page2 = text.split("\f")[:2]
    assert "Ambassadeurs·rices de santé — Lille" in page1
    for entry in (
        "Légende",
        "QPV : part de la population couverte",
        "Non couvert (0 %)",
        "Moins de 50 %",
        "De 50 % à moins de 80 %",
        "80 % ou plus (objectif)",
        "Pôle Ressources Santé",
        "Limite de la zone couverte",
        "Ambassadeur·rice (à 200 m près)",
        "Où recruter : site proposé (n° de priorité)",
        "Zone ajoutée par le site proposé",
    ):
        assert entry in page1.replace("\u202f", " "), entry
    assert "Pharmacie" not in page1  # resources are off over a coverage map, as on screen
    assert "Échelle 1 : " in page1 and " km" in page1 and "N" in page1
    assert "Sources et licences" in page1 and "Licence Ouverte" in page1
    assert "« Données de démonstration »" in page1
    assert "Carte réalisée le " in page1
    assert "Indicateurs par quartier prioritaire" in page2
    assert "Lille-Sud" in page2 and "19 800" in page2.replace("\u202f", " ")


def test_pdf_is_vector_and_renders(exports, tmp_path):
    path = exports["pdf", "public"]
    assert b"/Subtype /Image" not in path.read_bytes()  # no raster image: the map stays vector
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")], check=True)
    with Image.open(next(tmp_path.glob("p*.png"))) as image:
        assert image.size == (351, 249)
        assert len(image.convert("L").getcolors(maxcolors=256 * 256)) > 20  # not a blank page


def test_png_is_300_dpi_at_page_size(exports):
    with Image.open(exports["png", "public"]) as image:
        assert abs(image.size[0] - 3508) <= 1 and abs(image.size[1] - 2480) <= 1  # A4 landscape at 300 dpi
        assert [round(d) for d in image.info["dpi"]] == [300, 300]


@pytest.mark.parametrize(
    "layout, points", [("a3-portrait", "841.89 x 1190.55 pts (A3)"), ("a4-portrait", "595.276 x 841.89 pts (A4)")]
)
def test_other_layouts_and_one_qpv_extent(project, tmp_path, layout, points):
    path = export(
        project,
        "pdf",
        tmp_path / "moulins.pdf",
        layout=LayoutOptions(layout=layout, extent="QN059D02", title="Moulins : couverture"),
    )
    assert points in pdf_info(path)
    text = pdf_text(path)
    assert "Moulins : couverture" in text and "Quartier prioritaire Moulins" in text


def test_internal_pdf_shows_the_mark_on_the_map(exports):
    assert pdf_text(exports["pdf", "interne"]).count("Document interne — données personnelles") >= 2


def test_round_scales_and_clear_errors(project, tmp_path):
    assert [nice_scale(v) for v in (9_000, 10_000, 24_613, 61_000, 130_000)] == [
        10_000,
        10_000,
        25_000,
        75_000,
        150_000,
    ]
    assert page_size_mm("a3-paysage") == (420.0, 297.0)
    with pytest.raises(AmbmapError, match="Mise en page « a5 » inconnue"):
        page_size_mm("a5")
    with pytest.raises(AmbmapError, match="QPV « QN000 » introuvable"):
        export(project, "png", tmp_path / "x.png", layout=LayoutOptions(extent="QN000"))
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind


def test_logo_is_placed_in_the_header(project, tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (300, 120), (20, 90, 160)).save(logo)
    path = export(project, "pdf", tmp_path / "logo.pdf", layout=LayoutOptions(logo=logo))
    assert b"/Subtype /Image" in path.read_bytes()
    with pytest.raises(AmbmapError, match="Logo .* illisible"):
        (tmp_path / "faux.png").write_text("pas une image")
        export(project, "pdf", tmp_path / "x.pdf", layout=LayoutOptions(logo=tmp_path / "faux.png"))


def test_a_hostile_logo_is_refused_before_it_is_decoded(project, tmp_path):
    """A logo path comes from the user or the remembered export.json: a pipe, a folder or a huge image
    (decompression bomb) is the French « illisible » error, never a hang or the machine's memory."""
    import os

    huge = tmp_path / "huge.png"
    Image.new("1", (6000, 6000)).save(huge)  # 36 M pixels, a few kB on disk
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    for logo in (huge, pipe, tmp_path):
        with pytest.raises(AmbmapError, match="Logo .* illisible"):
            export(project, "pdf", tmp_path / "x.pdf", layout=LayoutOptions(logo=logo))


def test_sources_name_each_provenance_and_osm_when_used(project, tmp_path):
    from ambmap.export.common import IGN_CREDIT, OSM_CREDIT, sources_lines

    copy = type(project)(project.territory, [layer.copy() for layer in project.ordered_layers()], {})
    copy.layer("qpv").provenance = {"source": "ANCT, QPV 2024", "licence": "Licence Ouverte 2.0", "date": "2026-11-02"}
    copy.layer("resources").provenance = {"source": "OpenStreetMap (Overpass)", "licence": "ODbL"}
    lines = sources_lines(copy)
    assert "ANCT, QPV 2024 — Licence Ouverte 2.0 (02/11/2026)" in lines and lines[-1] == OSM_CREDIT
    assert IGN_CREDIT in sources_lines(copy, basemap="plan-ign")
    text = pdf_text(export(copy, "pdf", tmp_path / "osm.pdf"))
    # over a coverage map the resources are not drawn, so their source is not credited: only what is drawn
    assert "ANCT, QPV 2024" in text and "© les contributeurs d'OpenStreetMap" not in text
