"""The panels follow the session by themselves: no window calls them."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtCore import QCoreApplication, QEvent, Qt

from ambmap.analysis.coverage import compute_coverage
from ambmap.config import Settings
from ambmap.session import Session
from ambmap.ui.attribute_table import AttributeTable
from ambmap.ui.coverage_panel import CoveragePanel
from ambmap.ui.layer_panel import KIND_ROLE, LayerPanel
from ambmap.ui.recommend_panel import RecommendationPanel


def test_panels_update_when_the_session_changes(qtbot, demo_project):
    session = Session(demo_project, Settings())
    coverage, recommendation = CoveragePanel(session), RecommendationPanel(session)
    layers, table = LayerPanel(session), AttributeTable(session)
    for widget in (coverage, recommendation, layers, table):
        qtbot.addWidget(widget)

    session.load_params()
    assert coverage.radius.value() == session.coverage_params.radius_m
    session.set_coverage_params(session.coverage_params.replace(radius_m=350.0))  # e.g. an Undo, a script
    assert coverage.radius.value() == 350
    session.set_coverage(compute_coverage(demo_project, session.coverage_params))
    assert coverage.table.rowCount() == 8 and "8 QPV" in coverage.summary.text()

    poles = demo_project.layers["poles"]
    poles.data = poles.data.iloc[:-1]  # the data changed: both panels say so
    assert coverage.table.rowCount() == 0 and "Les données ont changé" in coverage.summary.text()
    assert recommendation.summary.text().startswith("Aucune recommandation")  # none made: none to refresh
    assert recommendation.stale_banner.isHidden()
    item = next(
        layers.list.item(r) for r in range(layers.list.count()) if layers.list.item(r).data(KIND_ROLE) == "poles"
    )
    assert item.text().endswith("(4)")

    poles.visible = False
    assert item.checkState() == Qt.CheckState.Unchecked
    session.options.layer_order = ["poles"] + [k for k in demo_project.layers if k != "poles"]
    assert layers.list.item(layers.list.count() - 1).data(KIND_ROLE) == "poles"  # drawn first: bottom of the list

    other = demo_project.__class__(demo_project.territory, [demo_project.layers["qpv"].copy()])
    session.set_project(other)
    assert [table.layer_box.itemData(i) for i in range(table.layer_box.count())] == ["qpv"]
    assert layers.list.count() == 1 and coverage.summary.text().startswith("Couverture non calculée")
    session.close()


def test_a_deleted_panel_no_longer_listens(qtbot, demo_project):
    session = Session(demo_project)
    panel = CoveragePanel(session)
    alive = weakref.ref(panel)
    panel.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    session.set_coverage(None)  # would raise if the session still called into the deleted widget
    assert len(session.coverage_changed) == 0
    del panel
    gc.collect()
    assert alive() is None  # listening kept no reference to the panel
    session.close()


def test_a_long_cell_past_the_sized_rows_is_read_in_its_tooltip_as_plain_text(qtbot, demo_project):
    """Columns are sized from the first rows (SIZED_ROWS): a longer value further down is cut by its
    column, and its tooltip shows it whole — as typed, never as HTML."""
    from ambmap.ui.attribute_table import SIZED_ROWS

    layer = demo_project.layer("resources")
    data = layer.data.copy()
    row = SIZED_ROWS + 5
    long_name = "Centre de santé <b>municipal</b> & antenne " + "x" * 80
    data.loc[data.index[row], "name"] = long_name
    layer.data = data
    table = AttributeTable(Session(demo_project))
    qtbot.addWidget(table)
    table.layer_box.setCurrentIndex(table.layer_box.findData("resources"))
    column = [f.name for f in table.model.fields].index("name")
    cell = table.model.index(row, column)
    assert table.view.columnWidth(column) < table.view.fontMetrics().horizontalAdvance(long_name)
    tip = cell.data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;b&gt;municipal&lt;/b&gt; &amp; antenne" in tip and "<b>" not in tip
    short = table.model.index(row, [f.name for f in table.model.fields].index("resource_id"))
    assert short.data(Qt.ItemDataRole.ToolTipRole) is None
