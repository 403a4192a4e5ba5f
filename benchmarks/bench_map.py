"""Map speed and size on the Lille demo project, against the issue's targets and plain geopandas ``explore``;
and the big-map family (``--big``): a synthetic 300 QPV / 5,000 ambassadors / 20,000 resources / 11,333
squares project, measured with the code of a ``before`` tree (a git worktree of the branch point) and of
this tree, in fresh processes, against issue 15's targets.

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

from _common import PROJECT_COLD_START, WINDOW_COLD_START, child_script

TARGETS = {"start_s": 3.0, "toggle_ms": 200.0, "html_mb": 2.0}
RUNS = 3

# the demo project (argv[1] = "ambmap") or a baseline page (a path), drawn in the map view
_CHILD = child_script("""
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
""")


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
        subprocess.run([sys.executable, "-P", "-c", _CHILD, page, "60"], check=True, env=_env(), capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def explore_html(project, path: Path) -> Path:
    """The baseline: every layer with ``GeoDataFrame.explore``, assets inlined for offline use."""
    from ambmap.render.map import inline_assets

    m = None
    for kind, color in (
        ("territory", "#37474f"),
        ("qpv", "#6a1b9a"),
        ("resources", "#1565c0"),
        ("poles", "#0d47a1"),
        ("ambassadors", "#2e7d32"),
    ):
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
        parts = [
            layer.data.assign(
                **{
                    id_field: layer.data[id_field].astype(str) + f"-{i}",
                    "geometry": layer.data.geometry.translate((i % 4) * 0.16, (i // 4) * 0.07),
                }
            )
            for i in range(1 if layer.kind == "territory" else copies)
        ]
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
    print(
        f"Projet Lille (démo) : {sum(len(layer) for layer in project.layers.values())} objets ; "
        f"charge machine {os.getloadavg()[0]:.1f} sur {os.cpu_count()} cœurs"
    )
    print(f"{'mesure':<44}{'ambmap':>10}{'cible':>8}{'/cible':>8}{'explore':>10}{'/explore':>10}")
    rows = [
        ("démarrage à froid -> carte affichée (s)", start_s, TARGETS["start_s"], base_start_s),
        ("bascule couche QPV (ms)", toggle_qpv, TARGETS["toggle_ms"], None),
        ("bascule carreaux population (ms)", toggle_population, TARGETS["toggle_ms"], None),
        ("re-rendu complet après modification (ms)", rerender, TARGETS["toggle_ms"], None),
        ("taille HTML (Mo)", html_mb, TARGETS["html_mb"], base_mb),
        (f"16× Lille ({sum(len(x) for x in big.layers.values())} objets) : rendu (ms)", big_ms, None, None),
        ("16× Lille : taille HTML (Mo)", big_mb, None, None),
    ]
    for label, value, target, baseline in rows:
        vs_base = f"{baseline:>10.2f}{value / baseline:>10.2f}" if baseline else f"{'–':>10}{'–':>10}"
        vs_target = f"{target:>8.1f}{value / target:>8.2f}" if target else f"{'–':>8}{'–':>8}"
        print(f"{label:<44}{value:>10.2f}{vs_target}{vs_base}")
    print(
        "(/cible < 1 : objectif tenu ; explore = GeoDataFrame.explore des mêmes couches, hors ligne, sans "
        "carreaux ni regroupement ni registre JS)"
    )


# -- the big-map family --------------------------------------------------------------------------
BIG_TARGETS = {
    "start_s": 4.0,
    "window_s": 4.0,
    "filter_ms": 200.0,
    "toggle_ms": 100.0,
    "restyle_ms": 300.0,
    "public_mb": 8.0,
}
BIG = {"qpv": 300, "ambassadors": 5000, "resources": 20000, "population": 11333, "poles": 60}


def big_project(seed: int = 15):
    """The synthetic big project: the demo's attributes on new, deterministic geometries over an area of
    about 45 × 45 km (QPV of 300 to 900 m, 200 m squares, points spread over the QPV and the rest)."""
    import geopandas as gpd
    import numpy as np
    from shapely import box
    from shapely.affinity import rotate

    from ambmap.layers import Layer
    from ambmap.project import Project

    rng = np.random.default_rng(seed)
    demo = Project.default()
    x0, y0, dx, dy = 2.80, 50.45, 0.63, 0.40  # degrees: about 45 km each way around Lille
    crs = demo.layer("qpv").data.crs

    def rows(kind: str, n: int, geometry, ids: dict):
        data = demo.layer(kind).data
        picked = data.iloc[rng.integers(0, len(data), n)].reset_index(drop=True)
        return Layer(
            demo.layer(kind).schema,
            gpd.GeoDataFrame(picked.assign(**ids), geometry=geometry, crs=crs),
            visible=demo.layer(kind).visible,
            provenance=demo.layer(kind).provenance,
        )

    territory = demo.layer("territory")
    territory = Layer(
        territory.schema,
        gpd.GeoDataFrame(territory.data.assign(geometry=[box(x0, y0, x0 + dx, y0 + dy)]), crs=crs),
        provenance=territory.provenance,
    )
    cells = rng.choice(20 * 15, BIG["qpv"], replace=False)
    qpv_geoms = []
    for c in cells:
        cx, cy = x0 + (c % 20 + 0.5) * dx / 20, y0 + (c // 20 + 0.5) * dy / 15
        w, h = rng.uniform(0.004, 0.012), rng.uniform(0.003, 0.008)
        angle = rng.uniform(0, 90)
        ring = [
            (cx + w * np.cos(a) * rng.uniform(0.7, 1), cy + h * np.sin(a) * rng.uniform(0.7, 1))
            for a in np.linspace(0, 2 * np.pi, 24, endpoint=False)
        ]
        from shapely.geometry import Polygon

        qpv_geoms.append(rotate(Polygon(ring).buffer(0), angle))
    qpv = rows(
        "qpv",
        BIG["qpv"],
        qpv_geoms,
        {
            "code_qp": [f"QN{i:05d}" for i in range(BIG["qpv"])],
            "nom_qp": [f"Quartier synthétique {i}" for i in range(BIG["qpv"])],
            "population": rng.integers(1000, 20000, BIG["qpv"]),
        },
    )
    sx, sy = 0.0028, 0.0018  # a 200 m square in degrees at this latitude
    flat = rng.choice(int(dx / sx) * int(dy / sy), BIG["population"], replace=False)
    ix, iy = flat % int(dx / sx), flat // int(dx / sx)
    squares = [
        box(x0 + i * sx, y0 + j * sy, x0 + (i + 1) * sx, y0 + (j + 1) * sy) for i, j in zip(ix, iy, strict=False)
    ]
    population = rows(
        "population",
        BIG["population"],
        squares,
        {
            "idcar": [f"CRS3035RES200mN{j}E{i}" for i, j in zip(ix, iy, strict=False)],
            "population": rng.integers(1, 400, BIG["population"]).astype(float),
        },
    )

    def points(n: int):
        near = rng.random(n) < 0.6  # most near a QPV
        centres = np.array([(g.centroid.x, g.centroid.y) for g in qpv_geoms])[rng.integers(0, BIG["qpv"], n)]
        xs = np.where(near, centres[:, 0] + rng.normal(0, 0.006, n), x0 + rng.random(n) * dx)
        ys = np.where(near, centres[:, 1] + rng.normal(0, 0.004, n), y0 + rng.random(n) * dy)
        return gpd.points_from_xy(xs, ys)

    poles = rows("poles", BIG["poles"], points(BIG["poles"]), {"pole_id": [f"P{i}" for i in range(BIG["poles"])]})
    resources = rows(
        "resources",
        BIG["resources"],
        points(BIG["resources"]),
        {"resource_id": [f"R{i}" for i in range(BIG["resources"])]},
    )
    ambassadors = rows(
        "ambassadors",
        BIG["ambassadors"],
        points(BIG["ambassadors"]),
        {
            "amb_id": [f"A{i}" for i in range(BIG["ambassadors"])],
            "pole_id": [f"P{i}" for i in rng.integers(0, BIG["poles"], BIG["ambassadors"])],
        },
    )
    return Project(demo.territory, [territory, population, qpv, resources, poles, ambassadors])


def _big_child(project_file: str) -> None:
    """Measure this tree's code on the saved big project; prints one JSON line of figures."""
    import json

    from ambmap.project import Project
    from ambmap.render import map as render_map
    from ambmap.render.map import MapOptions, write_map_html

    project = Project.load(project_file)
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        out["page_mb"] = write_map_html(project, Path(tmp) / "page.html").stat().st_size / 1e6
        from ambmap.export import export

        out["public_mb"] = (
            export(project, "html", Path(tmp) / "public.html", map_options=MapOptions(basemap="none")).stat().st_size
            / 1e6
        )
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
    view.show_project(project, options=MapOptions(basemap="none", shown=frozenset({"resources"})))
    loop.exec()
    out["page_ms"] = view.run_js("ambmap.fillMs || null")  # where the page's time goes (after only)

    def timed(code: str) -> float:
        start = time.perf_counter()
        view.run_js(code + "; 0", timeout=120)
        view.run_js("0")  # the page's event loop got past the change
        return (time.perf_counter() - start) * 1000

    filters = [
        timed(f"ambmap.filterCategories({c})") for c in ('["pharmacie"]', "null", '["pharmacie", "dentiste"]', "null")
    ]
    out["filter_ms"] = statistics.median(filters)
    out["toggle_ms"] = statistics.median(
        [
            timed(f"ambmap.setVisible('{k}', {v})")
            for k in ("qpv", "population")
            for v in ("false", "true")
            for _ in range(3)
        ]
    )
    layer = project.layer("qpv")
    restyles = []
    for color in ("#ff0000", "#00aa00", "#0000ff"):
        start = time.perf_counter()
        layer.set_style(color=color)
        if hasattr(render_map, "page_style"):  # in the page: what MapView does on style_changed
            view.restyle("qpv", render_map.page_style(layer))
            view.run_js("0")
        else:  # before: the window re-rendered the whole map
            view.show_project(project)
            loop.exec()
        restyles.append((time.perf_counter() - start) * 1000)
    out["restyle_ms"] = statistics.median(restyles)
    out["errors"] = len(view.js_errors)
    view.close()
    app.processEvents()
    print(json.dumps(out))


def cold_starts(
    trees: dict[str, str], project_file: Path, script: str = PROJECT_COLD_START, runs: int = 5
) -> tuple[dict[str, float], list[float]]:
    """Median seconds from starting a fresh process (``script``: the map view alone, or the whole window)
    to its ``map_ready`` (the line
    it prints then; its exit, Chromium's teardown, is not the start) for each tree, and the machine's load
    before each run. The trees take turns, run after run, so that a change in the load falls on all alike.
    ``-P``: the child imports ambmap from its PYTHONPATH only — with a plain ``-c`` the current directory
    came first, so a run from a worktree measured that tree's code for every tree."""
    times: dict[str, list[float]] = {name: [] for name in trees}
    loads = []
    for _ in range(runs):
        for name, tree in trees.items():
            loads.append(os.getloadavg()[0])
            start = time.perf_counter()
            with subprocess.Popen(
                [sys.executable, "-P", "-c", script, str(project_file), "120"],
                env=dict(_env(), PYTHONPATH=tree),
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            ) as child:
                child.stdout.readline()
                times[name].append(time.perf_counter() - start)
            if child.returncode:
                raise RuntimeError(f"{name} : la carte n'a pas été prête en 120 s (code {child.returncode})")
    return {name: statistics.median(t) for name, t in times.items()}, loads


def big(before: str) -> None:
    """The big-map family: ``before`` (a tree of the branch point) against this tree, same project, same run."""
    import json

    here = str(Path(__file__).resolve().parents[1])
    trees = {"avant": before, "après": here}
    with tempfile.TemporaryDirectory() as tmp:
        project_file = big_project().save(Path(tmp) / "grand.ambmap")
        figures = {}
        for name, tree in trees.items():
            env = dict(_env(), PYTHONPATH=tree)
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--big-child", str(project_file)],
                check=True,
                env=env,
                capture_output=True,
                text=True,
            )
            figures[name] = json.loads(done.stdout.strip().splitlines()[-1])
        starts, loads = cold_starts(trees, project_file)
        windows, more = cold_starts(trees, project_file, WINDOW_COLD_START)
        loads += more
        for name in trees:
            figures[name].update(start_s=starts[name], window_s=windows[name])
    print(
        f"Grande carte : {BIG['qpv']} QPV, {BIG['ambassadors']} ambassadeurs·rices, {BIG['resources']} "
        f"ressources, {BIG['population']} carreaux ; charge machine pendant les démarrages : médiane "
        f"{statistics.median(loads):.1f} (de {min(loads):.1f} à {max(loads):.1f}) sur {os.cpu_count()} cœurs"
    )
    print(f"{'mesure':<36}{'avant':>10}{'après':>10}{'avant/après':>13}{'cible':>8}{'après/cible':>13}")
    rows = [
        ("démarrage à froid, carte (s, médiane)", "start_s"),
        ("démarrage à froid, fenêtre (s, médiane)", "window_s"),
        ("filtre par catégorie (ms)", "filter_ms"),
        ("bascule de couche (ms)", "toggle_ms"),
        ("changement de style (ms)", "restyle_ms"),
        ("page de la fenêtre (Mo)", "page_mb"),
        ("HTML public (Mo)", "public_mb"),
    ]
    for label, key in rows:
        b, a = figures["avant"][key], figures["après"][key]
        target = BIG_TARGETS.get(key)
        tail = f"{target:>8.1f}{a / target:>13.2f}" if target else f"{'–':>8}{'–':>13}"
        print(f"{label:<36}{b:>10.2f}{a:>10.2f}{b / a:>13.2f}{tail}")
    print(f"temps dans la page (après, ms depuis la navigation) : {figures['après'].get('page_ms')}")
    print(
        f"erreurs JavaScript : avant {figures['avant']['errors']}, après {figures['après']['errors']} ; "
        "(après/cible ≤ 1 : objectif tenu)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--big-child"]:
        _big_child(sys.argv[2])
    elif sys.argv[1:2] == ["--big"]:
        big(sys.argv[2])  # python benchmarks/bench_map.py --big /path/to/worktree/of/the/branch/point
    else:
        main()
