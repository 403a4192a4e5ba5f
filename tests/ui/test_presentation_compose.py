"""Slides are composed in the main window's « Diapositives » dock, with no modal dialog: the map stays live."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QTextCursor  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ambmap.layers import SCHEMAS  # noqa: E402
from ambmap.ui.presentation import CAPTURE_VIEW, overlay_of  # noqa: E402

LOAD_MS = 30_000


def move(qtbot, view, lat, lon, zoom):
    view.set_view(lat, lon, zoom)
    qtbot.waitUntil(lambda: view.run_js("ambmap.view()")[2] == zoom, timeout=LOAD_MS)


def test_compose_beside_the_live_map(window, qtbot):
    session, panel, view = window.session, window.slides_panel, window.map
    window.slides_dock.show()
    assert panel.empty.isVisible() and panel.starter_button.isVisible()
    # the dock narrows the map: let the page take its new width before framing, else Leaflet's own
    # resize handling pans the view after the slide was captured
    qtbot.waitUntil(lambda: view.run_js("ambmap.map.getSize().x") == view.width(), timeout=LOAD_MS)
    qtbot.wait(300)
    move(qtbot, view, 50.630, 3.060, 12.5)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(session.options.slides) == 1, timeout=LOAD_MS)
    assert QApplication.activeModalWidget() is None  # nothing modal: the map is still the user's
    first = session.options.slides[0]
    assert first["view"]["zoom"] == 12.5 and first["view"]["bounds"] == pytest.approx(
        view.run_js(CAPTURE_VIEW)["bounds"]
    )
    shown = view.run_js("ambmap.visibleKinds()")  # the layers and the analysis the map shows
    assert set(first["view"]["visible"]) == set(shown) & set(SCHEMAS) and first["view"]["overlay"] == overlay_of(shown)
    assert not panel.empty.isVisible()

    move(qtbot, view, 50.612, 3.066, 14)  # the map moves on, the panel open beside it
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(session.options.slides) == 2, timeout=LOAD_MS)
    assert panel.list.currentRow() == 1 and panel.title_edit.text() == "Diapositive 2"
    panel.title_edit.selectAll()
    qtbot.keyClicks(panel.title_edit, "Fives")
    panel.caption_edit.setPlainText("Part couverte : ")
    panel.caption_edit.moveCursor(QTextCursor.MoveOperation.End)
    panel.figure.activated.emit(panel.figure.findData("part_couverte"))  # « Insérer un chiffre à jour… »
    panel.overlay.setCurrentIndex(panel.overlay.findData("gaps"))
    panel.overlay.activated.emit(panel.overlay.currentIndex())
    qtbot.waitUntil(lambda: session.options.slides[1]["caption"] == "Part couverte : {part_couverte}")
    second = session.options.slides[1]
    assert second["title"] == "Fives" and second["view"]["overlay"] == "gaps" and second["view"]["zoom"] == 14
    assert panel.list.item(1).text() == "2. Fives — Zones non couvertes"

    panel.move(-1)
    assert [s["title"] for s in session.options.slides] == ["Fives", "Diapositive 1"]
    assert panel.list.currentRow() == 0 and panel.title_edit.text() == "Fives"

    panel.list.setCurrentRow(1)  # framed again on the main map, exactly
    move(qtbot, view, 50.64, 3.02, 15)
    panel.show_on_map()
    framed = session.options.slides[1]["view"]["bounds"]
    qtbot.waitUntil(lambda: view.run_js(CAPTURE_VIEW)["bounds"] == pytest.approx(framed, abs=5e-5), timeout=LOAD_MS)

    panel.remove()
    assert [s["title"] for s in session.options.slides] == ["Fives"]
    panel.remove()
    assert session.options.slides == [] and panel.starter_button.isVisible()
    panel.use_starter_deck()  # a deck to start from, edited like any other
    assert [s["view"]["overlay"] for s in session.options.slides] == ["none", "coverage", "gaps"]
    assert session.options.slides[0]["title"].startswith("{territoire}")  # filled at each showing…
    assert panel.list.item(0).text().startswith("1. Lille : ")  # …and in the list, never « {territoire} »
    session.options.slides = []
    window.slides_dock.hide()
    window.project.modified = False
