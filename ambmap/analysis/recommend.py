"""Where to recruit the next ambassadors: the sites that cover the most uncovered QPV residents.

Demand is the population of the QPVs cut into 100 m cells (one weighted point per piece of cell
inside a QPV, weighted like :mod:`ambmap.analysis.coverage` weighs population). Candidate sites are
the centres of those cells, each described as a place (« Lille-Sud, nord-est », or « Lille-Sud, autour
de la rue X » when the project has named streets), or an explicit list (volunteers who offered to train,
named so the answer says whom to train first). Existing ambassadors are kept: what they already reach is
not counted again. The optimisation itself lives in :mod:`ambmap.analysis.mclp`.

The answer also says what each site would add (its zone, from the same reach strategy) and each QPV's
covered share before and after recruiting, computed by :func:`ambmap.analysis.coverage.compute_coverage`
itself, so that « before » is the figure the map already shows.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ambmap import text
from ambmap.analysis import mclp
from ambmap.analysis.coverage import (
    CoverageParams,
    Progress,
    _data,
    active_ambassadors,
    points_xy,
    project_layers,
    qpv_in_metric_crs,
)
from ambmap.analysis.reach import reach_for
from ambmap.crs import WGS84, metric_crs
from ambmap.errors import AnalysisError

CELL_M = 100.0
TRAINING = "en formation"  # ``candidates=TRAINING``: the project's ambassadors in training
LABEL_COLUMNS = ("label", "nom", "name", "amb_id", "id", "identifiant")
SECTORS = ("est", "nord-est", "nord", "nord-ouest", "ouest", "sud-ouest", "sud", "sud-est")
#: How far from a site a named street may be to describe it (« autour de la rue X »), in metres.
STREET_NEAR_M = 150.0
#: ``Recommendation.stage``: the solver's answer, the quick greedy one shown while it works, or the best one kept
#: when the user stopped the search.
FINAL, PROVISIONAL, STOPPED = "final", "provisional", "stopped"


@dataclass
class Recommendation:
    """Ranked sites (GeoDataFrame EPSG:4326: rank, label, code_qp, nom_qp, gain, geometry) and proof status.

    ``covered_before``/``covered_after``/``total`` are weights (inhabitants, or hectares without
    population data: see ``unit``). ``bound`` is, for a budget, an upper bound on ``covered_after``;
    for a target, a lower bound on the number of sites. ``optimal`` is True only when HiGHS (or the
    bound) proved it. ``zones`` (rank, geometry; EPSG:4326) is the zone each site would cover, drawn by
    the reach strategy; ``per_qpv`` holds, besides the optimisation's own shares, ``coverage_before`` and
    ``coverage_after``: each QPV's covered share as the coverage computes it, without and with the sites.
    ``stage`` is :data:`FINAL`, or :data:`PROVISIONAL` (the greedy answer, shown while the solver works) or
    :data:`STOPPED` (that answer kept when the search was stopped): never proven, and its messages say so.
    """

    sites: gpd.GeoDataFrame
    covered_before: float
    covered_after: float
    total: float
    optimal: bool
    bound: float
    seconds: float
    messages: list[str]
    question: str  # "budget" or "target"
    unit: str = "habitants"
    per_qpv: pd.DataFrame = field(default_factory=pd.DataFrame)
    stats: dict[str, Any] = field(default_factory=dict)
    #: The question asked (``recommend_for_project`` keywords): a public export asks it again of the public copy.
    request: dict[str, Any] = field(default_factory=dict)
    zones: gpd.GeoDataFrame | None = None
    stage: str = FINAL

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (``ambmap recommend --json``)."""
        sites = [
            {
                "rank": int(r.rank),
                "label": r.label,
                "lon": round(r.geometry.x, 6),
                "lat": round(r.geometry.y, 6),
                "code_qp": r.code_qp,
                "nom_qp": r.nom_qp,
                "gain": round(float(r.gain), 3),
            }
            for r in self.sites.itertuples()
        ]
        table = self.per_qpv

        def share(value) -> float | None:  # a QPV without population has no share: null, never NaN
            return round(float(value), 4) if value == value else None

        qpv = (
            [
                {
                    "code_qp": code,
                    "nom_qp": r.nom_qp,
                    "coverage_before": share(r.coverage_before),
                    "coverage_after": share(r.coverage_after),
                }
                for code, r in zip(table.index, table.itertuples(), strict=True)
            ]
            if {"coverage_before", "coverage_after"} <= set(table.columns)
            else []
        )
        return {
            "question": self.question,
            "unit": self.unit,
            "sites": sites,
            "qpv": qpv,
            "covered_before": round(self.covered_before, 3),
            "covered_after": round(self.covered_after, 3),
            "total": round(self.total, 3),
            "optimal": bool(self.optimal),
            "bound": round(float(self.bound), 3),
            "seconds": round(self.seconds, 3),
            "messages": self.messages,
            "stats": self.stats,
        }


@dataclass
class Demand:
    """Weighted demand points in metric coordinates, with the QPV (row index) each belongs to."""

    xy: np.ndarray
    weight: np.ndarray
    qpv: np.ndarray
    unit: str


def recommend_for_project(
    project,
    *,
    k: int | None = None,
    target: float | None = None,
    params: CoverageParams | None = None,
    candidates: gpd.GeoDataFrame | str | None = None,
    time_limit: float = 60,
    progress: Progress = None,
    first_answer: Callable[[Recommendation], None] | None = None,
) -> Recommendation:
    """Answer « I can recruit k more: where? » (``k``) or « how many, and where, so that every QPV
    reaches ``target`` covered share? » (``target`` in (0, 1]) for ``project``.

    Reads the project, changes nothing.

    Parameters
    ----------
    project
        The :class:`ambmap.project.Project` to plan for.
    k
        How many ambassadors to place (the budget question); exactly one of ``k`` and ``target``.
    target
        Covered share every QPV should reach, in (0, 1] (or a percentage in (1, 100]).
    params
        Coverage parameters; None for :meth:`CoverageParams.from_project`.
    candidates
        None for the 100 m grid over the QPVs, a GeoDataFrame of points, or ``"en formation"`` for the
        project's ambassadors in training.
    time_limit
        Seconds for the whole run; the solver returns its best answer and bound when it runs out.
    progress
        Called with (step, steps, French message); may raise ``CancelledError`` to stop.
    first_answer
        Called (in the caller's thread) with the greedy answer, stage :data:`PROVISIONAL`, before the
        solver starts: a window shows it at once, and keeps it (:func:`stopped`) if the search is stopped.

    Returns
    -------
    Recommendation
        The sites in priority order, each one's gain, the coverage before and after, the solver's gap.

    Raises
    ------
    AnalysisError
        Both or neither question asked, no candidate site, nothing to cover.
    """
    t0 = time.perf_counter()
    report = progress or (lambda done, total, message: None)
    k, target = _check_question(k, target)
    params = params or CoverageParams.from_project(project)
    if not params.distance_m >= CELL_M:  # NaN too
        # below one cell a site reaches only its own cell's centre: the whole cell's population would be
        # counted for a smaller disc, a gain that « ambmap coverage » (areas) then contradicts
        raise AnalysisError(
            f"Rayon de {params.distance_m:g} m trop petit pour chercher où recruter : les quartiers "
            f"sont découpés en carreaux de {CELL_M:g} m, et un rayon plus petit qu'un carreau ne peut "
            f"pas être calculé justement. Choisissez un rayon d'au moins {CELL_M:g} m."
        )
    qpv, crs, qgeom = qpv_in_metric_crs(project, "avant de chercher où recruter")
    report(0, 4, "Découpage des quartiers en carreaux de 100 m…")
    demand, method = demand_points(project, qgeom, crs)
    reach = reach_for(params, crs, project_layers(project))
    existing = params
    if isinstance(candidates, str) and candidates == TRAINING:
        existing = dataclasses.replace(params, include_in_training=False)  # they are the candidates
    amb = active_ambassadors(project, existing)
    before = reach.covered(points_xy(amb, crs), demand.xy, existing.ambassador_radii(amb))

    report(1, 4, "Sites candidats…")
    if candidates is None:
        cand_xy, labels = grid_candidates(qpv, qgeom)
    else:
        frame = _training_candidates(project) if isinstance(candidates, str) else candidates
        cand_xy, labels = points_xy(frame, crs), candidate_labels(frame)
    if len(cand_xy) == 0:
        raise AnalysisError("Aucun site candidat : la liste fournie est vide ou ne contient aucun point.")
    A = reach.reach_matrix(cand_xy, demand.xy, params.distance_m)

    report(2, 4, "Optimisation (HiGHS)…")
    weight = np.where(before, 0.0, demand.weight)
    n_qpv = len(qgeom)
    total_q = np.bincount(demand.qpv, weights=demand.weight, minlength=n_qpv)
    before_q = np.bincount(demand.qpv, weights=demand.weight * before, minlength=n_qpv)
    need = None if target is None else target * total_q - before_q
    request = {"k": k, "target": target, "params": params, "candidates": candidates, "time_limit": time_limit}
    coverage_before = coverage_before_after(project, existing, None)[0]  # the same for every answer

    def answer(solution: mclp.Solution, stage: str = FINAL) -> Recommendation:
        """The solver's sites as a Recommendation: places, zones, per-QPV before → after, messages."""
        chosen = solution.chosen
        reached = np.asarray(A[:, chosen].sum(axis=1)).ravel() > 0 if len(chosen) else np.zeros(len(weight), bool)
        after_q = before_q + np.bincount(demand.qpv, weights=weight * reached, minlength=n_qpv)
        code_qp, nom_qp = _qpv_of(qpv, qgeom, cand_xy[chosen])
        site_labels = labels[chosen]
        if candidates is None:  # a grid cell is best named by the street it lies on, when the project has streets
            site_labels = street_labels(project, cand_xy[chosen], crs, site_labels, nom_qp)
        ranks = np.arange(1, len(chosen) + 1)
        sites = gpd.GeoDataFrame(
            {"rank": ranks, "label": site_labels, "code_qp": code_qp, "nom_qp": nom_qp, "gain": solution.gains},
            geometry=gpd.GeoSeries(shapely.points(cand_xy[chosen]), crs=crs),
        ).to_crs(WGS84)
        zones = gpd.GeoDataFrame(
            {"rank": ranks},
            geometry=gpd.GeoSeries(reach.zones(cand_xy[chosen], params.radius_m) if len(chosen) else [], crs=crs),
        ).to_crs(WGS84)
        per_qpv = pd.DataFrame(
            {
                "nom_qp": qpv["nom_qp"].to_numpy(dtype=object),
                "total": total_q,
                "covered_before": before_q,
                "covered_after": after_q,
                "share_before": _share(before_q, total_q),
                "share_after": _share(after_q, total_q),
            },
            index=pd.Index(qpv["code_qp"].to_numpy(dtype=object), name="code_qp"),
        )
        per_qpv["coverage_before"] = coverage_before
        per_qpv["coverage_after"] = coverage_before_after(project, existing, sites, coverage_before)[1]
        covered_before = float(before_q.sum())
        result = Recommendation(
            sites=sites,
            covered_before=covered_before,
            covered_after=float(after_q.sum()),
            total=float(total_q.sum()),
            optimal=solution.optimal,
            bound=solution.bound + (covered_before if k is not None else 0.0),
            seconds=time.perf_counter() - t0,
            messages=[],
            question="budget" if k is not None else "target",
            unit=demand.unit,
            per_qpv=per_qpv,
            stats=solution.stats,
            zones=zones,
            request=request,
            stage=stage,
        )
        result.messages = _messages(result, solution, k, target, per_qpv, method, _method_notes(params, reach))
        return result

    if first_answer is not None:  # the greedy sites at once, shown as provisional while the solver works
        first_answer(answer(greedy_solution(A, weight, k, demand.qpv, need), PROVISIONAL))
    budget = time_limit - (time.perf_counter() - t0)
    if k is not None:
        solution = mclp.solve_budget(A, weight, k, time_limit=budget, progress=progress)
    else:
        assert need is not None  # _check_question returned exactly one of k and target
        solution = mclp.solve_target(A, weight, demand.qpv, need, time_limit=budget, progress=progress)
    report(3, 4, "Mise en forme des résultats…")
    result = answer(solution)
    report(4, 4, "Recommandation prête.")
    return result


def recommend_points(
    demand: gpd.GeoDataFrame,
    weight_field: str | None,
    candidates: gpd.GeoDataFrame,
    radius_m: float,
    k: int,
    *,
    existing: gpd.GeoDataFrame | None = None,
    time_limit: float = 60,
    progress: Progress = None,
    reach: str = "cercle",
    streets: gpd.GeoDataFrame | None = None,
) -> Recommendation:
    """The budget question on raw points (other planners' data): demand points with a weight column.

    Parameters
    ----------
    demand
        Demand points (any CRS).
    weight_field
        Column of ``demand`` holding each point's weight; None for 1 each.
    candidates
        Candidate sites (points).
    radius_m
        How far a site reaches, in metres (straight line, or walked with ``reach="marche"``).
    k
        How many sites to choose.
    existing
        Sites already there: the points they reach count as covered.
    time_limit
        Seconds for the solver.
    progress
        Called with (step, steps, French message).
    reach
        « cercle » (straight line) or « marche » (along ``streets``).
    streets
        Rows of the streets schema (``walkable`` lines), for ``reach="marche"``.

    Returns
    -------
    Recommendation
        The chosen sites in priority order with their gains.
    """
    t0 = time.perf_counter()
    checked, _ = _check_question(k, None)
    assert checked is not None  # k given: _check_question returns it checked
    k = checked
    if demand.empty:
        raise AnalysisError("Le fichier de demande ne contient aucun point.")
    if weight_field and weight_field not in demand.columns:
        raise AnalysisError(
            f"Le champ de poids « {weight_field} » est absent du fichier de demande "
            f"(champs présents : {', '.join(map(str, demand.columns.drop(demand.geometry.name)))})."
        )
    weight = np.ones(len(demand))
    if weight_field:
        raw = demand[weight_field]
        text = raw.astype(str).str.replace(r"[\s\u202f\u00a0]", "", regex=True).str.replace(",", ".")
        weight = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)
        weight[raw.isna().to_numpy()] = 0.0  # an empty cell weighs nothing
        bad = np.flatnonzero(~np.isfinite(weight) | (weight < 0))
        if len(bad):
            raise AnalysisError(
                f"Le champ de poids « {weight_field} » doit contenir des nombres positifs : valeur "
                f"« {raw.iloc[bad[0]]} » au point n° {bad[0] + 1} ({len(bad)} valeur(s) refusée(s))."
            )
    crs = metric_crs(demand.geometry)  # user points: their columns are not INSEE codes
    demand_xy, cand_xy = points_xy(demand, crs), points_xy(candidates, crs)
    params = CoverageParams(radius_m=radius_m, reach=reach)
    strategy = reach_for(params, crs, {} if streets is None else {"streets": streets})
    before = strategy.covered(points_xy(existing, crs), demand_xy, radius_m)
    A = strategy.reach_matrix(cand_xy, demand_xy, radius_m)
    solution = mclp.solve_budget(
        A, np.where(before, 0.0, weight), k, time_limit=time_limit - (time.perf_counter() - t0), progress=progress
    )
    chosen = solution.chosen
    sites = gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(chosen) + 1),
            "label": candidate_labels(candidates)[chosen],
            "code_qp": "",
            "nom_qp": "",
            "gain": solution.gains,
        },
        geometry=gpd.GeoSeries(shapely.points(cand_xy[chosen]), crs=crs),
    ).to_crs(WGS84)
    covered_before = float(weight[before].sum())
    result = Recommendation(
        sites=sites,
        covered_before=covered_before,
        covered_after=covered_before + solution.value,
        total=float(weight.sum()),
        optimal=solution.optimal,
        bound=covered_before + solution.bound,
        seconds=time.perf_counter() - t0,
        messages=[],
        question="budget",
        unit=weight_field or "points",
        stats=solution.stats,
    )
    result.messages = [_proof_message(result, solution)] + _method_notes(params, strategy)
    return result


def greedy_solution(A, weight: np.ndarray, k: int | None, group: np.ndarray, need: np.ndarray | None) -> mclp.Solution:
    """The greedy answer (mclp's own greedy, no search, no proof) in O(pairs): what a window shows first."""
    t0 = time.perf_counter()
    if k is not None:
        picked, covered = mclp.greedy_budget(A, weight, k)
        value = float(weight[covered].sum())
        bound = min(float(weight.sum()), float(np.sort(np.asarray(A.T @ weight).ravel())[::-1][:k].sum()))
    else:
        assert need is not None
        picked = mclp.greedy_target(A, weight, group, need)
        value, bound = float(len(picked)), 0.0  # no lower bound on the number of sites yet
    order, gains = mclp.rank_sites(A, weight, picked)
    return mclp.Solution(np.asarray(order, dtype=int), gains, value, bound, False, time.perf_counter() - t0, value)


def stage_note(result: Recommendation | None) -> str:
    """What the map says of an answer that is not the solver's (« Sites proposés : réponse provisoire »), else ''."""
    stage = getattr(result, "stage", FINAL)
    if stage == PROVISIONAL:
        return "Sites proposés : première réponse, provisoire"
    return "Sites proposés : recherche arrêtée, non vérifiés" if stage == STOPPED else ""


def stopped(result: Recommendation) -> Recommendation:
    """The provisional answer kept when the user stopped the search: same sites, saying it is not the best proven."""
    lost = "d'autres sites pourraient couvrir plus d'habitants"
    if result.question == "target":
        lost = "il faudrait peut-être moins de sites"
    first = f"Recherche arrêtée avant la fin : voici la meilleure réponse trouvée jusque-là, non vérifiée ({lost})."
    return dataclasses.replace(result, stage=STOPPED, optimal=False, messages=[first, *result.messages[1:]])


# -- demand and candidates -------------------------------------------------------------------------
def demand_points(project, qgeom: np.ndarray, crs: str, cell_m: float = CELL_M) -> tuple[Demand, str]:
    """Pieces of a ``cell_m`` grid inside each QPV, weighted by population (or area); (demand, method)."""
    q_idx, cells = _qpv_cells(qgeom, cell_m)
    pieces = cells.copy()
    cut = ~shapely.contains(qgeom[q_idx], cells)  # only cells on a QPV's edge need cutting
    pieces[cut] = shapely.intersection(qgeom[q_idx[cut]], cells[cut])
    xy = _box_centres(cells, cell_m)
    xy[cut] = shapely.get_coordinates(shapely.centroid(pieces[cut])).reshape(-1, 2)
    area = shapely.area(pieces)
    keep = area > 0
    q_idx, pieces, area, xy = q_idx[keep], pieces[keep], area[keep], xy[keep]
    qpv = _data(project, "qpv")
    official = pd.to_numeric(qpv["population"], errors="coerce").to_numpy(dtype=float)
    grid = _data(project, "population")
    method, unit = "area", "hectares"
    weight = area / 1e4
    if not grid.empty:
        ggeom = np.asarray(grid.to_crs(crs).geometry.array, dtype=object)
        gpop = grid["population"].to_numpy(dtype=float)
        p_idx, g_idx = shapely.STRtree(ggeom).query(pieces, predicate="intersects")
        share = shapely.area(shapely.intersection(pieces[p_idx], ggeom[g_idx])) / shapely.area(ggeom[g_idx])
        weight = np.bincount(p_idx, weights=gpop[g_idx] * share, minlength=len(pieces))
        # like coverage: the grid says where people live, the QPV's own figure (when known) how many
        grid_q = np.bincount(q_idx, weights=weight, minlength=len(qgeom))
        scale = np.divide(official, grid_q, out=np.ones(len(qgeom)), where=(grid_q > 0) & ~np.isnan(official))
        even = (grid_q == 0) & ~np.isnan(official)
        weight = np.where(
            even[q_idx], np.nan_to_num(official[q_idx]) * area / shapely.area(qgeom)[q_idx], weight * scale[q_idx]
        )
        method, unit = "grid", "habitants"
    elif not np.isnan(official).all():
        weight = np.nan_to_num(official[q_idx]) * area / shapely.area(qgeom)[q_idx]
        method, unit = "even", "habitants"
    return Demand(xy, weight, q_idx, unit), method


def _qpv_cells(qgeom: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(QPV index, cell box) for every grid cell meeting a QPV; the grid is built per QPV bounding box."""
    bounds = shapely.bounds(qgeom)
    ix0, iy0 = np.floor(bounds[:, 0] / cell_m).astype(np.int64), np.floor(bounds[:, 1] / cell_m).astype(np.int64)
    nx = np.ceil(bounds[:, 2] / cell_m).astype(np.int64) - ix0
    ny = np.ceil(bounds[:, 3] / cell_m).astype(np.int64) - iy0
    count = nx * ny
    q_idx = np.repeat(np.arange(len(qgeom)), count)
    local = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    ix, iy = ix0[q_idx] + local % nx[q_idx], iy0[q_idx] + local // nx[q_idx]
    cells = shapely.box(ix * cell_m, iy * cell_m, (ix + 1) * cell_m, (iy + 1) * cell_m)
    shapely.prepare(qgeom)
    hit = shapely.intersects(qgeom[q_idx], cells)
    return q_idx[hit], cells[hit]


def _box_centres(cells: np.ndarray, cell_m: float) -> np.ndarray:
    """Centres of ``shapely.box`` cells, from their first corner (maxx, miny): no geometry work."""
    return shapely.get_coordinates(cells)[::5] + np.array([-cell_m / 2, cell_m / 2])


def grid_candidates(qpv: gpd.GeoDataFrame, qgeom: np.ndarray, cell_m: float = CELL_M) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the ``cell_m`` cells inside a QPV, labelled « <nom QPV>, <nord-est/…/centre> »."""
    q_idx, cells = _qpv_cells(qgeom, cell_m)
    centre = _box_centres(cells, cell_m)
    inside = shapely.contains_xy(qgeom[q_idx], centre[:, 0], centre[:, 1])
    q_idx, centre = q_idx[inside], centre[inside]
    _, first = np.unique(np.round(centre / cell_m * 2).astype(np.int64), axis=0, return_index=True)
    first = np.sort(first)
    q_idx, centre = q_idx[first], centre[first]
    if len(centre) == 0:  # QPVs smaller than a cell: their own centre
        centre = shapely.get_coordinates(shapely.point_on_surface(qgeom))
        q_idx = np.arange(len(qgeom))
    names = qpv["nom_qp"].to_numpy(dtype=object)[q_idx]
    sectors = _sectors(centre, qgeom[q_idx])
    return centre, np.array([f"{n}, {s}" for n, s in zip(names, sectors, strict=True)], dtype=object)


def _sectors(xy: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """« centre » near the QPV's centre, else the compass direction from it in words (« nord-est »)."""
    middle = shapely.get_coordinates(shapely.centroid(geoms))
    dx, dy = xy[:, 0] - middle[:, 0], xy[:, 1] - middle[:, 1]
    radius = np.sqrt(shapely.area(geoms) / math.pi)
    octant = np.round(np.arctan2(dy, dx) / (math.pi / 4)).astype(int) % 8
    return np.where(np.hypot(dx, dy) < 0.35 * radius, "centre", np.array(SECTORS)[octant])


#: The article a street's type takes after « autour de » (« autour du boulevard X », « de la rue Y »).
_STREET_TYPES = {
    "rue": "de la",
    "place": "de la",
    "allée": "de l'",
    "avenue": "de l'",
    "impasse": "de l'",
    "boulevard": "du",
    "chemin": "du",
    "square": "du",
    "quai": "du",
    "cours": "du",
    "passage": "du",
    "parvis": "du",
    "sentier": "du",
    "mail": "du",
    "pont": "du",
    "résidence": "de la",
    "cité": "de la",
}


def around(street: str) -> str:
    """« autour de la rue Pierre Legrand » from « Rue Pierre Legrand »; « autour de « X » » for another name."""
    first, _, rest = street.strip().partition(" ")
    article = _STREET_TYPES.get(first.lower())
    if article is None or not rest:
        return f"autour de « {street.strip()} »"
    return f"autour {article}{'' if article.endswith(chr(39)) else ' '}{first.lower()} {rest}"


def street_labels(project, xy: np.ndarray, crs: str, labels: np.ndarray, nom_qp: np.ndarray) -> np.ndarray:
    """« <QPV>, autour de la rue X » for each site within :data:`STREET_NEAR_M` of a named street of the
    project's streets layer (when it has one), else its label as given."""
    layer = project.layers.get("streets") if hasattr(project, "layers") else None
    data = getattr(layer, "data", None)
    if data is None or not len(data) or "name" not in data or not len(xy):
        return labels
    named = data[data["name"].astype("string").fillna("").str.strip() != ""]
    if named.empty:
        return labels
    geoms = np.asarray(named.to_crs(crs).geometry.array, dtype=object)
    sites, nearest = shapely.STRtree(geoms).query_nearest(
        shapely.points(xy), max_distance=STREET_NEAR_M, all_matches=False
    )
    out = labels.copy()
    names = named["name"].astype(str).to_numpy(dtype=object)
    for site, street in zip(sites, nearest, strict=True):
        place = nom_qp[site] or str(labels[site]).split(",")[0]
        out[site] = f"{place}, {around(names[street])}"
    return out


def coverage_before_after(
    project, params: CoverageParams, sites: gpd.GeoDataFrame | None, before: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each QPV's covered share (coverage's own figure) with the counted ambassadors (``before`` when already
    computed), then with one more active ambassador at every site as well: the « before → after » of the
    answer, in the QPV layer's order."""
    from types import SimpleNamespace

    from ambmap.analysis.coverage import compute_coverage

    if before is None:
        before = compute_coverage(project, params).per_qpv["covered_share"].to_numpy(dtype=float)
    if sites is None or not len(sites):
        return before, before.copy()
    amb = _data(project, "ambassadors")
    recruits = gpd.GeoDataFrame(
        {"amb_id": [f"recrue-{r}" for r in sites["rank"]], "status": params.statuses[0], "languages": ""},
        geometry=sites.geometry.to_crs(amb.crs or WGS84).to_numpy(),
        crs=amb.crs or WGS84,
    )
    # the coverage reads layers' rows only: a stand-in project whose ambassadors include the recruits
    # (unnamed, so not a valid layer: never saved, never shown)
    staffed = pd.concat([amb, recruits], ignore_index=True)
    with_recruits = SimpleNamespace(
        layers={**project.layers, "ambassadors": SimpleNamespace(data=staffed)}, options=getattr(project, "options", {})
    )
    after = compute_coverage(with_recruits, params).per_qpv["covered_share"].to_numpy(dtype=float)
    return before, after


def before_after(result, digits: int = 0) -> list[str]:
    """« Fives 75 % → 93 % », one line per QPV the sites change (coverage's figures), largest gain first; a QPV
    holding a site whose figures a public document withholds says so."""
    table = getattr(result, "per_qpv", None)
    if table is None or not {"coverage_before", "coverage_after"} <= set(table.columns):
        return []
    rows = table.assign(gain=table["coverage_after"] - table["coverage_before"])
    shown = rows[rows["gain"] > 0.005].sort_values("gain", ascending=False)
    lines = [
        f"{r.nom_qp} {_pct(r.coverage_before, digits)} → {_pct(r.coverage_after, digits)}" for r in shown.itertuples()
    ]
    withheld = rows[rows["coverage_before"].isna() & rows.index.isin(result.sites["code_qp"])]
    return lines + [f"{r.nom_qp} : non publié (moins de 3 ambassadeurs·rices)" for r in withheld.itertuples()]


def candidate_labels(frame: gpd.GeoDataFrame) -> np.ndarray:
    """A name per candidate: the first label-like column, else « Site n »."""
    for column in LABEL_COLUMNS:
        if column in frame.columns:
            values = frame[column].astype("string").fillna("").to_numpy(dtype=object)
            return np.array([v or f"Site {i + 1}" for i, v in enumerate(values)], dtype=object)
    return np.array([f"Site {i + 1}" for i in range(len(frame))], dtype=object)


def _training_candidates(project) -> gpd.GeoDataFrame:
    amb = _data(project, "ambassadors")
    training = amb[amb["status"] == TRAINING]
    if training.empty:
        raise AnalysisError("Aucun ambassadeur « en formation » dans le projet : il n'y a personne à classer.")
    return training[["amb_id", "geometry"]]


def _qpv_of(qpv: gpd.GeoDataFrame, qgeom: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Code and name of the QPV holding each point (empty outside every QPV)."""
    codes, names = np.full(len(xy), "", dtype=object), np.full(len(xy), "", dtype=object)
    if len(xy):
        p_idx, q_idx = shapely.STRtree(qgeom).query(shapely.points(xy), predicate="within")
        codes[p_idx] = qpv["code_qp"].to_numpy(dtype=object)[q_idx]
        names[p_idx] = qpv["nom_qp"].to_numpy(dtype=object)[q_idx]
    return codes, names


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(part, whole, out=np.full(len(whole), np.nan), where=whole > 0)


def _check_question(k, target) -> tuple[int | None, float | None]:
    if (k is None) == (target is None):
        raise AnalysisError("Choisissez une seule question : un nombre de recrues (k) ou un objectif de couverture.")
    if k is not None:
        if int(k) != k or k < 1:
            raise AnalysisError(f"Le nombre de recrues doit être un entier positif (reçu : {k}).")
        return int(k), None
    if 1 < target <= 100:
        target = target / 100  # « 80 » means 80 %
    if not 0 < target <= 1:
        raise AnalysisError(
            f"L'objectif de couverture doit être une part entre 0 et 1 (0,8) ou un pourcentage (80) ; reçu : {target}."
        )
    return None, float(target)


def _pct(share: float, digits: int = 0) -> str:
    """A share as French text: 0.805 -> « 80,5 % »."""
    return text.percent(share, digits)


def _fmt(value: float, unit: str) -> str:
    return f"{text.number(value)} {unit}"


def _proof_message(result: Recommendation, solution: mclp.Solution) -> str:
    """Whether the answer is the best possible, in plain words (the method and the gap go in details)."""
    if result.stage == PROVISIONAL:
        return "Réponse provisoire (méthode rapide), pas encore vérifiée : elle peut encore changer."
    if result.question == "target":
        if solution.optimal:
            return f"Meilleure solution possible : on ne peut pas y arriver avec moins de {len(result.sites)} site(s)."
        return (
            f"Temps de calcul écoulé : {len(result.sites)} site(s) proposé(s), peut-être un peu plus que "
            f"nécessaire (il en faut au moins {text.number(solution.bound)})."
        )
    if solution.optimal:
        return "Meilleure solution possible : aucun autre choix de sites ne couvre plus d'habitants."
    return f"Temps de calcul écoulé : bonne solution, à au plus {_pct(gap(result), 1)} de la meilleure possible."


def gap(result: Recommendation) -> float:
    """How far the answer may be from the best possible: a share of the bound (budget) or of the sites (target)."""
    if result.question == "target":
        n = len(result.sites)
        return max(0.0, (n - result.bound) / n) if n else 0.0
    return max(0.0, (result.bound - result.covered_after) / max(result.bound, 1e-9))


def details(result: Recommendation) -> str:
    """The « détails » line: the method, the proof and the gap, the computing time."""
    method = (
        "couverture maximale" if result.question == "budget" else "nombre minimal de sites"
    ) + " (calcul exact par programme linéaire en nombres entiers, logiciel HiGHS)"
    short = f"au plus {_pct(gap(result), 1)} " + (
        "sous la meilleure solution possible" if result.question == "budget" else "de sites en trop"
    )
    proof = "meilleure solution prouvée" if result.optimal else short
    if result.stage != FINAL:
        proof = "première réponse rapide (sites choisis un à un)" + (
            ", recherche arrêtée" if result.stage == STOPPED else ""
        )
        if result.question == "budget":
            proof += f" ; {short}"
    return f"Détails : {method} ; {proof} ; calcul en {text.duration(result.seconds)}."


def _method_notes(params: CoverageParams, reach) -> list[str]:
    """How the zones were reached (« Zones : à pied le long des rues, 750 m. »), and the strategy's warnings."""
    return [f"Zones : {params.describe()}."] + [f"Attention : {w}." for w in reach.warnings]


def _messages(
    result: Recommendation, solution: mclp.Solution, k, target, per_qpv: pd.DataFrame, method: str, notes: list[str]
) -> list[str]:
    from ambmap.analysis.coverage import POPULATION_METHODS

    messages = [_proof_message(result, solution)]
    gained = result.covered_after - result.covered_before
    if k is not None and len(result.sites) == 0:
        messages.append("Toute la population atteignable est déjà couverte : une recrue de plus n'ajouterait personne.")
    elif k is not None and len(result.sites) < k:
        messages.append(
            f"{len(result.sites)} site(s) suffisent pour atteindre toute la population atteignable ; "
            "les recrues suivantes n'ajouteraient personne."
        )
    messages.append(
        f"Couverture : {_fmt(result.covered_before, result.unit)} avant, "
        f"{_fmt(result.covered_after, result.unit)} après (+{_fmt(gained, result.unit)}) "
        f"sur {_fmt(result.total, result.unit)}."
    )
    for g in solution.infeasible_groups:
        row = per_qpv.iloc[g]
        messages.append(
            f"« {row.nom_qp} » ne peut pas atteindre {_pct(target)} avec les sites candidats : "
            f"au mieux {_pct(row.share_after)}. Ajoutez des candidats ou baissez l'objectif."
        )
    messages += notes
    messages.append(POPULATION_METHODS[method] + " Population découpée en carreaux de 100 m.")
    return messages


__all__ = ["Recommendation", "before_after", "details", "recommend_for_project", "recommend_points", "stopped"]
