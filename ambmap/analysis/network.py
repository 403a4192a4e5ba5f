"""Walking along the streets: which demand points a site reaches on foot, and the street zone it covers.

The engine of the « à pied » reach strategy (issue 11), pure numpy/scipy/shapely, every coordinate in
metres in a metric CRS. :meth:`WalkingNetwork.from_lines` turns street lines into an undirected graph:
a node at each line end and at each vertex shared by two lines (or met twice by one), compared after
rounding to the centimetre, so lines that merely cross (a bridge over a street, a tunnel) stay apart,
as in OpenStreetMap where ways meet only at shared nodes. Pedestrians ignore ``oneway``.

Sites and demand points join the network at their nearest point on a street (not the nearest junction);
the straight access distance counts in the walk, and a point farther than ``max_access_m`` from every
street is reached by nothing and reaches nothing. A walk from site ``s`` to demand point ``p`` is::

    access(s) + along the streets from snap(s) to snap(p) + access(p) <= distance

To answer many sites at once, the sites' snapped points are inserted as nodes once (their edges split
there), and one ``scipy.sparse.csgraph.dijkstra`` call with ``limit`` runs from all of them (in chunks
bounded in memory). A demand point is reached through the two ends of the (split) edge it lies on, so
a site and a point on the same street are joined directly along it.

A zone (:meth:`WalkingNetwork.zones`) is the union of the reached street parts, edges cut where the
remaining distance runs out from either end, buffered by ``band_m`` on each side: never a convex hull.
The band (50 m) is narrower than the access cap (200 m): the zone draws the streets walked, while the
matrix also counts points set back from them (inside a large block), so a point may be reached yet lie
outside the drawn zone.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from ambmap.layers.streets import is_walkable  # the OSM rule, shared with the download and the import

if TYPE_CHECKING:  # scipy is imported where a network is built or walked, not when the window opens
    import scipy.sparse as sp

WALKING_SPEED_KMH = 4.5
MAX_ACCESS_M = 200.0  # farther than this from every street: not on the network
BAND_M = 50.0  # half-width of a zone around the reached streets
ZONE_SIMPLIFY_M = 1.0  # street parts simplified before buffering: 3x faster, area within 0.1 %
ZONE_QUAD_SEGS = 3  # round ends and joins of the band: 12-sided; cheaper, and the band is a convention anyway
WORKERS = os.cpu_count() or 1  # threads for the unions of the zones
CHUNK_CELLS = 8_000_000  # sources x nodes per dijkstra call: about 64 MB of float64


def minutes_to_metres(minutes: float | np.ndarray, speed_kmh: float = WALKING_SPEED_KMH) -> float | np.ndarray:
    """The distance walked in ``minutes`` at ``speed_kmh`` (4.5 km/h: 75 m a minute)."""
    metres = np.asarray(minutes, dtype=float) * (speed_kmh * 1000.0 / 60.0)
    return metres if metres.ndim else float(metres)


@dataclass(frozen=True)
class Snap:
    """Where points join the network: edge index, metres along it from its first node, access distance.

    ``edge`` is -1 and ``access`` inf for a point farther than the access cap from every street.
    """

    edge: np.ndarray
    offset: np.ndarray
    access: np.ndarray

    @property
    def on_network(self) -> np.ndarray:
        return self.edge >= 0


@dataclass(frozen=True)
class _Split:
    """The network with the sites' snapped points inserted as nodes.

    Every edge of the split network is a piece ``[start, end]`` (metres) of an original edge ``orig``,
    from node ``u`` to node ``v``. ``site_node`` is -1 for a site off the network.
    """

    graph: sp.csr_matrix
    orig: np.ndarray
    start: np.ndarray
    end: np.ndarray
    u: np.ndarray
    v: np.ndarray
    site_node: np.ndarray
    site_access: np.ndarray
    cut_key: np.ndarray  # sorted orig * stride + offset of each inserted node, to place demand points
    cut_node: np.ndarray
    stride: float


class WalkingNetwork:
    """The walkable streets as an undirected graph whose edges keep their geometry.

    ``xy`` holds the vertices of every edge one after another: edge ``k`` is ``xy[first[k]:last[k] + 1]``,
    from node ``u[k]`` to node ``v[k]``, ``length[k]`` metres long. ``chain`` is the position of each
    vertex along a single line threading all edges (edge ``k`` spans ``chain[first[k]]`` to
    ``chain[first[k]] + length[k]``), which lets one ``searchsorted`` cut many edges at once.
    """

    def __init__(
        self,
        xy: np.ndarray,
        first: np.ndarray,
        last: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        n_nodes: int,
        max_access_m: float = MAX_ACCESS_M,
    ):
        self.xy, self.first, self.last, self.u, self.v = xy, first, last, u, v
        self.n_nodes = n_nodes
        self.max_access_m = float(max_access_m)
        seg = np.hypot(*np.diff(xy, axis=0).T)
        inside = np.ones(len(seg), dtype=bool)
        inside[last[:-1]] = False  # the step from one edge's last vertex to the next edge's first
        step = np.where(inside, seg, 1.0)  # 1 m gap between edges keeps their spans apart
        self.chain = np.concatenate([[0.0], np.cumsum(step)])
        self.length = self.chain[last] - self.chain[first]
        self.lines = shapely.linestrings(xy, indices=np.repeat(np.arange(len(first)), last - first + 1))
        self.tree = shapely.STRtree(self.lines)
        self.graph = _graph(u, v, self.length, n_nodes)

    @classmethod
    def from_lines(
        cls,
        geoms: Sequence | np.ndarray,
        walkable: Sequence[bool] | np.ndarray | None = None,
        max_access_m: float = MAX_ACCESS_M,
    ) -> WalkingNetwork:
        """The network of the street lines ``geoms`` (LineStrings or MultiLineStrings, metric CRS).

        Lines are split at every vertex they share with another line, compared after rounding to the
        centimetre; lines that cross without a shared vertex do not meet.

        Parameters
        ----------
        geoms
            The street lines, in a metric CRS.
        walkable
            One bool per geometry: False drops a line a pedestrian may not use (see :func:`is_walkable`).
        max_access_m
            Farthest a point may be from the network to be snapped onto it.

        Returns
        -------
        WalkingNetwork
            The graph, ready for :meth:`reach_matrix` and :meth:`zones`.
        """
        geoms = np.asarray(geoms, dtype=object).reshape(-1)
        if walkable is not None:
            geoms = geoms[np.asarray(walkable, dtype=bool).reshape(-1)]
        parts = shapely.get_parts(geoms[~shapely.is_missing(geoms)]) if len(geoms) else np.empty(0, dtype=object)
        parts = parts[(shapely.get_type_id(parts) == 1) & (shapely.get_num_points(parts) >= 2)]
        xy, line = shapely.get_coordinates(parts, return_index=True)
        if len(xy) == 0:
            return cls(
                np.zeros((0, 2)),
                np.zeros(0, np.int64),
                np.zeros(0, np.int64),
                np.zeros(0, np.int32),
                np.zeros(0, np.int32),
                0,
                max_access_m,
            )
        cm = np.round(xy * 100.0).astype(np.int64)
        _, vertex_key, count = np.unique(cm, axis=0, return_inverse=True, return_counts=True)
        vertex_key = vertex_key.reshape(-1)
        line_start = np.r_[True, line[1:] != line[:-1]]
        line_end = np.r_[line[1:] != line[:-1], True]
        is_node = line_start | line_end | (count[vertex_key] > 1)
        node_of_key = np.full(len(count), -1, dtype=np.int64)
        node_keys = np.unique(vertex_key[is_node])
        node_of_key[node_keys] = np.arange(len(node_keys))
        at = np.flatnonzero(is_node)  # edges run between consecutive nodes of the same line
        same = line[at[:-1]] == line[at[1:]]
        first, last = at[:-1][same], at[1:][same]
        # each edge gets its own copy of its vertices (the shared end vertex is duplicated)
        counts = last - first + 1
        offsets = np.repeat(first - np.r_[0, np.cumsum(counts)[:-1]], counts)
        src = np.arange(counts.sum()) + offsets
        new_last = np.cumsum(counts) - 1
        new_first = new_last - counts + 1
        u = node_of_key[vertex_key[first]].astype(np.int32)
        v = node_of_key[vertex_key[last]].astype(np.int32)
        return cls(xy[src], new_first, new_last, u, v, len(node_keys), max_access_m)

    # -- joining points to the network ---------------------------------------------------------------

    def snap(self, points_xy: np.ndarray) -> Snap:
        """Each point's nearest point on a street, within ``max_access_m``."""
        pts_xy = np.asarray(points_xy, dtype=float).reshape(-1, 2)
        edge = np.full(len(pts_xy), -1, dtype=np.int64)
        offset = np.zeros(len(pts_xy))
        access = np.full(len(pts_xy), np.inf)
        if len(pts_xy) == 0 or len(self.first) == 0:
            return Snap(edge, offset, access)
        points = shapely.points(pts_xy)
        (i, k), dist = self.tree.query_nearest(
            points, max_distance=self.max_access_m, return_distance=True, all_matches=False
        )
        edge[i], access[i] = k, dist
        offset[i] = np.clip(shapely.line_locate_point(self.lines[k], points[i]), 0.0, self.length[k])
        return Snap(edge, offset, access)

    def _split(self, sites_xy: np.ndarray) -> _Split:
        """The network with a node inserted where each site joins it (a site on a node uses that node)."""
        snap = self.snap(sites_xy)
        on = np.flatnonzero(snap.on_network)
        e, t = snap.edge[on], np.round(snap.offset[on], 2)
        at_u, at_v = t <= 0.01, t >= self.length[e] - 0.01
        cut = ~(at_u | at_v)
        stride = float(self.length.max()) + 10.0 if len(self.length) else 1.0
        key = e[cut] * stride + t[cut]
        cut_key, inverse = np.unique(key, return_inverse=True)
        cut_node = self.n_nodes + np.arange(len(cut_key), dtype=np.int32)
        site_node = np.full(len(snap.edge), -1, dtype=np.int32)
        node = np.where(at_u, self.u[e], self.v[e])
        node[cut] = cut_node[inverse.reshape(-1)]
        site_node[on] = node
        cut_edge = np.round(cut_key // stride).astype(np.int64) if len(cut_key) else np.zeros(0, np.int64)
        cut_t = cut_key - cut_edge * stride
        # pieces: before each cut (from the previous cut on the same edge, or the edge's u), then the tail
        change = cut_edge[1:] != cut_edge[:-1]
        new_edge, tail = np.r_[True, change][: len(cut_edge)], np.r_[change, True][: len(cut_edge)]
        prev_node = np.where(new_edge, self.u[cut_edge], np.r_[0, cut_node[:-1]])
        prev_t = np.where(new_edge, 0.0, np.r_[0.0, cut_t[:-1]])
        whole = np.ones(len(self.first), dtype=bool)
        whole[cut_edge] = False
        keep = np.flatnonzero(whole)
        orig = np.r_[keep, cut_edge, cut_edge[tail]]
        start = np.r_[np.zeros(len(keep)), prev_t, cut_t[tail]]
        end = np.r_[self.length[keep], cut_t, self.length[cut_edge[tail]]]
        u = np.r_[self.u[keep], prev_node, cut_node[tail]].astype(np.int32)
        v = np.r_[self.v[keep], cut_node, self.v[cut_edge[tail]]].astype(np.int32)
        graph = _graph(u, v, end - start, self.n_nodes + len(cut_key))
        return _Split(graph, orig, start, end, u, v, site_node, snap.access, cut_key, cut_node, stride)

    def _attach(
        self, split: _Split, demand_xy: np.ndarray
    ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
        """For each demand point on the network, its two attachments (node, metres to it along the street,
        demand index), sorted by node; plus the demand's access distance."""
        snap = self.snap(demand_xy)
        on = np.flatnonzero(snap.on_network)
        e, t = snap.edge[on], snap.offset[on]
        base = e * split.stride
        lo = np.searchsorted(split.cut_key, base, side="left")
        hi = np.searchsorted(split.cut_key, base + split.stride - 5.0, side="left")  # cuts on edge e
        i = np.searchsorted(split.cut_key, base + t, side="right")  # first cut after t
        has_prev, has_next = i > lo, i < hi
        prev = np.clip(i - 1, 0, max(len(split.cut_key) - 1, 0))
        nxt = np.clip(i, 0, max(len(split.cut_key) - 1, 0))
        if len(split.cut_key):
            prev_t, next_t = split.cut_key[prev] - base, split.cut_key[nxt] - base
            prev_n, next_n = split.cut_node[prev], split.cut_node[nxt]
        else:
            prev_t = next_t = np.zeros(len(on))
            prev_n = next_n = np.zeros(len(on), dtype=np.int32)
        a_node = np.where(has_prev, prev_n, self.u[e])
        a_off = t - np.where(has_prev, prev_t, 0.0)
        b_node = np.where(has_next, next_n, self.v[e])
        b_off = np.where(has_next, next_t, self.length[e]) - t
        node = np.r_[a_node, b_node]
        order = np.argsort(node, kind="stable")
        return (node[order], np.maximum(np.r_[a_off, b_off], 0.0)[order], np.r_[on, on][order]), snap.access

    # -- the two questions of the reach seam ----------------------------------------------------------

    def reach_matrix(self, sites_xy: np.ndarray, demand_xy: np.ndarray, distances: float | np.ndarray) -> sp.csr_matrix:
        """Boolean sparse matrix, one ROW PER DEMAND POINT and one COLUMN PER SITE (like the reach seam and
        the ``A`` of :mod:`ambmap.analysis.mclp`): True when the walk from the site to the point, access
        distances included, is at most the site's distance (metres; one number or one per site)."""
        sites_xy = np.asarray(sites_xy, dtype=float).reshape(-1, 2)
        demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
        n, m = len(demand_xy), len(sites_xy)
        rows, cols = [np.zeros(0, np.int32)], [np.zeros(0, np.int32)]
        if n and m and len(self.first):
            split = self._split(sites_xy)
            (att_node, att_off, att_dem), dem_access = self._attach(split, demand_xy)
            ptr = np.searchsorted(att_node, np.arange(split.graph.shape[0] + 1))
            budget = np.broadcast_to(np.asarray(distances, dtype=float), (m,)) - split.site_access
            for sites, dist in self._runs(split, budget):
                r, node = np.nonzero(np.isfinite(dist))
                d = dist[r, node]
                # every attachment of every reached node: a ragged repeat
                count = ptr[node + 1] - ptr[node]
                pos = np.repeat(ptr[node] - np.r_[0, np.cumsum(count)[:-1]], count) + np.arange(count.sum())
                r = np.repeat(r, count)
                dem = att_dem[pos]
                ok = np.repeat(d, count) + att_off[pos] + dem_access[dem] <= budget[sites[r]] + 1e-9
                rows.append(dem[ok].astype(np.int32))
                cols.append(sites[r[ok]].astype(np.int32))
        import scipy.sparse as sp

        at_row, at_col = np.concatenate(rows), np.concatenate(cols)
        matrix = sp.csr_matrix((np.ones(len(at_row), dtype=bool), (at_row, at_col)), shape=(n, m))
        matrix.sum_duplicates()  # a point reached through both ends of its edge
        return matrix

    def zones(self, sites_xy: np.ndarray, distances: float | np.ndarray, band_m: float = BAND_M) -> np.ndarray:
        """The zone each site covers: the street parts it reaches within its distance, buffered by ``band_m``
        metres on each side (round ends), unioned; an empty polygon for a site off the network or whose
        access alone exceeds its distance. An array of shapely geometries, one per site.

        The parts are simplified to 1 m before buffering (three times faster, area within 0.1 % on Lille).
        """
        sites_xy = np.asarray(sites_xy, dtype=float).reshape(-1, 2)
        out = np.empty(len(sites_xy), dtype=object)
        out[:] = [shapely.Polygon()] * len(sites_xy)
        site, pieces = self._pieces(sites_xy, distances)
        bands = shapely.buffer(
            shapely.simplify(pieces, ZONE_SIMPLIFY_M, preserve_topology=False), band_m, quad_segs=ZONE_QUAD_SEGS
        )
        cuts = np.flatnonzero(np.r_[True, site[1:] != site[:-1], True]) if len(site) else np.zeros(1, np.int64)
        with ThreadPoolExecutor(WORKERS) as pool:  # GEOS releases the GIL; the unions are most of the time
            unions = list(pool.map(lambda ij: shapely.union_all(bands[ij[0] : ij[1]]), itertools.pairwise(cuts)))
        out[site[cuts[:-1]]] = unions
        return out

    def reached_lines(self, sites_xy: np.ndarray, distances: float | np.ndarray) -> np.ndarray:
        """For each site, the street parts it reaches as one MultiLineString (empty when none)."""
        sites_xy = np.asarray(sites_xy, dtype=float).reshape(-1, 2)
        out = np.empty(len(sites_xy), dtype=object)
        out[:] = [shapely.MultiLineString()] * len(sites_xy)
        site, pieces = self._pieces(sites_xy, distances)
        have = np.unique(site)
        if len(have):
            out[have] = shapely.multilinestrings(pieces, indices=np.searchsorted(have, site))
        return out

    def _pieces(self, sites_xy: np.ndarray, distances: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(site index, LineString) of every street part reached, sorted by site: whole edges, and edges cut
        where the distance left runs out, from either end."""
        m = len(sites_xy)
        if not m or not len(self.first):
            return np.zeros(0, np.int64), np.empty(0, dtype=object)
        split = self._split(sites_xy)
        budget = np.broadcast_to(np.asarray(distances, dtype=float), (m,)) - split.site_access
        piece_site, piece_orig, piece_a, piece_b = [], [], [], []
        # the split edges incident to each node, to look only at edges touching a reached node
        incident = np.r_[np.arange(len(split.u)), np.arange(len(split.u))]
        ends = np.r_[split.u, split.v]
        order = np.argsort(ends, kind="stable")
        incident, ends = incident[order], ends[order]
        ptr = np.searchsorted(ends, np.arange(split.graph.shape[0] + 1))
        for sites, dist in self._runs(split, budget):
            r, node = np.nonzero(np.isfinite(dist))
            count = ptr[node + 1] - ptr[node]
            pos = np.repeat(ptr[node] - np.r_[0, np.cumsum(count)[:-1]], count) + np.arange(count.sum())
            r, k = np.repeat(r, count), incident[pos]
            pair = np.unique(r.astype(np.int64) * len(split.u) + k)  # (row, split edge) touched, once
            r, k = pair // len(split.u), pair % len(split.u)
            left = budget[sites[r]] - dist[r, split.u[k]]  # metres still to walk from each end (-inf: unreached)
            right = budget[sites[r]] - dist[r, split.v[k]]
            left = np.where(np.isfinite(left), np.maximum(left, 0.0), 0.0)
            right = np.where(np.isfinite(right), np.maximum(right, 0.0), 0.0)
            span = split.end[k] - split.start[k]
            full = left + right >= span
            from_u = ~full & (left > 0)
            from_v = ~full & (right > 0)
            piece_site += [sites[r[full]], sites[r[from_u]], sites[r[from_v]]]
            piece_orig += [split.orig[k[full]], split.orig[k[from_u]], split.orig[k[from_v]]]
            piece_a += [split.start[k[full]], split.start[k[from_u]], split.end[k[from_v]] - right[from_v]]
            piece_b += [split.end[k[full]], split.start[k[from_u]] + left[from_u], split.end[k[from_v]]]
        if not piece_site:
            return np.zeros(0, np.int64), np.empty(0, dtype=object)
        site, orig = np.concatenate(piece_site), np.concatenate(piece_orig)
        a, b = np.concatenate(piece_a), np.concatenate(piece_b)
        good = b - a > 1e-6
        order = np.argsort(site[good], kind="stable")
        site, orig, a, b = site[good][order], orig[good][order], a[good][order], b[good][order]
        return site, self._substrings(orig, a, b)

    def _runs(self, split: _Split, budget: np.ndarray):
        """Dijkstra from the sites' nodes, in chunks of sites of similar budget: (site indices, distances
        to every node, inf beyond the chunk's largest budget)."""
        from scipy.sparse.csgraph import dijkstra

        ok = np.flatnonzero((split.site_node >= 0) & (budget >= 0))
        ok = ok[np.argsort(budget[ok], kind="stable")]
        size = max(1, CHUNK_CELLS // max(split.graph.shape[0], 1))
        for i in range(0, len(ok), size):
            sites = ok[i : i + size]
            dist = dijkstra(split.graph, directed=False, indices=split.site_node[sites], limit=budget[sites].max())
            yield sites, np.atleast_2d(dist)

    def _substrings(self, edge: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """LineStrings of edge ``edge[i]`` from ``a[i]`` to ``b[i]`` metres along it, all at once."""
        base = self.chain[self.first[edge]]
        start_pt = self._point_at(edge, base + a)
        end_pt = self._point_at(edge, base + b)
        lo = np.searchsorted(self.chain, base + a, side="right")  # interior vertices: strictly inside (a, b)
        hi = np.searchsorted(self.chain, base + b, side="left")
        inner = np.maximum(hi - lo, 0)
        count = inner + 2
        total = count.sum()
        owner = np.repeat(np.arange(len(edge)), count)
        rank = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        coords = np.empty((total, 2))
        is_start, is_end = rank == 0, rank == count[owner] - 1
        coords[is_start] = start_pt
        coords[is_end] = end_pt
        mid = ~(is_start | is_end)
        coords[mid] = self.xy[lo[owner[mid]] + rank[mid] - 1]
        return shapely.linestrings(coords, indices=owner)

    def _point_at(self, edge: np.ndarray, chain: np.ndarray) -> np.ndarray:
        """The point at position ``chain`` (on the threading line) of each edge."""
        i = np.clip(np.searchsorted(self.chain, chain, side="right") - 1, self.first[edge], self.last[edge] - 1)
        seg = self.chain[i + 1] - self.chain[i]
        f = np.divide(chain - self.chain[i], seg, out=np.zeros(len(i)), where=seg > 0)
        return self.xy[i] + (self.xy[i + 1] - self.xy[i]) * np.clip(f, 0.0, 1.0)[:, None]


def _graph(u: np.ndarray, v: np.ndarray, length: np.ndarray, n_nodes: int) -> sp.csr_matrix:
    """Symmetric sparse graph, the shortest of parallel edges kept, no self-loops; lengths of at least 1 mm
    (a zero weight in a sparse matrix is ambiguous: stored edge or no edge)."""
    import scipy.sparse as sp

    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keep = lo != hi
    lo, hi, w = lo[keep], hi[keep], np.maximum(length[keep], 1e-3)
    order = np.lexsort((w, hi, lo))
    lo, hi, w = lo[order], hi[order], w[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    lo, hi, w = lo[first], hi[first], w[first]
    return sp.csr_matrix((np.r_[w, w], (np.r_[lo, hi], np.r_[hi, lo])), shape=(n_nodes, n_nodes))


__all__ = ["BAND_M", "MAX_ACCESS_M", "WALKING_SPEED_KMH", "Snap", "WalkingNetwork", "is_walkable", "minutes_to_metres"]
