"""The command line's start, against the issue's targets (``--help`` ≤ 0.25 s, ``info --json`` ≤ 1 s) and,
with ``--before REV``, against an older commit measured in the same run (issue 15 point 6).

Each figure is the median wall time of a fresh ``python -m ambmap …`` process; before and after runs
alternate so that a change of machine load hits both. ``info --json`` is also timed through its previous
path (the full project reader, pandas and geopandas: ``Project.load``) in the same run, so the sqlite3
reader's gain is measured without a second commit. ``python -c pass`` is printed as the floor: the
interpreter's own start, which no import placement can remove. ``--before REV`` checks REV out in a
temporary git worktree (removed at the end) and imports ambmap from there.

Usage: .venv/bin/python benchmarks/bench_cli.py [--runs 7] [--before 2829c49]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: ``info --json`` as it was before the sqlite3 reader: the light reader declines, the full reader answers.
FULL_READER = (
    "import sys; from ambmap import cli; from ambmap.export import register_file_tables; "
    "register_file_tables(); cli.read_summary = lambda path: None; sys.exit(cli.main(['info', '--json']))"
)
COMMANDS = (
    ("ambmap --help", ["-m", "ambmap", "--help"], 0.25),
    ("ambmap export --help", ["-m", "ambmap", "export", "--help"], 0.25),
    ("ambmap info --json", ["-m", "ambmap", "info", "--json"], 1.0),
    ("ambmap info --json (ancien chemin : Project.load)", ["-c", FULL_READER], 1.0),
)


def wall(source: Path | None, argv: list[str]) -> float:
    """Seconds for one fresh process running ``python argv`` from ``source`` (None: ``-c pass``)."""
    env = dict(os.environ)
    command = [sys.executable, "-c", "pass"]
    if source is not None:
        env["PYTHONPATH"] = str(source)
        command = [sys.executable, *argv]
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, cwd=source or ROOT)
    return time.perf_counter() - start


def measure(sources: dict[str, Path], runs: int) -> dict[tuple[str, str], float]:
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(runs):
        times.setdefault(("python -c pass", ""), []).append(wall(None, []))
        for label, argv, _target in COMMANDS:
            for name, source in sources.items():  # alternate: before, after, before, after…
                if argv[0] == "-m" or name == "après":  # the previous path is this tree's code
                    times.setdefault((label, name), []).append(wall(source, argv))
    return {key: statistics.median(values) for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--before", metavar="REV", help="commit to compare with (e.g. 2829c49)")
    options, _ = parser.parse_known_args()  # run.sh hands every benchmark the same BENCH_ARGS
    sources = {"après": ROOT}
    folder = None
    if options.before:
        folder = Path(tempfile.mkdtemp(prefix="ambmap-cli-before-")) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(folder), options.before], check=True
        )
        sources = {"avant": folder, "après": ROOT}
    try:
        for source in sources.values():  # warm the bytecode caches: first runs compile every module
            wall(source, ["-m", "ambmap", "info", "--json"])
        figures = measure(sources, options.runs)
    finally:
        if folder is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=True)
            folder.parent.rmdir()
    print(
        f"Démarrage de la ligne de commande ({options.runs} processus par mesure, médiane)"
        + (f", avant = {options.before}" if options.before else "")
    )
    print(f"  {'python -c pass (plancher : l’interpréteur seul)':<50} {figures[('python -c pass', '')]:6.3f} s")
    for label, _argv, target in COMMANDS:
        after = figures[(label, "après")]
        line = f"  {label:<50} {after:6.3f} s  = {after / target:.2f} × la cible ({target:g} s)"
        if "avant" in sources and (label, "avant") in figures:
            before = figures[(label, "avant")]
            line += f" ; avant {before:6.3f} s, {before / after:.1f} × plus rapide"
        print(line)
    light, full = figures[(COMMANDS[2][0], "après")], figures[(COMMANDS[3][0], "après")]
    print(f"  info --json : lecteur sqlite3 {light:.3f} s / lecteur complet {full:.3f} s = {light / full:.2f}")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"  (mesuré en {time.perf_counter() - start:.0f} s)")
