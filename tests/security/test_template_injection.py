"""Text from data never runs: template and markup payloads in every field are drawn exactly as typed.

Every text field of every layer kind, every layer title and credit, the territory's name and the slides
receive payloads that would show « 49 », fail to draw (an unclosed ``{#``), run code (the ``cycler``
expressions create ``PWNED`` in the working directory) or mark the page if they ever ran as HTML or
script. Each path that draws a map is checked: the window's page (QtWebEngine), ``ambmap
screenshot`` (a real process), the HTML export at both levels (headless Chromium) and the presentation.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("PySide6.QtWebEngineWidgets")

from ambmap.ui import qt_env  # noqa: E402

qt_env.configure()  # before pytest-qt creates the QApplication
from PySide6 import QtWebEngineWidgets  # noqa: E402,F401 - must be imported before the QApplication

from ambmap.config import Settings  # noqa: E402
from ambmap.project import Project  # noqa: E402
from ambmap.render.map import MapOptions, json_text, page_data  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LOAD_MS = 30_000
PAYLOADS = [
    "{{7*7}}",
    "{% raw %}",
    "{#",
    "}}",
    "{{ cycler.__init__.__globals__.os.popen('touch PWNED').read() }}",
    "</script><script>alert(1)</script>",
    "<!--",
    # quote-less, so it survives JSON escaping: it ran as a template before the fix (made PWNED)
    "{{ cycler.__init__.__globals__.os.mkdir(dict(PWNED=1).popitem()[0]) }}",
    # they mark the page if they ever run (no comma or semicolon: list fields keep them whole)
    "<img src=x onerror=document.body.dataset.pwned='img'>",
    "</script><script>document.body.dataset.pwned='script'</script><!--<script>",
]
JOINED = " ".join(PAYLOADS)
#: Fields shown in each kind's tooltip or popup.
DISPLAYED = {
    "qpv": ("nom_qp", "code_qp", "lib_com"),
    "resources": ("name", "address", "source", "resource_id"),
    "poles": ("name", "address", "phone", "pole_id"),
    "ambassadors": ("display_name", "amb_id", "pole_id", "themes", "languages", "address"),
}

#: What the page shows: each hostile feature's tooltip and popup as text (rendered by innerHTML, as Leaflet
#: does), every feature id, the layer control, credits, legend, search entries and whether anything ran.
COLLECT = """(function () {
  var A = window.ambmap;
  function textOf(h) { var d = document.createElement("div"); d.innerHTML = h; return d.textContent; }
  function texts(selector) {
    return Array.prototype.map.call(document.querySelectorAll(selector), function (e) { return e.textContent.trim(); });
  }
  var features = {};
  Object.keys(A.features).forEach(function (kind) {
    features[kind] = {};
    Object.keys(A.features[kind]).forEach(function (id) {
      var layer = A.features[kind][id], t = layer.getTooltip && layer.getTooltip(), p = layer.getPopup && layer.getPopup();
      var shown = (t ? textOf(t.getContent()) : "") + " | " + (p ? textOf(p.getContent()) : "");
      features[kind][id] = /[{}<>]/.test(id + shown) ? shown : "";
    });
  });
  return {features: features, layers: texts(".leaflet-control-layers-overlays label"),
          attribution: texts(".leaflet-control-attribution").join(" "), legend: texts(".amb-legend").join(" "),
          banner: texts(".amb-banner").join(" "), title: document.title,
          search: Array.prototype.map.call(document.querySelectorAll("#amb-search-list option"),
                                           function (o) { return o.value; }),
          pwned: document.body.dataset.pwned || "none"};
}())"""
PROBE = """<script>(function probe() {
  var A = window.ambmap;
  if (!(A && A.ready && document.querySelector(".amb-search"))) { return setTimeout(probe, 50); }
  setTimeout(function () {
    var pre = document.createElement("pre"); pre.id = "probe";
    pre.textContent = JSON.stringify(__COLLECT__);
    document.body.appendChild(pre);
  }, 1500);
}());</script>""".replace("__COLLECT__", COLLECT)  # the script is all braces: no f-string


def hostile(project: Project) -> Project:
    """``project`` with the payloads everywhere: row 0 of each layer holds all of them in every text field
    (ids included), the next rows one each; titles, credits, style, territory name and slides too."""
    for kind, layer in project.layers.items():
        data = layer.data.copy()
        fields = [
            f.name for f in layer.schema.fields if f.kind in ("str", "list") and f.name != "status_history"
        ]  # dated entries only: validation refuses free text there
        for row, payload in enumerate([JOINED, *PAYLOADS][: len(data)]):
            for name in fields:
                data.loc[data.index[row], name] = payload
        layer.data = data
        layer.title = f"{JOINED} {kind}"
        layer.provenance = {**layer.provenance, "attribution": f"Crédit {kind} {JOINED}", "source": JOINED}
        layer.set_style(color=f'#fff">{PAYLOADS[-2]}<b x="')
    project.territory["name"] = JOINED
    project.options["slides"] = [
        {
            "title": JOINED,
            "caption": JOINED,
            "view": {
                "name": JOINED,
                "lat": 50.63,
                "lon": 3.06,
                "zoom": 12,
                "visible": ["territory", "qpv", "resources"],
                "overlay": "none",
            },
        }
    ]
    return project


@pytest.fixture(scope="module")
def hostile_project():
    return hostile(Project.default())


@pytest.fixture(scope="module")
def analyses(hostile_project):
    from ambmap.analysis.coverage import compute_coverage
    from ambmap.analysis.recommend import recommend_for_project

    return (
        compute_coverage(hostile_project),
        recommend_for_project(hostile_project, k=3, candidates="en formation", time_limit=10),
    )


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """The working directory, where the shell payload would create PWNED."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check_shown(shown: dict, drawn: Project, kinds=None) -> None:
    """The page holds every layer's features under their ids as typed, each hostile feature shows its
    fields as typed, and the layer control, credits and legend show titles and credits as typed."""
    assert shown["pwned"] == "none"
    for kind in kinds or drawn.layers:
        layer = drawn.layers[kind]
        assert set(shown["features"][kind]) == {str(v) for v in layer.data[layer.schema.id_field]}, kind
        for row in layer.data[layer.data[layer.schema.id_field].astype(str).str.contains("[{}<>]")].itertuples():
            text = shown["features"][kind][str(getattr(row, layer.schema.id_field))]
            for field in DISPLAYED.get(kind, ()):
                value = getattr(row, field)
                assert not value or str(value) in text, (kind, field, value, text)
        assert layer.title in shown["layers"], kind
        assert layer.title in shown["legend"], kind
        credit = layer.provenance.get("attribution")
        assert not credit or credit in shown["attribution"], kind
    assert "49" not in " ".join([*shown["layers"], shown["legend"], shown["attribution"]])


def check_data_block(page: str, drawn: Project) -> None:
    """The map's JSON data block holds titles and credits exactly as typed."""
    data = page_data(page)
    for kind, layer in drawn.layers.items():
        assert data["layers"][kind]["title"] == layer.title
    credits = {layer.provenance["attribution"] for layer in drawn.layers.values()}
    assert credits <= set(data["config"]["attributions"])


def test_json_text_is_inert_even_if_templated():
    from jinja2 import Template

    value = {"texte": PAYLOADS + [JOINED], "}}": "{#", "ligne": "a\u2028b"}
    text = json_text(value)
    assert json.loads(text) == value
    assert not re.search(r"[<>&]|\{\{|\{%|\{#|\u2028", text)
    assert Template(text).render() == text


@given(
    st.recursive(
        st.text(alphabet="{}%#<>&\"\\'ab \u2028", max_size=12),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
        max_leaves=8,
    )
)
def test_any_json_text_round_trips_and_stays_inert(value):
    from jinja2 import Template

    text = json_text(value)
    assert json.loads(text) == value
    assert Template(text).render() == text and not re.search(r"[<>&]", text)


def test_window_page_draws_the_text_as_typed(qtbot, hostile_project, analyses, workdir):
    from PySide6.QtCore import QCoreApplication, QEvent

    from ambmap.ui.map_view import MapView

    view = MapView(settings=Settings(basemap="none", offline=True))
    view.resize(1000, 700)
    view.show()
    try:
        coverage, recommendation = analyses
        with qtbot.waitSignal(view.map_ready, timeout=LOAD_MS):
            view.show_project(
                hostile_project, coverage=coverage, recommendation=recommendation, options=MapOptions(basemap="none")
            )
        qtbot.wait(500)  # lets an <img onerror> payload fire, were it ever parsed as HTML
        shown = view.run_js(COLLECT)
        assert view.js_errors == []
        check_shown(shown, hostile_project)
        check_data_block(view.html_path().read_text(encoding="utf-8"), hostile_project)
        assert any(JOINED in text for text in shown["features"]["gaps"].values())  # analyses name QPV too
        assert {kind: view.run_js(f"ambmap.count({json.dumps(kind)})") for kind in ("qpv", "poles")} == {
            "qpv": len(hostile_project.layer("qpv")),
            "poles": len(hostile_project.layer("poles")),
        }
        assert view.run_js(f"ambmap.highlight('qpv', {json.dumps(JOINED)})") is True  # ids work as typed
    finally:
        view.close()
        view.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not (workdir / "PWNED").exists()


class _Head(HTMLParser):
    def __init__(self):
        super().__init__()
        self.title, self.meta, self._in_title = "", {}, False

    def handle_starttag(self, tag, attrs):
        self._in_title = tag == "title"
        if tag == "meta" and dict(attrs).get("name", "").startswith("ambmap:"):
            self.meta[dict(attrs)["name"]] = dict(attrs)["content"]

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag):
        self._in_title = False


@pytest.mark.parametrize("level", ["public", "interne"])
def test_html_export_shows_the_text_as_typed(hostile_project, analyses, workdir, level):
    from ambmap.export import export
    from ambmap.export.common import prepare

    coverage, recommendation = analyses
    path = export(
        hostile_project,
        "html",
        workdir / "carte.html",
        level=level,
        recommendation=recommendation,
        map_options=MapOptions(basemap="none"),
    )
    page = path.read_text(encoding="utf-8")
    drawn = prepare(hostile_project, level, coverage=coverage).project
    check_data_block(page, drawn)
    head = _Head()
    head.feed(page)
    assert head.title == f"Ambassadeurs·rices de santé — {JOINED}"
    assert head.meta["ambmap:territoire"] == JOINED
    probed = workdir / "probed.html"
    probed.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={workdir / 'profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=15000",
            "--dump-dom",
            probed.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert found, "la page ne s'est pas dessinée : " + dom[-1500:]
    shown = json.loads(html.unescape(found.group(1)))
    check_shown(shown, drawn)
    assert shown["title"] == head.title
    names = {f"{name} (Quartier)" for name in drawn.layer("qpv").data["nom_qp"]}
    if level == "interne":
        names |= {f"{name} (Ambassadeur·rice)" for name in drawn.layer("ambassadors").data["display_name"]}
    assert names <= set(shown["search"])
    assert f"{JOINED} (Ambassadeur·rice)" not in shown["search"] or level == "interne"
    assert not (workdir / "PWNED").exists()


def test_screenshot_command_draws_a_hostile_project(hostile_project, workdir):
    project_file = hostile_project.save(workdir / "hostile.gpkg")
    loaded = Project.load(project_file)
    assert loaded.layer("resources").data["name"].iloc[0] == JOINED  # the file keeps the payloads whole
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ambmap",
            "screenshot",
            "--project",
            str(project_file),
            "--output",
            str(workdir / "capture.png"),
            "--size",
            "1000x700",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (workdir / "capture.png").stat().st_size > 10_000
    assert not (workdir / "PWNED").exists()


def test_presentation_shows_the_slides_as_typed(qtbot, hostile_project, workdir):
    from ambmap.session import Session
    from ambmap.ui.presentation import PresentationWindow

    settings = Settings(
        data_dir=workdir / "data",
        cache_dir=workdir / "cache",
        config_dir=workdir / "config",
        basemap="none",
        offline=True,
    )
    window = PresentationWindow(Session(hostile_project, settings))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    with qtbot.waitSignal(window.map_view.map_ready, timeout=LOAD_MS):
        window.show()
    assert (window.title.text(), window.caption.text()) == (JOINED, JOINED)
    assert window.windowTitle() == f"Présentation — {JOINED}"
    shown = window.map_view.run_js(COLLECT)
    assert window.map_view.js_errors == []
    check_shown(shown, hostile_project, kinds=("territory", "qpv", "resources", "poles"))
    window.close()
    assert not (workdir / "PWNED").exists()
