"""Recruitment recommendations on hand-made geography, on the demo project, and from the command line."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from ambmap.analysis.recommend import (
    around,
    before_after,
    details,
    recommend_for_project,
    recommend_points,
    street_labels,
)
from ambmap.cli import main
from ambmap.errors import AnalysisError, CancelledError, ImportFileError
from ambmap.io.points import read_points
from tests.analysis.builders import L93, X0, Y0, ambassadors_layer, make_project, qpv_layer


def points(xs, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=[Point(X0 + x, Y0) for x in xs], crs=L93)


# demand on a line: L2 (x=0, 3), L1 (100, 4), R1 (300, 4), R2 (400, 3); five sites, radius 110 m
TRAP_DEMAND = points([0, 100, 300, 400], people=[3, 4, 4, 3])
TRAP_SITES = points([200, 50, 350, -50, 450], nom=["Milieu", "Gauche", "Droite", "Bord gauche", "Bord droit"])


def test_raw_points_optimum_where_greedy_is_wrong():
    result = recommend_points(TRAP_DEMAND, "people", TRAP_SITES, 110, 2)
    assert sorted(result.sites["label"]) == ["Droite", "Gauche"]  # greedy would take « Milieu » first (8)
    assert result.covered_after == 14 and result.optimal and result.bound == pytest.approx(14)
    assert result.sites["gain"].tolist() == [7, 7] and result.sites.crs.to_string() == "EPSG:4326"


def test_raw_points_keep_existing_sites():
    existing = points([100])  # already reaches L2, L1 (within 110 m)... and only them
    result = recommend_points(TRAP_DEMAND, "people", TRAP_SITES, 110, 1, existing=existing)
    assert result.covered_before == 7 and list(result.sites["label"]) == ["Droite"]
    assert result.covered_after == 14


def test_budget_on_a_square_qpv_picks_its_centre():
    project = make_project(qpv_layer([("Q1", 0, 0, 1000, 1000)]))
    result = recommend_for_project(project, k=1, time_limit=20)
    site = result.sites.iloc[0]
    assert site.code_qp == "Q1" and site.label == "Quartier Q1, centre"
    disc = math.pi * 500**2 / 1e6 * 1000
    assert result.covered_after == pytest.approx(disc, rel=0.04)  # 100 m cells approximate the disc
    assert result.covered_before == 0 and result.optimal
    assert result.unit == "habitants" and "uniformément" in result.messages[-1]


def test_target_infeasible_qpv_is_named_and_the_rest_is_met():
    project = make_project(
        qpv_layer([("Q1", 0, 0, 1000, 1000), ("Q2", 5000, 0, 1000, 500)]), ambassadors_layer([("A1", 0, 0, "actif")])
    )
    candidates = points([500, 100], nom=["Centre Q1", "Coin Q1"]).assign(
        geometry=[Point(X0 + 500, Y0 + 500), Point(X0 + 100, Y0 + 100)]
    )
    result = recommend_for_project(project, target=0.8, candidates=candidates, time_limit=20)
    assert list(result.sites["label"]) == ["Centre Q1"]
    assert result.per_qpv.loc["Q1", "share_after"] >= 0.8
    assert result.per_qpv.loc["Q2", "share_after"] == 0
    assert any("« Quartier Q2 » ne peut pas atteindre 80\u202f%" in m for m in result.messages)
    assert result.optimal and result.question == "target"


def test_demo_project_budget_target_and_training(demo_project):
    before = demo_project.layer("ambassadors").data.copy()
    result = recommend_for_project(demo_project, k=3, time_limit=30)
    assert len(result.sites) == 3 and result.optimal
    assert result.sites["gain"].is_monotonic_decreasing
    assert result.covered_after == pytest.approx(result.covered_before + result.sites["gain"].sum())
    assert result.covered_after <= result.bound + 1e-6 <= result.total + 1e-6
    sectors = ("centre", "nord", "sud", "est", "ouest")  # « Fives, nord-est »: a compass sector in words
    assert all(label.split(", ")[-1].split("-")[0] in sectors for label in result.sites["label"])
    # what each site adds: one zone per site, around it
    assert list(result.zones["rank"]) == list(result.sites["rank"])
    assert result.zones.geometry.contains(result.sites.geometry.reset_index(drop=True)).all()
    target = recommend_for_project(demo_project, target=0.9, time_limit=30)
    assert (target.per_qpv["share_after"] >= 0.9 - 1e-9).all()
    training = recommend_for_project(demo_project, k=2, candidates="en formation", time_limit=30)
    assert set(training.sites["label"]) <= set(before.loc[before["status"] == "en formation", "amb_id"])
    assert demo_project.layer("ambassadors").data.equals(before)


def test_questions_are_checked_in_french(demo_project):
    with pytest.raises(AnalysisError, match="une seule question"):
        recommend_for_project(demo_project, k=2, target=0.8)
    with pytest.raises(AnalysisError, match="entier positif"):
        recommend_for_project(demo_project, k=0)
    with pytest.raises(AnalysisError, match="entre 0 et 1"):
        recommend_for_project(demo_project, target=150)


def test_cancel_from_progress_changes_nothing(demo_project):
    def cancel(done, total, message):
        if done == 2:
            raise CancelledError()

    with pytest.raises(CancelledError):
        recommend_for_project(demo_project, k=2, progress=cancel)


def test_read_points_csv_and_errors(tmp_path):
    good = tmp_path / "sites.csv"
    good.write_text("nom;lon;lat\nA;3,05;50,62\nB;3.06;50.63\n", encoding="utf-8")
    frame = read_points(good)
    assert list(frame["nom"]) == ["A", "B"] and frame.geometry.x.tolist() == [3.05, 3.06]
    bad = tmp_path / "bad.csv"
    bad.write_text("nom,lon,lat\nA,3.05,\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="bad.csv», ligne 2|« bad.csv », ligne 2"):
        read_points(bad)
    (tmp_path / "nocoords.csv").write_text("nom,x1\nA,1\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="colonnes lon et lat introuvables"):
        read_points(tmp_path / "nocoords.csv")


def test_cli_coverage_json_and_csv(capsys):
    assert main(["coverage", "--json", "--radius", "400"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["radius_m"] == 400 and len(data["qpv"]) == 8
    assert {"code_qp", "covered_share", "status", "languages"} <= set(data["qpv"][0])
    assert main(["coverage", "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("code_qp;nom_qp")


def test_cli_recommend_project_and_raw_forms(capsys, tmp_path):
    assert main(["recommend", "-k", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["sites"]) == 2 and data["optimal"] is True
    assert {"lon", "lat", "code_qp", "gain"} <= set(data["sites"][0])
    assert data["covered_after"] > data["covered_before"]
    TRAP_DEMAND.to_crs("EPSG:4326").to_file(tmp_path / "demand.geojson")
    TRAP_SITES.to_crs("EPSG:4326").to_file(tmp_path / "sites.gpkg")
    assert (
        main(
            [
                "recommend",
                "--demand",
                str(tmp_path / "demand.geojson"),
                "--weight-field",
                "people",
                "--candidates",
                str(tmp_path / "sites.gpkg"),
                "--radius",
                "110",
                "-k",
                "2",
                "--json",
            ]
        )
        == 0
    )
    raw = json.loads(capsys.readouterr().out)
    assert sorted(s["label"] for s in raw["sites"]) == ["Droite", "Gauche"]
    assert raw["covered_after"] == 14 and raw["bound"] == 14 and raw["optimal"] is True
    assert main(["recommend", "--demand", str(tmp_path / "demand.geojson"), "-k", "2"]) == 2
    assert "--candidates" in capsys.readouterr().err


def test_cli_recommend_text(capsys):
    assert main(["recommend", "--target", "90"]) == 0
    out = capsys.readouterr().out
    assert "  1. " in out and "habitants" in out and "Meilleure solution possible" in out
    assert np.isfinite(len(out))


def test_before_after_per_qpv_hand_checked():
    """A 1 km square QPV of 1 000 inhabitants spread evenly, one ambassador at its south-west corner (a quarter
    of a 500 m disc inside: 19.6 %); the site at its centre adds its whole disc (78.5 %) but for the lens the two
    discs share (14.3 %): 19.6 % → 83.9 %."""
    project = make_project(qpv_layer([("Q1", 0, 0, 1000, 1000)]), ambassadors_layer([("A1", 0, 0, "actif")]))
    centre = points([500]).assign(geometry=[Point(X0 + 500, Y0 + 500)], nom=["Centre"])
    result = recommend_for_project(project, k=1, candidates=centre, time_limit=20)
    r2, d = 500.0**2, math.hypot(500, 500)
    quarter, disc = math.pi * r2 / 4, math.pi * r2
    lens = 2 * r2 * math.acos(d / 1000) - d / 2 * math.sqrt(4 * r2 - d**2)
    row = result.per_qpv.loc["Q1"]
    assert row.coverage_before == pytest.approx(quarter / 1e6, rel=0.01)  # 0.196
    assert row.coverage_after == pytest.approx((quarter + disc - lens) / 1e6, rel=0.01)  # 0.839
    assert before_after(result) == ["Quartier Q1 20\u202f% → 84\u202f%"]
    assert result.to_dict()["qpv"] == [
        {
            "code_qp": "Q1",
            "nom_qp": "Quartier Q1",
            "coverage_before": round(row.coverage_before, 4),
            "coverage_after": round(row.coverage_after, 4),
        }
    ]
    # the project itself is untouched: still one ambassador
    assert len(project.layer("ambassadors")) == 1


def test_plain_words_and_details():
    project = make_project(qpv_layer([("Q1", 0, 0, 1000, 1000)]))
    result = recommend_for_project(project, k=1, time_limit=20)
    assert result.messages[0].startswith("Meilleure solution possible")
    assert not any("prouvé" in m or "optimum" in m for m in result.messages)
    assert details(result).startswith("Détails : couverture maximale") and "HiGHS" in details(result)
    assert "meilleure solution prouvée" in details(result)  # plain words, no « optimum » nor « borne »
    assert "optimum" not in details(result) and "borne" not in details(result)


def test_sites_named_after_the_nearest_street_when_the_project_has_streets():
    from types import SimpleNamespace

    from shapely.geometry import LineString

    streets = gpd.GeoDataFrame(
        {"name": ["Rue Pierre Legrand", "Boulevard de Metz", ""]},
        geometry=[
            LineString([(X0, Y0 + 50), (X0 + 300, Y0 + 50)]),
            LineString([(X0 + 2000, Y0), (X0 + 2000, Y0 + 900)]),
            LineString([(X0, Y0 + 10), (X0 + 300, Y0 + 10)]),
        ],
        crs=L93,
    )
    project = SimpleNamespace(layers={"streets": SimpleNamespace(data=streets)})
    xy = np.array([[X0 + 100, Y0], [X0 + 1000, Y0 + 500]])
    labels = street_labels(
        project, xy, L93, np.array(["Q1, sud", "Q1, centre"], dtype=object), np.array(["Q1", "Q1"], dtype=object)
    )
    # the nearest NAMED street within 150 m; farther than that, the compass sector stays
    assert list(labels) == ["Q1, autour de la rue Pierre Legrand", "Q1, centre"]
    assert street_labels(SimpleNamespace(layers={}), xy, L93, labels, labels).tolist() == labels.tolist()
    assert around("Avenue Foch") == "autour de l'avenue Foch"
    assert around("Boulevard de Metz") == "autour du boulevard de Metz"
    assert around("Les Aubépines") == "autour de « Les Aubépines »"
