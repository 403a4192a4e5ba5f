"""Issue 12 point 6: the exported GeoPackage and the project file carry QGIS styles (``layer_styles``)."""

from __future__ import annotations

import sqlite3
import subprocess
import xml.etree.ElementTree as ET

import pytest

from ambmap.export import export
from ambmap.export.styles import COVERAGE_FIELD, qml, rgba
from ambmap.layers import KINDS
from ambmap.project import Project
from ambmap.render.symbology import STYLES, Style, Symbol


def styles_of(path) -> dict[str, ET.Element]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT f_table_name, styleQML, useAsDefault FROM layer_styles").fetchall()
    assert all(default == 1 for _, _, default in rows)
    return {name: ET.fromstring(document) for name, document, _ in rows}


def tables(path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {name for (name,) in db.execute("SELECT table_name FROM gpkg_geometry_columns")}


def colours(root: ET.Element) -> dict[str, str]:
    """Category value → the colour option of its symbol (marker/fill colour, or line colour)."""
    renderer = root.find("renderer-v2")
    symbols = {s.get("name"): s for s in renderer.find("symbols")}
    found = {}
    for category in renderer.find("categories"):
        options = {o.get("name"): o.get("value") for o in symbols[category.get("symbol")].iter("Option")}
        found[category.get("value")] = options.get("color") or options.get("line_color")
    return found


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory):
    from ambmap.analysis.recommend import recommend_for_project

    project = Project.default()
    recommendation = recommend_for_project(project, k=2, time_limit=10)
    return export(project, "gpkg", tmp_path_factory.mktemp("styles") / "donnees.gpkg", recommendation=recommendation)


def test_gdal_lists_one_style_per_layer(gpkg):
    out = subprocess.run(
        ["ogrinfo", "-ro", "-q", str(gpkg), "layer_styles"], capture_output=True, text=True, check=True
    ).stdout
    names = [line.split("=", 1)[1].strip() for line in out.splitlines() if "f_table_name (String) =" in line]
    assert sorted(names) == sorted(tables(gpkg))
    listed = subprocess.run(["ogrinfo", "-ro", "-q", str(gpkg)], capture_output=True, text=True, check=True).stdout
    assert "layer_styles (None)" in listed  # an attributes table of gpkg_contents
    with sqlite3.connect(gpkg) as db:
        assert db.execute("SELECT data_type FROM gpkg_contents WHERE table_name='layer_styles'").fetchone() == (
            "attributes",
        )
        assert set(db.execute("SELECT f_geometry_column FROM layer_styles")) == {("geom",)}


def test_resources_and_ambassadors_are_categorized_with_the_symbology_colours(gpkg):
    styles = styles_of(gpkg)
    for name in ("resources", "ambassadors"):
        renderer = styles[name].find("renderer-v2")
        assert renderer.get("type") == "categorizedSymbol"
        assert renderer.get("attr") == KINDS[name].class_field
        expected = {value: rgba(symbol.color) for value, symbol in STYLES[KINDS[name].symbol].classes.items()}
        assert colours(styles[name]) == expected
        assert {s.get("type") for s in renderer.iter("symbol")} == {"marker"}


def test_qpv_by_coverage_class_in_an_export_with_coverage(gpkg):
    qpv = styles_of(gpkg)["qpv"]
    renderer = qpv.find("renderer-v2")
    assert (renderer.get("type"), renderer.get("attr")) == ("categorizedSymbol", COVERAGE_FIELD)
    expected = {status: rgba(s.fill, s.fill_opacity) for status, s in STYLES["qpv"].classes.items()}
    assert colours(qpv) == expected
    with sqlite3.connect(gpkg) as db:  # the categories are the values the layer holds
        values = {v for (v,) in db.execute(f'SELECT DISTINCT "{COVERAGE_FIELD}" FROM qpv')}
    assert values <= set(expected)


def test_other_layers_have_their_single_symbol(gpkg):
    styles = styles_of(gpkg)
    poles = styles["poles"].find("renderer-v2")
    assert poles.get("type") == "singleSymbol"
    options = {o.get("name"): o.get("value") for o in poles.iter("Option")}
    assert options["color"] == rgba(STYLES["poles"].symbol.color)
    gaps = {o.get("name"): o.get("value") for o in styles["manques"].iter("Option")}
    assert gaps["outline_color"] == rgba(STYLES["gaps"].symbol.color)
    assert gaps["color"] == rgba(STYLES["gaps"].symbol.fill, STYLES["gaps"].symbol.fill_opacity)
    assert styles["recrutement_propose"].find("renderer-v2").get("type") == "singleSymbol"


def test_one_layer_export_styles_that_layer(tmp_path, demo_project):
    path = export(demo_project, "gpkg", tmp_path / "amb.gpkg", layer="ambassadors")
    assert set(styles_of(path)) == {"ambassadors"}


def test_the_saved_project_carries_the_styles_and_still_opens(tmp_path, demo_project):
    path = demo_project.save(tmp_path / "projet.gpkg")
    styles = styles_of(path)
    assert set(styles) == tables(path)
    assert styles["qpv"].find("renderer-v2").get("type") == "singleSymbol"  # no coverage column in the project
    assert styles["resources"].find("renderer-v2").get("attr") == "category"
    again = Project.load(path)
    again.save()  # saved twice: still one style per layer
    assert len(styles_of(path)) == len(tables(path))
    assert {k: len(v) for k, v in again.layers.items()} == {k: len(v) for k, v in demo_project.layers.items()}


def test_line_layers_and_hostile_values_make_valid_qml():
    drawn = Style(Symbol("#123456", dash=(4, 2)), {'<a & "b">': Symbol("#abcdef")})
    root = ET.fromstring(qml(drawn, "line", 'champ "x"'))
    assert root.find("renderer-v2").get("attr") == 'champ "x"'
    assert colours(root) == {'<a & "b">': "171,205,239,255"}


def test_a_failed_style_write_is_a_system_error_the_export_names(tmp_path):
    from ambmap.export.styles import write_styles

    broken = tmp_path / "pas-un-geopackage.gpkg"
    broken.write_bytes(b"ceci n'est pas une base SQLite" * 100)
    with pytest.raises(OSError):
        write_styles(broken, {"qpv": None})
