"""The Lille map with its real streets: HTML size and cold start, against the issue's targets.

Reads ``../shared/reference-data/lille/osm_roads_lille.geojson`` in place (skipped when absent), imports
it into a copy of the bundled Lille demo project, then measures the offline map page (basemap « none »:
the streets shown) and a fresh process opening it in the window's map view until ``map_ready``.
Baseline: the same page without streets, measured in the same run; with ``--before TREE`` (a copy of the
code before a change, e.g. ``git archive BASE | tar -x -C TREE``) both are also opened with that code.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import PROJECT_COLD_START

TARGETS = {"html_mb": 2.5, "start_s": 3.0}
RUNS = 3
ROADS = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "lille" / "osm_roads_lille.geojson"


def cold_starts(cases: dict[str, tuple[Path, str | None]]) -> dict[str, tuple[float, float]]:
    """Per case (project file, code tree or None for this one): median wall seconds from a fresh process
    to ``map_ready`` and median CPU seconds of that process and its Chromium children. The cases take
    turns, run after run, so that a change in the machine's load falls on all of them alike; CPU time
    is the figure that load barely moves."""
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(RUNS):
        for name, (project_file, tree) in cases.items():
            env = dict(
                os.environ,
                QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                QTWEBENGINE_DISABLE_SANDBOX="1",
            )
            # -P: ambmap comes from PYTHONPATH only (with a plain -c the current directory came first, so a
            # run from a worktree measured that tree's code for every tree)
            env["PYTHONPATH"] = tree or str(Path(__file__).resolve().parents[1])
            cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-P", "-c", PROJECT_COLD_START, str(project_file), "60"],
                check=True,
                env=env,
                capture_output=True,
            )
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs[name].append((wall, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime))
    return {name: tuple(statistics.median(r[i] for r in times) for i in (0, 1)) for name, times in runs.items()}


def main(before: str | None = None) -> int:
    if not ROADS.exists():
        print(f"données de référence absentes ({ROADS}) : banc ignoré")
        return 0
    from ambmap.imports import import_streets
    from ambmap.project import Project
    from ambmap.render.map import MapOptions, map_html

    folder = Path(tempfile.mkdtemp(prefix="bench-streets-"))
    plain = Project.default()
    plain.save(folder / "plain.gpkg")
    project = Project.load(folder / "plain.gpkg")
    start = time.perf_counter()
    layer, _ = import_streets(ROADS, class_field="roadClass")
    import_s = time.perf_counter() - start
    project.set_layer(layer)
    project.save(folder / "streets.gpkg")
    options = MapOptions(basemap="none")
    start = time.perf_counter()
    page = map_html(project, options=options)
    render_s = time.perf_counter() - start
    html_mb = len(page.encode("utf-8")) / 1e6
    base_mb = len(map_html(plain, options=options).encode("utf-8")) / 1e6
    cases = {"rues": (folder / "streets.gpkg", None), "sans rues": (folder / "plain.gpkg", None)}
    if before:
        cases.update(
            {"avant, rues": (folder / "streets.gpkg", before), "avant, sans rues": (folder / "plain.gpkg", before)}
        )
    load = os.getloadavg()[0]
    figures = cold_starts(cases)
    print(f"charge machine {load:.1f} → {os.getloadavg()[0]:.1f} sur {os.cpu_count()} cœurs")
    print(f"rues : {len(layer)} ; import {import_s:.2f} s ; page construite en {render_s:.2f} s")
    print(f"HTML : {html_mb:.2f} Mo (sans rues : {base_mb:.2f} Mo ; cible ≤ {TARGETS['html_mb']} Mo)")
    print(f"ouverture à froid (cible ≤ {TARGETS['start_s']} s), médiane de {RUNS}, à tour de rôle :")
    for name, (wall, cpu) in figures.items():
        ratio = "" if "avant" in name else f"   /cible {wall / TARGETS['start_s']:.2f}"
        print(f"  {name:<18}{wall:>7.2f} s   (CPU {cpu:.2f} s){ratio}")
    if before:
        print(
            f"avant/après : rues {figures['avant, rues'][0] / figures['rues'][0]:.2f} "
            f"(CPU {figures['avant, rues'][1] / figures['rues'][1]:.2f}), sans rues "
            f"{figures['avant, sans rues'][0] / figures['sans rues'][0]:.2f} "
            f"(CPU {figures['avant, sans rues'][1] / figures['sans rues'][1]:.2f}) ; avant = {before}"
        )
    return 0 if html_mb <= TARGETS["html_mb"] and figures["rues"][0] <= TARGETS["start_s"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[2] if sys.argv[1:2] == ["--before"] else None))
