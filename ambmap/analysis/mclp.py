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

Three promises. The time limit holds: every loop asks the deadline, and HiGHS runs on big models in
a child process killed at the deadline (some of its steps never look at the clock). The answer does
not depend on the machine's load: internal budgets are work units (pairs visited, iterations,
nodes), the user's deadline is the only clock. « Optimal » means the bound exceeds the answer by
less than one unit of weight (one inhabitant), never a relative tolerance.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ambmap.errors import CancelledError

ABS_GAP = 1.0  # "proven optimal" means the bound exceeds the answer by less than one unit of weight (inhabitant)
MAX_DOMINANCE_PAIRS = 40_000_000  # skip the subset test when A^T A would not fit comfortably in memory
# Internal budgets are work units, never seconds, so that a busy machine gives the same answer as a quiet one;
# the user's time limit is the only clock. One unit = one (demand, candidate) pair visited.
LAGRANGE_WORK, LAGRANGE_ITERATIONS = 3_000_000_000, (150, 1000)  # subgradient steps, scaled to the pairs
POOL_EXTRA, POOL_NODES = 150, 200  # the quick restricted MIP: k + 150 columns, 200 nodes at most
SWAP_WORK = 300_000_000  # local search: pairs visited (a try visits the rows only the dropped column reaches)
SWAPS_FIRST_WORK = 50_000_000  # below this (pairs x k) swaps run before the Lagrangian; above, a short deadline
# needs the bound first (dense, T = 5 s: 1 s less of subgradient steps left the gap at 49 % instead of 31 %)
PRESOLVE_MAX_NNZ = 400_000  # HiGHS 1.16 presolve ignores its time limit: off on models bigger than this
IN_PROCESS_MAX_NNZ = 150_000  # bigger models run HiGHS in a child process, killed at the deadline
LP_MAX_NNZ = 1_000_000  # LP reduced-cost fixing only below this: the LP of a denser model takes minutes

Progress = Callable[[int, int, str], None] | None


class Deadline:
    """The user's time limit, the only wall-clock bound: every loop asks it before another step."""

    def __init__(self, seconds: float):
        self.end = time.perf_counter() + max(float(seconds), 0.0)

    def left(self) -> float:
        return self.end - time.perf_counter()

    def passed(self) -> bool:
        return self.left() <= 0


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


def reduce_problem(
    A: sp.csr_matrix, weight: np.ndarray, group: np.ndarray | None = None, clock: Deadline | None = None
) -> Reduced:
    """Merge identical rows (same group) and columns, drop empty ones and dominated columns, until stable
    (or the deadline: every round gives an exact, smaller model)."""
    A = sp.csr_matrix(A, dtype=np.int32)
    group = np.zeros(A.shape[0], dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    keep = (weight > 0) & (np.diff(A.indptr) > 0)
    A, w, g, cols = A[keep], np.asarray(weight, dtype=float)[keep], group[keep], np.arange(A.shape[1])
    rng = np.random.default_rng(0)
    for _ in range(6):
        if clock is not None and clock.passed():
            break
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
    n = A.shape[0]
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
    rows = AT.indices[AT.indptr[j] : AT.indptr[j + 1]]
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


def improve_by_swaps(
    A: sp.csr_matrix, weight: np.ndarray, chosen: list[int], clock: Deadline | None = None, rounds: int = 50
) -> list[int]:
    """Local search: drop each chosen column in turn and re-add the best one, while that gains weight.

    Incremental: ``free`` holds what each column would add now; dropping ``j`` adds back only the rows
    ``j`` alone reaches, so a try visits those rows' pairs, not the whole matrix. At most ``SWAP_WORK``
    pairs in all, and the deadline.
    """
    chosen = list(chosen)
    A = sp.csr_matrix(A)
    AT = A.T.tocsr()
    m = A.shape[1]
    count = np.zeros(A.shape[0], dtype=np.int32)  # how many chosen columns reach each row
    for j in chosen:
        count[AT.indices[AT.indptr[j] : AT.indptr[j + 1]]] += 1
    free = np.asarray(AT @ (weight * (count == 0)), dtype=float).ravel()
    work = A.nnz

    def per_column(rows: np.ndarray) -> np.ndarray:
        sub = A[rows]
        return np.bincount(sub.indices, weights=np.repeat(weight[rows], np.diff(sub.indptr)), minlength=m)

    for _ in range(rounds):
        improved = False
        for pos in range(len(chosen)):
            if work > SWAP_WORK or (clock is not None and clock.passed()):
                return chosen
            j = chosen[pos]
            rows = AT.indices[AT.indptr[j] : AT.indptr[j + 1]]
            alone = rows[count[rows] == 1]
            back = per_column(alone)  # what each column gains once j is gone; back[j] is j's loss
            gain = free + back
            best = int(np.argmax(gain))
            work += m + len(rows) + int(A.indptr[alone + 1].sum() - A.indptr[alone].sum())
            if gain[best] <= back[j] * (1 + 1e-12) + 1e-9:
                continue
            count[rows] -= 1
            free += back
            rows = AT.indices[AT.indptr[best] : AT.indptr[best + 1]]
            new = rows[count[rows] == 0]
            free -= per_column(new)
            count[rows] += 1
            work += len(rows) + int(A.indptr[new + 1].sum() - A.indptr[new].sum())
            chosen[pos], improved = best, True
        if not improved:
            break
    return chosen


def lagrangian_fixing(
    A: sp.csr_matrix,
    weight: np.ndarray,
    k: int,
    lower: float,
    clock: Deadline | None = None,
    lam: np.ndarray | None = None,
    iterations: int | None = None,
) -> tuple[float, np.ndarray, list[int], float]:
    """Upper bound by Lagrangian relaxation of the covering rows, a better solution, and each column's margin.

    For multipliers 0 <= lam <= w, ``sum(max(w - lam, 0)) + sum of the k largest (A^T lam)_j`` bounds
    every solution; forcing column j in swaps the k-th largest term for ``(A^T lam)_j``: that is the
    column's margin, an upper bound on every solution using it (the smallest over all multipliers
    tried). Each relaxed top-k set is also tried as a solution. Deflected subgradient steps, Polyak
    step towards the best known value ``lower``; ``lam`` may start from LP duals (then one iteration
    is LP reduced-cost fixing). Iterations are work units, scaled to the pairs, cut short by the deadline.
    Returns (bound, margin per column, best solution found (empty if none beat ``lower``), its weight).
    """
    AC = sp.csc_matrix(A, dtype=float)
    AT = sp.csr_matrix(A.T, dtype=float)
    n, m = A.shape
    if iterations is None:
        iterations = int(np.clip(LAGRANGE_WORK // max(A.nnz, 1), *LAGRANGE_ITERATIONS))
    lam = weight / np.maximum(np.diff(A.indptr), 1) if lam is None else np.minimum(np.maximum(lam, 0), weight)
    best, mu, stale, chosen = np.inf, 2.0, 0, []
    direction = np.zeros(n)
    margin = np.full(m, np.inf)
    for it in range(iterations):
        if it and clock is not None and clock.passed():
            break
        c = np.asarray(AT @ lam).ravel()
        top = np.argpartition(-c, k - 1)[:k] if k < m else np.arange(m)
        value = float(np.maximum(weight - lam, 0).sum() + c[top].sum())
        cover = np.asarray(AC[:, top].sum(axis=1)).ravel()
        found = float(np.sum(weight, where=cover > 0))  # no BLAS dot in this loop: its threads stall under load
        if found > lower:
            lower, chosen = found, list(top)
        margin = np.minimum(margin, value - c[top].min() + c)
        if value < best * (1 - 1e-12):
            best, stale = value, 0
        else:
            stale += 1
            if stale >= 30:
                mu, stale = mu / 2, 0
        if best - lower < ABS_GAP or mu < 1e-3:
            break
        grad = cover - (weight > lam)
        direction = grad + 0.6 * direction
        direction[np.abs(direction) < 1e-9] = 0.0  # denormal floats would make every step 10x slower
        norm = float(np.sum(direction * direction))
        if norm == 0:
            break
        lam = np.minimum(np.maximum(lam - mu * (value - lower) / norm * direction, 0), weight)  # np.clip is slow
    return best, margin, chosen, lower


def rank_sites(A: sp.csr_matrix, weight: np.ndarray, chosen: list[int]) -> tuple[list[int], np.ndarray]:
    """Order chosen columns by greedy marginal gain; each gain counts what the earlier ones left."""
    if not chosen:
        return [], np.zeros(0)
    sub = A[:, chosen]
    order, _ = greedy_budget(sub, weight, len(chosen))
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


def _solve_mip(
    cost: np.ndarray,
    integer: np.ndarray,
    upper: np.ndarray,
    M: sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    maximize: bool,
    clock: Deadline,
    progress: Progress,
    *,
    nodes: int | None = None,
    seconds: float | None = None,
    duals: bool = False,
    options: dict | None = None,
) -> tuple[np.ndarray | None, float, float, bool]:
    """Solve one MIP (or LP); returns (solution or None, objective, bound, HiGHS optimal). Cancellable via progress.

    Stops at the deadline, or after ``nodes`` branch-and-bound nodes (a work unit). Some steps of
    HiGHS 1.16 never look at the clock (presolve, the feasibility jump, the set-up of a big root
    LP: 20 s on 4 M nonzeros), so a big model runs in a child process that is killed at the
    deadline, with presolve off; a small one runs here, interrupted from every HiGHS loop.
    ``duals``: return the row duals instead of the objective (an LP).
    No warm start: HiGHS 1.16 maps a user solution wrongly through presolve (it then reports a
    better objective and bound than the solution has, and may prune the true optimum).
    """
    M = sp.csc_matrix(M)
    options_ = {
        "time_limit": max(min(clock.left(), np.inf if seconds is None else seconds), 0.01),
        "mip_rel_gap": 0.0,
        "mip_abs_gap": ABS_GAP / 2,
        "random_seed": 0,
    }
    options = {**options_, **(options or {})}
    if nodes is not None:
        options["mip_max_nodes"] = int(nodes)
    if M.nnz > PRESOLVE_MAX_NNZ:
        options.update(presolve="off", mip_heuristic_run_feasibility_jump=False)
    problem = {
        "cost": np.asarray(cost, dtype=float),
        "integer": np.asarray(integer, dtype=bool),
        "upper": np.asarray(upper, dtype=float),
        "row_lower": np.asarray(row_lower, dtype=float),
        "row_upper": np.asarray(row_upper, dtype=float),
        "start": M.indptr.astype(np.int32),
        "index": M.indices.astype(np.int32),
        "value": M.data.astype(float),
        "maximize": bool(maximize),
        "options": json.dumps(options),
    }
    if M.nnz > IN_PROCESS_MAX_NNZ:  # HiGHS stops itself a little before the kill, keeping its answer and bound
        options["time_limit"] = max(min(options["time_limit"], 0.9 * clock.left() - 0.2), 0.01)
        problem["options"] = json.dumps(options)
        out = _highs_in_child(problem, clock, progress)
    else:
        out = _highs_here(problem, clock, progress)
    if out is None:  # killed at the deadline: nothing known
        return None, np.nan, (np.inf if maximize else 0.0), False
    optimal = bool(out["optimal"])
    if duals:
        return (out["row_dual"] if optimal else None), np.nan, np.nan, optimal
    x = out["x"] if out["has_solution"] else None
    objective = float(np.dot(cost, x)) if x is not None else np.nan
    bound = float(out["bound"])
    if not np.isfinite(bound):  # solved in presolve (then exact), or stopped before any bound
        bound = objective if optimal else (np.inf if maximize else 0.0)
    return x, objective, bound, optimal


def _highs(problem: dict, stop: Callable[[], bool]) -> dict:
    """Run HiGHS on ``problem`` (arrays and JSON options); ``stop()`` is asked from every HiGHS loop."""
    import highspy

    _silence_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for name, value in json.loads(str(problem["options"])).items():
        h.setOptionValue(name, value)
    lp = highspy.HighsLp()
    n_col, n_row = len(problem["cost"]), len(problem["row_lower"])
    lp.num_col_, lp.num_row_ = n_col, n_row
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = problem["cost"], np.zeros(n_col), problem["upper"]
    lp.row_lower_, lp.row_upper_ = problem["row_lower"], problem["row_upper"]
    lp.sense_ = highspy.ObjSense.kMaximize if bool(problem["maximize"]) else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = (
        problem["start"],
        problem["index"],
        problem["value"],
    )
    if problem["integer"].any():
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[int(i)] for i in problem["integer"]]
    h.passModel(lp)

    def on_interrupt(kind, message, data_out, data_in, user_data):
        if stop():
            data_in.user_interrupt = True

    h.setCallback(on_interrupt, None)
    for kind in ("kCallbackMipInterrupt", "kCallbackSimplexInterrupt", "kCallbackIpmInterrupt"):
        h.startCallback(getattr(highspy.cb.HighsCallbackType, kind))
    h.run()
    info, solution = h.getInfo(), h.getSolution()
    return {
        "x": np.asarray(solution.col_value),
        "row_dual": np.asarray(solution.row_dual),
        "has_solution": info.primal_solution_status == 2,  # kSolutionStatusFeasible
        "optimal": h.getModelStatus() == highspy.HighsModelStatus.kOptimal,
        "bound": info.mip_dual_bound,
    }


def _highs_here(problem: dict, clock: Deadline, progress: Progress) -> dict:
    cancelled: list[bool] = []
    last = [0.0]

    def stop() -> bool:
        if clock.passed() or cancelled:
            return True
        if progress is not None and time.perf_counter() - last[0] >= 0.2:  # HiGHS asks very often: keep the UI calm
            last[0] = time.perf_counter()
            try:
                progress(0, 0, "Optimisation en cours…")
            except CancelledError:
                cancelled.append(True)
        return bool(cancelled)

    out = _highs(problem, stop)
    if cancelled:
        raise CancelledError()
    return out


def _highs_in_child(problem: dict, clock: Deadline, progress: Progress) -> dict | None:
    """HiGHS in a child process (``python -m ambmap.analysis.mclp IN OUT``), killed at the deadline or on cancel."""
    with tempfile.TemporaryDirectory(prefix="ambmap-highs-") as folder:
        source, target = os.path.join(folder, "in.npz"), os.path.join(folder, "out.npz")
        np.savez(source, **problem)
        child = subprocess.Popen(
            [sys.executable, "-m", "ambmap.analysis.mclp", source, target],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while child.poll() is None:
                if clock.passed():
                    return None
                if progress is not None:
                    progress(0, 0, "Optimisation en cours…")
                time.sleep(0.05)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        if child.returncode != 0 or not os.path.exists(target):
            return None
        with np.load(target) as out:
            return {name: out[name] for name in out.files}


def _child_main(source: str, target: str) -> None:
    with np.load(source) as data:
        problem = {name: data[name] for name in data.files}
    np.savez(target, **_highs(problem, lambda: False))


# -- budget ---------------------------------------------------------------------------------------
def solve_budget(  # noqa: C901  (one solver pipeline: presolve, bounds, MIP, fallback; read top to bottom)
    A: sp.csr_matrix,
    weight: np.ndarray,
    k: int,
    *,
    time_limit: float = 60.0,
    reduce: bool = True,
    progress: Progress = None,
) -> Solution:
    """At most ``k`` columns maximising covered weight: exact with HiGHS, best answer and bound at the deadline.

    Steps: reduce; greedy; swap local search and Lagrangian bound (its relaxed solutions are tried too);
    a node-limited HiGHS run on the columns the relaxation likes best; fixing of the columns that
    cannot add an inhabitant; the LP relaxation's duals (reduced-cost fixing); HiGHS on what is
    left. ``optimal`` means the bound exceeds the answer by less than ``ABS_GAP`` (one inhabitant).
    Every step but the last is bounded in work units, so the answer does not depend on the
    machine's load; ``time_limit`` (seconds) stops whatever runs and returns the best answer and
    bound found. ``reduce=False`` gives the plain HiGHS model.

    Parameters
    ----------
    A
        Coverage matrix, one row per demand point and one column per candidate (True: reached).
    weight
        Weight of each demand point (inhabitants).
    k
        Most columns chosen.
    time_limit
        Seconds before the best answer so far is returned.
    reduce
        Presolve (merge identical rows, drop dominated columns) before solving.
    progress
        Called with (step, steps, French message); may raise ``CancelledError``.

    Returns
    -------
    Solution
        Chosen columns in rank order, their marginal gains, covered weight and its upper bound.
    """
    t0 = time.perf_counter()
    clock = Deadline(time_limit - min(0.08 * time_limit, 2.0))  # the rest is for ranking and handing back
    weight = np.asarray(weight, dtype=float)
    stats: dict[str, Any] = {"demand": int(A.shape[0]), "candidates": int(A.shape[1])}
    if reduce:
        red = reduce_problem(A, weight, clock=clock)
    else:
        red = Reduced(
            sp.csr_matrix(A, dtype=np.int32), weight, np.zeros(A.shape[0], dtype=np.int64), np.arange(A.shape[1])
        )
    R, w = red.A, red.weight
    steps = stats["seconds"] = {"reduction": round(time.perf_counter() - t0, 2)}

    def step(name: str) -> None:  # where the time went (stats only: the answer never depends on it)
        steps[name] = round(time.perf_counter() - t0 - sum(steps.values()), 2)

    stats.update(reduced_demand=int(R.shape[0]), reduced_candidates=int(R.shape[1]))
    integral = bool(np.all(w == np.round(w)))  # then every answer is a whole number: a bound rounds down
    chosen, covered = greedy_budget(R, w, k)
    greedy_value = value = float(w[covered].sum())
    bound = min(float(w.sum()), float(np.sort(np.asarray(R.T @ w).ravel())[::-1][:k].sum()))
    step("greedy")

    def proven() -> bool:
        return _round_down(bound, integral) - value < ABS_GAP

    S, ws, cols, fixed = (
        R,
        w,
        np.arange(R.shape[1]),
        -np.inf,
    )  # the model still open, its columns in R, bound of the rest
    swaps_first = R.nnz * k <= SWAPS_FIRST_WORK
    if reduce and not proven():
        if swaps_first:  # a better target for the relaxation
            chosen = improve_by_swaps(R, w, chosen, clock)
            value = _covered_weight(R, w, chosen)
            step("swaps")
        b, margin, top, v = lagrangian_fixing(R, w, k, value, clock, lam=_shares(R, w, chosen))
        if v > value:
            chosen, value = _better(R, w, chosen, value, top, clock)
        bound = min(bound, b)
        step("lagrange")
        if not swaps_first and not proven() and not clock.passed():
            chosen, value = _better(R, w, chosen, value, chosen, clock)
            step("swaps")
        if POOL_NODES and not proven() and not clock.passed():
            # HiGHS on the columns the relaxation likes best often finds the optimum in a blink;
            # a better answer then proves more columns useless
            pool = np.union1d(np.argsort(margin)[::-1][: k + POOL_EXTRA], chosen)
            sub = reduce_problem(R[:, pool], w)
            x, _, _, _ = _budget_mip(sub.A, sub.weight, k, clock, progress, nodes=POOL_NODES)
            if x is not None:
                chosen, value = _better(R, w, chosen, value, list(pool[sub.cols][x]), clock)
            step("pool")
        if not proven() and not clock.passed():
            S, ws, cols, fixed = _restrict(R, w, cols, margin, value, fixed)
            stats["fixed_by_bound"] = int(R.shape[1] - len(cols))
            step("fixing")
        if not proven() and S.shape[1] > k and S.nnz <= LP_MAX_NNZ and not clock.passed():
            lam = _budget_lp_duals(S, ws, k, clock, progress)
            if lam is not None:
                b, margin, top, v = lagrangian_fixing(S, ws, k, value, clock, lam=lam, iterations=1)
                if v > value:
                    chosen, value = _better(R, w, chosen, value, list(cols[top]), clock)
                bound = min(bound, max(fixed, b))
                S, ws, cols, fixed = _restrict(S, ws, cols, margin, value, fixed)
                stats["fixed_by_lp"] = int(R.shape[1] - len(cols)) - stats["fixed_by_bound"]
            step("lp")
    if not proven() and not clock.passed() and S.shape[1]:
        stats.update(mip_demand=int(S.shape[0]), mip_candidates=int(S.shape[1]))
        x, _, mip_bound, _ = _budget_mip(S, ws, k, clock, progress)
        if x is not None:
            chosen, value = _better(R, w, chosen, value, list(cols[x]), clock)
        bound = min(bound, max(fixed, mip_bound))
        step("mip")
    elif not proven() and not S.shape[1]:
        bound = min(bound, fixed)
    bound = max(_round_down(bound, integral), value)
    order, gains = rank_sites(R, w, chosen)
    step("ranking")
    return Solution(
        red.cols[order], gains, value, bound, bound - value < ABS_GAP, time.perf_counter() - t0, greedy_value, stats
    )


def _better(
    A: sp.csr_matrix, weight: np.ndarray, chosen: list[int], value: float, other: list[int], clock: Deadline
) -> tuple[list[int], float]:
    """The better of the incumbent and ``other`` polished by swaps (a MIP on a column pool, or a relaxed
    solution, is often a few swaps from better with every column allowed)."""
    for candidate in (other, improve_by_swaps(A, weight, other, clock)):
        v = _covered_weight(A, weight, candidate)
        if v > value:
            chosen, value = list(candidate), v
    return chosen, value


def _shares(A: sp.csr_matrix, weight: np.ndarray, chosen: list[int]) -> np.ndarray:
    """Starting multipliers from a good solution: a row's weight shared among the chosen columns reaching it,
    whole where none does (it prices the columns that would cover it). Near the optimum's duals: on a
    city, 500 subgradient steps from here bound better than 1,500 from ``w / degree``."""
    count = np.asarray(sp.csc_matrix(A)[:, chosen].sum(axis=1)).ravel() if len(chosen) else np.zeros(A.shape[0])
    return weight / np.maximum(count, 1)


def _rounding_slack(bound: float) -> float:
    """How far below a whole number a floating-point bound may fall and still mean that number."""
    return max(1e-6, 1e-12 * abs(bound))


def _round_down(bound: float, integral: bool) -> float:
    return float(np.floor(bound + _rounding_slack(bound))) if integral and np.isfinite(bound) else bound


def _restrict(
    S: sp.csr_matrix, w: np.ndarray, cols: np.ndarray, margin: np.ndarray, value: float, fixed: float
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, float]:
    """Drop the columns whose margin proves they cannot add a whole inhabitant to ``value``; merge again.

    Returns the smaller model (rows merged), its row weights, its columns' ids in R and the best any
    dropped column could still reach (it stays part of the bound).
    """
    # a margin within rounding of value + 1 may be exactly value + 1 (a better answer): such a column stays
    # in the model, else the bound keeps it (rounded up) and a small instance goes unproven
    useless = margin < value + ABS_GAP - _rounding_slack(value + ABS_GAP)
    if useless.any():
        fixed = max(fixed, float(margin[useless].max()))
    keep = np.flatnonzero(~useless)
    sub = reduce_problem(S[:, keep], w)
    return sub.A, sub.weight, cols[keep[sub.cols]], fixed


def _covered_weight(A: sp.csr_matrix, weight: np.ndarray, chosen: list[int]) -> float:
    if not len(chosen):
        return 0.0
    return float(weight[np.asarray(sp.csc_matrix(A)[:, chosen].sum(axis=1)).ravel() > 0].sum())


def _budget_model(R: sp.csr_matrix, k: int) -> tuple[sp.spmatrix, np.ndarray, np.ndarray]:
    """The MCLP rows: y_i - sum_j A_ij x_j <= 0 for each row, sum x <= k; columns x then y."""
    n, m = R.shape
    M = sp.bmat([[-R, sp.identity(n)], [sp.csr_matrix(np.ones((1, m))), None]])
    return M, np.full(n + 1, -np.inf), np.r_[np.zeros(n), k]


def _budget_mip(
    R: sp.csr_matrix, w: np.ndarray, k: int, clock: Deadline, progress: Progress, nodes: int | None = None
) -> tuple[np.ndarray | None, float, float, bool]:
    """The MCLP model: x (columns, binary) then y (rows, in [0, 1]); returns (x as mask, objective, bound, optimal)."""
    n, m = R.shape
    M, lower, upper = _budget_model(R, k)
    x, objective, bound, optimal = _solve_mip(
        np.concatenate([np.zeros(m), w]),
        np.r_[np.ones(m, bool), np.zeros(n, bool)],
        np.ones(m + n),
        M,
        lower,
        upper,
        True,
        clock,
        progress,
        nodes=nodes,
    )
    return (None if x is None else x[:m] > 0.5), objective, bound, optimal


def _budget_lp_duals(S: sp.csr_matrix, w: np.ndarray, k: int, clock: Deadline, progress: Progress) -> np.ndarray | None:
    """Duals of the covering rows in the LP relaxation (half the time left at most), or None if not solved."""
    n, m = S.shape
    M, lower, upper = _budget_model(S, k)
    dual, _, _, _ = _solve_mip(
        np.concatenate([np.zeros(m), w]),
        np.zeros(m + n, bool),
        np.ones(m + n),
        M,
        lower,
        upper,
        True,
        clock,
        progress,
        seconds=clock.left() / 2,
        duals=True,
        options={"solver": "ipm", "run_crossover": "off"},
    )  # any duals give a valid bound
    return None if dual is None else np.abs(dual[:n])


# -- target ---------------------------------------------------------------------------------------
def solve_target(
    A: sp.csr_matrix,
    weight: np.ndarray,
    group: np.ndarray,
    need: np.ndarray,
    *,
    time_limit: float = 60.0,
    progress: Progress = None,
) -> Solution:
    """Fewest columns so that each group ``g`` gets covered weight >= ``need[g]``.

    A group that cannot reach its need even with every candidate is reported in
    ``infeasible_groups`` and asked for everything it can reach instead.

    Parameters
    ----------
    A
        Coverage matrix, one row per demand point and one column per candidate (True: reached).
    weight
        Weight of each demand point.
    group
        Group (QPV index) of each demand point.
    need
        Weight still to cover in each group.
    time_limit
        Seconds before the best answer so far is returned.
    progress
        Called with (step, steps, French message); may raise ``CancelledError``.

    Returns
    -------
    Solution
        Chosen columns in rank order; ``value`` the number of sites and ``bound`` a lower bound on it.
    """
    t0 = time.perf_counter()
    clock = Deadline(time_limit)
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
    stats = {
        "demand": int(A.shape[0]),
        "candidates": int(A.shape[1]),
        "reduced_demand": int(R.shape[0]),
        "reduced_candidates": int(R.shape[1]),
        "components": int(count),
    }
    chosen: list[int] = []
    value = bound = greedy_total = 0.0
    optimal = True
    for c in range(count):
        r_idx = np.flatnonzero(labels == c)
        sub = R[r_idx]
        c_idx = np.flatnonzero(np.asarray(sub.sum(axis=0)).ravel() > 0)
        sub = sub[:, c_idx]
        groups, g_local = np.unique(g[r_idx], return_inverse=True)
        picked, b, opt, greedy_count = _target_component(sub, w[r_idx], g_local.ravel(), need[groups], clock, progress)
        chosen += list(c_idx[picked])
        value += len(picked)
        bound += b
        greedy_total += greedy_count
        optimal &= opt
    order, gains = rank_sites(R, w, chosen)
    return Solution(
        red.cols[order],
        gains,
        value,
        min(bound, value),
        optimal,
        time.perf_counter() - t0,
        greedy_total,
        stats,
        infeasible,
    )


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


def _target_component(R, w, g, need, clock, progress) -> tuple[list[int], float, bool, int]:
    greedy = greedy_target(R, w, g, need)
    n, m = R.shape
    if len(greedy) <= 1:
        return greedy, float(len(greedy)), True, len(greedy)
    groups = len(need)
    G = sp.csr_matrix((w, (g, np.arange(n))), shape=(groups, n))
    # columns: x (m, binary), y (n, continuous); rows: y_i - sum_j A_ij x_j <= 0 ; sum_{i in g} w_i y_i >= need_g
    M = sp.bmat([[-R, sp.identity(n)], [None, G]])
    x, objective, bound, optimal = _solve_mip(
        np.r_[np.ones(m), np.zeros(n)],
        np.r_[np.ones(m, bool), np.zeros(n, bool)],
        np.ones(m + n),
        M,
        np.r_[np.full(n, -np.inf), need],
        np.r_[np.zeros(n), np.full(groups, np.inf)],
        False,
        clock,
        progress,
    )
    if x is None or objective > len(greedy):
        return greedy, max(float(np.ceil(bound - 1e-6)), 1.0), False, len(greedy)
    return list(np.flatnonzero(x[:m] > 0.5)), float(np.ceil(bound - 1e-6)), optimal, len(greedy)


if __name__ == "__main__":
    _child_main(*sys.argv[1:3])
