"""The Lille map with its real streets: HTML size and cold start, against the issue's targets.

Reads ``../shared/reference-data/lille/osm_roads_lille.geojson`` in place (skipped when absent), imports
it into a copy of the bundled Lille demo project, then measures the offline map page (basemap « none »:
the streets shown) and a fresh process opening it in the window's map view until ``map_ready``.
Baseline: the same page without streets.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"html_mb": 2.5, "start_s": 3.0}
RUNS = 3
ROADS = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "lille" / "osm_roads_lille.geojson"

_CHILD = """
import sys, time
t0 = time.perf_counter()
from ambmap.ui import qt_env
qt_env.configure()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ambmap.config import Settings
from ambmap.project import Project
from ambmap.ui.map_view import MapView
view = MapView(settings=Settings(basemap="none"))
view.resize(1400, 900)
view.show()
view.map_ready.connect(app.quit)
view.show_project(Project.load(sys.argv[1]))
QTimer.singleShot(60000, lambda: app.exit(1))
code = app.exec()
print(time.perf_counter() - t0)
sys.exit(code)
"""


def cold_start(project_file: Path) -> float:
    env = dict(
        os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), QTWEBENGINE_DISABLE_SANDBOX="1"
    )
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", _CHILD, str(project_file)], check=True, env=env, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
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
    start_s, base_s = cold_start(folder / "streets.gpkg"), cold_start(folder / "plain.gpkg")
    print(f"rues : {len(layer)} ; import {import_s:.2f} s ; page construite en {render_s:.2f} s")
    print(f"HTML : {html_mb:.2f} Mo (sans rues : {base_mb:.2f} Mo ; cible ≤ {TARGETS['html_mb']} Mo)")
    print(f"ouverture à froid : {start_s:.2f} s (sans rues : {base_s:.2f} s ; cible ≤ {TARGETS['start_s']} s)")
    return 0 if html_mb <= TARGETS["html_mb"] and start_s <= TARGETS["start_s"] else 1


if __name__ == "__main__":
    sys.exit(main())
