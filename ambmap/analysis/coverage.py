"""Which parts of each QPV lie within reach of an ambassador, weighted by the people who live there.

All geometry is computed in a metric CRS (Lambert-93 for metropolitan France, the local UTM overseas),
with vectorised shapely 2 operations, STRtree pair queries and the costly intersections spread over the cores,
so a national territory (1,600 QPVs, 10,000 ambassadors) takes about a second, under two with a 200 m grid.

Columns of :attr:`CoverageResult.per_qpv` (index ``code_qp``):

``nom_qp``, ``lib_com``
    Name of the QPV and of its commune(s).
``population``
    Inhabitants: the QPV's own figure, else the sum of the population grid inside it; NaN without data.
``area_ha``, ``covered_area_ha``, ``covered_area_share``
    Area of the QPV, area within reach of an ambassador, and their ratio.
``covered_population``, ``covered_share``
    Inhabitants within reach and their share (see :attr:`CoverageResult.population_method`); without
    any population data, ``covered_share`` is the area share and ``covered_population`` is NaN.
``uncovered_population``
    ``population - covered_population``.
``covered_share_circle``, ``covered_share_walk``
    Only when the project has walkable streets: the covered share « à vol d'oiseau » and « à pied », at
    the same distance (one of them is ``covered_share``), so the user sees where barriers cut access.
``ambassadors_living``, ``ambassadors_covering``
    Ambassadors counted (actifs, plus « en formation » if asked) whose home is in the QPV, and whose
    zone overlaps it.
``languages``
    Languages spoken by the covering ambassadors, sorted, « ; »-separated.
``pole_within_reach``
    True when a pôle's zone overlaps the QPV.
``resources_inside``, ``resources_500m``, ``resources_per_1000``
    Health resources inside the QPV, within 500 m of it (inside included), and the latter per 1,000
    inhabitants. Per category: :attr:`CoverageResult.resources_inside_by_category` and
    :attr:`CoverageResult.resources_500m_by_category`.
``status``
    « couvert » (share rounds to 100 %), « non couvert » (rounds to 0 %), else « partiellement couvert ».
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ambmap import text
from ambmap.analysis.network import WALKING_SPEED_KMH, minutes_to_metres
from ambmap.analysis.reach import STRATEGIES, CircleReach, Reach, WalkReach, reach_for
from ambmap.crs import WGS84, metric_crs
from ambmap.errors import AnalysisError
from ambmap.layers import CATEGORIES, split_list

RESOURCE_DISTANCE_M = 500.0
WORKERS = os.cpu_count() or 1  # threads for the intersections
STATUS_COVERED, STATUS_PARTIAL, STATUS_NONE = "couvert", "partiellement couvert", "non couvert"

POPULATION_METHODS = {
    "grid": "Population estimée avec les carreaux INSEE de 200 m : chaque carreau compte dans un QPV, et dans "
    "la zone couverte, au prorata de sa surface.",
    "even": "Pas de carroyage de population dans le projet : la population de chaque QPV est supposée "
    "répartie uniformément sur sa surface.",
    "area": "Aucune donnée de population : seules les parts de surface couvertes sont calculées.",
}

Progress = Callable[[int, int, str], None] | None


@dataclass(frozen=True)
class CoverageParams:
    """How far an ambassador and a pôle reach, how (``reach``: a name of :data:`reach.STRATEGIES`), and
    which ambassadors count.

    They belong to the project (saved in its options, so the window, the CLI and the exports agree);
    the user's settings give them only to projects that have none. An ambassador's own ``radius_m``
    (when filled) overrides ``radius_m``.
    """

    radius_m: float = 500.0
    pole_radius_m: float = 500.0
    include_in_training: bool = False
    reach: str = CircleReach.name
    walk_minutes: float | None = None
    walk_speed_kmh: float = WALKING_SPEED_KMH

    #: field -> key in the project options
    OPTIONS: ClassVar[dict[str, str]] = {
        "radius_m": "coverage_radius_m",
        "pole_radius_m": "pole_radius_m",
        "include_in_training": "include_in_training",
        "reach": "reach",
        "walk_minutes": "walk_minutes",
        "walk_speed_kmh": "walk_speed_kmh",
    }

    @classmethod
    def from_project(cls, project, settings=None) -> CoverageParams:
        """The parameters saved in ``project``'s options; else the user's ``settings``, else the defaults above.

        Parameters
        ----------
        project
            The project whose ``options`` hold the saved coverage parameters.
        settings
            The user's :class:`ambmap.config.Settings` (their default radii), or None.

        Returns
        -------
        CoverageParams
            The one place coverage parameters are resolved (panel, CLI, exports).

        Raises
        ------
        AnalysisError
            A saved value that cannot be read, named in the message.
        """
        return cls.from_options(project.options, settings)

    @classmethod
    def from_options(cls, options: dict[str, Any], settings=None) -> CoverageParams:
        """See :meth:`from_project`."""
        values: dict[str, Any] = {}
        for name, key in cls.OPTIONS.items():
            default = getattr(settings, key, getattr(cls, name))
            kind = float if name == "walk_minutes" else type(getattr(cls, name))
            value = options.get(key, default)
            values[name] = None if name == "walk_minutes" and value in (None, "") else _option(key, value, kind)
        return cls(**values)

    def to_options(self) -> dict[str, Any]:
        """The project options that :meth:`from_project` reads back."""
        return {key: getattr(self, name) for name, key in self.OPTIONS.items()}

    def replace(self, **changes) -> CoverageParams:
        return dataclasses.replace(self, **changes)

    @property
    def statuses(self) -> tuple[str, ...]:
        return ("actif", "en formation") if self.include_in_training else ("actif",)

    @property
    def distance_m(self) -> float:
        """How far an ambassador reaches, in metres: the walking time at the walking speed when walking
        with ``walk_minutes`` set, else ``radius_m``."""
        if self.reach == WalkReach.name and self.walk_minutes is not None:
            return float(minutes_to_metres(self.walk_minutes, self.walk_speed_kmh))
        return self.radius_m

    def ambassador_radii(self, amb: gpd.GeoDataFrame) -> np.ndarray:
        """Each ambassador's own radius (field ``radius_m``), or :attr:`distance_m` when unset."""
        return amb["radius_m"].fillna(self.distance_m).to_numpy(dtype=float)

    def other(self) -> CoverageParams:
        """The same distance reached the other way (walking <-> straight line), to compare the two."""
        other = CircleReach.name if self.reach == WalkReach.name else WalkReach.name
        return self.replace(reach=other, radius_m=self.distance_m, walk_minutes=None)

    def describe(self) -> str:
        """The method in French, for notes: « à pied le long des rues, 10 min à 4,5 km/h (750 m) »."""
        if self.reach != WalkReach.name:
            return f"{_label(self.reach)}, {text.number(self.radius_m)} m"
        if self.walk_minutes is None:
            return f"à pied le long des rues, {text.number(self.radius_m)} m"
        return (
            f"à pied le long des rues, {_short(self.walk_minutes)} min à {_short(self.walk_speed_kmh)} km/h "
            f"({text.number(self.distance_m)} m)"
        )


OPTION_LABELS = {
    "coverage_radius_m": "rayon d'action des ambassadeurs·rices",
    "pole_radius_m": "rayon d'action des pôles",
    "include_in_training": "choix de compter les ambassadeurs·rices en formation",
    "reach": "mode de calcul des zones",
    "walk_minutes": "temps de marche (minutes)",
    "walk_speed_kmh": "vitesse de marche (km/h)",
}


def _short(value: float) -> str:
    """« 10 », « 4,5 »: one decimal only when there is one."""
    return text.number(value, 0 if float(value).is_integer() else 1)


def _label(reach: str) -> str:
    strategy = STRATEGIES.get(reach)
    return strategy.label if strategy is not None else reach


def _option(key: str, value: Any, kind: type) -> Any:
    """A project option as ``kind``: a positive number of metres, a yes/no, or a name."""
    if kind is bool:
        if isinstance(value, bool) or str(value).strip().lower() in {"0", "1", "false", "true", "non", "oui"}:
            return value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "oui"}
    elif kind is float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if math.isfinite(number) and number > 0:
            return number
    elif isinstance(value, str) and value:
        return value
    raise AnalysisError(
        f"Le projet indique un {OPTION_LABELS[key]} illisible : « {value} » (option {key}). "
        "Réglez-le dans le panneau Couverture."
    )


@dataclass
class CoverageResult:
    """Per-QPV indicators and territory summary; the layers to draw (GeoDataFrames in EPSG:4326) on demand.

    ``zones``, ``pole_zones``, ``covered_area`` and ``gaps`` are built on first access and then kept:
    only the map and exports need them, and the dissolved covered area alone costs more than all the
    indicators at national scale.
    """

    per_qpv: pd.DataFrame
    summary: dict[str, Any]
    population_method: str
    params: CoverageParams
    crs: str
    resources_inside_by_category: pd.DataFrame = field(default_factory=pd.DataFrame)
    resources_500m_by_category: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: French notes on the method (streets without footpaths…)
    warnings: list[str] = field(default_factory=list)
    _geometry: dict[str, Any] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def zones(self) -> gpd.GeoDataFrame:
        """One zone (a disc, or streets walked) per counted ambassador: amb_id, status, radius_m."""
        g = self._geometry
        return gpd.GeoDataFrame(g["amb"], geometry=gpd.GeoSeries(g["buffers"], crs=self.crs)).to_crs(WGS84)

    @functools.cached_property
    def pole_zones(self) -> gpd.GeoDataFrame:
        """One disc per pôle: pole_id, name, radius_m."""
        g = self._geometry
        return gpd.GeoDataFrame(g["poles"], geometry=gpd.GeoSeries(g["pole_buffers"], crs=self.crs)).to_crs(WGS84)

    @functools.cached_property
    def covered_area(self) -> gpd.GeoDataFrame:
        """The union of every ambassador zone, one row."""
        union = shapely.union_all(self._geometry["buffers"])
        return gpd.GeoDataFrame(
            {"radius_m": [self.params.distance_m]}, geometry=gpd.GeoSeries([union], crs=self.crs)
        ).to_crs(WGS84)

    @functools.cached_property
    def gaps(self) -> gpd.GeoDataFrame:
        """The uncovered part of each QPV: code_qp, nom_qp, uncovered_population."""
        g = self._geometry
        holes = shapely.difference(g["qpv"], g["covered"])
        keep = ~shapely.is_empty(holes) & (shapely.area(holes) > 1.0)
        table = self.per_qpv.reset_index()[["code_qp", "nom_qp", "uncovered_population"]][keep]
        return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=gpd.GeoSeries(holes[keep], crs=self.crs)).to_crs(
            WGS84
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (``ambmap coverage --json``): summary, method and one record per QPV."""
        table = self.per_qpv.reset_index().astype(object).where(self.per_qpv.reset_index().notna(), None)
        return {
            "summary": self.summary,
            "population_method": self.population_method,
            "warnings": self.warnings,
            "qpv": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                for row in table.to_dict(orient="records")
            ],
        }


def active_ambassadors(project, params: CoverageParams) -> gpd.GeoDataFrame:
    """The ambassadors who count for coverage under ``params`` (EPSG:4326)."""
    amb = _data(project, "ambassadors")
    return amb[amb["status"].isin(params.statuses)]


def compute_coverage(project, params: CoverageParams | None = None, progress: Progress = None) -> CoverageResult:
    """Coverage of every QPV of ``project`` by its ambassadors and pôles.

    Pure: reads the project, changes nothing, so a cancelled run leaves everything as it was.

    Parameters
    ----------
    project
        The :class:`ambmap.project.Project` (its territory, QPV, population, pôles and ambassadors layers).
    params
        Radius, statuses counted and reach; None for :meth:`CoverageParams.from_project`.
    progress
        Called with (step, steps, French message); may raise ``CancelledError`` to stop.

    Returns
    -------
    CoverageResult
        Per-QPV figures (``qpv``), the covered zones and the parameters used.
    """
    params = params or CoverageParams.from_project(project)
    report = progress or (lambda done, total, message: None)
    qpv, crs, qgeom = qpv_in_metric_crs(project, "du territoire avant de calculer la couverture")
    layers = project_layers(project)
    reach = reach_for(params, crs, layers)
    report(0, 4, "Préparation des quartiers…")
    n = len(qgeom)
    area = shapely.area(qgeom)

    report(1, 4, "Zones des ambassadeurs…")
    amb = active_ambassadors(project, params)
    amb_xy = points_xy(amb, crs)
    radii = params.ambassador_radii(amb)
    buffers, q_idx, b_idx, covered, covered_area, area_share = _zones_in_qpv(reach, amb_xy, radii, qgeom, area)

    report(2, 4, "Population couverte…")
    population, covered_share, method = _population(project, qpv, qgeom, covered, area_share, crs, reach, amb_xy, radii)
    both = _both_strategies(project, qpv, qgeom, area, crs, params, layers, amb, covered_share)
    covered_population = population * covered_share
    uncovered_population = np.clip(population - covered_population, 0, None)

    report(3, 4, "Ambassadeurs, pôles et ressources…")
    living_q, _ = shapely.STRtree(shapely.points(amb_xy)).query(qgeom, predicate="contains")
    languages = _languages_by_qpv(amb["languages"].to_numpy(dtype=object), q_idx, b_idx, n)
    poles = _data(project, "poles")
    pole_buffers = reach.zones(points_xy(poles, crs), params.pole_radius_m)
    pole_q, _ = shapely.STRtree(pole_buffers).query(qgeom, predicate="intersects")
    resources = _data(project, "resources")
    res_points = np.asarray(resources.to_crs(crs).geometry.array, dtype=object)
    res_tree = shapely.STRtree(res_points)
    in_q, in_r = res_tree.query(qgeom, predicate="contains")
    near_q, near_r = res_tree.query(qgeom, predicate="dwithin", distance=RESOURCE_DISTANCE_M)
    categories = resources["category"].to_numpy(dtype=object)
    resources_500m = np.bincount(near_q, minlength=n)

    status = np.where(
        covered_share >= 0.995, STATUS_COVERED, np.where(covered_share < 0.005, STATUS_NONE, STATUS_PARTIAL)
    )
    codes = pd.Index(qpv["code_qp"].to_numpy(dtype=object), name="code_qp")
    has_people = population > 0
    per_qpv = pd.DataFrame(
        {
            "nom_qp": qpv["nom_qp"].to_numpy(dtype=object),
            "lib_com": qpv["lib_com"].to_numpy(dtype=object),
            "population": population,
            "area_ha": area / 1e4,
            "covered_area_ha": covered_area / 1e4,
            "covered_area_share": area_share,
            "covered_population": covered_population,
            "covered_share": covered_share,
            "uncovered_population": uncovered_population,
            "ambassadors_living": np.bincount(living_q, minlength=n),
            "ambassadors_covering": np.bincount(q_idx, minlength=n),
            "languages": languages,
            "pole_within_reach": np.bincount(pole_q, minlength=n) > 0,
            "resources_inside": np.bincount(in_q, minlength=n),
            "resources_500m": resources_500m,
            "resources_per_1000": np.divide(
                resources_500m * 1000.0, population, out=np.full(n, np.nan), where=has_people
            ),
            **both,
            "status": status,
        },
        index=codes,
    )

    summary = _summary(per_qpv, len(amb), params, method)
    geometry = {
        "qpv": qgeom,
        "covered": covered,
        "buffers": buffers,
        "pole_buffers": pole_buffers,
        "amb": {
            "amb_id": amb["amb_id"].to_numpy(dtype=object),
            "status": amb["status"].to_numpy(dtype=object),
            "radius_m": radii,
        },
        "poles": {
            "pole_id": poles["pole_id"].to_numpy(dtype=object),
            "name": poles["name"].to_numpy(dtype=object),
            "radius_m": np.full(len(poles), params.pole_radius_m),
        },
    }
    report(4, 4, "Couverture calculée.")
    return CoverageResult(
        per_qpv=per_qpv,
        summary=summary,
        population_method=POPULATION_METHODS[method],
        params=params,
        crs=crs,
        warnings=list(reach.warnings),
        resources_inside_by_category=_crosstab(in_q, categories[in_r], codes),
        resources_500m_by_category=_crosstab(near_q, categories[near_r], codes),
        _geometry=geometry,
    )


def _zones_in_qpv(reach: Reach, amb_xy: np.ndarray, radii: np.ndarray, qgeom: np.ndarray, area: np.ndarray):
    """(zones, QPV and zone index of each overlap, covered part of each QPV, its area, its area share)."""
    n = len(qgeom)
    buffers = reach.zones(amb_xy, radii)
    q_idx, b_idx = shapely.STRtree(buffers).query(qgeom, predicate="intersects")
    pieces = clip(buffers[b_idx], qgeom[q_idx])
    real = shapely.area(pieces) > 0
    q_idx, b_idx, pieces = q_idx[real], b_idx[real], pieces[real]
    covered = union_by_group(pieces, q_idx, n)
    covered_area = shapely.area(covered)
    area_share = np.minimum(np.divide(covered_area, area, out=np.zeros(n), where=area > 0), 1.0)
    return buffers, q_idx, b_idx, covered, covered_area, area_share


def has_walkable_streets(layers) -> bool:
    """True when the project's streets can be walked: the « à pied » strategy can then be computed."""
    streets = layers.get("streets")
    return streets is not None and bool(streets["walkable"].to_numpy(dtype=bool).any())


def _both_strategies(
    project, qpv, qgeom, area, crs, params: CoverageParams, layers, amb, covered_share: np.ndarray
) -> dict[str, np.ndarray]:
    """``covered_share_circle`` and ``covered_share_walk`` (the chosen strategy's share, and the other one
    computed at the same distance) when the project has walkable streets; nothing otherwise."""
    if not has_walkable_streets(layers):
        return {}
    other = params.other()
    reach = reach_for(other, crs, layers)
    amb_xy, radii = points_xy(amb, crs), other.ambassador_radii(amb)
    if isinstance(reach, WalkReach) and not _data(project, "population").empty:
        # on foot a square counts by its centre (WalkReach.shortcuts): the share needs no zone, only the walk;
        # a QPV that no populated square meets reads 0 here (its share would be by area)
        covered, area_share = np.array([shapely.Polygon()] * len(qgeom), dtype=object), np.zeros(len(qgeom))
    else:
        _, _, _, covered, _, area_share = _zones_in_qpv(reach, amb_xy, radii, qgeom, area)
    _, share, _ = _population(project, qpv, qgeom, covered, area_share, crs, reach, amb_xy, radii)
    shares = {params.reach: covered_share, other.reach: share}
    return {"covered_share_circle": shares[CircleReach.name], "covered_share_walk": shares[WalkReach.name]}


def clip(geoms: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """``geoms[i] ∩ masks[i]``, cutting only where needed: most pieces lie wholly inside or outside.

    The cuts, the costliest step at national scale, are shared among the cores: shapely releases the GIL.
    """
    shapely.prepare(masks)
    out = geoms.copy()
    inside = shapely.contains(masks, geoms)
    outside = ~inside & ~shapely.intersects(masks, geoms)
    out[outside] = shapely.Polygon()
    parts = np.array_split(np.flatnonzero(~inside & ~outside), WORKERS)
    with ThreadPoolExecutor(WORKERS) as pool:
        for part, pieces in zip(
            parts, pool.map(lambda i: shapely.intersection(geoms[i], masks[i]), parts), strict=True
        ):
            out[part] = pieces
    return out


def union_by_group(geoms: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """Union of ``geoms`` for each group 0..n-1 (empty polygon for groups without any)."""
    out = np.array([shapely.Polygon()] * n, dtype=object)
    if len(geoms) == 0:
        return out
    order = np.argsort(groups, kind="stable")
    uniq, starts = np.unique(groups[order], return_index=True)
    out[uniq] = [shapely.union_all(part) for part in np.split(geoms[order], starts[1:])]
    return out


def qpv_in_metric_crs(project, then: str) -> tuple[gpd.GeoDataFrame, str, np.ndarray]:
    """The QPV rows, their metric CRS and their geometries in it; a French error (« … les QPV ``then`` »)
    when the project has none."""
    qpv = _data(project, "qpv")
    if qpv.empty:
        raise AnalysisError(
            f"Le projet ne contient aucun quartier prioritaire (QPV) : téléchargez ou importez les QPV {then}."
        )
    crs = metric_crs(qpv)
    return qpv, crs, np.asarray(qpv.to_crs(crs).geometry.array, dtype=object)


def project_layers(project) -> dict[str, gpd.GeoDataFrame]:
    """Each layer's rows by kind: what a reach strategy may read (the streets, for walking)."""
    return {kind: layer.data for kind, layer in project.layers.items()}


def points_xy(frame: gpd.GeoDataFrame | None, crs: str) -> np.ndarray:
    """(n, 2) coordinates in ``crs`` of a layer's points (a shape counts by its centroid)."""
    if frame is None or frame.empty:
        return np.zeros((0, 2))
    return shapely.get_coordinates(shapely.centroid(frame.to_crs(crs).geometry.array)).reshape(-1, 2)


def _data(project, kind: str) -> gpd.GeoDataFrame:
    """A layer's rows without creating the layer when the project lacks it."""
    from ambmap.layers import SCHEMAS
    from ambmap.layers.base import empty_frame

    layer = project.layers.get(kind)
    return layer.data if layer is not None else empty_frame(SCHEMAS[kind])


def _population(
    project, qpv, qgeom, covered, area_share, crs, reach: Reach, homes: np.ndarray, radii: np.ndarray
) -> tuple[np.ndarray, np.ndarray, str]:
    """(population, covered share, method key) per QPV.

    A grid square counts in a QPV, and in its covered part, by the share of its area inside. Its covered
    part is ``square ∩ covered[q]`` (the QPV's covered area lies inside the QPV), cut only for the squares
    that straddle an ambassador zone's edge (see :meth:`Reach.shortcuts`): they are the costly
    intersections at national scale.
    """
    n = len(qgeom)
    official = pd.to_numeric(qpv["population"], errors="coerce").to_numpy(dtype=float)
    grid = _data(project, "population")
    if not grid.empty:
        ggeom = np.asarray(grid.to_crs(crs).geometry.array, dtype=object)
        gpop = grid["population"].to_numpy(dtype=float)
        q_idx, g_idx = shapely.STRtree(ggeom).query(qgeom, predicate="intersects")
        if len(q_idx):
            squares = ggeom[g_idx]
            piece_area = shapely.area(clip(squares, qgeom[q_idx]))
            piece_pop = gpop[g_idx] * np.divide(piece_area, shapely.area(squares))
            inside, outside = reach.shortcuts(squares, homes, radii)
            piece_cov = np.where(inside, piece_area, 0.0)
            cut = ~inside & ~outside
            piece_cov[cut] = shapely.area(clip(squares[cut], covered[q_idx[cut]]))
            cov_pop = piece_pop * np.divide(piece_cov, piece_area, out=np.zeros(len(q_idx)), where=piece_area > 0)
            grid_pop = np.bincount(q_idx, weights=piece_pop, minlength=n)
            grid_cov = np.bincount(q_idx, weights=cov_pop, minlength=n)
            share = np.where(
                grid_pop > 0, np.divide(grid_cov, grid_pop, out=np.zeros(n), where=grid_pop > 0), area_share
            )
            population = np.where(np.isnan(official), np.round(grid_pop), official)
            return population, np.clip(share, 0, 1), "grid"
    if not np.isnan(official).all():
        return official, area_share, "even"
    return official, area_share, "area"


def _languages_by_qpv(languages: np.ndarray, q_idx: np.ndarray, b_idx: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    if len(q_idx) == 0:
        return out
    pairs = pd.DataFrame({"q": q_idx, "lang": [split_list(v) for v in languages[b_idx]]}).explode("lang").dropna()
    joined = pairs.groupby("q")["lang"].agg(lambda s: "; ".join(sorted(set(s))))
    out[joined.index.to_numpy()] = joined.to_numpy()
    return out


def _crosstab(q_idx: np.ndarray, categories: np.ndarray, codes: pd.Index) -> pd.DataFrame:
    """Counts per QPV (rows, by code) and resource category (columns, in the fixed order)."""
    counts = np.zeros((len(codes), len(CATEGORIES)), dtype=int)
    col = pd.Categorical(categories, categories=CATEGORIES).codes
    ok = col >= 0
    np.add.at(counts, (q_idx[ok], col[ok]), 1)
    return pd.DataFrame(counts, index=codes, columns=list(CATEGORIES))


def _summary(per_qpv: pd.DataFrame, n_ambassadors: int, params: CoverageParams, method: str) -> dict[str, Any]:
    population = float(np.nansum(per_qpv["population"]))
    covered = float(np.nansum(per_qpv["covered_population"]))
    counts = per_qpv["status"].value_counts()
    return {
        "qpv": len(per_qpv),
        "qpv_covered": int(counts.get(STATUS_COVERED, 0)),
        "qpv_partial": int(counts.get(STATUS_PARTIAL, 0)),
        "qpv_uncovered": int(counts.get(STATUS_NONE, 0)),
        "population": population if method != "area" else None,
        "covered_population": covered if method != "area" else None,
        "covered_share": covered / population if population > 0 and method != "area" else None,
        "covered_area_share": float(per_qpv["covered_area_ha"].sum() / per_qpv["area_ha"].sum()),
        "ambassadors_counted": n_ambassadors,
        "radius_m": params.distance_m,
        "reach": params.reach,
        "method": params.describe(),
        "pole_radius_m": params.pole_radius_m,
        "include_in_training": params.include_in_training,
        "population_method": method,
    }


__all__ = ["CoverageParams", "CoverageResult", "compute_coverage"]
