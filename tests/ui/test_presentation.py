"""Presentation mode: compose three slides from the live map, navigate them with a clicker's keys, exit."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QDialogButtonBox  # noqa: E402

from ambmap.basemap import basemap_path  # noqa: E402
from ambmap.config import Settings  # noqa: E402
from ambmap.session import Session  # noqa: E402
from ambmap.ui.presentation import PresentationWindow, SlideComposer  # noqa: E402
from tests.ui.conftest import write_empty_mbtiles  # noqa: E402

LOAD_MS = 30_000
SLIDES = [  # title, overlay index in the composer, (lat, lon, zoom), layers shown
    ("Les quartiers prioritaires", 0, (50.630, 3.060, 12), {"territory", "qpv"}),
    ("Couverture aujourd'hui", 1, (50.612, 3.066, 14), {"qpv", "poles"}),
    ("Les manques", 2, (50.640, 3.020, 13), {"qpv", "resources"}),
]


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        config_dir=tmp_path / "config",
        basemap="none",
        offline=True,
    )


def open_window(qtbot, project, settings) -> PresentationWindow:
    window = PresentationWindow(Session(project, settings))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    with qtbot.waitSignal(window.map_view.map_ready, timeout=LOAD_MS):
        window.show()
    return window


def move_to(qtbot, view, lat: float, lon: float, zoom: int) -> None:
    """Pan the map like a user would; asked again while the page still settles to its full-screen size."""

    def arrived() -> bool:
        got = view.run_js("ambmap.view()")
        if abs(got[0] - lat) > 1e-4 or abs(got[1] - lon) > 1e-4 or got[2] != zoom:
            view.set_view(lat, lon, zoom)
            return False
        return True

    qtbot.waitUntil(arrived, timeout=LOAD_MS)


def test_compose_three_slides_navigate_and_exit(qtbot, demo_project, settings):
    window = open_window(qtbot, demo_project, settings)
    assert window.title.text().startswith("Ambassadeurs·rices de santé") and "E pour composer" in window.caption.text()
    assert window.mark.text() == "« Données de démonstration »"
    composer = SlideComposer(window, window)
    qtbot.addWidget(composer)
    view = window.map_view
    for title, overlay, (lat, lon, zoom), shown in SLIDES:
        move_to(qtbot, view, lat, lon, zoom)
        for kind in ("territory", "population", "qpv", "resources", "poles", "ambassadors"):
            view.set_layer_visible(kind, kind in shown)
        composer.title_edit.setText(title)
        composer.caption_edit.setPlainText(f"Légende de « {title} »")
        composer.overlay.setCurrentIndex(overlay)
        qtbot.mouseClick(composer.add_button, Qt.MouseButton.LeftButton)
    assert composer.list.count() == 3
    qtbot.mouseClick(
        composer.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton
    )
    slides = demo_project.options["slides"]
    assert [s["title"] for s in slides] == [s[0] for s in SLIDES]
    assert [s["view"]["overlay"] for s in slides] == ["none", "coverage", "gaps"]
    assert [s["view"]["zoom"] for s in slides] == [12, 14, 13]
    assert set(slides[1]["view"]["visible"]) == {"qpv", "poles"}
    assert [v["name"] for v in demo_project.options["views"]] == [s[0] for s in SLIDES]
    assert demo_project.modified

    again = SlideComposer(window, window)  # a saved view reused, then reordered and removed
    qtbot.addWidget(again)
    again.saved.setCurrentIndex(2)
    qtbot.mouseClick(again.add_saved_button, Qt.MouseButton.LeftButton)
    assert again.slides[-1]["title"] == "Les manques" and again.slides[-1]["view"]["overlay"] == "gaps"
    again.list.setCurrentRow(3)
    again.move(-1)
    assert [s["title"] for s in again.slides][2:] == ["Les manques", "Les manques"]
    again.remove()
    assert len(again.slides) == 3
    again.reject()
    assert len(demo_project.options["slides"]) == 3  # cancelled: the project keeps its slides

    window.reload_slides()
    window.go(0)
    assert window.title.text() == "Les quartiers prioritaires" and window.counter.text() == "1 / 3"
    target = window.map_view.focusProxy() or window.map_view
    for key, expected in (
        (Qt.Key.Key_PageDown, 1),
        (Qt.Key.Key_Space, 2),
        (Qt.Key.Key_Right, 2),
        (Qt.Key.Key_PageUp, 1),
    ):
        qtbot.keyClick(target, key)
        assert window.index == expected
    assert (
        window.title.text() == "Couverture aujourd'hui"
        and window.caption.text() == "Légende de « Couverture aujourd'hui »"
    )
    qtbot.waitUntil(lambda: view.run_js("ambmap.view()")[2] == 14, timeout=LOAD_MS)  # the slide's own view
    visible = set(view.run_js("ambmap.visibleKinds()"))
    assert {"qpv", "poles", "coverage"} <= visible and not visible & {"gaps", "resources", "ambassadors"}
    qtbot.keyClick(target, Qt.Key.Key_Left)
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


def test_ambmap_present_opens_the_project_full_screen(qtbot, demo_project, settings, tmp_path, monkeypatch):
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
    assert shown == [(True, "Ambassadeurs·rices de santé — Lille")]


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
