"""Which demand points a site reaches, and what zone it covers: one interface, one class per way of reaching.

Coverage (:mod:`ambmap.analysis.coverage`) and the recommendation (:mod:`ambmap.analysis.recommend`) never
build a zone themselves: they ask the strategy named by the coverage parameters (``params.reach``), found
in :data:`STRATEGIES` by :func:`reach_for`. Everything is in metres, in the metric CRS of the analysis;
a site comes with its own distance (an ambassador's own radius) or one for all. A walking time is turned
into metres by the parameters (walking speed) before it reaches a strategy.

Two strategies: the straight line, :class:`CircleReach` (« à vol d'oiseau »), and the walk along the
project's walkable streets, :class:`WalkReach` (« à pied », engine in :mod:`ambmap.analysis.network`). A
strategy reads what it needs (the streets) in :meth:`Reach.build` and answers :meth:`Reach.reach_matrix` and
:meth:`Reach.zones`; what it found worth telling the user (streets without footpaths) is in ``warnings``.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import geopandas as gpd
import numpy as np
import shapely

from ambmap.analysis.network import BAND_M, WalkingNetwork
from ambmap.errors import AnalysisError

if TYPE_CHECKING:
    import scipy.sparse as sp

    from ambmap.analysis.coverage import CoverageParams

QUAD_SEGS = 16  # a 64-sided circle: area within 0.2 % of the true disc


class Reach(ABC):
    """A way of reaching people from a site, in a metric CRS.

    Subclasses set ``name`` (the key in :data:`STRATEGIES`, saved in the project) and ``label`` (French,
    for the panel and the method notes), and implement :meth:`reach_matrix` and :meth:`zones`. The other
    methods have correct defaults built on those two; a strategy overrides them only to be faster.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    #: French notes for the user about this build (e.g. streets without footpaths)
    warnings: tuple[str, ...] = ()

    @classmethod
    def build(cls, params: CoverageParams, crs: str, layers: Mapping[str, gpd.GeoDataFrame]) -> Reach:
        """The strategy ready for coordinates in ``crs``; ``layers`` (kind -> rows) holds the data it may
        need, such as the streets. The circle needs nothing."""
        return cls()

    @abstractmethod
    def reach_matrix(self, sites_xy: np.ndarray, demand_xy: np.ndarray, distances: float | np.ndarray) -> sp.csr_matrix:
        """Boolean sparse matrix, one row per demand point and one column per site (the ``A`` of
        :mod:`ambmap.analysis.mclp`): True when the site reaches the point within its distance (metres)."""

    @abstractmethod
    def zones(self, sites_xy: np.ndarray, distances: float | np.ndarray) -> np.ndarray:
        """The zone each site covers within its distance: an array of shapely geometries, one per site."""

    def extent(self, distances: np.ndarray) -> np.ndarray:
        """How far from its site a zone may reach, in a straight line; used to skip far shapes at once."""
        return distances

    def covered(self, sites_xy: np.ndarray, demand_xy: np.ndarray, distances: float | np.ndarray) -> np.ndarray:
        """Boolean mask of the demand points reached by at least one site."""
        return np.diff(self.reach_matrix(sites_xy, demand_xy, distances).indptr) > 0

    def shortcuts(
        self, geoms: np.ndarray, sites_xy: np.ndarray, distances: float | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(inside, outside): ``geoms`` surely inside one site's zone, and surely out of every zone.

        Coverage cuts only the other shapes by the zones. By default nothing is surely inside, and a shape
        farther than the largest :meth:`extent` from every site is outside.
        """
        d = per_site(distances, len(sites_xy))
        inside = np.zeros(len(geoms), dtype=bool)
        if len(sites_xy) == 0:
            return inside, ~inside
        _, dist, half = _nearest_site(geoms, sites_xy)
        return inside, dist > self.extent(d).max() + half


class CircleReach(Reach):
    """The straight line: a site reaches every point within its distance; its zone is a 64-sided disc."""

    name = "cercle"
    label = "à vol d'oiseau"

    def reach_matrix(self, sites_xy, demand_xy, distances) -> sp.csr_matrix:
        n, m = len(demand_xy), len(sites_xy)
        d = per_site(distances, m)
        rows, cols = [np.zeros(0, dtype=np.int32)], [np.zeros(0, dtype=np.int32)]
        if n and m:
            from scipy.spatial import cKDTree  # scipy when a reach is computed, not when the window opens

            tree = cKDTree(demand_xy)
            for r in np.unique(d):  # distances take few values: one pass each
                idx = np.flatnonzero(d == r)
                pairs = tree.sparse_distance_matrix(cKDTree(sites_xy[idx]), r, output_type="ndarray")
                rows.append(pairs["i"].astype(np.int32))
                cols.append(idx[pairs["j"]].astype(np.int32))
        return pairs_matrix(np.concatenate(rows), np.concatenate(cols), (n, m))

    def zones(self, sites_xy, distances) -> np.ndarray:
        d = per_site(distances, len(sites_xy))
        out = np.empty(len(sites_xy), dtype=object)
        out[:] = shapely.buffer(
            shapely.points(np.asarray(sites_xy, dtype=float).reshape(-1, 2)), d, quad_segs=QUAD_SEGS
        )
        return out

    def covered(self, sites_xy, demand_xy, distances) -> np.ndarray:
        covered = np.zeros(len(demand_xy), dtype=bool)
        d = per_site(distances, len(sites_xy))
        if len(demand_xy) == 0 or len(sites_xy) == 0:
            return covered
        from scipy.spatial import cKDTree

        tree = cKDTree(demand_xy)
        for r in np.unique(d):
            hits = tree.query_ball_point(sites_xy[d == r], r, return_sorted=False)
            if len(hits):
                covered[np.concatenate([np.asarray(h, dtype=np.intp) for h in hits])] = True
        return covered

    def shortcuts(self, geoms, sites_xy, distances) -> tuple[np.ndarray, np.ndarray]:
        """Exact for the 64-sided zones, with no geometry: a shape whose vertices all lie within the
        inscribed circle of the zone of the site nearest its centre is inside that zone; one whose
        bounding circle is farther than the largest distance from every site touches none."""
        d = per_site(distances, len(sites_xy))
        if len(sites_xy) == 0:
            return np.zeros(len(geoms), dtype=bool), np.ones(len(geoms), dtype=bool)
        near, dist, half = _nearest_site(geoms, sites_xy)
        xy, owner = shapely.get_coordinates(geoms, return_index=True)
        far = np.zeros(len(geoms))
        np.maximum.at(far, owner, np.hypot(*(xy - sites_xy[near[owner]]).T))
        inside = far <= d[near] * np.cos(np.pi / (4 * QUAD_SEGS))
        return inside, dist > d.max() + half


NO_STREETS = (
    "Le projet n'a pas de rues : téléchargez-les (ambmap fetch streets) ou importez-les pour calculer "
    "les zones à pied, ou choisissez « à vol d'oiseau »."
)
NO_FOOTPATHS = "les rues n'incluent pas les chemins piétons : les zones à pied sont sous-estimées"
FOOTPATH_CLASS = "piétonne/chemin"
_NETWORKS: OrderedDict[tuple[str, str], WalkingNetwork] = OrderedDict()  # (crs, streets digest) -> network
_CACHED = 4


class WalkReach(Reach):
    """On foot along the project's walkable streets (:mod:`ambmap.analysis.network`): a site reaches a
    point when the walk, access to and from the nearest street included, is within its distance; its zone
    is the street parts reached, buffered by a 50 m band.

    A population square counts as covered when its centre is reached (:meth:`shortcuts`): the band is a
    drawing convention, while the reach of a point is what the walk answers.
    """

    name = "marche"
    label = "à pied"

    def __init__(self, network: WalkingNetwork, warnings: tuple[str, ...] = ()):
        self.network = network
        self.warnings = warnings

    @classmethod
    def build(cls, params, crs, layers) -> WalkReach:
        """The network of the walkable streets in ``crs``, built once per CRS and streets content."""
        streets = layers.get("streets")
        walkable = np.zeros(0, bool) if streets is None else streets["walkable"].to_numpy(dtype=bool)
        if not walkable.any():
            raise AnalysisError(NO_STREETS)
        walk = streets[walkable]
        warnings = () if (streets["street_class"] == FOOTPATH_CLASS).any() else (NO_FOOTPATHS,)
        raw = np.asarray(walk.geometry.array, dtype=object)  # digested as stored: reprojected only when new
        digest = hashlib.sha1(b"".join(shapely.to_wkb(raw, output_dimension=2))).hexdigest()
        key = (f"{walk.crs} -> {crs}", digest)
        network = _NETWORKS.get(key)
        if network is None:
            network = WalkingNetwork.from_lines(np.asarray(walk.to_crs(crs).geometry.array, dtype=object))
            _NETWORKS[key] = network
            while len(_NETWORKS) > _CACHED:
                _NETWORKS.popitem(last=False)
        _NETWORKS.move_to_end(key)
        return cls(network, warnings)

    def reach_matrix(self, sites_xy, demand_xy, distances) -> sp.csr_matrix:
        return self.network.reach_matrix(sites_xy, demand_xy, distances)

    def zones(self, sites_xy, distances) -> np.ndarray:
        return self.network.zones(sites_xy, distances)

    def extent(self, distances: np.ndarray) -> np.ndarray:
        return np.asarray(distances, dtype=float) + BAND_M

    def shortcuts(self, geoms, sites_xy, distances) -> tuple[np.ndarray, np.ndarray]:
        """A shape is inside when its centre is reached on foot, else outside: nothing is left to cut."""
        centres = shapely.get_coordinates(shapely.centroid(geoms)).reshape(-1, 2)
        inside = self.covered(sites_xy, centres, distances)
        return inside, ~inside


#: name saved in the project -> strategy class
STRATEGIES: dict[str, type[Reach]] = {CircleReach.name: CircleReach, WalkReach.name: WalkReach}


def reach_for(params: CoverageParams, crs: str = "", layers: Mapping[str, gpd.GeoDataFrame] | None = None) -> Reach:
    """The strategy named by ``params.reach``, built for ``crs`` and the project's ``layers``.

    Parameters
    ----------
    params
        Coverage parameters; ``params.reach`` names the strategy (:data:`STRATEGIES`).
    crs
        The metric CRS the sites and demand points are in.
    layers
        The project's layers as GeoDataFrames (the walking strategy reads ``streets``).

    Returns
    -------
    Reach
        Answers which points a site reaches (``reach_matrix``) and what zone it covers (``zones``).
    """
    strategy = STRATEGIES.get(params.reach)
    if strategy is None:
        known = ", ".join(f"« {name} »" for name in STRATEGIES)
        raise AnalysisError(
            f"Façon de calculer la zone d'un·e ambassadeur·rice inconnue : « {params.reach} » "
            f"(possibles : {known}). Choisissez-en une dans le panneau Couverture."
        )
    return strategy.build(params, crs, layers or {})


def per_site(distances: float | np.ndarray, m: int) -> np.ndarray:
    """One distance per site (a single number applies to all)."""
    return np.broadcast_to(np.asarray(distances, dtype=float), (m,))


def pairs_matrix(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """The boolean (demand, site) matrix of the given pairs; scipy keeps int32 indices while they fit."""
    import scipy.sparse as sp

    return sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=shape)


def _nearest_site(geoms: np.ndarray, sites_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each shape: the site nearest its bounding-box centre, the distance to it, and the half-diagonal."""
    from scipy.spatial import cKDTree

    bounds = shapely.bounds(geoms)
    dist, near = cKDTree(sites_xy).query((bounds[:, :2] + bounds[:, 2:]) / 2)
    return near, dist, np.hypot(*(bounds[:, 2:] - bounds[:, :2]).T) / 2


__all__ = ["STRATEGIES", "CircleReach", "Reach", "WalkReach", "reach_for"]
