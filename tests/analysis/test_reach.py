"""The reach seam: the straight-line circle gives today's matrices and zones, a second strategy registered
in a test flows through coverage and the recommendation, and the coverage parameters come from one place."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from shapely.geometry import Point

from ambmap.analysis import reach
from ambmap.analysis.coverage import CoverageParams, compute_coverage
from ambmap.analysis.reach import STRATEGIES, CircleReach, Reach, reach_for
from ambmap.analysis.recommend import recommend_for_project
from ambmap.cli import main
from ambmap.config import Settings
from ambmap.errors import AnalysisError
from ambmap.project import Project
from tests.analysis.builders import X0, Y0, ambassadors_layer, frame, make_project, qpv_layer


def old_coverage_matrix(demand_xy, cand_xy, radius):
    """mclp.coverage_matrix as it was before the seam: the reference the circle must match."""
    pairs = cKDTree(demand_xy).sparse_distance_matrix(cKDTree(cand_xy), radius, output_type="ndarray")
    return sp.csr_matrix(
        (np.ones(len(pairs), dtype=np.int64), (pairs["i"], pairs["j"])), shape=(len(demand_xy), len(cand_xy))
    )


def test_the_circle_reaches_points_within_each_sites_distance():
    demand = np.array([[0.0, 0.0], [100.0, 0.0], [300.0, 0.0]])
    circle = CircleReach()
    A = circle.reach_matrix(np.array([[0.0, 0.0]]), demand, 100.0)
    assert A.toarray().ravel().tolist() == [True, True, False]  # 100 m away: reached
    sites, radii = np.array([[300.0, 0.0], [0.0, 0.0]]), np.array([10.0, 150.0])
    assert circle.covered(sites, demand, radii).tolist() == [True, True, True]
    assert circle.reach_matrix(sites, demand, radii).toarray().tolist() == [[False, True], [False, True], [True, False]]
    assert circle.reach_matrix(np.zeros((0, 2)), demand, 100.0).shape == (3, 0)
    assert not circle.covered(np.zeros((0, 2)), demand, 100.0).any()


def test_the_circle_matrix_is_the_old_one_and_compact():
    rng = np.random.default_rng(3)
    demand, cand = rng.uniform(0, 3000, (2000, 2)), rng.uniform(0, 3000, (300, 2))
    A = CircleReach().reach_matrix(cand, demand, 300.0)
    assert (A != old_coverage_matrix(demand, cand, 300.0).astype(bool)).nnz == 0
    assert A.dtype == np.bool_ and A.indices.dtype == np.int32 and A.indptr.dtype == np.int32
    radii = rng.choice([200.0, 350.0, 500.0], len(cand))
    mixed = CircleReach().reach_matrix(cand, demand, radii)
    for r in np.unique(radii):  # each site keeps its own distance
        cols = np.flatnonzero(radii == r)
        assert (mixed[:, cols] != old_coverage_matrix(demand, cand[cols], r).astype(bool)).nnz == 0
    assert (CircleReach().covered(cand, demand, radii) == (np.diff(mixed.indptr) > 0)).all()


def test_the_circle_zones_are_the_64_sided_discs_coverage_drew(square_project):
    zones = CircleReach().zones(np.array([[X0, Y0], [X0 + 10, Y0]]), np.array([500.0, 80.0]))
    expected = shapely.buffer(shapely.points([[X0, Y0], [X0 + 10, Y0]]), [500.0, 80.0], quad_segs=16)
    assert zones.dtype == object and shapely.equals_exact(zones, expected, 0).all()
    result = compute_coverage(square_project)
    drawn = result.zones.to_crs("EPSG:2154").geometry.iloc[0]
    assert len(drawn.exterior.coords) == 65 and abs(drawn.area - np.pi * 500**2) / (np.pi * 500**2) < 0.002


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_circle_shortcuts_never_lie(seed):
    rng = np.random.default_rng(seed)
    sites, radii = rng.uniform(0, 2000, (6, 2)), rng.choice([150.0, 400.0], 6)
    corner = rng.uniform(-500, 2500, (200, 2))
    squares = shapely.box(corner[:, 0], corner[:, 1], corner[:, 0] + 200, corner[:, 1] + 200)
    zones = CircleReach().zones(sites, radii)
    inside, outside = CircleReach().shortcuts(squares, sites, radii)
    union = shapely.union_all(zones)
    assert shapely.covers(union, squares[inside]).all()
    assert not shapely.intersects(union, squares[outside]).any()
    base_inside, base_outside = Reach.shortcuts(CircleReach(), squares, sites, radii)  # the default: exact too
    assert not base_inside.any() and not shapely.intersects(union, squares[base_outside]).any()


class SquareReach(Reach):
    """A stub second strategy: a site reaches what lies in the square of half-side ``distance`` around it."""

    name = "carré"
    label = "dans un carré"

    def reach_matrix(self, sites_xy, demand_xy, distances):
        d = reach.per_site(distances, len(sites_xy))
        gap = np.abs(demand_xy[:, None, :] - sites_xy[None, :, :]).max(axis=2)
        rows, cols = np.nonzero(gap <= d[None, :])
        return reach.pairs_matrix(rows, cols, (len(demand_xy), len(sites_xy)))

    def zones(self, sites_xy, distances):
        d = reach.per_site(distances, len(sites_xy))
        x, y = sites_xy[:, 0], sites_xy[:, 1]
        return np.asarray(shapely.box(x - d, y - d, x + d, y + d), dtype=object)

    def extent(self, distances):
        return distances * np.sqrt(2)


@pytest.fixture
def square_reach(monkeypatch):
    monkeypatch.setitem(STRATEGIES, SquareReach.name, SquareReach)
    return CoverageParams(reach=SquareReach.name)


def test_a_new_strategy_flows_through_coverage(square_reach):
    # a 1 km QPV, four 500 m population squares of 250 people; the ambassador on the south-west corner
    grid = [(x, y, 500, 250) for x in (0, 500) for y in (0, 500)]
    project = make_project(
        qpv_layer([("Q1", 0, 0, 1000, None)]),
        ambassadors_layer([("A1", 0, 0, "actif")]),
        grid=grid,
        poles=[(1000, 1000)],
    )
    square = compute_coverage(project, square_reach)
    row = square.per_qpv.loc["Q1"]
    assert row.covered_area_share == pytest.approx(0.25) and row.covered_share == pytest.approx(0.25)
    assert row.covered_population == pytest.approx(250)
    circle = compute_coverage(project, square_reach.replace(reach="cercle")).per_qpv.loc["Q1"]
    assert circle.covered_share == pytest.approx(np.pi / 16, rel=0.003)
    zone = square.zones.to_crs("EPSG:2154").geometry.iloc[0]
    assert zone.symmetric_difference(shapely.box(X0 - 500, Y0 - 500, X0 + 500, Y0 + 500)).area < 1  # drawn as is
    assert square.pole_zones.to_crs("EPSG:2154").geometry.iloc[0].area == pytest.approx(1e6, rel=1e-6)


def test_a_new_strategy_flows_through_the_recommendation(square_reach):
    # a 400 m QPV of 1,600 people cut into sixteen 100 m cells; one candidate at its centre, 160 m:
    # the circle misses the four corner cells (212 m away), the square reaches every cell
    project = make_project(qpv_layer([("Q1", 0, 0, 400, 1600)]))
    centre = frame([{"label": "centre"}], [Point(X0 + 200, Y0 + 200)])
    square = recommend_for_project(project, k=1, params=square_reach.replace(radius_m=160), candidates=centre)
    circle = recommend_for_project(project, k=1, params=CoverageParams(radius_m=160), candidates=centre)
    assert square.covered_after == pytest.approx(1600) and circle.covered_after == pytest.approx(1200)
    assert list(square.sites["label"]) == ["centre"]


def test_an_unknown_strategy_is_refused_in_french():
    with pytest.raises(AnalysisError, match="« vélo ».*« cercle », « marche »"):
        reach_for(CoverageParams(reach="vélo"))


def test_parameters_come_from_the_project_then_the_user_settings():
    project = Project({"code": "59350"}, [])
    user = Settings(coverage_radius_m=700.0, pole_radius_m=900.0, include_in_training=True)
    assert CoverageParams.from_project(project) == CoverageParams()
    assert CoverageParams.from_project(project, user) == CoverageParams(700.0, 900.0, True, "cercle")
    project.options.update(coverage_radius_m=300, include_in_training=False, reach="cercle")
    assert CoverageParams.from_project(project, user) == CoverageParams(300.0, 900.0, False, "cercle")
    params = CoverageParams(250.0, 400.0, True)
    assert CoverageParams.from_options(params.to_options(), user) == params
    for key, bad in (
        ("coverage_radius_m", "loin"),
        ("pole_radius_m", -5),
        ("include_in_training", "peut-être"),
        ("reach", 3),
    ):
        with pytest.raises(AnalysisError, match=f"illisible : « {bad} » \\(option {key}\\)"):
            CoverageParams.from_options({key: bad})


def test_the_cli_reads_the_project_parameters_and_applies_its_overrides(tmp_path, capsys, square_project, monkeypatch):
    path = tmp_path / "p.gpkg"
    square_project.save(path)
    monkeypatch.setenv("AMBMAP_COVERAGE_RADIUS_M", "700")  # the user's default: for projects without any

    def summary(*extra):
        assert main(["coverage", "--json", "--project", str(path), *extra]) == 0
        return json.loads(capsys.readouterr().out)["summary"]

    assert summary()["radius_m"] == 700
    square_project.options.update(CoverageParams(radius_m=300).to_options())
    square_project.save(path)
    assert (summary()["radius_m"], summary()["ambassadors_counted"]) == (300, 1)
    overridden = summary("--radius", "400", "--en-formation")
    assert (overridden["radius_m"], overridden["ambassadors_counted"], overridden["include_in_training"]) == (
        400,
        2,
        True,
    )
    assert Project.load(path).options["coverage_radius_m"] == 300  # an override is not saved
