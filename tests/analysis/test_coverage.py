"""Coverage shares worked out by hand on square QPVs (Lambert-93 metres)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from ambmap.analysis.coverage import CoverageParams, compute_coverage
from ambmap.crs import metric_crs
from ambmap.errors import AnalysisError
from ambmap.layers import AMBASSADORS, POPULATION_GRID, QPV, Layer
from ambmap.project import Project
from tests.analysis.builders import L93, X0, Y0, ambassadors_layer, frame, make_project, qpv_layer

POLYGON_DISC = 0.9984  # a 64-sided polygon holds 99.84 % of its circle's area


def test_disc_inside_square_even_population(square_project):
    result = compute_coverage(square_project)
    row = result.per_qpv.loc["Q1"]
    # the active ambassador sits on the corner (0, 0): a quarter disc of radius 500 m in a 1 km square
    expected = math.pi * 500**2 / 4 / 1e6 * POLYGON_DISC
    assert row.covered_area_share == pytest.approx(expected, rel=1e-3)
    assert row.covered_share == pytest.approx(expected, rel=1e-3)
    assert row.covered_population == pytest.approx(1000 * expected, rel=1e-3)
    assert row.status == "partiellement couvert"
    assert row.ambassadors_covering == 1
    assert result.summary["population_method"] == "even"
    assert "uniformément" in result.population_method
    assert result.crs == "EPSG:2154"
    assert len(result.zones) == 1 and result.zones.crs.to_string() == "EPSG:4326"


def test_training_ambassadors_count_only_when_asked(square_project):
    base = compute_coverage(square_project).per_qpv.loc["Q1"]
    both = compute_coverage(square_project, CoverageParams(include_in_training=True)).per_qpv.loc["Q1"]
    assert both.ambassadors_covering == 2
    assert both.covered_area_share == pytest.approx(2 * base.covered_area_share, rel=1e-6)  # two disjoint quarters


def test_per_ambassador_radius_and_full_cover():
    project = make_project(
        qpv_layer([("Q1", 0, 0, 1000, 400)]), ambassadors_layer([("A1", 500, 500, "actif")], radius=800)
    )
    row = compute_coverage(project).per_qpv.loc["Q1"]
    assert row.covered_share == pytest.approx(1.0)
    assert row.status == "couvert"
    assert row.ambassadors_living == 1
    assert row.uncovered_population == pytest.approx(0.0, abs=1e-6)


def test_population_grid_weights_the_share():
    # left half holds 900 people, right half 100; a half disc of radius 500 m covers the left half only
    project = make_project(
        qpv_layer([("Q1", 0, 0, 1000, 1000)]),
        ambassadors_layer([("A1", 0, 500, "actif")]),
        grid=[(0, 0, 500, 450), (0, 500, 500, 450), (500, 0, 500, 50), (500, 500, 500, 50)],
    )
    result = compute_coverage(project)
    row = result.per_qpv.loc["Q1"]
    half_disc = math.pi * 500**2 / 2 * POLYGON_DISC
    assert row.covered_area_share == pytest.approx(half_disc / 1e6, rel=1e-3)
    assert row.covered_share == pytest.approx(half_disc / 500_000 * 0.9, rel=1e-3)  # 900 · (half disc / left half)
    assert result.summary["population_method"] == "grid"
    assert "carreaux" in result.population_method
    gap = result.gaps.set_index("code_qp").loc["Q1"]
    assert gap.uncovered_population == pytest.approx(1000 - row.covered_population)
    assert gap.geometry is not None and not gap.geometry.is_empty


def test_grid_share_matches_plain_intersections():
    # squares tilted 5° as INSEE's (EPSG:3035) are in Lambert-93; zones of several radii put squares inside one
    # zone, out of reach or across an edge. Two zones barely escape the shortcuts: one whose 64-gon misses a
    # square's corner by 0.4 m (its circle does not), one whose vertex pokes 6 m into a square's corner.
    rng = np.random.default_rng(1)
    cells = np.array(
        [
            shapely.affinity.rotate(box(X0 + x, Y0 + y, X0 + x + 200, Y0 + y + 200), 5, origin=(X0, Y0))
            for x in range(-400, 1800, 200)
            for y in range(-400, 1800, 200)
        ]
    )
    top_right = shapely.get_coordinates(cells[102])[1]  # square (1400, 200)
    top_left = shapely.get_coordinates(cells[108])[2]  # square (1400, 1400), its leftmost corner
    edge_middle = np.pi / 4 + np.pi / 64  # direction of the middle of a 64-gon's edge
    homes = np.vstack(
        [
            rng.uniform(0, 700, (6, 2)) + (X0, Y0),
            top_right - 0.9995 * 600 * np.array([np.cos(edge_middle), np.sin(edge_middle)]),
            top_left - (0.99 * 600, 0),
        ]
    )
    radii = np.r_[rng.choice([150.0, 300.0], 6), 600.0, 600.0]
    ambassadors = Layer(
        AMBASSADORS,
        frame(
            [
                {"amb_id": f"A{i}", "display_name": "a", "status": "actif", "languages": "", "radius_m": r}
                for i, r in enumerate(radii)
            ],
            list(shapely.points(homes)),
        ),
    )
    people = rng.gamma(2.0, 30.0, len(cells))
    grid = Layer(POPULATION_GRID, frame([{"idcar": f"c{i}", "population": p} for i, p in enumerate(people)], cells))
    qpv = qpv_layer([("Q1", -200, -200, 2000, None)])
    result = compute_coverage(Project({"code": "59350", "kind": "commune", "name": "Test"}, [qpv, ambassadors, grid]))
    zones = shapely.union_all(shapely.buffer(shapely.points(homes), radii, quad_segs=16))
    q = qpv.data.to_crs(L93).geometry.iloc[0]
    weight = people / shapely.area(cells)
    inside = np.sum(weight * shapely.area(shapely.intersection(cells, q)))
    covered = np.sum(weight * shapely.area(shapely.intersection(cells, shapely.intersection(q, zones))))
    assert result.per_qpv.loc["Q1", "covered_share"] == pytest.approx(covered / inside, rel=1e-9)


def test_area_only_without_population():
    project = make_project(qpv_layer([("Q1", 0, 0, 1000, None)]), ambassadors_layer([("A1", 0, 0, "actif")]))
    result = compute_coverage(project)
    row = result.per_qpv.loc["Q1"]
    assert np.isnan(row.population) and np.isnan(row.covered_population)
    assert row.covered_share == pytest.approx(row.covered_area_share)
    assert result.summary["population_method"] == "area" and result.summary["covered_share"] is None
    assert "surface" in result.population_method


def test_statuses_languages_poles_and_resources():
    project = make_project(
        qpv_layer([("Q1", 0, 0, 1000, 1000), ("Q2", 5000, 0, 1000, 500)]),
        ambassadors_layer([("A1", 500, 500, "actif")], languages="arabe; français", radius=1000),
        poles=[(1200, 500)],
        resources=[
            (100, 100, "pharmacie"),
            (900, 900, "pharmacie"),
            (1300, 500, "dentiste"),
            (5000 + 1600, 500, "pharmacie"),
        ],
    )
    result = compute_coverage(project)
    q1, q2 = result.per_qpv.loc["Q1"], result.per_qpv.loc["Q2"]
    assert (q1.status, q2.status) == ("couvert", "non couvert")
    assert q1.languages == "arabe; français" and q2.languages == ""
    assert bool(q1.pole_within_reach) and not bool(q2.pole_within_reach)
    assert (q1.resources_inside, q1.resources_500m) == (2, 3)
    assert (q2.resources_inside, q2.resources_500m) == (0, 0)  # 600 m away
    assert q1.resources_per_1000 == pytest.approx(3.0)
    assert result.resources_500m_by_category.loc["Q1", "pharmacie"] == 2
    assert result.resources_inside_by_category.loc["Q1", "dentiste"] == 0
    assert result.summary["qpv_covered"] == 1 and result.summary["qpv_uncovered"] == 1
    assert list(result.gaps["code_qp"]) == ["Q2"]


def test_no_qpv_is_a_french_error():
    project = make_project(Layer(QPV))
    with pytest.raises(AnalysisError, match="aucun quartier prioritaire"):
        compute_coverage(project)


def test_demo_project_and_progress(demo_project):
    seen = []
    result = compute_coverage(demo_project, progress=lambda d, t, m: seen.append((d, t, m)))
    assert len(result.per_qpv) == 8
    assert set(result.per_qpv["status"]) <= {"couvert", "partiellement couvert", "non couvert"}
    assert (result.per_qpv["covered_share"].between(0, 1)).all()
    active = (demo_project.layer("ambassadors").data["status"] == "actif").sum()
    assert len(result.zones) == active
    assert len(result.covered_area) == 1
    assert seen[-1][0] == seen[-1][1]


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (2.35, 48.85, "EPSG:2154"),
        (55.45, -21.0, "EPSG:2975"),
        (-61.0, 14.6, "EPSG:5490"),
        (-52.3, 4.9, "EPSG:2972"),
        (45.2, -12.8, "EPSG:4471"),
    ],
)
def test_metric_crs_by_location(lon, lat, epsg):
    assert metric_crs(gpd.GeoDataFrame(geometry=[Point(lon, lat)], crs="EPSG:4326")) == epsg


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-300, 1300), st.floats(-300, 1300)), min_size=1, max_size=6),
    st.floats(50, 600),
    st.floats(1.05, 2.0),
)
def test_shares_are_bounded_and_grow_with_the_radius(points, radius, factor):
    project = make_project(
        qpv_layer([("Q1", 0, 0, 1000, 1000)]),
        ambassadors_layer([(f"A{i}", x, y, "actif") for i, (x, y) in enumerate(points)]),
    )
    small = compute_coverage(project, CoverageParams(radius_m=radius)).per_qpv.loc["Q1"]
    large = compute_coverage(project, CoverageParams(radius_m=radius * factor)).per_qpv.loc["Q1"]
    assert 0 <= small.covered_share <= large.covered_share + 1e-9 <= 1 + 1e-9
    assert small.covered_population == pytest.approx(1000 * small.covered_area_share)
    assert (small.status == "non couvert") == (small.covered_share < 0.005)
