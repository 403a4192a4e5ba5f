"""Map speed and size on the Lille demo project, against the issue's targets and plain geopandas ``explore``.

Figures: cold start to map displayed (a fresh ``python -c`` process that opens a MapView and exits at
``map_ready``), layer toggle (``set_layer_visible`` until the page confirms), and HTML size. Baseline:
the same layers drawn with ``GeoDataFrame.explore`` (plain folium), made offline with the same asset
inlining, loaded in the same widget (start measured to ``loadFinished``, which is when it is drawn).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"start_s": 3.0, "toggle_ms": 200.0, "html_mb": 2.0}
RUNS = 3

_CHILD = """
import sys, time
t0 = time.perf_counter()
from ambmap.ui import qt_env
qt_env.configure()
from PySide6.QtCore import QTimer, QUrl
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ambmap.config import Settings
from ambmap.ui.map_view import MapView
view = MapView(settings=Settings(basemap="none"))
view.resize(1400, 900)
view.show()
html = sys.argv[1]
if html == "ambmap":
    from ambmap.project import Project
    view.map_ready.connect(app.quit)
    view.show_project(Project.default())
else:  # baseline page: drawn when loaded (no asynchronous layer building)
    view.loadFinished.connect(lambda ok: app.quit())
    view.load(QUrl.fromLocalFile(html))
QTimer.singleShot(60000, lambda: app.exit(1))
code = app.exec()
print(time.perf_counter() - t0)
sys.exit(code)
"""


def _env() -> dict:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    return env


def cold_start(page: str) -> float:
    """Median wall time of a fresh process until the map is displayed."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", _CHILD, page], check=True, env=_env(), capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def explore_html(project, path: Path) -> Path:
    """The baseline: every layer with ``GeoDataFrame.explore``, assets inlined for offline use."""
    from ambmap.render.map import inline_assets

    m = None
    for kind, color in (("territory", "#37474f"), ("qpv", "#6a1b9a"), ("resources", "#1565c0"),
                        ("poles", "#0d47a1"), ("ambassadors", "#2e7d32")):
        data = project.layer(kind).data.drop(columns=["start_date"], errors="ignore")
        m = data.explore(m=m, color=color, tiles=None, name=kind)
    import folium

    folium.LayerControl().add_to(m)
    m.options["maxZoom"] = 19
    path.write_text(inline_assets(m.get_root().render()), encoding="utf-8")
    return path


def scaled(project, copies: int):
    """An intercommunality-sized project: ``copies`` shifted copies of every layer (one territory)."""
    import geopandas as gpd
    import pandas as pd

    from ambmap.layers import Layer
    from ambmap.project import Project

    layers = []
    for layer in project.ordered_layers():
        id_field = layer.schema.id_field
        parts = [layer.data.assign(**{id_field: layer.data[id_field].astype(str) + f"-{i}",
                                      "geometry": layer.data.geometry.translate((i % 4) * 0.16, (i // 4) * 0.07)})
                 for i in range(1 if layer.kind == "territory" else copies)]
        data = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=layer.data.crs)
        layers.append(Layer(layer.schema, data, visible=layer.visible, provenance=layer.provenance))
    return Project(project.territory, layers)


def view_ms(project, big) -> tuple[float, float, float, float]:
    """Median ms to hide or show a layer through MapView until the page confirms (QPV, population grid),
    of a full re-render (``show_project`` until ``map_ready``, as after an edit), and of one render of
    the big project."""
    from ambmap.ui import qt_env

    qt_env.configure()
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from ambmap.config import Settings
    from ambmap.ui.map_view import MapView

    app = QApplication.instance() or QApplication([])
    view = MapView(settings=Settings(basemap="none"))
    view.resize(1400, 900)
    view.show()
    loop = QEventLoop()
    view.map_ready.connect(loop.quit)
    view.show_project(project)
    loop.exec()
    results = []
    for kind in ("qpv", "population"):
        times = []
        for i in range(20):
            visible = i % 2 == 1 if kind == "qpv" else i % 2 == 0
            start = time.perf_counter()
            view.set_layer_visible(kind, visible)
            assert view.run_js(f"ambmap.map.hasLayer(ambmap.layers.{kind})") is visible
            times.append((time.perf_counter() - start) * 1000)
        results.append(statistics.median(times))
    times = []
    for _ in range(5):
        start = time.perf_counter()
        view.show_project(project)
        loop.exec()
        times.append((time.perf_counter() - start) * 1000)
    results.append(statistics.median(times))
    start = time.perf_counter()
    view.show_project(big)
    loop.exec()
    results.append((time.perf_counter() - start) * 1000)
    view.close()
    app.processEvents()
    return results[0], results[1], results[2], results[3]


def main() -> None:
    from ambmap.project import Project
    from ambmap.render.map import MapOptions, write_map_html

    project = Project.default()
    with tempfile.TemporaryDirectory() as tmp:
        ours = write_map_html(project, Path(tmp) / "ambmap.html", options=MapOptions(basemap="plan-ign"))
        base = explore_html(project, Path(tmp) / "explore.html")
        html_mb, base_mb = ours.stat().st_size / 1e6, base.stat().st_size / 1e6
        start_s, base_start_s = cold_start("ambmap"), cold_start(str(base))
    big = scaled(project, 16)
    toggle_qpv, toggle_population, rerender, big_ms = view_ms(project, big)
    with tempfile.TemporaryDirectory() as tmp:
        big_mb = write_map_html(big, Path(tmp) / "big.html").stat().st_size / 1e6
    print(f"Projet Lille (démo) : {sum(len(layer) for layer in project.layers.values())} objets ; "
          f"charge machine {os.getloadavg()[0]:.1f} sur {os.cpu_count()} cœurs")
    print(f"{'mesure':<44}{'ambmap':>10}{'cible':>8}{'/cible':>8}{'explore':>10}{'/explore':>10}")
    rows = [("démarrage à froid -> carte affichée (s)", start_s, TARGETS["start_s"], base_start_s),
            ("bascule couche QPV (ms)", toggle_qpv, TARGETS["toggle_ms"], None),
            ("bascule carreaux population (ms)", toggle_population, TARGETS["toggle_ms"], None),
            ("re-rendu complet après modification (ms)", rerender, TARGETS["toggle_ms"], None),
            ("taille HTML (Mo)", html_mb, TARGETS["html_mb"], base_mb),
            (f"16× Lille ({sum(len(x) for x in big.layers.values())} objets) : rendu (ms)", big_ms, None, None),
            ("16× Lille : taille HTML (Mo)", big_mb, None, None)]
    for label, value, target, baseline in rows:
        vs_base = f"{baseline:>10.2f}{value / baseline:>10.2f}" if baseline else f"{'–':>10}{'–':>10}"
        vs_target = f"{target:>8.1f}{value / target:>8.2f}" if target else f"{'–':>8}{'–':>8}"
        print(f"{label:<44}{value:>10.2f}{vs_target}{vs_base}")
    print("(/cible < 1 : objectif tenu ; explore = GeoDataFrame.explore des mêmes couches, hors ligne, sans "
          "carreaux ni regroupement ni registre JS)")


if __name__ == "__main__":
    main()
