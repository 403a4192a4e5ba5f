"""The coverage panel on foot: strategy and minutes are project settings; both covered shares side by side."""

from __future__ import annotations

from ambmap.analysis.coverage import CoverageParams, compute_coverage
from ambmap.ui.coverage_panel import COLUMNS, CoveragePanel
from tests.analysis.test_walk_reach import river_project


def test_strategy_and_minutes_are_edited_and_both_shares_shown(qtbot):
    panel = CoveragePanel()
    qtbot.addWidget(panel)
    edits = []
    panel.params_changed.connect(edits.append)
    panel.set_params(CoverageParams())
    assert edits == [] and panel.reach.currentText() == "à vol d'oiseau" and not panel.minutes.isEnabled()
    panel.reach.setCurrentIndex(panel.reach.findData("marche"))
    assert edits[-1] == CoverageParams(reach="marche") and panel.minutes.isEnabled() and panel.radius.isEnabled()
    panel.minutes.setValue(10)
    assert edits[-1].walk_minutes == 10 and edits[-1].distance_m == 750 and not panel.radius.isEnabled()
    panel.minutes.setValue(0)  # « en mètres »
    assert edits[-1].walk_minutes is None and panel.radius.isEnabled()

    project = river_project()
    result = compute_coverage(project, CoverageParams(reach="marche"))
    panel.show_result(result)
    headers = {panel.table.horizontalHeaderItem(c).text(): c for c in range(len(COLUMNS))}
    circle, walk = headers["À vol d'oiseau"], headers["À pied"]
    assert not panel.table.isColumnHidden(circle) and not panel.table.isColumnHidden(walk)
    assert panel.table.item(0, circle).text() == "100\u202f%" and panel.table.item(0, walk).text() == "50\u202f%"
    assert "Zones à pied le long des rues, 500 m." in panel.summary.text()
    assert "chemins piétons" in panel.summary.text()
    del project.layers["streets"]
    panel.show_result(compute_coverage(project))  # no streets: one strategy, the two columns hidden
    assert panel.table.isColumnHidden(circle) and panel.table.isColumnHidden(walk)
