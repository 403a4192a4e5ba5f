"""Where-to-recruit optimisation (mclp.solve_budget) against plain HiGHS and spopt, family by family.

Each solver runs in its own child process on the same instance (so its peak memory is its own, and a
solver that overruns is killed: it is then shown as « > N s »). Solvers:

* ``ambmap``  : mclp.solve_budget (reduction, greedy/swaps, Lagrangian and LP fixing, HiGHS), time limit T;
* ``avant``   : the same function from an earlier commit (``--before REF``, default the merge base with main),
  for the before/after table in the same run;
* ``HiGHS``   : the textbook model given to HiGHS with its default options and time limit T, after the
  exact merge of identical demand rows (``fusionné``) and without it (``brut``);
* ``spopt``   : spopt's MCLP with PuLP/CBC, model building and CBC solve timed apart (``petit`` only).

Families (metric coordinates, weights 1-99 inhabitants, demand clustered like population):

* clustered : 20,000 demand points, 4,000 uniform candidates, k = 30, r = 400 m (~50 candidates per point)
* grid      : a 150 x 150 grid of 100 m cells, every cell a candidate, k = 40, r = 400 m
* dense     : 20,000 points, 20,000 candidates, ~250 candidates per point, k = 30
* large_k   : 20,000 points, 4,000 candidates, k = 200, r = 400 m
* city      : 100,000 points, 10,000 candidates, k = 60, r = 500 m (~47 candidates per point)
* limit     : the city and dense instances with T = 5 s and 20 s: every run must end within T + 10 %

Printed per family: seconds, proven gap (bound - value) / value, HiGHS (merged) seconds and the ratio
HiGHS / ambmap; ``>`` when the baseline was stopped by its limit (the ratio is then a lower bound).

Usage: .venv/bin/python benchmarks/bench_recommend.py [--families clustered,dense,...] [--before REF]
       [--no-before] [--no-raw] [--time-limit 60] [--skip-national]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ambmap.analysis import mclp  # noqa: E402  (after the sys.path line above)
from ambmap.analysis.reach import CircleReach  # noqa: E402

# name: (demand, candidates, k, radius, candidates per point or None, grid)
FAMILIES = {
    "petit": (4000, 1000, 10, 400.0, None, False),
    "clustered": (20_000, 4000, 30, 400.0, None, False),
    "grid": (22_500, 22_500, 40, 400.0, None, True),
    "dense": (20_000, 20_000, 30, None, 250, False),
    "large_k": (20_000, 4000, 200, 400.0, None, False),
    "city": (100_000, 10_000, 60, 500.0, 47, False),
}
LIMIT_RUNS = [("city", 5.0), ("city", 20.0), ("dense", 5.0)]


def instance(name: str, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray, int, np.ndarray, np.ndarray, float]:
    """(coverage matrix, weights, k, demand xy, candidate xy, radius) of a family, always the same for a seed."""
    n, m, k, radius, per_point, grid = FAMILIES[name]
    rng = np.random.default_rng(seed)
    if grid:
        side = int(np.sqrt(n))
        xy = np.stack(np.meshgrid(np.arange(side), np.arange(side)), -1).reshape(-1, 2) * 100.0 + 50.0
        return (
            CircleReach().reach_matrix(xy, xy, radius),
            rng.integers(1, 100, len(xy)).astype(float),
            k,
            xy,
            xy,
            radius,
        )
    side = 100.0 * np.sqrt(n)
    if per_point and radius:  # candidate density fixed: the square grows
        side = np.sqrt(m * np.pi * radius**2 / per_point)
    elif per_point:  # square fixed: the radius grows
        radius = side * np.sqrt(per_point / (m * np.pi))
    centres = rng.uniform(0, side, (max(n // 200, 3), 2))
    demand = np.clip(centres[rng.integers(0, len(centres), n)] + rng.normal(0, side / 15, (n, 2)), 0, side)
    cand = rng.uniform(0, side, (m, 2))
    weight = rng.integers(1, 100, n).astype(float)
    return CircleReach().reach_matrix(cand, demand, radius), weight, k, demand, cand, radius


# -- one solver in this (child) process ---------------------------------------------------------
def merge_rows(A: sp.csr_matrix, w: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Exact merge of demand rows reached by the same candidates (byte-equal index lists), weights summed."""
    A = sp.csr_matrix(A)
    A.sort_indices()
    index: dict[bytes, int] = {}
    first, inverse = [], np.empty(A.shape[0], dtype=np.int64)
    for i in range(A.shape[0]):
        key = A.indices[A.indptr[i] : A.indptr[i + 1]].tobytes()
        inverse[i] = index.setdefault(key, len(index))
        if inverse[i] == len(first):
            first.append(i)
    return A[first], np.bincount(inverse, weights=w, minlength=len(first))


def highs_direct(A: sp.csr_matrix, w: np.ndarray, k: int, time_limit: float) -> dict:
    """The textbook MCLP in HiGHS with default options (presolve on) and HiGHS's own time limit."""
    import highspy

    n, m = A.shape
    A = sp.csr_matrix(A, dtype=float)  # scipy cannot negate a boolean matrix (CircleReach gives booleans)
    M = sp.csc_matrix(sp.bmat([[-A, sp.identity(n)], [sp.csr_matrix(np.ones((1, m))), None]]))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", time_limit)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.5)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m + n, n + 1
    lp.col_cost_ = np.r_[np.zeros(m), w]
    lp.col_lower_, lp.col_upper_ = np.zeros(m + n), np.ones(m + n)
    lp.row_lower_, lp.row_upper_ = np.full(n + 1, -np.inf), np.r_[np.zeros(n), k]
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = M.indptr.astype(np.int32), M.indices.astype(np.int32)
    lp.a_matrix_.value_ = M.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m + [highspy.HighsVarType.kContinuous] * n
    h.passModel(lp)
    h.run()
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value)[:m] > 0.5 if info.primal_solution_status == 2 else np.zeros(m, bool)
    value = float(w[np.asarray(A[:, np.flatnonzero(x)].sum(axis=1)).ravel() > 0].sum())
    bound = info.mip_dual_bound if np.isfinite(info.mip_dual_bound) else np.inf
    return {"value": value, "bound": max(bound, value), "optimal": bool(bound - value < 1)}


def spopt_split(name: str, time_limit: float) -> dict:
    """spopt's MCLP: PuLP model building and CBC solve timed apart."""
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import MCLP

    A, weight, k, demand, cand, radius = instance(name)
    t = time.perf_counter()
    model = MCLP.from_cost_matrix(cdist(demand, cand), weight, service_radius=radius, p_facilities=k)
    build = time.perf_counter() - t
    t = time.perf_counter()
    model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
    solve = time.perf_counter() - t
    chosen = [j for j, var in enumerate(model.fac_vars) if var.value() and var.value() > 0.5]
    value = float(weight[np.asarray(A[:, chosen].sum(axis=1)).ravel() > 0].sum())
    return {"value": value, "bound": np.nan, "optimal": False, "build": build, "solve": solve, "seconds": build + solve}


def module_at(ref: str) -> types.ModuleType:
    """ambmap.analysis.mclp as it was at git ``ref`` (for the before/after table)."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{ref}:ambmap/analysis/mclp.py"], check=True, capture_output=True, text=True
    ).stdout
    module = types.ModuleType("mclp_before")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"mclp@{ref}", "exec"), module.__dict__)  # noqa: S102 (our own source, from our own repository)
    return module


def run_one(name: str, solver: str, time_limit: float, ref: str) -> dict:
    A, w, k, *_ = instance(name)
    out = {"pairs": int(A.nnz)}
    t = time.perf_counter()
    if solver in ("ambmap", "avant"):
        solve = mclp.solve_budget if solver == "ambmap" else module_at(ref).solve_budget
        s = solve(A, w, k, time_limit=time_limit)
        out.update(value=s.value, bound=s.bound, optimal=bool(s.optimal), stats=s.stats)
    elif solver in ("highs", "highs_raw"):
        if solver == "highs":
            A, w = merge_rows(A, w)
        out.update(highs_direct(A, w, k, time_limit), rows=int(A.shape[0]))
    elif solver == "spopt":
        out.update(spopt_split(name, time_limit))
    out.setdefault("seconds", time.perf_counter() - t)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


# -- the parent: one child per (family, solver) ---------------------------------------------------
def child(name: str, solver: str, time_limit: float, ref: str, kill_after: float) -> dict:
    cmd = [sys.executable, __file__, "--one", name, solver, str(time_limit), ref]
    t = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=kill_after, check=False)
    except subprocess.TimeoutExpired:
        return {"killed": True, "seconds": time.perf_counter() - t}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["?"], "seconds": time.perf_counter() - t}
    return json.loads(done.stdout.strip().splitlines()[-1])


def gap(r: dict) -> str:
    if "value" not in r or not np.isfinite(r.get("bound", np.nan)):
        return "   ?   "
    return f"{(r['bound'] - r['value']) / max(r['value'], 1):7.3%}"


def secs(r: dict) -> str:
    if r.get("killed"):
        return f">{r['seconds']:6.0f} s (tué)"
    if "error" in r:
        return f"erreur {r['error']}"
    over = ">" if "value" in r and not r.get("optimal") else " "
    return f"{over}{r['seconds']:6.1f} s"


def line(label: str, r: dict, ours: dict | None = None) -> str:
    text = (
        f"  {label:<16}: {secs(r):<16} écart prouvé {gap(r)}  optimal = {r.get('optimal', '?')!s:<5} "
        f"valeur {r.get('value', float('nan')):>12.0f}  mémoire {r.get('peak_mb', float('nan')):6.0f} Mo"
    )
    if ours is not None and "value" in ours and ("value" in r or r.get("killed")):
        text += f"  -> ambmap {r['seconds'] / ours['seconds']:6.1f} x"
    return text


def bench_family(name: str, time_limit: float, args) -> dict:
    n, m, k, *_ = FAMILIES[name]
    kill = 2 * time_limit + 30
    ours = child(name, "ambmap", time_limit, args.before, kill)
    print(f"== {name} : {n} points, {m} candidats, k = {k}, {ours.get('pairs', '?')} paires, limite {time_limit:g} s")
    print(line("ambmap", ours))
    print(f"  {'':<16}  {ours.get('stats')}")
    rows = {"ambmap": ours}
    if not args.no_before:
        rows["avant"] = child(name, "avant", time_limit, args.before, kill)
        print(line(f"avant ({args.before[:10]})", rows["avant"], ours))
    rows["highs"] = child(name, "highs", time_limit, args.before, kill)
    print(line("HiGHS fusionné", rows["highs"], ours) + f"  ({rows['highs'].get('rows', '?')} lignes)")
    if not args.no_raw:
        rows["highs_raw"] = child(name, "highs_raw", time_limit, args.before, kill)
        print(line("HiGHS brut", rows["highs_raw"], ours))
    if name == "petit" and not args.no_spopt:
        r = child(name, "spopt", max(time_limit, 600), args.before, 900)
        if "build" in r:
            print(
                f"  spopt + CBC     : {r['seconds']:6.1f} s dont construction PuLP {r['build']:.1f} s et CBC "
                f"{r['solve']:.1f} s ; valeur {r['value']:.0f} -> ambmap {r['seconds'] / ours['seconds']:.1f} x"
            )
        else:
            print(f"  spopt + CBC     : non lancé ({r.get('error', 'arrêté')}) : pip install -e '.[bench]'")
    return rows


def bench_limits(args) -> None:
    print("== limite de temps : chaque appel doit finir en T + 10 %")
    for name, limit in LIMIT_RUNS:
        for solver in ("ambmap",) + (() if args.no_before else ("avant",)):
            r = child(name, solver, limit, args.before, 2 * limit + 30)
            ok = "oui" if not r.get("killed") and r["seconds"] <= 1.1 * limit else "NON"
            print(
                f"  {name:<8} T = {limit:4g} s  {solver:<6}: {secs(r):<16} écart prouvé {gap(r)}  dans T + 10 % : {ok}"
            )


def bench_national(time_limit: float) -> None:
    from bench_coverage import national_project

    from ambmap.analysis.recommend import recommend_for_project

    project = national_project()
    t = time.perf_counter()
    result = recommend_for_project(project, k=100, time_limit=time_limit)
    seconds = time.perf_counter() - t
    gap_ = (result.bound - result.covered_after) / result.bound
    print("== national : 1 600 QPV, 5,5 M habitants, 10 000 ambassadeurs gardés, grille de 100 m, k = 100")
    print(f"  ambmap          : {seconds:6.1f} s (tout compris)  optimal prouvé = {result.optimal}  écart {gap_:.4%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default="petit,clustered,grid,dense,large_k,city,limit")
    parser.add_argument("--before", default="")
    parser.add_argument("--no-before", action="store_true")
    parser.add_argument("--no-raw", action="store_true", help="sans HiGHS sur le modèle non fusionné")
    parser.add_argument("--no-spopt", action="store_true")
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        name, solver, limit, ref = args.one
        print(json.dumps(run_one(name, solver, float(limit), ref), default=float))
        return
    if not args.before:
        args.before = (
            subprocess.run(
                ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], capture_output=True, text=True, check=False
            ).stdout.strip()
            or "HEAD"
        )
    for name in args.families.split(","):
        if name == "limit":
            bench_limits(args)
        else:
            bench_family(name, args.time_limit, args)
    if not args.skip_national:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        bench_national(args.time_limit)


if __name__ == "__main__":
    main()
