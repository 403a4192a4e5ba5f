"""Walking catchments on the real streets of Lille and of the MEL (issue 11): ambmap.analysis.network against
networkx per site (osmnx-style: ego graph within the distance, its edges buffered and unioned, points in it).

Targets: building the walking network of Lille's ~10,000 streets <= 2 s; the reach of 65 ambassadors on the
Lille demo QPV 100 m grid <= 1 s; MEL scale (~23,000 streets) build + 65 sites <= 15 s. Also measured: the
zones (street parts buffered by 50 m), and a recommendation-sized matrix (a 100 m grid of candidates x a 50 m
grid of points over the whole commune: 4,700 x 19,000). The streets come from ../shared/reference-data (read
in place, never copied); without them the benchmark says so and stops. File reading is timed apart and left out of the figures.

Through the reach seam (``WalkReach``, issue 11 point 3): the walking coverage of the demo project (65
ambassadors, Lille's streets) <= 1 s; « où recruter ? » on foot on the Lille QPV 100 m grid, k = 5, <= 5 s with
a proof of optimality; the MEL (26 QPV of 2015, the 200 m population grid, ~23,000 streets) network, coverage
and k = 5 recommendation <= 15 s. The baseline does the same matrix with networkx, one ego graph per site
(candidates extrapolated from 50), with the same solver.

Usage: .venv/bin/python benchmarks/bench_walk.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from scipy.spatial import cKDTree

from ambmap.analysis import reach as reach_module
from ambmap.analysis.coverage import CoverageParams, compute_coverage, qpv_in_metric_crs
from ambmap.analysis.network import BAND_M, WalkingNetwork
from ambmap.analysis.recommend import demand_points, grid_candidates, recommend_for_project
from ambmap.layers import POPULATION_GRID, QPV, Layer
from ambmap.layers.streets import STREETS
from ambmap.project import read_project_file

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / ".." / "shared" / "reference-data" / "lille"
DEMO = ROOT / "geodata" / "lille_demo.gpkg"
L93 = "EPSG:2154"


def streets(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The street lines in Lambert-93 and their walkable flag (roadClass « highway » = motorways)."""
    path = REFERENCE / name
    roads = gpd.read_file(f"/vsigzip/{path}" if name.endswith(".gz") else path).to_crs(L93)
    return roads.geometry.to_numpy(), (roads["roadClass"] != "highway").to_numpy()


def demo_sites_and_grid(step: float = 100.0, layer: str = "qpv") -> tuple[np.ndarray, np.ndarray]:
    """The 65 demo ambassadors and a ``step`` grid of points inside the demo ``layer`` (QPV or territory)."""
    area = gpd.read_file(DEMO, layer=layer).to_crs(L93)
    sites = shapely.get_coordinates(gpd.read_file(DEMO, layer="ambassadors").to_crs(L93).geometry.to_numpy())
    minx, miny, maxx, maxy = area.total_bounds
    gx, gy = np.meshgrid(np.arange(minx, maxx, step) + step / 2, np.arange(miny, maxy, step) + step / 2)
    points = shapely.points(gx.ravel(), gy.ravel())
    return sites, shapely.get_coordinates(points[shapely.intersects(area.union_all(), points)])


def best(fn, runs: int = 3):
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


# -- the baseline: networkx, one ego graph per site ------------------------------------------------------


def nx_build(geoms: np.ndarray, walkable: np.ndarray) -> nx.Graph:
    """An osmnx-like graph: nodes at line ends and shared vertices (cm keys), edges with length and geometry."""
    lines = [np.asarray(part.coords)[:, :2] for g in geoms[walkable] for part in getattr(g, "geoms", [g])]
    keys = [[(round(x, 2), round(y, 2)) for x, y in c] for c in lines]
    count: dict[tuple[float, float], int] = {}
    for k in keys:
        for p in k:
            count[p] = count.get(p, 0) + 1
    graph = nx.Graph()
    for c, k in zip(lines, keys, strict=True):
        start = 0
        for i in range(1, len(k)):
            if i == len(k) - 1 or count[k[i]] > 1:
                seg = c[start : i + 1]
                length = float(np.hypot(*np.diff(seg, axis=0).T).sum())
                if not graph.has_edge(k[start], k[i]) or graph.edges[k[start], k[i]]["length"] > length:
                    graph.add_edge(k[start], k[i], length=length, geometry=seg)
                start = i
    return graph


def nx_reach(graph: nx.Graph, sites: np.ndarray, demand: np.ndarray, distance: float) -> tuple[list, np.ndarray]:
    """Per site: nearest node, ego graph within ``distance``, its edges buffered by the band, points inside."""
    nodes = list(graph.nodes)
    tree = cKDTree(np.array(nodes))
    zones, covered = [], np.zeros((len(demand), len(sites)), dtype=bool)
    for j, site in enumerate(sites):
        _, n = tree.query(site)
        ego = nx.ego_graph(graph, nodes[n], radius=distance, distance="length")
        lines = [shapely.LineString(d["geometry"]) for _, _, d in ego.edges(data=True)]
        zone = shapely.union_all(shapely.buffer(lines, BAND_M, quad_segs=3)) if lines else shapely.Polygon()
        zones.append(zone)
        covered[:, j] = shapely.contains_xy(zone, demand[:, 0], demand[:, 1])
    return zones, covered


WALK = CoverageParams(reach="marche")


def streets_layer(name: str) -> Layer:
    """The reference streets as a streets layer (roadClass « highway » = motorways, not walkable)."""
    path = REFERENCE / name
    roads = gpd.read_file(f"/vsigzip/{path}" if name.endswith(".gz") else path)
    data = gpd.GeoDataFrame(
        {
            "street_id": [f"S{i}" for i in range(len(roads))],
            "name": roads["name"],
            "street_class": np.where(roads["roadClass"] == "minor", "desserte", "principale"),
            "walkable": (roads["roadClass"] != "highway").to_numpy(),
        },
        geometry=roads.geometry,
        crs=roads.crs,
    )
    return Layer(STREETS, data)


def mel_project(ambassadors: Layer):
    """The 26 QPV of the MEL (2015 perimeters), the MEL 200 m population grid, the demo ambassadors."""
    from ambmap.project import Project

    q = gpd.read_file(REFERENCE / "qpv_mel_2015_perimeters.geojson")
    qpv = gpd.GeoDataFrame(
        {
            "code_qp": q["code_qp_2015"],
            "nom_qp": q["nom_qp_2015"],
            "insee_com": "59",
            "lib_com": q["communes_qp_2015"],
            "population": None,
        },
        geometry=q.geometry,
        crs=q.crs,
    )
    g = gpd.read_file(REFERENCE / "filosofi2017_200m_mel.geojson")
    grid = gpd.GeoDataFrame({"idcar": g["id"], "population": g["num_people"]}, geometry=g.geometry, crs=g.crs)
    return Project(
        {"code": "200093201", "kind": "epci", "name": "MEL"},
        [Layer(QPV, qpv), Layer(POPULATION_GRID, grid), ambassadors],
    )


def nx_matrix_s(graph: nx.Graph, sites: np.ndarray, demand: np.ndarray, distance: float, sample: int = 50) -> float:
    """Seconds networkx would take for every site (measured on ``sample`` of them)."""
    step = max(1, len(sites) // sample)
    t = time.perf_counter()
    nx_reach(graph, sites[::step][:sample], demand, distance)
    return (time.perf_counter() - t) / min(sample, len(sites[::step])) * len(sites)


def seam(project, graph: nx.Graph, label: str, target_cov: float, target_rec: float) -> None:
    """Coverage and k = 5 recommendation on foot through the seam, against networkx per site."""
    reach_module._NETWORKS.clear()
    t = time.perf_counter()
    compute_coverage(project, WALK)
    cold_s = time.perf_counter() - t
    cov_s, result = best(lambda: compute_coverage(project, WALK))
    circle_s, _ = best(lambda: compute_coverage(project, CoverageParams()))
    qpv, crs, qgeom = qpv_in_metric_crs(project, "")
    amb = shapely.get_coordinates(project.layers["ambassadors"].data.to_crs(crs).geometry.to_numpy())
    grid = project.layers["population"].data.to_crs(crs).geometry
    squares = shapely.get_coordinates(shapely.centroid(grid.to_numpy()))
    nx_cov_s = nx_matrix_s(graph, amb, squares, WALK.distance_m, sample=len(amb))
    per = result.per_qpv
    print(
        f"  {label} couverture à pied (65 sites, {len(squares)} carreaux) : {cov_s:.2f} s = "
        f"{cov_s / target_cov:.2f} x la cible de {target_cov:g} s (réseau en cache ; {cold_s:.2f} s avec sa "
        f"construction) ; à vol d'oiseau avec la part à pied à côté {circle_s:.2f} s ; networkx par site "
        f"{nx_cov_s:.2f} s ; ratio ambmap / networkx = {cov_s / nx_cov_s:.3f}"
    )
    print(
        f"    part couverte à pied / à vol d'oiseau : {result.summary['covered_share']:.1%} / "
        f"{(per['covered_share_circle'] * per['population']).sum() / per['population'].sum():.1%} ; "
        f"QPV où la marche dépasse le cercle : {(per['covered_share_walk'] > per['covered_share_circle']).sum()}"
    )
    rec_s, rec = best(lambda: recommend_for_project(project, k=5, params=WALK), runs=1)
    demand, _ = demand_points(project, qgeom, crs)
    cand, _ = grid_candidates(qpv, qgeom)
    strategy = reach_module.reach_for(WALK, crs, {"streets": project.layers["streets"].data})
    matrix_s, _ = best(lambda: strategy.reach_matrix(cand, demand.xy, WALK.distance_m))
    nx_rec_s = nx_matrix_s(graph, cand, demand.xy, WALK.distance_m)
    solve_s = max(rec_s - matrix_s, 0.0)  # the rest of the recommendation, the same for both
    print(
        f"  {label} où recruter à pied, k = 5 ({len(cand)} candidats x {len(demand.xy)} carreaux de 100 m) : "
        f"{rec_s:.2f} s = {rec_s / target_rec:.2f} x la cible de {target_rec:g} s, optimal prouvé : {rec.optimal} ; "
        f"dont matrice {matrix_s:.2f} s ; networkx par candidat (estimé sur 50) {nx_rec_s:.1f} s + le reste ; ratio ambmap / "
        f"networkx = {rec_s / (nx_rec_s + solve_s):.4f}"
    )


def main() -> None:
    if not REFERENCE.is_dir():
        print(f"données de référence absentes ({REFERENCE}) : benchmark de la marche non lancé")
        sys.exit(0)
    t = time.perf_counter()
    geoms, walkable = streets("osm_roads_lille.geojson")
    sites, grid = demo_sites_and_grid()
    print(
        f"Lille : {len(geoms)} rues dont {walkable.sum()} praticables à pied, {len(sites)} sites, "
        f"{len(grid)} points (grille de 100 m des QPV de démo) ; lecture {time.perf_counter() - t:.2f} s"
    )

    build_s, net = best(lambda: WalkingNetwork.from_lines(geoms, walkable))
    nx_build_s, graph = best(lambda: nx_build(geoms, walkable), runs=1)
    print(f"  réseau : {net.n_nodes} nœuds, {len(net.length)} tronçons ; networkx {graph.number_of_nodes()} nœuds")
    print(
        f"  construction : ambmap {build_s:.3f} s = {build_s / 2.0:.2f} x la cible de 2 s ; "
        f"networkx {nx_build_s:.3f} s ; ratio ambmap / networkx = {build_s / nx_build_s:.3f}"
    )
    for distance in (500.0, 1000.0):
        reach_s, matrix = best(lambda d=distance: net.reach_matrix(sites, grid, d))
        zones_s, _ = best(lambda d=distance: net.zones(sites, d), runs=1)
        nx_s, (_, nx_covered) = best(lambda d=distance: nx_reach(graph, sites, grid, d), runs=1)
        print(
            f"  {distance:.0f} m, 65 sites : matrice ambmap {reach_s:.3f} s = {reach_s / 1.0:.2f} x la cible de 1 s"
            f" ({matrix.nnz} couples) ; zones ambmap {zones_s:.2f} s ; ambmap matrice + zones "
            f"{reach_s + zones_s:.2f} s ; networkx par site (ego graph + tampon + points) {nx_s:.2f} s "
            f"({nx_covered.sum()} couples) ; ratio ambmap / networkx = {(reach_s + zones_s) / nx_s:.3f}"
        )

    # recommendation size: thousands of candidates (a 100 m grid of the commune) x a 50 m grid of the commune
    _, dense = demo_sites_and_grid(50.0, "territory")
    _, candidates = demo_sites_and_grid(100.0, "territory")
    rec_s, matrix = best(lambda: net.reach_matrix(candidates, dense, 500.0), runs=1)
    nx_one_s, _ = best(lambda: nx_reach(graph, candidates[:50], dense, 500.0), runs=1)
    nx_rec_s = nx_one_s / 50 * len(candidates)
    print(
        f"  recommandation, 500 m : {len(candidates)} candidats x {len(dense)} points (grilles de 100 m et 50 m "
        f"de la commune) : matrice ambmap {rec_s:.2f} s ({matrix.nnz} couples) ; networkx estimé "
        f"{nx_rec_s:.0f} s (50 candidats mesurés) ; ratio ambmap / networkx = {rec_s / nx_rec_s:.4f}"
    )

    # through the seam: the demo project with Lille's streets
    demo = read_project_file(DEMO)
    demo.set_layer(streets_layer("osm_roads_lille.geojson"))
    seam(demo, graph, "Lille", 1.0, 5.0)

    t = time.perf_counter()
    geoms, walkable = streets("osm_roads_mel.geojson.gz")
    print(f"MEL : {len(geoms)} rues dont {walkable.sum()} praticables ; lecture {time.perf_counter() - t:.2f} s")

    def ours_mel():
        mel = WalkingNetwork.from_lines(geoms, walkable)
        return mel, mel.reach_matrix(sites, grid, 1000.0), mel.zones(sites, 1000.0)

    def nx_mel():
        g = nx_build(geoms, walkable)
        return g, nx_reach(g, sites, grid, 1000.0)

    mel_s, (mel, _, _) = best(ours_mel, runs=1)
    nx_mel_s, _ = best(nx_mel, runs=1)
    print(
        f"  construction + 65 sites à 1000 m (matrice et zones) : ambmap {mel_s:.2f} s = {mel_s / 15:.2f} x la "
        f"cible de 15 s ({mel.n_nodes} nœuds) ; networkx {nx_mel_s:.2f} s ; ratio = {mel_s / nx_mel_s:.3f}"
    )

    project = mel_project(demo.layers["ambassadors"])
    project.set_layer(streets_layer("osm_roads_mel.geojson.gz"))
    mel_graph = nx_build(geoms, walkable)

    def whole():
        reach_module._NETWORKS.clear()
        compute_coverage(project, WALK)
        return recommend_for_project(project, k=5, params=WALK)

    whole_s, rec = best(whole, runs=1)
    print(
        f"  MEL par le projet (26 QPV, réseau + couverture à pied + où recruter k = 5) : {whole_s:.2f} s = "
        f"{whole_s / 15:.2f} x la cible de 15 s, optimal prouvé : {rec.optimal}"
    )
    seam(project, mel_graph, "MEL", 15.0, 15.0)


if __name__ == "__main__":
    main()
