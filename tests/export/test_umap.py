"""Issue 12 point 6: ``ambmap export --format umap`` writes what uMap imports, at the public level only."""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import shape

from ambmap.errors import UsageError
from ambmap.export import export
from ambmap.export.common import prepare
from ambmap.export.data import layer_frames
from ambmap.export.umap import LEFT_OUT, plain
from ambmap.layers import KINDS
from ambmap.project import Project
from ambmap.render.symbology import STYLES

HEX = "#0123456789abcdef"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    from ambmap.analysis.recommend import recommend_for_project

    project = Project.default()
    recommendation = recommend_for_project(project, k=2, time_limit=10)
    path = export(project, "umap", tmp_path_factory.mktemp("umap") / "carte", recommendation=recommendation)
    return project, recommendation, path


def test_the_file_has_the_structure_umap_imports(made):
    _, _, path = made
    assert path.suffix == ".umap"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "umap" and isinstance(data["uri"], str)
    assert data["geometry"]["type"] == "Point" and len(data["geometry"]["coordinates"]) == 2
    props = data["properties"]
    assert (
        props["name"] and isinstance(props["zoom"], int) and props["tilelayer"]["url_template"].startswith("https://")
    )
    assert props["licence"]["name"]
    assert data["layers"]
    for layer in data["layers"]:
        assert layer["type"] == "FeatureCollection"
        options = layer["_umap_options"]
        assert options["name"] and options["color"].startswith("#") and set(options["color"][1:]) <= set(HEX)
        assert layer["features"]
        for feature in layer["features"]:
            assert feature["type"] == "Feature" and feature["geometry"]["type"]
            assert set(feature["properties"]) <= {"name", "description", "_umap_options"}
            assert isinstance(feature["properties"]["name"], str) and isinstance(
                feature["properties"]["description"], str
            )


def _layers(path) -> dict[str, dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {layer["_umap_options"]["name"]: layer for layer in data["layers"]}


def test_feature_colours_are_the_symbology_classes(made):
    project, _, path = made
    layers = _layers(path)
    resources = layers[project.layer("resources").title]
    by_category = STYLES["resources"].classes
    categories = project.layer("resources").data["category"].tolist()
    for feature, category in zip(resources["features"], categories, strict=True):
        colour = feature["properties"].get("_umap_options", {}).get("color", resources["_umap_options"]["color"])
        assert colour == by_category[category].color
    qpv = layers[project.layer("qpv").title]
    fills = {f["properties"].get("_umap_options", {}).get("fillColor") for f in qpv["features"]}
    assert fills <= {s.fill for s in STYLES["qpv"].classes.values()} | {None}
    assert fills - {None}


def test_no_private_field_reaches_the_file(made):
    project, _, path = made
    text = path.read_text(encoding="utf-8")
    ambassadors = project.layer("ambassadors").data
    private = KINDS["ambassadors"].private_fields
    assert {"display_name", "address", "languages", "start_date"} <= set(private)
    for row in ambassadors.itertuples():
        assert row.display_name not in text
        if row.address:
            assert row.address not in text
    layer = _layers(path)[project.layer("ambassadors").title]
    labels = [KINDS["ambassadors"].schema.field(name).label for name in private]
    for feature in layer["features"]:
        assert not any(f"{label} :" in feature["properties"]["description"] for label in labels)
        assert not set(private) & set(feature["properties"])


def test_geometry_round_trips_and_ambassadors_are_at_their_square(made):
    project, recommendation, path = made
    public = layer_frames(prepare(project, "public", recommendation=recommendation))
    exported = json.loads(path.read_text(encoding="utf-8"))["layers"]
    assert len(exported) == len([name for name in public if name not in LEFT_OUT])
    names = [name for name in public if name not in LEFT_OUT]
    for name, layer in zip(names, exported, strict=True):
        expected = public[name].to_crs("EPSG:4326").geometry.to_numpy()
        got = [shape(f["geometry"]) for f in layer["features"]]
        assert len(got) == len(expected), name
        for a, b in zip(got, expected, strict=True):
            assert shapely.equals_exact(a, b, tolerance=1e-6), name
    exact = project.layer("ambassadors").data.to_crs("EPSG:4326").geometry
    shown = [shape(f["geometry"]) for f in exported[names.index("ambassadors")]["features"]]
    assert all(a.distance(b) > 1e-7 for a, b in zip(shown, exact, strict=True))  # no exact home


def test_the_internal_level_is_refused_in_french(tmp_path, demo_project):
    with pytest.raises(UsageError, match="niveau public"):
        export(demo_project, "umap", tmp_path / "carte.umap", level="interne")
    assert list(tmp_path.iterdir()) == []


def test_popups_are_plain_text():
    assert (
        plain("# Titre\n* liste **gras** [[http://x|lien]] {name} <b>\x07") == "Titre\n liste gras http://x|lien name b"
    )
    assert plain(None) == "" and plain(3) == "3"
