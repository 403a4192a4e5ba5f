"""The territory's streets as basemap layers: import of a line file, GeoPackage round trip, the map page
(canvas, packed coordinates, offline), the print of one QPV with its street names, the credits."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from ambmap.cli import main
from ambmap.crs import LAMBERT93, WGS84
from ambmap.errors import ImportFileError
from ambmap.export import export
from ambmap.export.common import sources_lines
from ambmap.export.layout import LayoutOptions
from ambmap.layers import PARKS, STREETS, WATER, Layer
from ambmap.project import Project
from ambmap.render.map import MapOptions, map_html, page_data, unpack

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "lille"
OSM = {
    "source": "OpenStreetMap (test)",
    "licence": "ODbL 1.0 (OpenStreetMap)",
    "attribution": "© les contributeurs d'OpenStreetMap",
}


def synthetic_streets(project: Project, code: str = "QN059D01", step: float = 120.0) -> Layer:
    """A SYNTHETIC grid of named streets over one QPV of ``project`` (plus a margin): avenues east-west,
    rues north-south, a footpath and steps; clearly not real streets."""
    qpv = project.layer("qpv").data
    minx, miny, maxx, maxy = qpv[qpv["code_qp"] == code].to_crs(LAMBERT93).buffer(400).total_bounds
    lines, rows = [], []
    classes = ("principale", "desserte", "secondaire", "desserte")
    for i, y in enumerate(np.arange(miny, maxy, step)):
        lines.append(LineString([(minx, y), (maxx, y)]))
        rows.append((f"S-E{i}", f"Avenue Synthétique {i + 1}", classes[i % 4]))
    for i, x in enumerate(np.arange(minx, maxx, step)):
        lines.append(LineString([(x, miny), (x, maxy)]))
        rows.append((f"S-N{i}", f"Rue d'Essai {i + 1}", "desserte" if i % 3 else "secondaire"))
    lines += [
        LineString([(minx + 30, miny + 30), (minx + 200, miny + 90)]),
        LineString([(maxx - 40, maxy - 40), (maxx - 20, maxy - 60)]),
    ]
    rows += [("S-P", "Sentier Fictif", "piétonne/chemin"), ("S-X", None, "escalier")]
    frame = gpd.GeoDataFrame(
        {
            "street_id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "street_class": [r[2] for r in rows],
            "walkable": True,
        },
        geometry=lines,
        crs=LAMBERT93,
    ).to_crs(WGS84)
    return Layer(STREETS, frame, provenance=OSM)


def with_streets(project: Project) -> Project:
    project.set_layer(synthetic_streets(project))
    qpv = project.layer("qpv").data.to_crs(LAMBERT93)
    c = qpv.geometry.iloc[0].centroid
    water = gpd.GeoDataFrame(
        {"water_id": ["W1"], "name": ["Canal fictif"]},
        geometry=[LineString([(c.x - 900, c.y + 300), (c.x + 900, c.y + 420)]).buffer(8)],
        crs=LAMBERT93,
    ).to_crs(WGS84)
    parks = gpd.GeoDataFrame(
        {"park_id": ["P1"], "name": ["Parc fictif"]}, geometry=[box(c.x - 200, c.y - 150, c.x, c.y)], crs=LAMBERT93
    ).to_crs(WGS84)
    project.set_layer(Layer(WATER, water, provenance=OSM))
    project.set_layer(Layer(PARKS, parks, provenance=OSM))
    return project


def test_import_a_line_file_with_its_class_field(tmp_path, capsys):
    project_file = tmp_path / "p.gpkg"
    assert main(["new", "--project", str(project_file)]) == 0
    lines = [
        LineString([(3.05, 50.61), (3.06, 50.61)]),
        LineString([(3.05, 50.61), (3.05, 50.62)]),
        LineString([(3.06, 50.61), (3.06, 50.62)]),
        LineString([(3.05, 50.62), (3.06, 50.62)]),
        LineString([(3.05, 50.615), (3.052, 50.615)]),
    ]
    file = tmp_path / "voirie.geojson"
    gpd.GeoDataFrame(
        {
            "roadClass": ["highway", "major", "minor", "allée", "steps"],
            "nom": ["A 1", "Boulevard Fictif", "Rue Fictive", None, ""],
        },
        geometry=lines,
        crs=WGS84,
    ).pipe(
        lambda f: gpd.GeoDataFrame(
            gpd.pd.concat(
                [
                    f,
                    gpd.GeoDataFrame(
                        {"roadClass": ["minor"], "nom": ["point"]}, geometry=[Point(3.05, 50.61)], crs=WGS84
                    ),
                ]
            ),
            crs=WGS84,
        )
    ).to_file(file)
    assert (
        main(
            [
                "import",
                "streets",
                str(file),
                "--project",
                str(project_file),
                "--class-field",
                "roadClass",
                "--attribution",
                "© les contributeurs d'OpenStreetMap",
                "--licence",
                "ODbL",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "1 élément(s) qui ne sont pas des lignes" in out and "allée" in out and "5 rue(s) importée(s)" in out
    streets = Project.load(project_file).layer("streets")
    data = streets.data
    assert list(data["street_class"]) == ["principale", "secondaire", "desserte", "desserte", "escalier"]
    assert list(data["walkable"]) == [False, True, True, True, True]
    assert data["name"].iloc[2] == "Rue Fictive" and data["name"].fillna("").iloc[3:].tolist() == ["", ""]
    assert set(data.geometry.geom_type) == {"MultiLineString"}
    assert streets.provenance["licence"] == "ODbL" and "OpenStreetMap" in streets.provenance["attribution"]
    with pytest.raises(ImportFileError, match="pas de colonne « classe »"):
        from ambmap.imports import import_streets

        import_streets(file, class_field="classe")


def test_basemap_layers_round_trip_in_the_geopackage(demo_project, tmp_path):
    with_streets(demo_project)
    demo_project.save(tmp_path / "rt.gpkg")
    again = Project.load(tmp_path / "rt.gpkg")
    before, after = demo_project.layer("streets").data, again.layer("streets").data
    assert list(after["street_class"]) == list(before["street_class"]) and after["walkable"].all()
    assert after.geometry.geom_type.unique().tolist() == ["MultiLineString"]
    assert after.geometry.iloc[0].equals_exact(before.geometry.iloc[0], 1e-9)
    assert again.layer("water").data.geometry.geom_type.unique().tolist() == ["MultiPolygon"]
    assert again.layer("streets").provenance["attribution"] == OSM["attribution"]


def test_map_page_draws_the_streets_under_everything_on_a_canvas(demo_project):
    with_streets(demo_project)
    page = map_html(demo_project, options=MapOptions(basemap="none"))
    data = page_data(page)
    kinds = list(data["layers"])
    assert kinds[:3] == ["parks", "water", "streets"] and kinds.index("streets") < kinds.index("territory")
    spec = data["layers"]["streets"]
    assert spec["canvas"] and spec["basemap"] == "lines" and not spec["interactive"]
    assert len(spec["features"]) == len(demo_project.layer("streets"))
    assert spec["styles"]["principale"]["weight"] > spec["styles"]["desserte"]["weight"]
    first = spec["features"][0]
    lat_lon = unpack(first["m"][0])
    expected = np.asarray(demo_project.layer("streets").data.geometry.iloc[0].geoms[0].coords)[:, ::-1]
    assert np.abs(lat_lon - expected).max() <= 1e-5  # quantised to 1e-5 degree (about 1 m)
    assert first["n"] == "Avenue Synthétique 1" and spec["labelZoom"] == 16 and spec["fullZoom"] == 15
    assert "new BaseCanvas(classes, spec, {padding: 0.2, pane: pane})" in page and "fillBasemap" in page
    assert spec["attribution"] == OSM["attribution"]  # credited by the page while the layer is shown
    assert OSM["attribution"] not in data["config"]["attributions"]


def test_basemap_choice_tiles_or_streets(demo_project):
    with_streets(demo_project)
    over_tiles = page_data(map_html(demo_project, options=MapOptions(basemap="plan-ign")))
    tiles = over_tiles["config"]["basemaps"]
    assert tiles[0]["name"] == "Plan IGN" and tiles[0].get("show", True)
    assert over_tiles["layers"]["streets"]["styles"]["desserte"]["opacity"] < 1  # both: the streets as a veil
    alone = page_data(map_html(demo_project, options=MapOptions(basemap="streets")))
    streets = alone["config"]["basemaps"]
    assert streets and all(b["show"] is False for b in streets)  # offered in the layer control, off
    assert "opacity" not in alone["layers"]["streets"]["styles"]["desserte"]
    from ambmap.config import Settings

    assert MapOptions.from_settings(Settings(offline=True)).basemap == "none"  # offline: the streets, no tiles


def test_credits_only_for_what_is_drawn(demo_project):
    with_streets(demo_project)
    assert not any("IGN" in line for line in sources_lines(demo_project, "streets"))  # no tiles, no IGN credit
    assert any("IGN" in line for line in sources_lines(demo_project, "plan-ign"))
    assert any("OpenStreetMap" in line for line in sources_lines(demo_project, "none"))
    without = sources_lines(demo_project, "none", drawn={"territory", "qpv", "poles"})  # demo data, no streets
    assert not any("OpenStreetMap" in line for line in without)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) absent")
def test_print_of_one_qpv_shows_its_street_names(demo_project, tmp_path):
    with_streets(demo_project)
    pdf = export(demo_project, "pdf", tmp_path / "q.pdf", layout=LayoutOptions(extent="QN059D01"))
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    names = {n for n in demo_project.layer("streets").data["name"].dropna() if n in text}
    assert len(names) >= 5, text
    assert "les contributeurs d'OpenStreetMap" in text
    # the streets hidden: neither drawn nor credited
    hidden = export(
        demo_project, "pdf", tmp_path / "h.pdf", layout=LayoutOptions(extent="QN059D01", visible=("territory", "qpv"))
    )
    text = subprocess.run(["pdftotext", "-raw", str(hidden), "-"], capture_output=True, text=True).stdout
    assert "Avenue Synthétique" not in text and "OpenStreetMap" not in text


@pytest.mark.skipif(not shutil.which("chromium") and not Path("/usr/bin/chromium").exists(), reason="no chromium")
def test_html_export_with_streets_makes_no_request(demo_project, tmp_path):
    from tests.export.test_html import open_offline

    with_streets(demo_project)
    page = export(demo_project, "html", tmp_path / "carte.html", map_options=MapOptions(basemap="none"))
    probe, requests = open_offline(page, tmp_path)
    assert probe["counts"]["streets"] == len(demo_project.layer("streets")) and probe["counts"]["water"] == 1
    assert requests == []


# -- real data (read in place, never copied) ----------------------------------------------------------------
real = pytest.mark.skipif(not (REFERENCE / "osm_roads_lille.geojson").exists(), reason="reference data absent")


@real
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) absent")
def test_real_lille_streets_printed_with_their_names_and_map_offline(tmp_path):
    project_file = tmp_path / "lille.gpkg"
    assert main(["new", "--project", str(project_file)]) == 0
    assert (
        main(
            [
                "import",
                "streets",
                str(REFERENCE / "osm_roads_lille.geojson"),
                "--project",
                str(project_file),
                "--class-field",
                "roadClass",
            ]
        )
        == 0
    )
    project = Project.load(project_file)
    streets = project.layer("streets").data
    assert len(streets) > 5000 and set(streets["street_class"]) >= {"principale", "secondaire", "desserte"}
    pdf = export(project, "pdf", tmp_path / "lille-sud.pdf", layout=LayoutOptions(extent="QN059D01"))
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    real_names = set(streets["name"].dropna())
    printed = [line.strip() for line in text.splitlines() if line.strip() in real_names]
    assert len(printed) >= 10, text
    html = export(project, "html", tmp_path / "lille.html", map_options=MapOptions(basemap="none"))
    assert html.stat().st_size <= 2.5e6
    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        from tests.export.test_html import open_offline

        probe, requests = open_offline(html, tmp_path)
        assert probe["counts"]["streets"] == len(streets) and requests == []
