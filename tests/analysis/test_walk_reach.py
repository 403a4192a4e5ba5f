"""The « à pied » reach strategy through coverage and the recommendation, checked by hand on a river with
one bridge (Lambert-93 metres near Lille), then on the real streets of Lille under the bundled demo project
when ../shared/reference-data is there (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

from ambmap.analysis.coverage import CoverageParams, compute_coverage
from ambmap.analysis.reach import NO_FOOTPATHS, WalkReach, reach_for
from ambmap.analysis.recommend import recommend_for_project, recommend_points
from ambmap.errors import AnalysisError
from ambmap.layers import QPV, Layer
from ambmap.layers.streets import STREETS
from tests.analysis.builders import (
    L93,
    X0,
    Y0,
    ambassadors_layer,
    frame,
    make_project,
    qpv_layer,
)

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / ".." / "shared" / "reference-data" / "lille"
DEMO = ROOT / "geodata" / "lille_demo.gpkg"
WALK = CoverageParams(reach="marche")


def streets_layer(
    lines: list[list[tuple[float, float]]], street_class: str = "desserte", walkable: list[bool] | None = None
) -> Layer:
    """Streets of the schema from offsets in metres (the layer kind need not be registered)."""
    rows = [
        {
            "street_id": f"S{i}",
            "name": f"Rue {i}",
            "street_class": street_class,
            "walkable": True if walkable is None else walkable[i],
        }
        for i in range(len(lines))
    ]
    return Layer(STREETS, frame(rows, [LineString([(X0 + x, Y0 + y) for x, y in xy]) for xy in lines]))


#: two banks 200 m apart, one bridge at x = 350
RIVER = [[(-100, 0), (350, 0), (1000, 0)], [(-100, 200), (350, 200), (1000, 200)], [(350, 0), (350, 200)]]


def river_project(street_class: str = "desserte"):
    """A QPV straddling the river; an ambassador at (0, 0) on the south bank; three 100 m squares: A under
    her (100 people), B 100 m east on her bank (100), C across the water at (0, 200) (200): 200 m in a
    straight line, 350 + 200 + 350 = 900 m on foot."""
    qpv = Layer(
        QPV,
        frame(
            [{"code_qp": "Q1", "nom_qp": "Les Berges", "insee_com": "59350", "lib_com": "Lille", "population": None}],
            [shapely.box(X0 - 50, Y0 - 50, X0 + 150, Y0 + 250)],
        ),
    )
    project = make_project(
        qpv,
        ambassadors_layer([("A1", 0, 0, "actif")]),
        grid=[(-50, -50, 100, 100), (50, -50, 100, 100), (-50, 150, 100, 200)],
    )
    project.set_layer(streets_layer(RIVER, street_class))
    return project


def test_a_square_across_the_water_is_not_covered_on_foot():
    project = river_project()
    walk = compute_coverage(project, WALK)
    circle = compute_coverage(project, CoverageParams())
    # on foot at 500 m: A and B (200 of 400 people); in a straight line every square is within 255 m
    assert walk.per_qpv.loc["Q1", "covered_share"] == pytest.approx(0.5)
    assert circle.per_qpv.loc["Q1", "covered_share"] == pytest.approx(1.0)
    assert walk.per_qpv.loc["Q1", "covered_population"] == pytest.approx(200)
    # both figures side by side, whichever strategy is chosen
    for result in (walk, circle):
        assert result.per_qpv.loc["Q1", "covered_share_walk"] == pytest.approx(0.5)
        assert result.per_qpv.loc["Q1", "covered_share_circle"] == pytest.approx(1.0)
    # by area: the walking zone (street parts + 50 m band) is a part of the disc
    assert 0 < walk.per_qpv.loc["Q1", "covered_area_share"] < circle.per_qpv.loc["Q1", "covered_area_share"]
    assert not walk.covered_area.to_crs(L93).geometry[0].contains(Point(X0, Y0 + 200))
    assert len(walk.gaps) == 1 and walk.gaps.to_crs(L93).geometry[0].contains(Point(X0, Y0 + 200))
    assert walk.summary["method"] == "à pied le long des rues, 500 m"
    assert walk.to_dict()["warnings"] == [NO_FOOTPATHS]


def test_minutes_become_metres_at_the_walking_speed():
    project = river_project()
    assert CoverageParams(reach="marche", walk_minutes=12).distance_m == pytest.approx(900)  # 75 m a minute
    assert CoverageParams(reach="marche", walk_minutes=12, walk_speed_kmh=3).distance_m == pytest.approx(600)
    assert CoverageParams(walk_minutes=12).distance_m == 500  # minutes are for walking only
    one = compute_coverage(project, WALK.replace(walk_minutes=1))  # 75 m: A only
    thirteen = compute_coverage(project, WALK.replace(walk_minutes=13))  # 975 m: over the bridge to C
    assert one.per_qpv.loc["Q1", "covered_share"] == pytest.approx(0.25)
    assert thirteen.per_qpv.loc["Q1", "covered_share"] == pytest.approx(1.0)
    assert thirteen.summary["radius_m"] == pytest.approx(975)
    assert WALK.replace(walk_minutes=10).describe() == "à pied le long des rues, 10 min à 4,5 km/h (750 m)"
    assert CoverageParams().describe() == "à vol d'oiseau, 500 m"


def test_walking_settings_are_project_options():
    params = CoverageParams(reach="marche", walk_minutes=8, walk_speed_kmh=4)
    assert CoverageParams.from_options(params.to_options()) == params
    assert CoverageParams.from_options({"reach": "marche"}).walk_minutes is None
    with pytest.raises(AnalysisError, match="temps de marche"):
        CoverageParams.from_options({"walk_minutes": -3})


def test_walking_without_streets_is_refused_in_french():
    project = make_project(qpv_layer([("Q1", 0, 0, 500, 100)]), ambassadors_layer([("A1", 0, 0, "actif")]))
    with pytest.raises(AnalysisError, match="n'a pas de rues : téléchargez-les"):
        compute_coverage(project, WALK)
    with pytest.raises(AnalysisError, match="n'a pas de rues"):
        recommend_for_project(project, k=1, params=WALK)
    # without streets, coverage by circles shows no walking figure
    assert "covered_share_walk" not in compute_coverage(project).per_qpv
    # streets that cannot be walked (motorways) are no streets to walk
    project.set_layer(streets_layer(RIVER, walkable=[False, False, False]))
    with pytest.raises(AnalysisError, match="n'a pas de rues"):
        compute_coverage(project, WALK)


def test_footpaths_silence_the_warning_and_the_network_is_built_once():
    project = river_project("piétonne/chemin")
    assert compute_coverage(project, WALK).warnings == []
    layers = {"streets": project.layers["streets"].data}
    first, again = reach_for(WALK, L93, layers), reach_for(WALK, L93, layers)
    assert isinstance(first, WalkReach) and first.network is again.network
    # a changed street is another network
    project.set_layer(streets_layer(RIVER[:2], "piétonne/chemin"))
    assert reach_for(WALK, L93, {"streets": project.layers["streets"].data}).network is not first.network


def right_bank_project():
    """A 100 m QPV of 1,000 people on the north bank (x = -50..50); candidates: « rive gauche » at (0, 0),
    200 m away across the water (900 m on foot), and « rive droite » at (400, 200) on the north bank,
    at most 450 m along it."""
    project = make_project(qpv_layer([("Q1", -50, 150, 100, 1000)]))
    project.set_layer(streets_layer(RIVER))
    candidates = frame([{"label": "rive gauche"}, {"label": "rive droite"}], [Point(X0, Y0), Point(X0 + 400, Y0 + 200)])
    return project, candidates


def test_the_recommendation_walks_to_the_right_bank():
    project, candidates = right_bank_project()
    walk = recommend_for_project(project, k=1, params=WALK, candidates=candidates)
    assert list(walk.sites["label"]) == ["rive droite"]
    assert walk.covered_after == pytest.approx(1000) and walk.optimal
    assert "Zones : à pied le long des rues, 500 m." in walk.messages
    assert f"Attention : {NO_FOOTPATHS}." in walk.messages
    left = recommend_for_project(project, k=1, params=WALK, candidates=candidates.iloc[[0]])
    assert len(left.sites) == 0 and left.covered_after == 0  # nobody across the water on foot
    circle = recommend_for_project(project, k=1, params=CoverageParams(), candidates=candidates.iloc[[0]])
    assert circle.covered_after == pytest.approx(1000)  # the straight line crosses the water
    # the target mode: every QPV at 90 % takes the one right-bank site
    target = recommend_for_project(project, target=0.9, params=WALK, candidates=candidates)
    assert list(target.sites["label"]) == ["rive droite"] and target.optimal


def test_raw_points_walk_along_the_given_streets():
    _, candidates = right_bank_project()
    demand = frame([{"poids": 10}, {"poids": 5}], [Point(X0, Y0 + 200), Point(X0 + 100, Y0 + 200)])
    streets = streets_layer(RIVER).data
    walk = recommend_points(demand, "poids", candidates, 500, 1, reach="marche", streets=streets)
    assert list(walk.sites["label"]) == ["rive droite"] and walk.covered_after == pytest.approx(15)
    # the existing ambassador on the north bank already reaches both points: nothing left to gain
    existing = frame([{}], [Point(X0 + 50, Y0 + 210)])
    assert recommend_points(
        demand, "poids", candidates, 500, 1, reach="marche", streets=streets, existing=existing
    ).covered_after == pytest.approx(15)
    with pytest.raises(AnalysisError, match="n'a pas de rues"):
        recommend_points(demand, "poids", candidates, 500, 1, reach="marche")


@pytest.mark.skipif(
    not REFERENCE.is_dir() or not DEMO.exists(), reason="../shared/reference-data absent (real Lille streets)"
)
def test_real_lille_streets_under_the_demo_project():
    from ambmap.project import read_project_file

    project = read_project_file(DEMO)
    roads = gpd.read_file(REFERENCE / "osm_roads_lille.geojson")
    walkable = (roads["roadClass"] != "highway").to_numpy()  # motorways
    data = gpd.GeoDataFrame(
        {
            "street_id": [f"S{i}" for i in range(len(roads))],
            "name": roads["name"],
            "street_class": np.where(roads["roadClass"] == "minor", "desserte", "principale"),
            "walkable": walkable,
        },
        geometry=roads.geometry,
        crs=roads.crs,
    )
    project.set_layer(Layer(STREETS, data))
    walk = compute_coverage(project, WALK)
    circle = compute_coverage(project, CoverageParams())
    assert walk.warnings == [NO_FOOTPATHS]  # car streets only
    shares = walk.per_qpv[["covered_share_walk", "covered_share_circle"]]
    assert (walk.per_qpv["covered_share"] == shares["covered_share_walk"]).all()
    assert np.allclose(shares["covered_share_circle"], circle.per_qpv["covered_share"])
    # a square counts on foot when its centre is reached, in a straight line by its part inside the disc:
    # a square whose centre is just reached may count a little more on foot; never more than that
    assert (shares["covered_share_walk"] <= shares["covered_share_circle"] + 0.03).all()
    assert walk.summary["covered_share"] < circle.summary["covered_share"]
    walk_area = shapely.area(walk.zones.to_crs(L93).geometry.to_numpy())
    disc_area = shapely.area(circle.zones.to_crs(L93).geometry.to_numpy())
    ratio = walk_area / disc_area
    # street parts within 500 m buffered by 50 m: a part of the disc, larger where streets are dense
    assert 0.15 < np.median(ratio) < 0.8 and ratio.max() < 1.0


def test_every_export_names_the_method_and_public_tables_guard_both_shares():
    from ambmap.export.common import metadata
    from ambmap.export.privacy import public_table

    project = river_project()
    project.options.update(CoverageParams(reach="marche", walk_minutes=10).to_options())
    assert (
        metadata(project, "interne")["ambmap_methode"]
        == "Zones des ambassadeurs·rices : à pied le long des rues, 10 min à 4,5 km/h (750 m)"
    )
    table = public_table(compute_coverage(project).per_qpv)  # one ambassador reaches Q1: secret statistique
    assert table[["covered_share_circle", "covered_share_walk"]].isna().all().all()


@pytest.fixture
def streets_kind():
    """The streets kind in the registry (another branch registers it with its drawing): a project's public
    copy, like its file, holds only registered kinds."""
    from ambmap.layers import KINDS, LayerKind, register, unregister

    mine = "streets" not in KINDS
    if mine:
        register(LayerKind(STREETS, "Rue", "Rues", "outline", "territory", tabled=False))
    yield
    if mine:
        unregister("streets")


def test_a_public_export_walks_on_its_public_copy(streets_kind):
    from ambmap.export.common import prepare

    project = river_project()
    project.options.update(WALK.to_options())
    public = prepare(project, "public")
    assert public.coverage.summary["method"] == "à pied le long des rues, 500 m"
    assert "covered_share_walk" in public.coverage.per_qpv
