"""Maximal covering and per-group set covering, solved exactly with HiGHS after reducing the model.

Pure numbers, no geography: demand rows (with weights), candidate columns, and a 0/1 coverage matrix
``A`` (``A[i, j] = 1`` when candidate ``j`` reaches demand ``i``). Two questions:

* budget (:func:`solve_budget`): choose at most ``k`` candidates maximising the covered weight
  (maximal covering location problem);
* target (:func:`solve_target`): the fewest candidates so that every group (QPV) reaches its needed
  covered weight.

Why reduce first: real instances are full of redundancy. Demand points reached by the same set of
candidates are one point with the summed weight; a candidate that reaches a subset of what another
reaches is never needed; and the problem splits into independent components (solved one by one for
the target question; for the budget they share the k sites, so one model holds them). For the budget,
a Lagrangian relaxation then gives a bound within a fraction of a percent of the LP bound in a few
hundred sparse products, and removes every candidate that provably cannot beat the best known answer:
what is left for HiGHS is often a hundred times smaller, which is what makes it prove optimality in
about a second. A greedy answer improved by local search is the fallback, with the best proven bound,
if the time runs out.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ambmap.errors import CancelledError

REL_GAP = 1e-6  # "proven optimal" means within one millionth of the bound
MAX_DOMINANCE_PAIRS = 40_000_000  # skip the subset test when A^T A would not fit comfortably in memory
POOL_PER_SITE, POOL_SECONDS = 5, 10.0  # the quick restricted MIP: 5 columns per site to place, 10 s at most

Progress = Callable[[int, int, str], None] | None


@dataclass
class Solution:
    """Chosen candidates (original indices, in rank order) with each one's marginal gain.

    For the budget question ``value`` is the newly covered weight and ``bound`` an upper bound on it;
    for the target question ``value`` is the number of sites and ``bound`` a lower bound on it.
    """

    chosen: np.ndarray
    gains: np.ndarray
    value: float
    bound: float
    optimal: bool
    seconds: float
    greedy_value: float
    stats: dict = field(default_factory=dict)
    infeasible_groups: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))


# -- reduction ------------------------------------------------------------------------------------
@dataclass
class Reduced:
    """The reduced model: ``A`` (rows × cols), row weights and groups, and the original column ids."""

    A: sp.csr_matrix
    weight: np.ndarray
    group: np.ndarray
    cols: np.ndarray


def reduce_problem(A: sp.csr_matrix, weight: np.ndarray, group: np.ndarray | None = None) -> Reduced:
    """Merge identical rows (same group) and columns, drop empty ones and dominated columns, until stable."""
    A = sp.csr_matrix(A, dtype=np.int64)
    group = np.zeros(A.shape[0], dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    keep = (weight > 0) & (np.diff(A.indptr) > 0)
    A, w, g, cols = A[keep], np.asarray(weight, dtype=float)[keep], group[keep], np.arange(A.shape[1])
    rng = np.random.default_rng(0)
    for _ in range(6):
        shape = A.shape
        used = np.asarray(A.sum(axis=0)).ravel() > 0
        A, cols = A[:, used], cols[used]
        first = _unique_first(_hash(A.T.tocsr(), rng))
        A, cols = A[:, first], cols[first]
        A, cols = _drop_dominated(A, cols)
        key = np.column_stack([_hash(A, rng), g])
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        w = np.bincount(inverse.ravel(), weights=w, minlength=len(first))
        A, g = A[first], g[first]
        if A.shape == shape:
            break
    return Reduced(sp.csr_matrix(A), w, g, cols)


def _hash(M: sp.csr_matrix, rng: np.random.Generator) -> np.ndarray:
    """Two 64-bit wrap-around sums of random keys per row: equal rows hash equal, others practically never."""
    keys = rng.integers(1, 2**62, size=(M.shape[1], 2), dtype=np.int64)
    return np.asarray(M @ keys)


def _unique_first(key: np.ndarray) -> np.ndarray:
    _, first = np.unique(key, axis=0, return_index=True)
    return np.sort(first)


def _drop_dominated(A: sp.csr_matrix, cols: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Remove every column whose rows are a strict subset of another column's (never needed)."""
    row_len = np.diff(A.indptr).astype(np.int64)
    if A.shape[1] < 2 or int((row_len**2).sum()) > MAX_DOMINANCE_PAIRS:
        return A, cols
    overlap = (A.T @ A).tocoo()
    size = np.asarray(A.sum(axis=0)).ravel()
    strict = (overlap.data == size[overlap.row]) & (overlap.row != overlap.col)
    dominated = np.zeros(A.shape[1], dtype=bool)
    dominated[overlap.row[strict]] = True
    return A[:, ~dominated], cols[~dominated]


def components(A: sp.csr_matrix, group: np.ndarray | None = None) -> tuple[int, np.ndarray]:
    """Connected components of rows (and their groups) linked through shared columns; labels per row."""
    n, m = A.shape
    blocks = [[None, A], [A.T, None]]
    if group is not None:
        _, g = np.unique(group, return_inverse=True)
        G = sp.csr_matrix((np.ones(n), (np.arange(n), g.ravel())), shape=(n, g.max() + 1 if n else 0))
        blocks = [[None, A, G], [A.T, None, None], [G.T, None, None]]
    count, labels = connected_components(sp.bmat(blocks, format="csr"), directed=False)
    return count, labels[:n]


# -- greedy ---------------------------------------------------------------------------------------
def _cover(AT: sp.csr_matrix, j: int, covered: np.ndarray) -> np.ndarray:
    """Mark the rows of column ``j`` (rows of ``AT``) as covered; return those that were not yet."""
    rows = AT.indices[AT.indptr[j]:AT.indptr[j + 1]]
    new = rows[~covered[rows]]
    covered[new] = True
    return new


def greedy_budget(A: sp.csr_matrix, weight: np.ndarray, k: int) -> tuple[list[int], np.ndarray]:
    """Pick, k times, the column adding the most uncovered weight (incremental gains, O(nnz) overall)."""
    AT = A.T.tocsr()
    gain = np.asarray(AT @ weight, dtype=float).ravel()
    covered = np.zeros(A.shape[0], dtype=bool)
    chosen: list[int] = []
    for _ in range(min(k, A.shape[1])):
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        chosen.append(j)
        new = _cover(AT, j, covered)
        sub = A[new]
        np.subtract.at(gain, sub.indices, np.repeat(weight[new], np.diff(sub.indptr)))
    return chosen, covered


def improve_by_swaps(A: sp.csr_matrix, weight: np.ndarray, chosen: list[int], rounds: int = 3) -> list[int]:
    """Local search: drop each chosen column in turn and re-add the best one, while that gains weight."""
    chosen = list(chosen)
    AC = sp.csc_matrix(A)
    AT = A.T.tocsr()
    for _ in range(rounds):
        improved = False
        for pos in range(len(chosen)):
            others = chosen[:pos] + chosen[pos + 1:]
            covered = np.asarray(AC[:, others].sum(axis=1)).ravel() > 0 if others else np.zeros(A.shape[0], bool)
            gain = np.asarray(AT @ (weight * ~covered)).ravel()
            best = int(np.argmax(gain))
            if gain[best] > gain[chosen[pos]] * (1 + 1e-12) + 1e-12:
                chosen[pos] = best
                improved = True
        if not improved:
            break
    return chosen


def lagrangian_fixing(A: sp.csr_matrix, weight: np.ndarray, k: int, chosen: list[int],
                      iterations: int = 1000) -> tuple[float, np.ndarray, list[int], float, np.ndarray]:
    """Upper bound by Lagrangian relaxation of the covering rows, a better solution, and useless columns.

    For multipliers 0 <= lam <= w, ``sum(max(w - lam, 0)) + sum of the k largest (A^T lam)_j`` bounds
    every solution; forcing column j in swaps the k-th largest term for ``(A^T lam)_j``. When even
    that bound is <= the weight of a known solution, j can be removed without losing the optimum.
    Every multiplier vector gives valid bounds, so fixings accumulate; each relaxed top-k set is
    also tried as a solution. Deflected subgradient steps (Polyak step towards the best known value).
    Returns (bound, useless mask, best solution, its weight, fixing margin per column): column j is
    useless for any solution weighing at least its margin, which lets a better solution found later
    fix more columns.
    """
    AC = sp.csc_matrix(A, dtype=float)
    AT = sp.csr_matrix(A.T, dtype=float)
    n, m = A.shape
    lower = _covered_weight(A, weight, chosen)
    lam = weight / np.maximum(np.diff(A.indptr), 1)
    best, mu, stale = np.inf, 2.0, 0
    direction = np.zeros(n)
    useless = np.zeros(m, dtype=bool)
    margin = np.full(m, np.inf)
    for _ in range(iterations):
        c = np.asarray(AT @ lam).ravel()
        top = np.argpartition(-c, k - 1)[:k] if k < m else np.arange(m)
        value = float(np.maximum(weight - lam, 0).sum() + c[top].sum())
        cover = np.asarray(AC[:, top].sum(axis=1)).ravel()
        found = float(np.sum(weight, where=cover > 0))  # no BLAS dot in this loop: its threads stall under load
        if found > lower:
            lower, chosen = found, list(top)
        tolerance = REL_GAP * max(lower, 1.0)
        margin = np.minimum(margin, value - c[top].min() + c)
        if value < best * (1 - 1e-12):
            best, stale = value, 0
        else:
            stale += 1
            if stale >= 30:
                mu, stale = mu / 2, 0
        if best <= lower + tolerance or mu < 1e-3:
            break
        grad = cover - (weight > lam)
        direction = grad + 0.6 * direction
        direction[np.abs(direction) < 1e-9] = 0.0  # denormal floats would make every step 10x slower
        norm = float(np.sum(direction * direction))
        if norm == 0:
            break
        lam = np.minimum(np.maximum(lam - mu * (value - lower) / norm * direction, 0), weight)  # np.clip is slow
    useless = margin <= lower - REL_GAP * max(lower, 1.0)
    useless[chosen] = False
    return best, useless, chosen, lower, margin


def rank_sites(A: sp.csr_matrix, weight: np.ndarray, chosen: list[int]) -> tuple[list[int], np.ndarray]:
    """Order chosen columns by greedy marginal gain; each gain counts what the earlier ones left."""
    if not chosen:
        return [], np.zeros(0)
    sub = A[:, chosen]
    order, covered = greedy_budget(sub, weight, len(chosen))
    rest = [i for i in range(len(chosen)) if i not in order]  # sites adding nothing come last
    ranked = order + rest
    gains, seen = [], np.zeros(A.shape[0], dtype=bool)
    for i in ranked:
        rows = sub[:, i].nonzero()[0]
        new = rows[~seen[rows]]
        seen[new] = True
        gains.append(float(weight[new].sum()))
    return [chosen[i] for i in ranked], np.array(gains)


# -- HiGHS ----------------------------------------------------------------------------------------
@functools.cache
def _silence_banner() -> None:
    """HiGHS prints a banner to stdout on its first construction: swallow it (keeps --json output clean)."""
    import highspy

    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        highspy.Highs()
        try:
            ctypes.CDLL(None).fflush(None)  # C stdio buffer, before fd 1 comes back
        except (OSError, TypeError, AttributeError):  # no C library handle (Windows): nothing buffered to flush
            pass
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _solve_mip(cost: np.ndarray, integer: np.ndarray, upper: np.ndarray, M: sp.spmatrix, row_lower: np.ndarray,
               row_upper: np.ndarray, maximize: bool, time_limit: float,
               progress: Progress) -> tuple[np.ndarray | None, float, float, bool]:
    """Solve one MIP; returns (solution or None, objective, bound, proven optimal). Cancellable via progress.

    No warm start: HiGHS 1.16 maps a user solution wrongly through presolve (it then reports a
    better objective and bound than the solution has, and may prune the true optimum).
    """
    import highspy

    _silence_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    h.setOptionValue("mip_rel_gap", REL_GAP)
    h.setOptionValue("random_seed", 0)
    lp = highspy.HighsLp()
    M = sp.csc_matrix(M)
    lp.num_col_, lp.num_row_ = M.shape[1], M.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.zeros(M.shape[1])
    lp.col_upper_ = np.asarray(upper, dtype=float)
    lp.row_lower_ = np.asarray(row_lower, dtype=float)
    lp.row_upper_ = np.asarray(row_upper, dtype=float)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = M.indptr.astype(np.int32)
    lp.a_matrix_.index_ = M.indices.astype(np.int32)
    lp.a_matrix_.value_ = M.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integer]
    h.passModel(lp)
    cancelled, last = [], [0.0]
    if progress is not None:
        def on_interrupt(kind, message, data_out, data_in, user_data):
            if time.perf_counter() - last[0] < 0.2:  # HiGHS asks very often: keep the UI's event queue calm
                return
            last[0] = time.perf_counter()
            try:
                progress(0, 0, "Optimisation en cours…")
            except CancelledError:
                cancelled.append(True)
                data_in.user_interrupt = True
        h.setCallback(on_interrupt, None)
        h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
    h.run()
    if cancelled:
        raise CancelledError()
    status = h.getModelStatus()
    info = h.getInfo()
    has_solution = h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value) if has_solution else None
    optimal = status == highspy.HighsModelStatus.kOptimal
    objective = float(np.dot(cost, x)) if has_solution else np.nan
    if optimal:  # solved in presolve, HiGHS may leave the dual bound unset
        bound = objective
    else:
        bound = info.mip_dual_bound if np.isfinite(info.mip_dual_bound) else (np.inf if maximize else 0.0)
    return x, objective, bound, optimal


# -- budget ---------------------------------------------------------------------------------------
def solve_budget(A: sp.csr_matrix, weight: np.ndarray, k: int, *, time_limit: float = 60.0, reduce: bool = True,
                 progress: Progress = None) -> Solution:
    """At most ``k`` columns maximising covered weight: exact with HiGHS, best heuristic answer and bound otherwise.

    Steps: reduce; greedy then swap local search (a lower bound); Lagrangian bound, which removes the
    columns that cannot beat it; HiGHS on what is left, kept only if it beats the heuristic answer.
    ``reduce=False`` gives the plain HiGHS model (the benchmark baseline).
    """
    t0 = time.perf_counter()
    weight = np.asarray(weight, dtype=float)
    stats = {"demand": int(A.shape[0]), "candidates": int(A.shape[1])}
    if reduce:
        red = reduce_problem(A, weight)
    else:
        red = Reduced(sp.csr_matrix(A, dtype=np.int64), weight, np.zeros(A.shape[0], dtype=np.int64),
                      np.arange(A.shape[1]))
    R, w = red.A, red.weight
    stats.update(reduced_demand=int(R.shape[0]), reduced_candidates=int(R.shape[1]),
                 components=int(components(R)[0]) if reduce and R.shape[0] else 1)
    greedy, covered = greedy_budget(R, w, k)
    greedy_value = float(w[covered].sum())
    chosen, value = greedy, greedy_value
    if reduce:
        chosen = improve_by_swaps(R, w, greedy)
        value = _covered_weight(R, w, chosen)
    trivial = min(float(w.sum()), float(np.sort(np.asarray(R.T @ w).ravel())[::-1][:k].sum()))
    tolerance = REL_GAP * max(value, 1.0)
    bound, optimal = trivial, value >= trivial - tolerance
    if not optimal and reduce:
        bound, useless, chosen, value, margin = lagrangian_fixing(R, w, k, chosen)
        bound = min(bound, trivial)
        optimal = bound <= value + tolerance
        if not optimal:
            # HiGHS on the columns the relaxation likes best usually finds the optimum in a blink;
            # a better solution then proves more columns useless
            pool = np.union1d(np.argsort(margin)[::-1][:POOL_PER_SITE * k], chosen)
            sub = reduce_problem(R[:, pool], w)
            x, objective, _, _ = _budget_mip(sub.A, sub.weight, k, min(POOL_SECONDS, time_limit / 4), progress)
            if x is not None and objective > value:
                chosen = list(pool[sub.cols][x])
                value = _covered_weight(R, w, chosen)
            tolerance = REL_GAP * max(value, 1.0)
            useless = margin <= value - tolerance
            useless[chosen] = False
            optimal = bound <= value + tolerance
        stats["fixed_by_bound"] = int(useless.sum())
    if not optimal:
        keep = np.flatnonzero(~useless) if reduce else np.arange(R.shape[1])
        sub = reduce_problem(R[:, keep], w) if reduce else Reduced(R, w, red.group, keep)
        cols = keep[sub.cols]
        stats.update(mip_demand=int(sub.A.shape[0]), mip_candidates=int(sub.A.shape[1]))
        x, objective, mip_bound, optimal = _budget_mip(sub.A, sub.weight, k, time_limit - (time.perf_counter() - t0),
                                                       progress)
        if x is not None and objective > value:
            chosen, value = list(cols[x]), _covered_weight(R, w, list(cols[x]))
        bound = min(bound, max(mip_bound, value))
        optimal = optimal or bound <= value + tolerance
    order, gains = rank_sites(R, w, chosen)
    return Solution(red.cols[order], gains, value, max(bound, value), optimal, time.perf_counter() - t0,
                    greedy_value, stats)


def _covered_weight(A: sp.csr_matrix, weight: np.ndarray, chosen: list[int]) -> float:
    if not len(chosen):
        return 0.0
    return float(weight[np.asarray(sp.csc_matrix(A)[:, chosen].sum(axis=1)).ravel() > 0].sum())


def _budget_mip(R: sp.csr_matrix, w: np.ndarray, k: int, time_limit: float,
                progress: Progress) -> tuple[np.ndarray | None, float, float, bool]:
    """The MCLP model: x (columns, binary) then y (rows, in [0, 1]); y_i <= sum_j A_ij x_j; sum x <= k."""
    n, m = R.shape
    M = sp.bmat([[-R, sp.identity(n)], [sp.csr_matrix(np.ones((1, m))), None]])
    x, objective, bound, optimal = _solve_mip(
        np.concatenate([np.zeros(m), w]), np.r_[np.ones(m, bool), np.zeros(n, bool)], np.ones(m + n), M,
        np.full(n + 1, -np.inf), np.r_[np.zeros(n), k], True, time_limit, progress)
    return (None if x is None else x[:m] > 0.5), objective, bound, optimal


# -- target ---------------------------------------------------------------------------------------
def solve_target(A: sp.csr_matrix, weight: np.ndarray, group: np.ndarray, need: np.ndarray, *,
                 time_limit: float = 60.0, progress: Progress = None) -> Solution:
    """Fewest columns so that each group ``g`` gets covered weight >= ``need[g]``.

    A group that cannot reach its need even with every candidate is reported in
    ``infeasible_groups`` and asked for everything it can reach instead.
    """
    t0 = time.perf_counter()
    weight = np.asarray(weight, dtype=float)
    group = np.asarray(group, dtype=np.int64)
    need = np.asarray(need, dtype=float).copy()
    reachable = np.bincount(group, weights=weight * (np.diff(sp.csr_matrix(A).indptr) > 0), minlength=len(need))
    tolerance = 1e-9 * np.maximum(need, 1.0)
    infeasible = np.flatnonzero(need > reachable + tolerance)
    need = np.minimum(need, reachable) - tolerance
    active = need > 0
    rows = active[group] & (weight > 0)
    red = reduce_problem(A[rows], weight[rows], group[rows])
    R, w, g = red.A, red.weight, red.group
    count, labels = components(R, g)
    stats = {"demand": int(A.shape[0]), "candidates": int(A.shape[1]), "reduced_demand": int(R.shape[0]),
             "reduced_candidates": int(R.shape[1]), "components": int(count)}
    chosen: list[int] = []
    value = bound = greedy_total = 0.0
    optimal = True
    for c in range(count):
        r_idx = np.flatnonzero(labels == c)
        sub = R[r_idx]
        c_idx = np.flatnonzero(np.asarray(sub.sum(axis=0)).ravel() > 0)
        sub = sub[:, c_idx]
        groups, g_local = np.unique(g[r_idx], return_inverse=True)
        picked, b, opt, greedy_count = _target_component(
            sub, w[r_idx], g_local.ravel(), need[groups], time_limit - (time.perf_counter() - t0), progress)
        chosen += list(c_idx[picked])
        value += len(picked)
        bound += b
        greedy_total += greedy_count
        optimal &= opt
    order, gains = rank_sites(R, w, chosen)
    return Solution(red.cols[order], gains, value, min(bound, value), optimal, time.perf_counter() - t0,
                    greedy_total, stats, infeasible)


def greedy_target(A: sp.csr_matrix, weight: np.ndarray, group: np.ndarray, need: np.ndarray) -> list[int]:
    """Add the column covering the most weight in groups still short of their need, until none is."""
    remaining = need.copy()
    covered = np.zeros(A.shape[0], dtype=bool)
    AT = A.T.tocsr()
    chosen: list[int] = []
    while (remaining > 0).any():
        useful = weight * (~covered) * (remaining[group] > 0)
        gain = np.asarray(AT @ useful).ravel()
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        chosen.append(j)
        new = _cover(AT, j, covered)
        np.subtract.at(remaining, group[new], weight[new])
    return chosen


def _target_component(R, w, g, need, time_limit, progress) -> tuple[list[int], float, bool, int]:
    greedy = greedy_target(R, w, g, need)
    n, m = R.shape
    if len(greedy) <= 1:
        return greedy, float(len(greedy)), True, len(greedy)
    groups = len(need)
    G = sp.csr_matrix((w, (g, np.arange(n))), shape=(groups, n))
    # columns: x (m, binary), y (n, continuous); rows: y_i - sum_j A_ij x_j <= 0 ; sum_{i in g} w_i y_i >= need_g
    M = sp.bmat([[-R, sp.identity(n)], [None, G]])
    x, objective, bound, optimal = _solve_mip(
        np.r_[np.ones(m), np.zeros(n)], np.r_[np.ones(m, bool), np.zeros(n, bool)], np.ones(m + n), M,
        np.r_[np.full(n, -np.inf), need], np.r_[np.zeros(n), np.full(groups, np.inf)], False, time_limit,
        progress)
    if x is None or objective > len(greedy):
        return greedy, max(float(np.ceil(bound - 1e-6)), 1.0), False, len(greedy)
    return list(np.flatnonzero(x[:m] > 0.5)), float(np.ceil(bound - 1e-6)), optimal, len(greedy)
