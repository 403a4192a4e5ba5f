"""The « Suivi » panel: computed in a worker when shown, a table and a chart with one line per QPV + the territory."""

from __future__ import annotations

from ambmap.project import Project
from ambmap.session import Session
from ambmap.ui.history_panel import REFRESH_DELAY_MS
from tests.ui.conftest import wait_for


def demo_copy(source: Project) -> Project:
    return Project(source.territory, [layer.copy() for layer in source.ordered_layers()], dict(source.options))


def test_panel_shows_table_and_chart(qtbot, _default_project_cache):
    from ambmap.ui.history_panel import HistoryPanel

    project = demo_copy(_default_project_cache)
    panel = HistoryPanel(Session(project))
    qtbot.addWidget(panel)
    assert panel.result is None  # hidden: nothing computed
    panel.resize(1400, 420)
    panel.show()
    wait_for(lambda: panel.result is not None)
    n_qpv = len(project.layers["qpv"])
    periods = panel.result.table["period"].nunique()
    assert panel.table.rowCount() == periods * (n_qpv + 1)
    assert len(panel.canvas.figure.axes[0].lines) == n_qpv + 1
    legend = [t.get_text() for t in panel.canvas.figure.axes[0].get_legend().get_texts()]
    assert legend[-1] == "Ensemble des QPV" and "Lille-Sud" in legend
    assert "Période en cours" in panel.notes.text()

    panel.period.setCurrentIndex(1)  # par trimestre
    wait_for(lambda: panel.result.by == "trimestre")
    assert panel.result.table["period"].iat[0].endswith("-T1")

    first = panel.result
    amb = project.layers["ambassadors"]
    data = amb.data.copy()
    data["start_date"] = ""  # the data change: recomputed, and the undated ambassadors are noted
    amb.data = data
    wait_for(lambda: panel.result is not first)
    assert "sans date d'entrée" in panel.notes.text()


def test_window_has_a_suivi_tab(window):
    assert window.history_dock.windowTitle() == "Suivi"
    assert window.history_dock in window.tabifiedDockWidgets(window.coverage_dock)
    window.history_dock.raise_()
    wait_for(lambda: window.history_panel.result is not None)
    assert len(window.history_panel.canvas.figure.axes[0].lines) == len(window.project.layers["qpv"]) + 1
    window.table_dock.raise_()


def test_status_edit_and_reimport_are_dated(_default_project_cache):
    import datetime as dt

    from ambmap.layers import AMBASSADORS, Layer
    from ambmap.ui.commands import ReplaceLayer, SetLayerData

    project = demo_copy(_default_project_cache)
    layer = project.layers["ambassadors"]
    amb_id = layer.data.loc[layer.data.status == "actif", "amb_id"].iat[0]
    edited = layer.data.copy()
    edited.loc[edited.amb_id == amb_id, "status"] = "inactif"
    command = SetLayerData(layer, edited, "Statut")
    command.redo()
    entry = f"{dt.date.today().isoformat()} : actif → inactif"
    assert layer.data.set_index("amb_id").at[amb_id, "status_history"].endswith(entry)
    command.undo()
    assert entry not in layer.data.set_index("amb_id").at[amb_id, "status_history"]

    reimport = layer.data.drop(columns="status_history")  # a spreadsheet without the history column
    reimport.loc[reimport.amb_id == amb_id, "status"] = "en formation"
    ReplaceLayer(project, Layer(AMBASSADORS, reimport), "Importer").redo()
    after = project.layers["ambassadors"].data.set_index("amb_id")
    before = layer.data.set_index("amb_id")
    assert after.at[amb_id, "status_history"].endswith(f"{dt.date.today().isoformat()} : actif → en formation")
    kept = before.index[before.status_history != ""].difference([amb_id])
    assert len(kept) and (after.loc[kept, "status_history"] == before.loc[kept, "status_history"]).all()


def test_chart_is_sized_for_a_low_dock(qtbot, _default_project_cache):
    """No title (the panel's line says it), small type, and the chart gets a real share of the width."""
    from ambmap.ui.history_panel import HistoryPanel

    panel = HistoryPanel(Session(demo_copy(_default_project_cache)))
    qtbot.addWidget(panel)
    panel.resize(1360, 220)
    panel.show()
    wait_for(lambda: panel.result is not None)
    axes = panel.canvas.figure.axes[0]
    assert axes.get_title(loc="left") == ""
    assert max(t.get_fontsize() for t in axes.get_legend().get_texts()) <= 8
    table, chart = panel.splitter.sizes()
    assert chart >= 0.4 * (table + chart)


def test_the_suivi_is_computed_only_when_its_tab_is_in_front(window, qtbot):
    """A tab behind another stays « visible » to Qt: an edit must not pop the history's progress bar up
    while the user works in another panel; choosing the tab computes it."""
    window.set_panels_collapsed(False)
    window.table_dock.raise_()
    panel = window.history_panel
    calls: list[bool] = []
    real = panel.refresh
    panel.refresh = lambda: calls.append(True) or real()
    try:
        panel._on_changed()  # what an edit does
        qtbot.wait(3 * REFRESH_DELAY_MS)
        assert panel.stale and not calls
        window.history_dock.raise_()
        wait_for(lambda: not panel.stale)
        assert calls
    finally:
        del panel.refresh
        window.table_dock.raise_()
