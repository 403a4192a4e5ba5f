"""« ambmap coverage » and « ambmap recommend » on foot (--reach marche, --minutes, --streets): the river with
one bridge of tests/analysis/test_walk_reach.py, through project files and raw files."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point

from ambmap import cli
from ambmap.cli import main
from ambmap.project import DEFAULT_PROJECT
from tests.analysis.builders import L93, X0, Y0
from tests.analysis.test_walk_reach import RIVER, right_bank_project, river_project


@pytest.fixture
def river(monkeypatch):
    """« --project riviere.gpkg » opens the river project: a project file cannot hold streets until the
    streets kind is registered and saved (another branch), so the CLI is handed the project in memory."""
    monkeypatch.setattr(cli, "load_project", lambda path: river_project())
    return "riviere.gpkg"


def run_json(argv, capsys) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def write(frame: gpd.GeoDataFrame, path) -> str:
    frame.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    return str(path)


def test_coverage_on_foot_from_the_project(river, capsys):
    path = river
    share = {}
    for flags in (
        ["--reach", "marche"],
        ["--reach", "cercle"],
        ["--minutes", "13"],
        ["--reach", "marche", "--radius", "75"],
    ):
        out = run_json(["coverage", "--project", str(path), "--json", *flags], capsys)
        share[" ".join(flags)] = out["qpv"][0]["covered_share"]
    assert share == pytest.approx(
        {"--reach marche": 0.5, "--reach cercle": 1.0, "--minutes 13": 1.0, "--reach marche --radius 75": 0.25}
    )
    assert main(["coverage", "--project", str(path), "--reach", "marche"]) == 0
    out = capsys.readouterr().out
    assert "Couverture à pied le long des rues, 500 m" in out and "chemins piétons" in out


def test_minutes_are_a_walking_time(river, capsys):
    path = river
    assert main(["coverage", "--project", str(path), "--reach", "cercle", "--minutes", "5"]) == 2
    assert "--minutes est un temps de marche" in capsys.readouterr().err


def test_walking_without_streets_is_refused_in_french(tmp_path, capsys):
    path = tmp_path / "projet.gpkg"
    shutil.copyfile(DEFAULT_PROJECT, path)
    assert main(["coverage", "--project", str(path), "--reach", "marche"]) == 2
    err = capsys.readouterr().err
    assert "Le projet n'a pas de rues : téléchargez-les (ambmap fetch streets) ou importez-les" in err
    assert "Traceback" not in err


def test_recommend_on_foot_picks_the_right_bank(monkeypatch, tmp_path, capsys):
    project, candidates = right_bank_project()
    monkeypatch.setattr(cli, "load_project", lambda path: project)
    path = "rive.gpkg"
    cand = write(candidates, tmp_path / "candidats.geojson")
    walk = run_json(
        ["recommend", "--project", str(path), "-k", "1", "--candidates", cand, "--reach", "marche", "--json"], capsys
    )
    assert [s["label"] for s in walk["sites"]] == ["rive droite"] and walk["optimal"]
    assert walk["covered_after"] == pytest.approx(1000)


def test_raw_form_walks_along_a_streets_file(tmp_path, capsys):
    _, candidates = right_bank_project()
    demand = gpd.GeoDataFrame({"poids": [10, 5]}, geometry=[Point(X0, Y0 + 200), Point(X0 + 100, Y0 + 200)], crs=L93)
    lines = [LineString([(X0 + x, Y0 + y) for x, y in xy]) for xy in RIVER]
    motorway = LineString([(X0, Y0), (X0, Y0 + 200)])  # a motorway bridge right there: not for walking
    streets = gpd.GeoDataFrame(
        {"highway": ["residential", "residential", "footway", "motorway"]}, geometry=[*lines, motorway], crs=L93
    )
    argv = [
        "recommend",
        "--demand",
        write(demand, tmp_path / "d.geojson"),
        "--weight-field",
        "poids",
        "--candidates",
        write(candidates, tmp_path / "c.geojson"),
        "--radius",
        "500",
        "-k",
        "1",
        "--json",
    ]
    walk = run_json([*argv, "--streets", write(streets, tmp_path / "rues.geojson"), "--reach", "marche"], capsys)
    assert [s["label"] for s in walk["sites"]] == ["rive droite"]
    assert walk["covered_after"] == pytest.approx(15) and walk["optimal"] is True
    assert {"bound", "seconds"} <= set(walk) and not any("chemins piétons" in m for m in walk["messages"])
    circle = run_json(argv, capsys)  # in a straight line both candidates reach both points: either is optimal
    assert circle["covered_after"] == pytest.approx(15)
    assert main([*argv, "--reach", "marche"]) == 2
    assert "--streets" in capsys.readouterr().err
    points = write(demand, tmp_path / "points.geojson")
    assert main([*argv, "--reach", "marche", "--streets", points]) == 2
    assert "doit contenir des lignes" in capsys.readouterr().err
