"""The map widget in a real QtWebEngine page: drawing offline, toggling, highlighting, editing signals."""

from __future__ import annotations

import socket

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")

from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWebEngineCore import QWebEngineUrlRequestInterceptor  # noqa: E402

from ambmap.config import Settings  # noqa: E402
from ambmap.render.map import MapOptions  # noqa: E402
from ambmap.ui.map_view import MapView  # noqa: E402

LOAD_MS = 30_000


class RequestRecorder(QWebEngineUrlRequestInterceptor):
    """Records every URL the page asks for (and lets it through)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def interceptRequest(self, info):
        self.urls.append(info.requestUrl().toString())


@pytest.fixture
def view(qtbot):
    widget = MapView(settings=Settings(basemap="none"))
    widget.resize(1000, 700)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.close()
    widget.deleteLater()  # the page must go before the web profile at exit
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def recorder(view):
    rec = RequestRecorder()
    profile = view.page().profile()
    profile.setUrlRequestInterceptor(rec)
    yield rec
    profile.setUrlRequestInterceptor(None)


def show(qtbot, view, project, **kwargs):
    with qtbot.waitSignal(view.map_ready, timeout=LOAD_MS):
        view.show_project(project, **kwargs)


def click_at(view, x: float, y: float) -> None:
    """A real mouse click at page coordinates (CSS pixels = widget pixels here)."""
    target, point = view.focusProxy(), QPoint(round(x), round(y))
    QTest.mouseMove(target, point)
    QTest.qWait(50)
    QTest.mousePress(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    QTest.mouseRelease(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point, 30)
    QTest.qWait(300)  # no double click with the next one


def drag(view, start: tuple[float, float], end: tuple[float, float], steps: int = 8) -> None:
    """Press at ``start``, move in steps, release at ``end``."""
    target = view.focusProxy()
    points = [
        QPoint(round(start[0] + (end[0] - start[0]) * i / steps), round(start[1] + (end[1] - start[1]) * i / steps))
        for i in range(steps + 1)
    ]
    QTest.mouseMove(target, points[0])
    QTest.qWait(50)
    QTest.mousePress(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for point in points[1:]:
        QTest.qWait(20)
        QTest.mouseMove(target, point)
    QTest.qWait(50)
    QTest.mouseRelease(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
    QTest.qWait(300)


def element_centre(view, js_element: str) -> tuple[float, float]:
    rect = view.run_js(
        f"(function () {{ var r = {js_element}.getBoundingClientRect(); "
        "return [r.left + r.width / 2, r.top + r.height / 2]; }())"
    )
    return rect[0], rect[1]


def test_offline_map_draws_every_layer_and_requests_nothing(qtbot, view, recorder, demo_project):
    show(qtbot, view, demo_project)
    counts = view.run_js("ambmap.counts()")
    expected = {kind: len(layer) for kind, layer in demo_project.layers.items()}
    assert counts == expected
    # really drawn: one SVG path per polygon, marker or cluster icons for the points
    assert view.run_js("document.querySelectorAll('path.amb-qpv').length") == expected["qpv"]
    assert view.run_js("document.querySelectorAll('path.amb-territory').length") == 1
    assert view.run_js("document.querySelectorAll('canvas').length") == 0  # population grid hidden
    icons = view.run_js("document.querySelectorAll('.amb-icon, .marker-cluster').length")
    assert icons > 20
    assert view.run_js("ambmap.visibleKinds()") == ["territory", "qpv", "resources", "poles", "ambassadors"]
    assert view.run_js("document.querySelector('.amb-banner').textContent") == "Données de démonstration"
    assert view.js_errors == []
    schemes = {url.split(":", 1)[0] for url in recorder.urls}
    assert recorder.urls and schemes <= {"file", "qrc", "data"}, recorder.urls


def test_map_draws_without_network_when_the_basemap_is_unreachable(qtbot, view, recorder, demo_project):
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = MapOptions(basemap="plan-ign", wmts_url=f"http://127.0.0.1:{port}/wmts")
    show(qtbot, view, demo_project, options=options)
    assert view.run_js("ambmap.counts()") == {kind: len(layer) for kind, layer in demo_project.layers.items()}
    qtbot.waitUntil(lambda: any(u.startswith("http") for u in recorder.urls))
    remote = [u for u in recorder.urls if u.startswith("http")]
    assert all(u.startswith(f"http://127.0.0.1:{port}/wmts?SERVICE=WMTS") for u in remote), remote


def test_toggle_highlight_and_rerender_keep_view_and_states(qtbot, view, demo_project):
    show(qtbot, view, demo_project)
    view.set_layer_visible("qpv", False)
    qtbot.waitUntil(lambda: view.run_js("ambmap.map.hasLayer(ambmap.layers.qpv)") is False)
    assert view.run_js("document.querySelectorAll('path.amb-qpv').length") == 0
    legend = "document.querySelector('.amb-legend-kind[data-kind=qpv]').style.display"
    assert view.run_js(legend) == "none"
    view.set_layer_visible("qpv", True)
    qtbot.waitUntil(lambda: view.run_js("document.querySelectorAll('path.amb-qpv').length") == 8)

    code = demo_project.layer("qpv").data["code_qp"].iloc[2]
    view.highlight("qpv", code)
    qtbot.waitUntil(lambda: view.run_js(f"ambmap.highlighted === ambmap.features.qpv['{code}']"))
    assert view.run_js(f"ambmap.features.qpv['{code}'].options.color") == "#ffd600"

    amb = demo_project.layer("ambassadors").data["amb_id"].iloc[5]
    view.highlight("ambassadors", amb)  # inside a cluster: zooms until it shows
    qtbot.waitUntil(
        lambda: view.run_js(
            f"!!ambmap.features.ambassadors['{amb}'].getElement() && "
            f"ambmap.features.ambassadors['{amb}'].getElement().classList.contains('amb-highlight')"
        ),
        timeout=5000,
    )
    assert view.run_js(f"ambmap.features.ambassadors['{amb}'].isTooltipOpen()")

    view.set_view(50.62, 3.07, 15)
    qtbot.waitUntil(lambda: view.run_js("ambmap.view()") == pytest.approx([50.62, 3.07, 15], abs=1e-4))
    view.set_layer_visible("resources", False)
    qtbot.waitUntil(lambda: view.run_js("ambmap.map.hasLayer(ambmap.layers.resources)") is False)
    show(qtbot, view, demo_project)  # re-render
    lat, lon, zoom = view.current_view()
    assert (lat, lon, zoom) == pytest.approx((50.62, 3.07, 15), abs=1e-4)
    assert view.run_js("ambmap.view()") == pytest.approx([50.62, 3.07, 15], abs=1e-4)
    assert "resources" not in view.run_js("ambmap.visibleKinds()")
    view.run_js("setTimeout(function () { throw new Error('panne volontaire'); }, 0); true")
    qtbot.waitUntil(lambda: any("panne volontaire" in e for e in view.js_errors))
    with qtbot.waitSignal(view.map_ready, timeout=LOAD_MS):
        view.show_project(demo_project, keep_view=False)  # a new territory: fitted, layer states reset
    assert view.current_view()[2] != 15 and "resources" in view.run_js("ambmap.visibleKinds()")


#: What a cluster group shows: each marker on the map, and each cluster's count of kept markers.
SHOWN = """(function () {
  var out = {markers: [], total: 0, ones: 0};
  ambmap.layers.resources._featureGroup.eachLayer(function (l) {
    if (l instanceof L.MarkerCluster) { out.total += ambmap.kept(l); if (ambmap.kept(l) < 2) { out.ones += 1; } }
    else { out.total += 1; out.markers.push(l.ambmap.key); }
  });
  return out;
}())"""


@pytest.mark.parametrize("shown", [True, False])
def test_resource_category_filter(qtbot, view, demo_project, shown):
    """On the map or off it (then applied when shown), the clusters count and show exactly the kept
    markers, with no cluster of 0 or 1, at the start zoom and after zooming in and out."""
    show(qtbot, view, demo_project, options=MapOptions(basemap="none", cluster_above=5))
    categories = demo_project.layer("resources").data["category"]
    view.set_layer_visible("resources", shown)
    view.set_resource_categories(["pharmacie"])
    view.set_resource_categories(["pharmacie", "dentiste"])
    expected = categories.isin(["pharmacie", "dentiste"]).sum()
    qtbot.waitUntil(lambda: view.run_js("ambmap.count('resources')") == expected)
    view.set_layer_visible("resources", True)
    qtbot.waitUntil(lambda: view.run_js(SHOWN)["total"] == expected)
    drawn = view.run_js(SHOWN)
    assert set(drawn["markers"]) <= {"pharmacie", "dentiste"} and drawn["ones"] == 0
    lat, lon, zoom = view.run_js("ambmap.view()")
    for level in (zoom + 2, zoom):  # clusters split and merge again: still only the kept markers
        view.run_js(f"ambmap.map.setZoom({level}, {{animate: false}}); 0")
        qtbot.wait(600)  # the cluster group's own animation queue (300 ms)
        drawn = view.run_js(SHOWN)
        assert set(drawn["markers"]) <= {"pharmacie", "dentiste"} and drawn["ones"] == 0
    assert drawn["total"] == expected
    view.set_layer_visible("resources", shown)
    view.set_resource_categories(None)
    qtbot.waitUntil(lambda: view.run_js("ambmap.count('resources')") == len(categories))
    view.set_layer_visible("resources", True)
    qtbot.waitUntil(lambda: view.run_js(SHOWN)["total"] == len(categories))
    assert view.run_js("document.querySelectorAll('.amb-with-filter').length") == 0  # the app filters, not the legend
    assert view.js_errors == []


def test_a_restyle_through_the_session_changes_the_page_without_a_new_page(qtbot, demo_project):
    """Colour, opacity and labels set on the layers reach the page through ambmap.restyle: no new page
    (map_ready not emitted), and the legend's keys follow."""
    from ambmap.session import Session

    session = Session(demo_project, Settings(basemap="none"))
    widget = MapView(settings=Settings(basemap="none"), session=session)
    widget.resize(1000, 700)
    widget.show()
    try:
        show(qtbot, widget, demo_project)
        code = str(demo_project.layer("qpv").data["code_qp"].iloc[0])
        page = widget.html_path()
        assert widget.run_js("document.querySelectorAll('.amb-label').length") > 0
        with qtbot.assertNotEmitted(widget.map_ready, wait=500):
            demo_project.layer("qpv").set_style(color="#ff0000", labels=False)
            demo_project.layer("poles").set_style(opacity=0.4)
            demo_project.layer("poles").set_style(color="#00ff00")
            qtbot.waitUntil(lambda: widget.run_js(f"ambmap.features.qpv['{code}'].options.color") == "#ff0000")
            qtbot.waitUntil(lambda: widget.run_js("document.querySelectorAll('.amb-label').length") == 0)
            pole = str(demo_project.layer("poles").data["pole_id"].iloc[0])
            assert widget.run_js(f"ambmap.features.poles['{pole}'].options.opacity") == 0.4
            assert "#00ff00" in widget.run_js(f"ambmap.features.poles['{pole}'].options.icon.options.html")
            assert "#00ff00" in widget.run_js(
                "document.querySelector('.amb-legend-kind[data-kind=poles] .key').innerHTML"
            )
            border = widget.run_js(
                "document.querySelector('.amb-legend-kind[data-kind=qpv] .swatch').style.borderColor"
            )
            assert border == "rgb(255, 0, 0)"
            demo_project.layer("qpv").set_style(labels=True)
            qtbot.waitUntil(lambda: widget.run_js("document.querySelectorAll('.amb-label').length") > 0)
        assert widget.html_path() == page and widget.js_errors == []
    finally:
        session.close()
        widget.close()
        widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_clicks_drags_and_delete_emit_signals(qtbot, view, demo_project):
    show(qtbot, view, demo_project)
    pole = demo_project.layer("poles").data["pole_id"].iloc[0]
    view.run_js(f"ambmap.map.setView(ambmap.features.poles['{pole}'].getLatLng(), 17, {{animate: false}}); true")
    marker = f"ambmap.features.poles['{pole}'].getElement()"
    qtbot.waitUntil(lambda: view.run_js(f"!!{marker}") and element_centre(view, marker) == (500, 350))
    x, y = element_centre(view, marker)
    with qtbot.waitSignal(view.feature_clicked, timeout=5000) as clicked:
        click_at(view, x, y)
    assert clicked.args == ["poles", pole]

    # outside edit mode a click on the map says nothing
    with qtbot.assertNotEmitted(view.map_clicked, wait=300):
        click_at(view, 200, 250)

    view.set_edit_mode(True)
    qtbot.waitUntil(lambda: view.run_js(f"ambmap.features.poles['{pole}'].dragging.enabled()"))
    assert view.run_js("ambmap.editMode") is True
    expected = view.run_js(
        "(function () { var p = ambmap.map.containerPointToLatLng([150, 500]); return [p.lat, p.lng]; }())"
    )
    with qtbot.waitSignal(view.map_clicked, timeout=5000) as added:
        click_at(view, 150, 500)  # inside a QPV: in edit mode, that is a place on the map
    assert added.args == pytest.approx(expected, abs=1e-4)

    x, y = element_centre(view, marker)
    with qtbot.waitSignal(view.feature_moved, timeout=5000) as moved:
        drag(view, (x, y), (x + 60, y + 40))  # a real mouse drag
    # the marker's anchor is its centre: it lands where the mouse was released
    target = view.run_js(
        f"(function () {{ var p = ambmap.map.containerPointToLatLng([{x + 60}, {y + 40}]); return [p.lat, p.lng]; }}())"
    )
    assert moved.args[:2] == ["poles", pole] and moved.args[2:] == pytest.approx(target, abs=2e-5)
    qtbot.waitUntil(lambda: element_centre(view, marker) == (x + 60, y + 40))

    x, y = element_centre(view, marker)
    with qtbot.waitSignal(view.feature_clicked, timeout=5000):
        click_at(view, x, y)
    with qtbot.waitSignal(view.delete_requested, timeout=5000) as deleted:
        QTest.keyClick(view.focusProxy(), Qt.Key.Key_Delete)
    assert deleted.args == ["poles", pole]

    view.set_edit_mode(False)
    qtbot.waitUntil(lambda: not view.run_js(f"ambmap.features.poles['{pole}'].dragging.enabled()"))
    assert view.js_errors == []


def test_cursor_and_view_signals(qtbot, view, demo_project):
    show(qtbot, view, demo_project)
    with qtbot.waitSignal(view.cursor_moved, timeout=5000) as moved:
        QTest.mouseMove(view.focusProxy(), QPoint(400, 300))
        QTest.mouseMove(view.focusProxy(), QPoint(410, 310))
    lat, lon = moved.args
    assert 50.5 < lat < 50.7 and 2.9 < lon < 3.2
    with qtbot.waitSignal(view.view_changed, timeout=5000) as changed:
        view.set_view(50.63, 3.05, 14)
    assert changed.args == pytest.approx([50.63, 3.05, 14], abs=1e-4)


def test_fullscreen_button_puts_the_window_in_full_screen(qtbot, view, demo_project):
    show(qtbot, view, demo_project)
    button = "document.querySelector('.leaflet-control-zoom-fullscreen')"
    x, y = element_centre(view, button)
    with qtbot.waitSignal(view.fullscreen_changed, timeout=5000) as entered:
        click_at(view, x, y)
    assert entered.args == [True]
    qtbot.waitUntil(view.window().isFullScreen)
    x, y = element_centre(view, button)
    with qtbot.waitSignal(view.fullscreen_changed, timeout=5000) as left:
        click_at(view, x, y)
    assert left.args == [False]


def test_qt_env_adds_flags_and_keeps_the_users(monkeypatch):
    from ambmap.ui import qt_env

    env = {"QTWEBENGINE_CHROMIUM_FLAGS": "--lang=fr --disable-gpu"}
    monkeypatch.setattr(qt_env.os, "geteuid", lambda: 0)
    qt_env.configure(env)
    flags = env["QTWEBENGINE_CHROMIUM_FLAGS"].split()
    assert flags[:2] == ["--lang=fr", "--disable-gpu"] and flags.count("--disable-gpu") == 1
    assert set(qt_env.CHROMIUM_FLAGS) <= set(flags)
    assert env["QTWEBENGINE_DISABLE_SANDBOX"] == "1"
    monkeypatch.setattr(qt_env.os, "geteuid", lambda: 1000)
    user = {}
    qt_env.configure(user)
    assert "QTWEBENGINE_DISABLE_SANDBOX" not in user


def test_population_grid_is_drawn_on_a_canvas_when_shown(qtbot, view, demo_project):
    show(qtbot, view, demo_project)
    view.set_layer_visible("population", True)
    qtbot.waitUntil(lambda: view.run_js("document.querySelectorAll('canvas').length") == 1)
    assert view.run_js("ambmap.count('population')") == len(demo_project.layer("population"))
    assert view.run_js("document.querySelector('.amb-legend-kind[data-kind=population]').style.display") == ""


def test_highlight_reveals_a_hidden_layer_and_tells_the_app(qtbot, view, demo_project):
    show(
        qtbot,
        view,
        demo_project,
        options=MapOptions(basemap="none", hidden={"poles"}, resource_categories=("pharmacie",)),
    )
    pole = demo_project.layer("poles").data["pole_id"].iloc[1]
    with qtbot.waitSignal(view.layer_visibility_changed, timeout=5000) as toggled:
        view.highlight("poles", pole)
    assert toggled.args == ["poles", True]
    qtbot.waitUntil(lambda: view.run_js(f"ambmap.highlighted === ambmap.features.poles['{pole}']"))
    data = demo_project.layer("resources").data
    dentist = data.loc[data["category"] == "dentiste", "resource_id"].iloc[0]
    assert view.run_js(f"ambmap.highlight('resources', '{dentist}')") is False  # filtered out: nothing to show
    assert view.run_js("ambmap.highlight('qpv', 'QN-INCONNU')") is False
    pharmacy = data.loc[data["category"] == "pharmacie", "resource_id"].iloc[0]
    assert view.run_js(f"ambmap.highlight('resources', '{pharmacy}')") is True
    view.set_resource_categories(["PMI"])  # the page's own filter hides every pharmacy
    qtbot.waitUntil(lambda: view.run_js("ambmap.count('resources')") == 0)
    assert view.run_js(f"ambmap.highlight('resources', '{pharmacy}')") is False


def test_streets_are_drawn_on_one_canvas_and_named_at_street_zoom(qtbot, view, demo_project):
    """The packed strings decode in the page as in Python (a QPV's outline), the streets' canvas holds
    drawn pixels, names come at street zoom only, and hiding the layer takes the canvas away."""
    from ambmap.render.map import pack, unpack
    from tests.test_streets import synthetic_streets

    demo_project.set_layer(synthetic_streets(demo_project))
    show(qtbot, view, demo_project)
    assert view.run_js("ambmap.count('streets')") == len(demo_project.layer("streets"))
    code, geometry = demo_project.layer("qpv").data[["code_qp", "geometry"]].iloc[0]
    drawn = view.run_js(
        f"ambmap.features.qpv['{code}'].getLatLngs()[0][0].map(function (p) {{ return [p.lat, p.lng]; }})"
    )
    expected = unpack(pack([geometry])[0][0][0])
    assert sum(drawn, []) == pytest.approx(expected[: len(drawn)].ravel().tolist(), abs=1e-9)  # no closing point
    inked = """(function () {
      var c = document.querySelector('.leaflet-ambBase-streets-pane canvas');
      if (!c) { return -1; }
      var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;
      for (var i = 3; i < d.length; i += 4) { if (d[i]) { n++; } }
      return n;
    }())"""
    assert view.run_js(inked) > 1000
    assert view.run_js("document.querySelectorAll('.amb-street-name').length") == 0  # city zoom: no names
    centre = geometry.centroid
    view.run_js(f"ambmap.map.setView([{centre.y}, {centre.x}], 17, {{animate: false}}); 0")
    qtbot.waitUntil(lambda: view.run_js("document.querySelectorAll('.amb-street-name').length") > 0, timeout=5000)
    names = view.run_js(
        "[].map.call(document.querySelectorAll('.amb-street-name'), function (e) { return e.textContent; })"
    )
    assert set(names) <= set(demo_project.layer("streets").data["name"].dropna())
    view.set_layer_visible("streets", False)
    qtbot.waitUntil(lambda: view.run_js(inked) == -1, timeout=5000)
    assert view.run_js("document.querySelectorAll('.amb-street-name').length") == 0
    assert view.js_errors == []
