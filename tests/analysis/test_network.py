"""Walking reach along the streets, checked by hand on small built networks (Lambert-93 metres near Lille),
then on the real streets of Lille when ../shared/reference-data is there."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point

from ambmap.analysis.network import MAX_ACCESS_M, WalkingNetwork, is_walkable, minutes_to_metres
from tests.analysis.builders import X0, Y0

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference-data" / "lille"
DEMO = Path(__file__).resolve().parents[2] / "geodata" / "lille_demo.gpkg"


def line(*xy: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in xy])


def at(*xy: tuple[float, float]) -> np.ndarray:
    return np.array([(X0 + x, Y0 + y) for x, y in xy], dtype=float)


def reached(
    net: WalkingNetwork, site: tuple[float, float], demand: list[tuple[float, float]], distance: float
) -> list[bool]:
    return net.reach_matrix(at(site), at(*demand), distance).toarray()[:, 0].tolist()


def reached_length(net: WalkingNetwork, site: tuple[float, float], distance: float) -> float:
    return float(shapely.length(net.reached_lines(at(site), distance)[0]))


@pytest.fixture
def river() -> WalkingNetwork:
    """Two banks 200 m apart joined by one bridge at x = 350; a viaduct at x = 50 passes over both banks
    without a shared vertex (it must not join them)."""
    return WalkingNetwork.from_lines(
        [
            line((0, 0), (350, 0), (1000, 0)),  # south bank, the bridge's foot is a shared vertex
            line((0, 200), (350, 200), (1000, 200)),  # north bank
            line((350, 0), (350, 200)),  # the bridge
            line((50, -100), (50, 300)),  # the viaduct: crosses both banks, shares no vertex
        ]
    )


def test_river_with_one_bridge(river):
    # the square across the water: 200 m away, 350 + 200 + 350 = 900 m on foot
    assert reached(river, (0, 0), [(0, 200)], 500) == [False]
    assert reached(river, (0, 0), [(0, 200)], 899) == [False]
    assert reached(river, (0, 0), [(0, 200)], 900) == [True]
    assert reached(river, (0, 0), [(0, 200)], 1000) == [True]
    zone = river.zones(at((0, 0)), 500)[0]
    assert not zone.contains(Point(X0, Y0 + 200))
    # at 500 m: 500 m along the bank and the first 150 m of the bridge; the viaduct is not reached
    assert reached_length(river, (0, 0), 500) == pytest.approx(500 + 150)


def test_lines_crossing_without_shared_vertex_do_not_meet(river):
    # the viaduct's own foot at (50, -100) is 100 m from the bank by air, but it never joins the bank
    assert reached(river, (0, 0), [(50, -100)], 5000) == [False]
    assert river.n_nodes == 4 + 2 + 2  # bank ends, the bridge's two feet, the viaduct's ends


def test_edge_cut_midway_ends_at_the_right_metre():
    net = WalkingNetwork.from_lines([line((0, 0), (1000, 0))])
    # site 30 m off the street at x = 200: 330 m leaves 300 m of walking, from x = 0 (street end) to x = 500
    lines = net.reached_lines(at((200, 30)), 330)[0]
    assert shapely.length(lines) == pytest.approx(200 + 300)
    minx, _, maxx, _ = shapely.bounds(lines)
    assert (minx - X0, maxx - X0) == pytest.approx((0, 500))
    zone = net.zones(at((200, 30)), 330, band_m=10)[0]
    assert shapely.bounds(zone)[2] - X0 == pytest.approx(510)
    # a 500 m by 20 m band with two half-round (12-sided polygon) caps: 3 r² in all
    assert zone.area == pytest.approx(500 * 20 + 3 * 10**2, rel=1e-6)
    assert reached(net, (200, 30), [(499, 0), (501, 0)], 330) == [True, False]


def test_cut_through_the_bends_of_an_edge():
    net = WalkingNetwork.from_lines([line((0, 0), (100, 0), (100, 400), (300, 400))])
    lines = net.reached_lines(at((0, 0)), 250)[0]
    assert shapely.length(lines) == pytest.approx(250)
    assert shapely.equals(shapely.line_merge(lines), line((0, 0), (100, 0), (100, 150)))
    # from the far end, backwards through both bends
    lines = net.reached_lines(at((300, 400)), 650)[0]
    assert shapely.equals(shapely.line_merge(lines), line((300, 400), (100, 400), (100, 0), (50, 0)))


def test_disconnected_island_never_reached():
    net = WalkingNetwork.from_lines(
        [
            line((0, 0), (1000, 0)),
            line((300, 100), (600, 100), (600, 300), (300, 300), (300, 100)),  # a closed island 100 m away
        ]
    )
    assert reached(net, (300, 0), [(300, 100), (450, 300)], 10_000) == [False, False]
    assert reached(net, (450, 300), [(450, 100), (300, 0)], 10_000) == [True, False]  # around its ring
    assert reached_length(net, (450, 300), 10_000) == pytest.approx(1000)  # the whole ring, nothing more
    zone = net.zones(at((300, 0)), 10_000, band_m=20)[0]
    assert not zone.intersects(line((300, 150), (600, 150)))


def test_access_distance_cap():
    net = WalkingNetwork.from_lines([line((0, 0), (1000, 0))])
    # 150 m and 250 m from the street: only the first joins it (default cap 200 m)
    assert MAX_ACCESS_M == 200
    assert reached(net, (500, 0), [(500, 150), (600, 250)], 10_000) == [True, False]
    assert reached(net, (500, 0), [(500, 150)], 149) == [False]
    # a site beyond the cap reaches nothing and has an empty zone
    assert reached(net, (500, 250), [(500, 0)], 10_000) == [False]
    assert net.zones(at((500, 250)), 10_000)[0].is_empty
    far = WalkingNetwork.from_lines([line((0, 0), (1000, 0))], max_access_m=300)
    assert reached(far, (500, 0), [(600, 250)], 10_000) == [True]
    # access alone exceeds the distance: nothing, not even the site's own street
    assert net.reached_lines(at((500, 150)), 100)[0].is_empty


def test_one_way_streets_are_walked_both_ways():
    tags = [{"highway": "residential", "oneway": "yes"}, {"highway": "footway"}, {"highway": "motorway"}]
    walkable = [is_walkable(t) for t in tags]
    assert walkable == [True, True, False]
    # every line is drawn from x = 0 towards x = 1000 (the one-way direction); walking back works
    net = WalkingNetwork.from_lines(
        [line((0, 0), (500, 0)), line((500, 0), (1000, 0)), line((0, 50), (1000, 50))], walkable=walkable
    )
    assert reached(net, (1000, 0), [(0, 0)], 1000) == [True]
    assert reached(net, (0, 0), [(1000, 0)], 1000) == [True]
    assert net.n_nodes == 3  # the motorway is gone


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "footway"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "pedestrian"}, True),
        ({"highway": "primary", "oneway": "yes"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link"}, False),
        ({"highway": "trunk"}, False),
        ({"highway": "trunk_link"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "proposed"}, False),
        ({"highway": "service", "foot": "no"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "track", "access": "no"}, False),
        ({"highway": "track", "access": "no", "foot": "designated"}, True),
        ({"highway": "footway", "foot": "private"}, False),
        ({"highway": "residential", "access": "destination"}, True),
        ({"railway": "rail"}, False),
        ({}, False),
    ],
)
def test_is_walkable(tags, walkable):
    assert is_walkable(tags) is walkable


def test_site_exactly_on_a_junction():
    net = WalkingNetwork.from_lines([line((-500, 0), (0, 0), (500, 0)), line((0, -500), (0, 0), (0, 500))])
    assert net.n_nodes == 5
    assert reached_length(net, (0, 0), 100) == pytest.approx(400)  # 100 m along each of the four arms
    assert reached(net, (0, 0), [(100, 0), (0, -100), (-101, 0)], 100) == [True, True, False]
    zone = net.zones(at((0, 0)), 100, band_m=10)[0]
    # two 200 m x 20 m bands crossing on a 20 m square, four half 12-sided caps of 3 r² / 2 each
    assert zone.area == pytest.approx(2 * 200 * 20 - 20 * 20 + 4 * 3 * 10**2 / 2, rel=1e-6)


def test_demand_and_site_on_the_same_edge():
    net = WalkingNetwork.from_lines([line((0, 0), (1000, 0))])
    # straight along the street, not through its ends: 0 + 100 + 10 and 0 + 50 + 10
    assert reached(net, (300, 0), [(400, 10), (250, 10)], 110) == [True, True]
    assert reached(net, (300, 0), [(400, 10), (250, 10)], 109) == [False, True]
    assert reached(net, (300, 0), [(400, 10), (250, 10)], 59) == [False, False]


def test_several_sites_on_one_edge_with_their_own_distances():
    net = WalkingNetwork.from_lines([line((0, 0), (1000, 0))])
    sites, demand = at((300, 0), (600, 0), (600, 0)), at((100, 0), (450, 0), (700, 0), (1000, 0))
    matrix = net.reach_matrix(sites, demand, np.array([200.0, 150.0, 400.0]))
    assert isinstance(matrix, sp.csr_matrix) and matrix.dtype == bool and matrix.shape == (4, 3)
    assert matrix.toarray().tolist() == [
        [True, False, False],  # rows: demand points; columns: sites
        [True, True, True],
        [False, True, True],
        [False, False, True],
    ]


def test_shared_vertices_split_lines_and_centimetre_rounding():
    # a street ending on an interior vertex of another (a T), the two ends 3 mm apart
    net = WalkingNetwork.from_lines([line((0, 0), (500, 0), (1000, 0)), line((500.003, 0.002), (500, 400))])
    assert net.n_nodes == 4 and len(net.length) == 3
    assert reached(net, (0, 0), [(500, 400)], 900) == [True]
    # a street crossing another between vertices: no junction
    net = WalkingNetwork.from_lines([line((0, 0), (1000, 0)), line((500, -400), (500, 400))])
    assert reached(net, (0, 0), [(500, 400)], 10_000) == [False]


def test_parallel_ways_and_loops():
    # two ways between the same junctions (the shorter wins), and a lasso returning to its start
    net = WalkingNetwork.from_lines(
        [line((0, 0), (100, 0)), line((0, 0), (50, 80), (100, 0)), line((100, 0), (200, 0), (200, 100), (100, 0))]
    )
    assert reached(net, (0, 0), [(100, 0)], 100) == [True]
    assert reached(net, (0, 0), [(200, 100)], 300) == [True]  # 100 + ~141 via the lasso's closing side
    assert reached_length(net, (0, 0), 10_000) == pytest.approx(
        100 + 2 * math.hypot(50, 80) + 200 + math.hypot(100, 100)
    )


def test_empty_inputs():
    net = WalkingNetwork.from_lines([])
    assert net.reach_matrix(at((0, 0)), at((1, 1)), 500).shape == (1, 1)
    assert net.zones(at((0, 0)), 500)[0].is_empty
    net = WalkingNetwork.from_lines([line((0, 0), (10, 0)), None, Point(0, 0)])
    assert net.reach_matrix(np.zeros((0, 2)), at((1, 1)), 500).shape == (1, 0)
    assert net.reach_matrix(at((0, 0)), np.zeros((0, 2)), 500).shape == (0, 1)
    assert len(net.zones(np.zeros((0, 2)), 500)) == 0


def test_minutes_to_metres():
    assert minutes_to_metres(10) == pytest.approx(750)  # 4.5 km/h
    assert minutes_to_metres(15, speed_kmh=4.0) == pytest.approx(1000)
    assert minutes_to_metres(np.array([1.0, 2.0])).tolist() == pytest.approx([75, 150])


def farthest(geoms: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """For each geometry, the straight distance from its site to its farthest vertex (0 when empty)."""
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    out = np.zeros(len(geoms))
    np.maximum.at(out, owner, np.hypot(*(xy - sites[owner]).T))
    return out


def grid_network(rng: np.random.Generator, n: int = 12, step: float = 100.0) -> tuple[WalkingNetwork, list]:
    """A jittered street grid with some blocks missing (barriers)."""
    xy = np.stack(np.meshgrid(np.arange(n), np.arange(n)), axis=-1) * step + rng.normal(0, 15, (n, n, 2))
    lines = []
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n and rng.random() > 0.25:
                    mid = (xy[i, j] + xy[i + di, j + dj]) / 2 + rng.normal(0, 10, 2)
                    lines.append(LineString([xy[i, j] + (X0, Y0), mid + (X0, Y0), xy[i + di, j + dj] + (X0, Y0)]))
    return WalkingNetwork.from_lines(lines), lines


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_walk_within_circle_and_zones_hold_the_reached_points(seed):
    rng = np.random.default_rng(seed)
    net, _ = grid_network(rng)
    sites = rng.uniform(0, 1100, (15, 2)) + (X0, Y0)
    demand = rng.uniform(-100, 1200, (400, 2)) + (X0, Y0)
    distances = rng.uniform(100, 600, 15)
    walk = net.reach_matrix(sites, demand, distances)
    straight = np.hypot(*(demand[:, None, :] - sites[None, :, :]).T).T <= distances
    assert not (walk.toarray() & ~straight).any()  # never farther than the circle
    assert walk.nnz > 0
    lines = net.reached_lines(sites, distances)
    snap = net.snap(demand)
    dem, site = walk.nonzero()
    on_street = shapely.line_interpolate_point(net.lines[snap.edge[dem]], snap.offset[dem])
    assert (shapely.distance(on_street, lines[site]) < 1e-6).all()  # each reached point lies on its site's streets
    assert (farthest(lines, sites) <= distances + 1e-6).all()


def walk_by_pairs(net: WalkingNetwork, sites: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Reference walking distances (demand x sites), the textbook way, one pair at a time: from both ends of
    the site's street to both ends of the point's street on the plain network, or straight along a shared
    street; plus both access distances."""
    from scipy.sparse.csgraph import dijkstra

    s, p = net.snap(sites), net.snap(demand)
    out = np.full((len(demand), len(sites)), np.inf)
    for j in np.flatnonzero(s.on_network):
        e = s.edge[j]
        from_ends = dijkstra(net.graph, directed=False, indices=[net.u[e], net.v[e]])
        to_u = np.minimum(s.offset[j] + from_ends[0], net.length[e] - s.offset[j] + from_ends[1])
        for i in np.flatnonzero(p.on_network):
            f = p.edge[i]
            walk = min(to_u[net.u[f]] + p.offset[i], to_u[net.v[f]] + net.length[f] - p.offset[i])
            if f == e:
                walk = min(walk, abs(p.offset[i] - s.offset[j]))
            out[i, j] = s.access[j] + walk + p.access[i]
    return out


@pytest.mark.parametrize("seed", [3, 4])
def test_reach_matrix_agrees_with_pair_by_pair_walks(seed):
    rng = np.random.default_rng(seed)
    net, _ = grid_network(rng, n=8)
    demand = rng.uniform(-50, 750, (150, 2)) + (X0, Y0)
    # sites anywhere, plus sites on the streets of some demand points (several per street)
    snap = net.snap(demand[:20])
    on_street = shapely.get_coordinates(
        shapely.line_interpolate_point(net.lines[snap.edge], snap.offset + rng.uniform(-30, 30, 20))
    )
    sites = np.r_[rng.uniform(0, 700, (10, 2)) + (X0, Y0), on_street, on_street[:3]]
    distances = rng.uniform(50, 500, len(sites))
    expected = walk_by_pairs(net, sites, demand)
    walk = net.reach_matrix(sites, demand, distances).toarray()
    clear = np.abs(expected - distances) > 0.05  # away from the edge of reach (offsets are rounded to the cm)
    assert (walk == (expected <= distances))[clear].all()
    assert walk.sum() > 100


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared/reference-data absent (real Lille streets)")
def test_real_lille_streets_under_the_demo_qpv():
    roads = gpd.read_file(REFERENCE / "osm_roads_lille.geojson").to_crs("EPSG:2154")
    net = WalkingNetwork.from_lines(roads.geometry.to_numpy(), walkable=(roads["roadClass"] != "highway").to_numpy())
    assert 10_000 < net.n_nodes < 15_000
    qpv = gpd.read_file(DEMO, layer="qpv").to_crs("EPSG:2154")
    ambassadors = gpd.read_file(DEMO, layer="ambassadors").to_crs("EPSG:2154")
    sites = shapely.get_coordinates(ambassadors.geometry.to_numpy())
    minx, miny, maxx, maxy = qpv.total_bounds
    gx, gy = np.meshgrid(np.arange(minx, maxx, 100.0) + 50, np.arange(miny, maxy, 100.0) + 50)
    points = shapely.points(gx.ravel(), gy.ravel())
    demand = shapely.get_coordinates(points[shapely.intersects(qpv.union_all(), points)])
    walk = net.reach_matrix(sites, demand, 1000.0)
    circle = cKDTree(demand).sparse_distance_matrix(cKDTree(sites), 1000.0, output_type="coo_matrix").tocsr() > 0
    assert (walk > circle).nnz == 0  # walking reach within circle reach, every site and point
    assert 0.4 < walk.nnz / circle.nnz < 0.9
    zones = net.zones(sites, 1000.0)
    discs = shapely.buffer(shapely.points(sites), 1000.0, quad_segs=16)
    inside = shapely.area(shapely.intersection(zones, discs)) / shapely.area(discs)
    assert (farthest(zones, sites) <= 1000.0 + 50.0 + 1e-6).all()
    # the issue measured 31-73 % of the street points inside the circle reached on foot; a 50 m band
    # around them covers a similar share of the disc
    assert 0.3 < np.median(inside) < 0.73
    assert inside.max() < 0.8
