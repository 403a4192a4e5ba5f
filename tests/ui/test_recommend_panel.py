"""« Où recruter » in the main window: the answer in its panel (no modal box), numbered sites on the map page,
QPV labels above the markers and kept apart, resources off over a coverage map."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")

from ambmap.ui.recommend_panel import RecommendationPanel, RecommendDialog  # noqa: E402
from tests.ui.conftest import wait_map  # noqa: E402

LOAD_MS = 60_000


def test_the_answer_shows_in_the_panel_without_a_modal_box(window, qtbot, monkeypatch, no_blocking_dialogs):
    monkeypatch.setattr(
        RecommendDialog, "exec", lambda dialog: (dialog.k.setValue(3), RecommendDialog.DialogCode.Accepted)[1]
    )
    window.recommend()  # the provisional answer, then the final one, each drawn: wait for the last page
    wait_map(window)
    assert [kind for kind, _ in no_blocking_dialogs] == []  # no message box, no other dialog than the question
    panel: RecommendationPanel = window.recommendation_panel
    assert window.recommendation_dock.isVisible()
    assert (
        panel.summary.text().startswith("3\xa0sites proposés") and "Meilleure solution possible" in panel.summary.text()
    )
    assert "avant → après" in panel.before_after.text() and "Bois-Blancs 0\u202f% → " in panel.before_after.text()
    assert panel.details.text().startswith("Détails : couverture maximale") and "HiGHS" in panel.details.text()
    assert "prouvé" not in panel.summary.text()
    assert [panel.table.item(r, 0).text() for r in range(3)] == ["1", "2", "3"]

    # the page: one large numbered marker per site, with the zone it adds
    numbers = window.map.run_js(
        "Object.keys(ambmap.features.recommendation).map(function (id) { "
        "return ambmap.features.recommendation[id].getElement().textContent; })"
    )
    assert numbers == ["1", "2", "3"]
    assert window.map.run_js("ambmap.count('recommendation_zones')") == 3
    size = window.map.run_js("ambmap.features.recommendation['1'].getElement().getBoundingClientRect().width")
    assert size >= 28
    # QPV names above the markers
    panes = window.map.run_js(
        "[+ambmap.map.getPane('ambLabels').style.zIndex, +getComputedStyle(ambmap.map.getPane('markerPane')).zIndex]"
    )
    assert panes[0] > panes[1]
    window.session.set_recommendation(None)
    with qtbot.waitSignal(window.map.map_ready, timeout=LOAD_MS):
        window.render_map()
    assert window.map.run_js("ambmap.count('recommendation')") == -1


def test_coverage_map_labels_shares_keeps_them_apart_and_leaves_resources_off(window, qtbot):
    from ambmap.analysis.coverage import compute_coverage

    window.session.set_coverage(compute_coverage(window.project))
    with qtbot.waitSignal(window.map.map_ready, timeout=LOAD_MS):
        window.render_map()
    wait_map(window)
    kinds = window.map.run_js("ambmap.visibleKinds()")
    assert "coverage" in kinds and "resources" not in kinds and "ambassador_zones" not in kinds
    qtbot.waitUntil(lambda: not window.project.layer("resources").visible)  # the layer list follows the page
    labels = window.map.run_js(
        "Array.prototype.map.call(document.querySelectorAll('.amb-label'), function (el) { var r = "
        "el.getBoundingClientRect(); return [el.textContent, el.style.visibility !== 'hidden', r.left, r.top, "
        "r.right, r.bottom]; })"
    )
    assert any("Fives" in text and "%" in text for text, *_ in labels)
    shown = [box for _, visible, *box in labels if visible]
    assert shown
    for i, a in enumerate(shown):  # no two shown labels overlap
        for b in shown[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    # turned on by the user, they stay on through a redraw
    window.project.layer("resources").visible = True  # what the layer panel's check box does
    window.map.set_layer_visible("resources", True)
    with qtbot.waitSignal(window.map.map_ready, timeout=LOAD_MS):
        window.render_map()
    assert "resources" in window.map.run_js("ambmap.visibleKinds()")
    window.session.set_coverage(None)
    window.project.layer("resources").visible = True
    with qtbot.waitSignal(window.map.map_ready, timeout=LOAD_MS):
        window.render_map()
