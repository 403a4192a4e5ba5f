"""Presentation mode: nothing for the presenter on the audience screen, the starter deck, exact framing,
captions that follow the data, clicker keys, the CLI, the session."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QLabel  # noqa: E402

from ambmap.basemap import basemap_path  # noqa: E402
from ambmap.config import Settings  # noqa: E402
from ambmap.session import Session  # noqa: E402
from ambmap.ui.presentation import (  # noqa: E402
    CAPTURE_VIEW,
    HINTS,
    PUBLIC_NOTE,
    PresentationWindow,
    fill,
    public_differs,
    view_of,
)
from tests.ui.conftest import write_empty_mbtiles  # noqa: E402

LOAD_MS = 30_000
#: Words only a presenter needs: never on what the audience sees.
PRESENTER_WORDS = ("Échap", "Appuyez", "Page suivante", "touche", "quitter", "composer")
#: The page's text and whether its map controls show (the audience has nothing to click).
AUDIENCE_PAGE = """(function () {
  var shown = function (sel) { var e = document.querySelector(sel); return !!e && getComputedStyle(e).display !== "none"; };
  var legend = document.querySelector(".amb-legend details");
  return {text: document.body.innerText, zoom: shown(".leaflet-control-zoom"), layers: shown(".leaflet-control-layers"),
          legendOpen: !!legend && legend.open, labelPx: parseFloat(getComputedStyle(document.querySelector(".amb-label")).fontSize)};
}())"""


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        config_dir=tmp_path / "config",
        basemap="none",
        offline=True,
    )


def open_window(qtbot, session_or_project, settings, size=(1200, 800)) -> PresentationWindow:
    session = session_or_project if isinstance(session_or_project, Session) else Session(session_or_project, settings)
    window = PresentationWindow(session)
    qtbot.addWidget(window)
    window.resize(*size)
    with qtbot.waitSignal(window.map_view.map_ready, timeout=LOAD_MS):
        window.show()
    return window


def with_results(project, settings, recommend: bool = True) -> Session:
    from ambmap.analysis.coverage import compute_coverage
    from ambmap.analysis.recommend import recommend_for_project

    session = Session(project, settings)
    session.set_coverage(compute_coverage(project))
    if recommend:
        session.set_recommendation(recommend_for_project(project, k=2, candidates="en formation", time_limit=10))
    return session


def test_the_audience_never_sees_a_presenter_hint(qtbot, demo_project, settings):
    window = open_window(qtbot, demo_project, settings)
    for i in range(len(window.slides)):
        window.go(i)
        shown = " ".join(label.text() for label in window.findChildren(QLabel) if label.isVisibleTo(window))
        page = window.map_view.run_js(AUDIENCE_PAGE)
        for word in PRESENTER_WORDS:
            assert word.lower() not in shown.lower() and word.lower() not in page["text"].lower(), word
    assert not page["zoom"] and not page["layers"]  # no map control to click on the projected screen
    assert page["legendOpen"] and page["labelPx"] >= 15  # the legend open, labels readable from the back
    # the presenter's hints are on a window of their own, not inside what is projected
    console = window.console
    assert console.parent() is None and console not in window.findChildren(type(console))
    assert "Échap pour quitter" in console.keys.text() and "Échap pour quitter" in HINTS
    assert console.now.text().startswith(f"Diapositive {len(window.slides)} / {len(window.slides)}")


def test_a_project_without_slides_gets_the_starter_deck(qtbot, demo_project, settings):
    window = open_window(qtbot, with_results(demo_project, settings), settings)
    assert [s["view"]["overlay"] for s in window.slides] == ["none", "coverage", "gaps", "recommendation"]
    assert window.title.text() == "Lille : les quartiers prioritaires"
    assert window.caption.text().startswith("8 QPV, 73")
    window.go(1)
    assert window.title.text() == "La couverture aujourd'hui"
    assert "{" not in window.caption.text() and "84\u202f%" in window.caption.text()
    assert "Objectif de 80\u202f% atteint dans 5 QPV sur 8" in window.caption.text()
    qtbot.waitUntil(lambda: "coverage" in window.map_view.run_js("ambmap.visibleKinds()"), timeout=LOAD_MS)
    assert not {"gaps", "recommendation"} & set(window.map_view.run_js("ambmap.visibleKinds()"))
    window.go(3)
    assert window.caption.text().startswith("2\xa0sites, numérotés par priorité")
    qtbot.waitUntil(lambda: "recommendation" in window.map_view.run_js("ambmap.visibleKinds()"), timeout=LOAD_MS)
    # the numbered sites are on the map, at the public level
    assert window.map_view.run_js("ambmap.count('recommendation')") == 2
    window.close()
    # no recommendation computed: no slide announcing one
    again = open_window(qtbot, demo_project, settings)
    assert [s["view"]["overlay"] for s in again.slides] == ["none", "coverage", "gaps"]


def test_a_slide_restores_the_exact_framing(qtbot, demo_project, settings):
    demo_project.options["slides"] = [
        {"title": "Vue d'ensemble", "caption": "Le territoire", "view": None},
        {"title": "Fives", "caption": "Le quartier", "view": None},
    ]
    window = open_window(qtbot, demo_project, settings)
    view = window.map_view
    bounds = lambda: view.run_js(CAPTURE_VIEW)["bounds"]  # noqa: E731
    window.go(1)
    view.run_js("ambmap.map.setView([50.6213, 3.0577], 13.37, {animate: false}) && null")  # a fractional zoom
    qtbot.waitUntil(lambda: abs(view.run_js("ambmap.view()")[2] - 13.37) < 1e-9, timeout=LOAD_MS)
    framed = view_of(view.run_js(CAPTURE_VIEW), "Fives", "coverage")
    assert framed["zoom"] == pytest.approx(13.37)
    slides = window.session.options.slides
    slides[1]["view"] = framed
    window.session.options.slides = slides
    window.go(0)
    qtbot.waitUntil(lambda: abs(bounds()[0] - framed["bounds"][0]) > 1e-3, timeout=LOAD_MS)  # elsewhere
    window.go(1)
    qtbot.waitUntil(lambda: bounds() == pytest.approx(framed["bounds"], abs=1e-7), timeout=LOAD_MS)
    lat, lon, zoom = view.run_js("ambmap.view()")
    assert zoom == pytest.approx(13.37, abs=1e-7)
    assert (lat, lon) == pytest.approx((framed["lat"], framed["lon"]), abs=5e-5)  # within a pixel (13 m)
    # on a screen of another shape, the whole framed area is shown
    window.resize(1500, 700)
    qtbot.waitUntil(lambda: abs(view.run_js("ambmap.view()")[2] - 13.37) > 1e-3, timeout=LOAD_MS)
    s, w, n, e = bounds()
    fs, fw, fn, fe = framed["bounds"]
    px = 5e-5  # Leaflet places the centre on a whole pixel
    assert s <= fs + px and w <= fw + px and n >= fn - px and e >= fe - px


def test_captions_follow_the_data(qtbot, demo_project, settings):
    from ambmap.analysis.coverage import compute_coverage

    session = with_results(demo_project, settings, recommend=False)
    demo_project.options["slides"] = [
        {
            "title": "Couverture de {territoire}",
            "caption": "Part couverte : {part_couverte} {inconnu} {0.__class__} {{7*7}}",
            "view": {"overlay": "coverage", "visible": ["territory", "qpv"]},
        }
    ]
    window = open_window(qtbot, session, settings)
    assert window.title.text() == "Couverture de Lille"
    assert window.caption.text() == "Part couverte : 84\u202f% {inconnu} {0.__class__} {{7*7}}"  # only known names
    ambassadors = demo_project.layers["ambassadors"]
    ambassadors.data = ambassadors.data.iloc[:10]  # an edit in the main window…
    with qtbot.waitSignal(window.map_view.map_ready, timeout=LOAD_MS):
        session.set_coverage(compute_coverage(demo_project))  # …and its live coverage
    qtbot.waitUntil(lambda: "84\u202f%" not in window.caption.text(), timeout=LOAD_MS)
    share = window.figures["part_couverte"]
    assert (
        share != "84\u202f%"
        and window.caption.text() == f"Part couverte : {share} {{inconnu}} {{0.__class__}} {{{{7*7}}}}"
    )


def test_fill_replaces_only_its_own_names_once():
    figures = {"territoire": "{part_couverte}", "part_couverte": "84\u202f%"}
    assert (
        fill("{territoire} {part_couverte} {Territoire} {0} {a.b}", figures)
        == "{part_couverte} 84\u202f% {Territoire} {0} {a.b}"
    )


def test_the_public_figures_note(qtbot, demo_project, settings):
    from ambmap.analysis.coverage import compute_coverage

    window = open_window(qtbot, demo_project, settings)
    # Wazemmes is 98 % from the exact homes, 100 % from their 200 m squares: the audience is told why
    assert window.public_differs and window.note.text() == PUBLIC_NOTE and window.note.isVisibleTo(window)
    coverage = compute_coverage(demo_project)
    assert not public_differs(coverage, coverage) and not public_differs(None, coverage)


def test_clicker_keys_navigate_and_escape_leaves(qtbot, demo_project, settings):
    demo_project.options["slides"] = [
        {"title": t, "caption": f"Légende de « {t} »", "view": {"overlay": o, "visible": ["qpv"]}}
        for t, o in (("Un", "none"), ("Deux", "coverage"), ("Trois", "gaps"))
    ]
    window = open_window(qtbot, demo_project, settings)
    assert window.title.text() == "Un" and window.counter.text() == "1 / 3"
    assert window.mark.text() == "« Données de démonstration »"
    target = window.map_view.focusProxy() or window.map_view
    for key, expected in (
        (Qt.Key.Key_PageDown, 1),
        (Qt.Key.Key_Space, 2),
        (Qt.Key.Key_Right, 2),
        (Qt.Key.Key_PageUp, 1),
    ):
        qtbot.keyClick(target, key)
        assert window.index == expected
    assert window.title.text() == "Deux" and window.caption.text() == "Légende de « Deux »"
    assert window.console.after.text() == "Ensuite : Trois"
    qtbot.keyClick(window.console, Qt.Key.Key_Home)  # the presenter's console takes the keys too
    assert window.index == 0
    qtbot.keyClick(target, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isVisible())


def test_presentation_uses_the_prepared_offline_basemap(qtbot, demo_project, settings):
    path = basemap_path(settings, demo_project)
    write_empty_mbtiles(path, 15)
    window = open_window(qtbot, demo_project, settings)
    assert window.tiles is not None and window.tiles.max_zoom == 15
    assert window.tiles.url.split("{z}")[0] in window.map_view.html_path().read_text(encoding="utf-8")
    window.close()
    assert window.tiles is None
    window.session.close()  # the server belongs to the session


def test_ambmap_present_opens_the_project_full_screen(qtbot, demo_project, settings, tmp_path, monkeypatch, capsys):
    from PySide6.QtWidgets import QApplication

    from ambmap.cli import main

    path = demo_project.save(tmp_path / "projet.gpkg")
    shown = []

    def fake_exec(*_):  # the event loop: check the window, then leave as Escape would
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, PresentationWindow) and w.isVisible())
        shown.append((window.isFullScreen(), window.title.text()))
        window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    monkeypatch.setenv("AMBMAP_BASEMAP", "none")
    assert main(["present", "--project", str(path)]) == 0
    assert shown == [(True, "Lille : les quartiers prioritaires")]
    assert HINTS in capsys.readouterr().err  # the keys, told on the presenter's terminal


def test_the_presentation_follows_the_session(qtbot, demo_project, settings):
    from ambmap.analysis.recommend import recommend_for_project
    from ambmap.project import Project

    window = open_window(qtbot, demo_project, settings)
    session = window.session
    session.options.slides = [{"title": "Composée ailleurs", "caption": "", "view": None}]
    assert window.title.text() == "Composée ailleurs" and window.counter.text() == "1 / 1"
    recommendation = recommend_for_project(demo_project, k=1, candidates="en formation", time_limit=10)
    with qtbot.waitSignal(window.map_view.map_ready, timeout=LOAD_MS):
        session.set_recommendation(recommendation)  # computed in the main window: drawn here, public
    assert window.map_view.run_js("ambmap.count('recommendation')") == 1
    session.set_project(Project(demo_project.territory, [demo_project.layers["qpv"].copy()]))
    qtbot.waitUntil(lambda: not window.isVisible())  # another project: the show ends


def test_overview_slide_fits_the_territory_once_the_window_has_its_size(qtbot, demo_project, settings):
    """The page can be ready before the full-screen size arrives: the overview is fitted again then."""
    window = PresentationWindow(Session(demo_project, settings))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.map_view.map_ready, timeout=LOAD_MS):
        window.showFullScreen()  # Xvfb has no window manager: a thin map strip, like before the screen answers
    assert window.map_view.height() < 100
    window.resize(1366, 768)
    qtbot.waitUntil(lambda: window.map_view.run_js("ambmap.view()")[2] >= 12, timeout=LOAD_MS)
