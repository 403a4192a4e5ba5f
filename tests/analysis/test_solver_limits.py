"""The solver's promises: honest « optimal », the same answer on a busy machine, a deadline that holds."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.sparse as sp

from ambmap.analysis import mclp
from ambmap.analysis.reach import CircleReach
from ambmap.errors import CancelledError


def covered(A, w, chosen) -> float:
    return float(w[np.asarray(sp.csr_matrix(A)[:, list(chosen)].sum(axis=1)).ravel() > 0].sum())


def clustered(n: int, m: int, radius: float, seed: int = 0, per_point: float | None = None):
    """Clustered demand (weights 1-99), uniform candidates; ``per_point`` fixes the candidates per point."""
    rng = np.random.default_rng(seed)
    side = np.sqrt(m * np.pi * radius**2 / per_point) if per_point else 100.0 * np.sqrt(n)
    centres = rng.uniform(0, side, (max(n // 200, 3), 2))
    demand = centres[rng.integers(0, len(centres), n)] + rng.normal(0, side / 15, (n, 2))
    A = CircleReach().reach_matrix(rng.uniform(0, side, (m, 2)), demand, radius)
    return A, rng.integers(1, 100, n).astype(float)


def test_optimal_means_less_than_one_inhabitant_even_with_huge_weights(monkeypatch):
    # one district of a billion inhabitants reached by every site, and the greedy trap beside it:
    # L1 (400), L2 (300), R1 (400), R2 (300); S0 {L1, R1}, S1 {L1, L2}, S2 {R1, R2}, S3 {L2}, S4 {R2}
    trap = np.array([[1, 1, 0, 0, 0], [0, 1, 0, 1, 0], [1, 0, 1, 0, 0], [0, 0, 1, 0, 1]])
    A = sp.csr_matrix(np.vstack([np.ones((1, 5), int), trap]))
    w = np.array([1e9, 400.0, 300.0, 400.0, 300.0])
    best = max(covered(A, w, c) for c in itertools.combinations(range(5), 2))
    greedy = w[mclp.greedy_budget(A, w, 2)[1]].sum()
    assert best - greedy == 300 < 1e-6 * best  # a relative tolerance of 1e-6 would call the greedy answer optimal
    monkeypatch.setattr(mclp, "improve_by_swaps", lambda A, w, chosen, clock=None: list(chosen))  # no local search
    solution = mclp.solve_budget(A, w, 2)
    assert solution.optimal and solution.value == best == covered(A, w, solution.chosen)
    assert solution.bound - solution.value < 1


def test_no_time_left_gives_the_greedy_answer_and_a_bound_not_a_claim():
    A, w = clustered(3000, 800, 400.0, seed=1)
    solution = mclp.solve_budget(A, w, 15, time_limit=0)
    greedy = w[mclp.greedy_budget(A, w, 15)[1]].sum()
    assert not solution.optimal
    assert solution.value == covered(A, w, solution.chosen) >= greedy
    assert solution.bound > solution.value


def test_same_answer_on_a_busy_machine():
    """Internal budgets are work units: two processes spinning on every core change nothing."""
    A, w = clustered(2000, 600, 400.0, seed=2)
    quiet = mclp.solve_budget(A, w, 12, time_limit=600)
    spin = "import time\nend = time.time() + 120\nwhile time.time() < end:\n    pass\n"
    spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2)]
    try:
        busy = mclp.solve_budget(A, w, 12, time_limit=600)
    finally:
        for p in spinners:
            p.kill()
            p.wait()
    assert "pool" in quiet.stats["seconds"]  # the restricted MIP ran (it had a 10 s clock before)
    assert busy.value == quiet.value and busy.bound == quiet.bound and busy.optimal == quiet.optimal
    assert busy.chosen.tolist() == quiet.chosen.tolist()


def test_highs_in_a_child_process_gives_the_same_optimum(monkeypatch):
    A, w = clustered(600, 150, 400.0, seed=3)
    here = mclp.solve_budget(A, w, 6, reduce=False)
    monkeypatch.setattr(mclp, "IN_PROCESS_MAX_NNZ", 0)
    child = mclp.solve_budget(A, w, 6, reduce=False)
    assert here.optimal and child.optimal and child.value == here.value == covered(A, w, child.chosen)


def test_cancel_stops_the_child_process(monkeypatch):
    monkeypatch.setattr(mclp, "IN_PROCESS_MAX_NNZ", 0)
    A, w = clustered(600, 150, 400.0, seed=3)

    def cancel(done, total, message):
        raise CancelledError()

    with pytest.raises(CancelledError):
        mclp.solve_budget(A, w, 6, reduce=False, progress=cancel)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("AMBMAP_SLOW_TESTS"), reason="set AMBMAP_SLOW_TESTS=1 (about 30 s)")
def test_a_city_with_five_seconds_returns_in_time_with_a_bound():
    A, w = clustered(100_000, 10_000, 500.0, per_point=47)
    t = time.perf_counter()
    solution = mclp.solve_budget(A, w, 60, time_limit=5)
    assert time.perf_counter() - t <= 5.5
    assert not solution.optimal and np.isfinite(solution.bound) and solution.bound > solution.value > 0
    assert solution.value == covered(A, w, solution.chosen)
