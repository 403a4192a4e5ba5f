"""Attacks on the features of the « à placer » / presentation / export dialog day (issue 9 bar): hand-edited
slides and views in a project file, and a slide framed on a home at a town-wide zoom."""

from __future__ import annotations

import math

import pytest

from ambmap.project import Project, check_options

HOSTILE_SLIDES = [
    "pas une diapositive",
    {"title": 5, "caption": ["x"], "view": "nulle part"},
    {"title": "Vue", "view": {"lat": "50.6", "lon": 3.0, "zoom": 13, "overlay": ["x"], "visible": [1, "qpv"]}},
    {"title": "NaN", "view": {"lat": float("nan"), "lon": 3.0, "zoom": 13}},
    {"title": "Bornes", "view": {"lat": 50.6, "lon": 3.0, "zoom": 13, "bounds": [1, 2, "3"]}},
    {
        "title": "Bonne",
        "caption": "{part_couverte}",
        "view": {"lat": 50.6, "lon": 3.0, "zoom": 13.5, "bounds": [50.5, 2.9, 50.7, 3.1]},
    },
]


def test_hand_edited_slides_and_views_reach_the_window_as_checked_values(tmp_path):
    options, errors, notes = check_options(
        {"slides": HOSTILE_SLIDES, "views": [{"name": "x", "lat": 1e9, "lon": 0, "zoom": 3}, 7]}
    )
    assert not errors and {n.field for n in notes} == {"slides", "views"}
    slides = options["slides"]
    assert len(slides) == 5 and options["views"] == []  # the string is no slide; a view without framing no view
    assert slides[0] == {"view": {}}  # wrong title, caption and view: none of them kept
    assert slides[1]["view"] == {"visible": ["qpv"]}  # the framing with a text number dropped: the territory shown
    assert "lat" not in slides[2]["view"] and "lat" not in slides[3]["view"]
    assert slides[4] == HOSTILE_SLIDES[5]  # a good slide is kept exactly
    for slide in slides:  # every value is of the type the panel and the presentation read
        assert all(isinstance(slide.get(k, ""), str) for k in ("title", "caption"))
        view = slide.get("view", {})
        assert all(isinstance(view[k], float) and math.isfinite(view[k]) for k in ("lat", "lon", "zoom") if k in view)


def test_a_project_file_with_hostile_slides_opens(tmp_path):
    path = tmp_path / "p.gpkg"
    project = Project.default()
    project.options["slides"] = HOSTILE_SLIDES
    project.save(path)
    assert len(Project.load(path).options["slides"]) == 5


@pytest.mark.parametrize("zoom", [12.0, 13.0, 15.0, 18.0])
def test_a_slide_centred_on_a_home_by_leaflet_moves_with_its_square_at_any_zoom(demo_project, zoom):
    """panTo truncates to whole pixels: the centre of a view framed on a selected home is up to one pixel
    (12 m at zoom 13) from it, and must still move to the home's square."""
    import geopandas as gpd

    from ambmap.export.privacy import snap_to_grid
    from ambmap.ui.presentation import public_view

    home = demo_project.layer("ambassadors").data.geometry.iloc[0]
    square = snap_to_grid(gpd.GeoSeries([home], crs="EPSG:4326")).iloc[0]
    pixel_deg = 360 / 256 / 2**zoom  # one pixel in longitude
    view = {
        "lat": home.y + 0.9 * pixel_deg * math.cos(math.radians(home.y)),
        "lon": home.x + 0.9 * pixel_deg,
        "zoom": zoom,
    }
    moved = public_view(view, demo_project)
    assert (moved["lat"], moved["lon"]) == pytest.approx((square.y, square.x))


def test_bidirectional_overrides_are_removed_and_reported_at_import(tmp_path):
    """U+202E reverses the rest of a name in the « À placer » list, a popup or a spreadsheet cell."""
    from ambmap.config import Settings
    from ambmap.imports import import_file

    path = tmp_path / "a.csv"
    path.write_text(
        "nom;statut;lat;lon\nAwa\u202egnp.exe\u2066;actif;50.62;3.05\nSans position;actif;;\n", encoding="utf-8"
    )
    result = import_file(path, "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False)
    assert list(result.data["display_name"]) == ["Awagnp.exe"]
    assert any("caractère de contrôle retiré" in p.reason for p in result.corrected)


def test_the_legend_category_toggle_is_text_whatever_the_category():
    """The exported page's category tick boxes (mapperf): categories are a fixed list today, but the box
    must stay text if one ever comes from data (an attribute break-out, a quote, a template)."""
    from html.parser import HTMLParser

    from ambmap.render.map import _category_box

    hostile = '"><img src=x onerror=alert(1)> {{7*7}}'
    found: list[tuple[str, dict]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Tags().feed(_category_box(hostile))
    assert [tag for tag, _ in found] == ["input"] and found[0][1]["value"] == hostile


def test_the_public_atlas_prints_hostile_names_as_typed_and_withholds_languages(demo_project, tmp_path):
    """Atlas (merged today): a QPV name with mathtext, a template and markup is printed as typed on its
    page; the public atlas has « < 3 » and never a per-QPV language."""
    import subprocess

    from ambmap.export import export
    from ambmap.export.layout import LayoutOptions

    qpv = demo_project.layer("qpv").data.copy()
    name = "$\\frac{1}{0}$ {{7*7}} <b>x</b>"
    qpv.loc[qpv.index[0], "nom_qp"] = name
    demo_project.layer("qpv").data = qpv
    path = export(demo_project, "pdf", tmp_path / "atlas.pdf", layout=LayoutOptions(atlas=True))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert name in text and "< 3" in text and "Langues" not in text
