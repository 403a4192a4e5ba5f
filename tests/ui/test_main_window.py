"""The main window driven through real widgets and the real map page (checked with JavaScript).

One window is shared by the module; each test leaves the project as it found it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from ambmap.project import DEMO_LABEL, Project
from ambmap.ui import main_window as main_window_module
from ambmap.ui.feature_form import FeatureForm
from ambmap.ui.user_state import pending_recovery, recent_projects

from .conftest import wait_for


def quiet(window) -> bool:
    """No re-render pending or loading, and no live coverage pending or running (its answer re-draws)."""
    live = window._live_timer.isActive() or window._live_task is not None
    return not live and not window._render_timer.isActive() and window.map.is_ready


def counts(window) -> dict:
    wait_for(lambda: quiet(window))  # an edit's live coverage re-draws the page after the edit's own drawing
    return window.map.run_js("ambmap.counts()")


def settle(window, qtbot) -> None:
    """Wait until the map is quiet, so the next test starts from a quiet map."""
    qtbot.waitUntil(lambda: quiet(window), timeout=30_000)


@pytest.fixture(autouse=True)
def quiet_map(window, qtbot):
    """Each test starts and ends with no re-render pending (a late map_ready would fool the next test)."""
    settle(window, qtbot)
    yield
    settle(window, qtbot)


def test_opens_the_default_project_with_every_layer_drawn(window):
    assert "Lille" in window.windowTitle()
    assert window.data_label.text() == DEMO_LABEL
    assert "Lille" in window.territory_label.text()
    drawn = counts(window)
    assert drawn["qpv"] == 8 and drawn["poles"] == 5 and drawn["ambassadors"] == 65 and drawn["resources"] == 170
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["Fichier", "Édition", "Affichage", "Analyse", "Aide"]
    assert window.act_undo.shortcut().toString() == "Ctrl+Z" and window.act_redo.shortcut().toString() == "Ctrl+Y"
    assert window.act_present.shortcut().toString() == "F5"


def test_toggling_a_layer_in_the_panel_hides_it_on_the_map_without_rerender(window, qtbot):
    page = window.map.html_path()
    item = next(
        window.layer_panel.list.item(r)
        for r in range(window.layer_panel.list.count())
        if window.layer_panel.list.item(r).data(Qt.ItemDataRole.UserRole) == "poles"
    )
    item.setCheckState(Qt.CheckState.Unchecked)
    assert window.project.layers["poles"].visible is False
    qtbot.waitUntil(lambda: "poles" not in window.map.run_js("ambmap.visibleKinds()"))
    item.setCheckState(Qt.CheckState.Checked)
    qtbot.waitUntil(lambda: "poles" in window.map.run_js("ambmap.visibleKinds()"))
    assert window.map.html_path() == page  # toggled in the page, not re-rendered
    assert not window._render_timer.isActive()


def test_selecting_a_row_highlights_the_feature_on_the_map(window, qtbot):
    window.table.show_layer("poles")
    model = window.table.model
    row = model.row_of("PRS-3")
    window.table.view.selectRow(window.table.proxy.mapFromSource(model.index(row, 0)).row())
    qtbot.waitUntil(lambda: (window.map.run_js("ambmap.selected") or {}).get("id") == "PRS-3")
    assert window.map.run_js("ambmap.selected")["kind"] == "poles"


def test_clicking_a_feature_on_the_map_selects_its_row(window, qtbot):
    window.map.run_js("ambmap.emit('featureClicked', 'ambassadors', 'AMB-010')")
    qtbot.waitUntil(lambda: window.table.selected_feature() == ("ambassadors", "AMB-010"))
    assert window.table.current_kind() == "ambassadors"


def test_search_box_filters_the_table(window):
    window.table.show_layer("resources")
    window.table.search.setText("pharmacie")
    shown = window.table.proxy.rowCount()
    data = window.project.layers["resources"].data
    assert 0 < shown < len(data)
    assert shown >= (data["category"] == "pharmacie").sum()
    window.table.search.clear()
    assert window.table.proxy.rowCount() == len(data)


def test_table_sorts_numbers_as_numbers_and_writes_french_decimals(window):
    window.table.show_layer("qpv")
    column = [f.name for f in window.table.model.fields].index("population")
    window.table.view.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    shown = [window.table.proxy.index(r, column).data() for r in range(window.table.proxy.rowCount())]
    assert [int(v) for v in shown] == sorted((int(v) for v in shown), reverse=True)
    assert window.table.model.data(window.table.model.index(0, column)) == "19800"
    window.table.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    from ambmap.ui.attribute_table import LayerTableModel

    layer = window.project.layers["ambassadors"].copy()
    data = layer.data.copy()
    data.loc[0, "radius_m"] = 750.5
    layer.data = data
    model = LayerTableModel(layer)
    radius = [f.name for f in model.fields].index("radius_m")
    assert model.data(model.index(0, radius)) == "750,5" and model.data(model.index(1, radius)) == ""
    model.detach()


def test_private_columns_are_shown_only_in_the_table_and_marked(window):
    window.table.show_layer("ambassadors")
    headers = [
        window.table.model.headerData(c, Qt.Orientation.Horizontal) for c in range(window.table.model.columnCount())
    ]
    assert "Nom affiché (privé)" in headers and "Adresse (privé)" in headers


def test_resource_filter_is_applied_in_the_page(window, qtbot):
    page = window.map.html_path()
    pharmacies = int((window.project.layers["resources"].data["category"] == "pharmacie").sum())
    window.layer_panel.set_categories(["pharmacie"])
    assert window.project.layers["resources"].style["categories"] == ["pharmacie"]
    qtbot.waitUntil(lambda: counts(window)["resources"] == pharmacies)
    window.layer_panel.set_categories(None)
    qtbot.waitUntil(lambda: counts(window)["resources"] == 170)
    assert window.map.html_path() == page


def qpv_color(window) -> str:
    code = window.project.layers["qpv"].data["code_qp"].iloc[0]
    return window.map.run_js(f"ambmap.features.qpv['{code}'].options.color")


def test_restyling_applies_in_the_page_and_keeps_the_view(window, qtbot):
    window.map.set_view(50.6205, 3.0705, 15)
    qtbot.waitUntil(lambda: window.map.current_view() is not None and window.map.current_view()[2] == 15)
    page = window.map.html_path()
    with qtbot.assertNotEmitted(window.map.map_ready, wait=1000):  # no new page (RENDER_DELAY_MS passes)
        window.project.layers["qpv"].set_style(color="#ff00ff", opacity=0.5)
        qtbot.waitUntil(lambda: qpv_color(window) == "#ff00ff")
    lat, lon, zoom = window.map.run_js("ambmap.view()")
    assert zoom == 15 and abs(lat - 50.6205) < 1e-3 and abs(lon - 3.0705) < 1e-3
    assert window.layer_panel.current_kind() is not None and window.map.html_path() == page
    window.project.layers["qpv"].set_style(color=None, opacity=1.0)
    qtbot.waitUntil(lambda: qpv_color(window) != "#ff00ff")


def fill_form(monkeypatch, name: str):
    """Make the feature form answer « Ajouter » with ``name`` without showing it."""

    def exec_(form):
        form.kind_box.setCurrentIndex(form.kind_box.findData("poles"))
        form.form().editors["name"].setText(name)
        form.accept()
        return QDialog.DialogCode.Accepted if form.result() else QDialog.DialogCode.Rejected

    monkeypatch.setattr(FeatureForm, "exec", exec_)


def test_add_a_pole_by_clicking_the_map_then_undo_and_redo(window, qtbot, monkeypatch):
    fill_form(monkeypatch, "Pôle de la gare <test>")
    window.set_edit_mode(True)
    assert window.edit_label.isVisibleTo(window)
    qtbot.waitUntil(lambda: window.map.run_js("ambmap.editMode") is True)
    with qtbot.waitSignal(window.map.map_ready, timeout=30_000):
        window.map.run_js("ambmap.map.fire('click', {latlng: L.latLng(50.6365, 3.0705)}); true")
    poles = window.project.layers["poles"].data
    assert len(poles) == 6
    added = poles.iloc[-1]
    assert added["name"] == "Pôle de la gare <test>" and added["pole_id"] == "PRS-6"
    assert abs(added.geometry.y - 50.6365) < 1e-6 and abs(added.geometry.x - 3.0705) < 1e-6
    assert counts(window)["poles"] == 6
    assert window.isWindowModified()
    with qtbot.waitSignal(window.map.map_ready, timeout=30_000):
        window.act_undo.trigger()
    assert len(window.project.layers["poles"]) == 5 and counts(window)["poles"] == 5
    window.act_redo.trigger()
    assert len(window.project.layers["poles"]) == 6
    window.undo_stack.undo()
    window.set_edit_mode(False)
    settle(window, qtbot)


def test_an_invalid_form_is_not_accepted(window, monkeypatch):
    fill_form(monkeypatch, "")  # the name is required
    assert window.add_feature_at(50.63, 3.06) is False
    assert len(window.project.layers["poles"]) == 5


def test_move_and_delete_are_undoable(window, qtbot):
    before = window.project.layers["ambassadors"].data
    window.set_edit_mode(True)
    window.map.feature_moved.emit("ambassadors", "AMB-005", 50.64, 3.05)
    moved = window.project.layers["ambassadors"].data
    assert moved.loc[moved["amb_id"] == "AMB-005"].geometry.iloc[0].coords[0] == (3.05, 50.64)
    window.map.delete_requested.emit("ambassadors", "AMB-005")
    assert "AMB-005" not in set(window.project.layers["ambassadors"].data["amb_id"])
    window.undo_stack.undo()
    window.undo_stack.undo()
    after = window.project.layers["ambassadors"].data
    assert after.geometry.geom_equals(before.geometry).all() and len(after) == len(before)
    window.set_edit_mode(False)
    window.map.delete_requested.emit("ambassadors", "AMB-005")  # outside edit mode: ignored
    assert len(window.project.layers["ambassadors"]) == len(before)
    settle(window, qtbot)


def test_delete_key_in_the_table_removes_the_selected_point_in_edit_mode(window, qtbot):
    window.table.show_layer("resources")
    window.table.select_feature("resources", "RES-0007")
    window.table.view.setFocus()
    window.act_delete.trigger()  # outside edit mode: only a hint
    assert len(window.project.layers["resources"]) == 170
    window.set_edit_mode(True)
    window.act_delete.trigger()
    assert "RES-0007" not in set(window.project.layers["resources"].data["resource_id"])
    window.undo_stack.undo()
    assert len(window.project.layers["resources"]) == 170
    window.set_edit_mode(False)


def test_coverage_panel_shows_the_analysis(window, qtbot):
    with qtbot.waitSignal(window.map.map_ready, timeout=30_000):
        window.compute_coverage()
    assert window.session.coverage is not None
    assert window.coverage_panel.table.rowCount() == 8
    assert "8 QPV" in window.coverage_panel.summary.text()
    statuses = {window.coverage_panel.table.item(r, 1).text() for r in range(8)}
    from ambmap.analysis.indicators import class_labels, coverage_class

    assert statuses <= set(class_labels(0.8).values())  # the map's classes, the legend's words
    from ambmap.render.symbology import CLASS_TINTS

    table = window.coverage_panel.table
    for row in range(8):  # each row in its QPV's colour on the map (its class), not by status
        share = window.session.coverage.per_qpv.loc[table.item(row, 0).data(Qt.ItemDataRole.UserRole), "covered_share"]
        assert table.item(row, 1).background().color().name() == CLASS_TINTS[coverage_class(share)]
    assert "Objectif (80" in window.coverage_panel.summary.text()
    assert window.coverage_panel.summary.toolTip().startswith("Méthode : ")  # the long sentence, on demand


def test_a_cancelled_analysis_changes_nothing(window, qtbot):
    from PySide6.QtCore import QTimer

    from ambmap.ui.workers import cancel_active_task

    window.session.set_coverage(None)
    QTimer.singleShot(0, cancel_active_task)
    window.compute_coverage()
    assert window.session.coverage is None


def test_colour_button_restyles_the_selected_layer(window, qtbot, monkeypatch):
    from PySide6.QtGui import QColor

    from ambmap.ui import layer_panel

    monkeypatch.setattr(layer_panel.QColorDialog, "getColor", lambda *a, **k: QColor("#123456"))
    window.layer_panel.select_layer("qpv")
    window.layer_panel.color.click()
    assert window.project.layers["qpv"].style["color"] == "#123456"
    qtbot.waitUntil(lambda: qpv_color(window) == "#123456")  # applied in the page
    window.project.layers["qpv"].set_style(color=None)
    qtbot.waitUntil(lambda: qpv_color(window) != "#123456")
    window.layer_panel.select_layer("ambassadors")  # coloured by status: no colour of its own to pick
    assert not window.layer_panel.color.isEnabled() and "statut" in window.layer_panel.color.toolTip()


def test_layer_order_is_kept_in_the_project(window):
    from ambmap.ui.layer_panel import layer_order

    window.layer_panel.move_layer("territory", 10)
    order = window.project.options["layer_order"]
    assert order[-1] == "territory"
    top = window.layer_panel.list.item(0).data(Qt.ItemDataRole.UserRole)
    assert top == "territory"  # top of the list = drawn on top
    window.layer_panel.move_layer("territory", -10)
    assert window.project.options["layer_order"][0] == "territory"
    window.session.options.discard("layer_order")  # the panel follows the session
    assert window.layer_panel.list.item(0).data(Qt.ItemDataRole.UserRole) == layer_order(window.project)[-1]


def test_cursor_position_is_shown_in_the_status_bar(window):
    window.map.cursor_moved.emit(50.63123, 3.05678)
    assert window.coords_label.text() == "50.63123 N  3.05678 E"


def answer_recommend_dialog(monkeypatch, configure):
    """Make the « Où recruter ? » dialog answer as ``configure(dialog)`` sets it, then accept."""
    from ambmap.ui.recommend_panel import RecommendDialog

    def exec_(dialog):
        configure(dialog)
        return RecommendDialog.DialogCode.Accepted

    monkeypatch.setattr(RecommendDialog, "exec", exec_)


def test_recommendation_is_drawn_listed_and_selectable(window, qtbot, monkeypatch):
    answer_recommend_dialog(monkeypatch, lambda d: d.k.setValue(2))
    with qtbot.waitSignal(window.map.map_ready, timeout=60_000):
        window.recommend()
    assert window.session.recommendation is not None and len(window.session.recommendation.sites) == 2
    panel = window.recommendation_panel
    assert panel.table.rowCount() == 2 and "Meilleure solution possible" in panel.summary.text()
    assert window.map.run_js("ambmap.count('recommendation')") == 2
    panel.table.selectRow(1)
    qtbot.waitUntil(lambda: window.map.run_js("ambmap.selected && ambmap.selected.id") == "2")
    window.session.set_recommendation(None)
    with qtbot.waitSignal(window.map.map_ready, timeout=30_000):
        window.render_map()


@pytest.mark.parametrize("question", ["target", "training"])
def test_target_question_and_ambassadors_in_training(window, qtbot, monkeypatch, question):
    def configure(dialog):
        if question == "target":  # every QPV at least half covered: Bois-Blancs and Lomme need one site each
            dialog.target.setChecked(True)
            dialog.share.setValue(50)
        else:  # which of the ambassadors in training to train first
            dialog.k.setValue(2)
            dialog.candidates.setCurrentIndex(dialog.candidates.findData("en formation"))

    answer_recommend_dialog(monkeypatch, configure)
    with qtbot.waitSignal(window.map.map_ready, timeout=60_000):
        window.recommend()
    sites = window.session.recommendation.sites
    assert window.recommendation_panel.table.rowCount() == len(sites) == 2
    if question == "target":
        assert set(sites.nom_qp) == {"Bois-Blancs", "Lomme - Marais"}
        assert "Meilleure solution possible" in window.recommendation_panel.summary.text()
    else:
        in_training = window.project.layer("ambassadors").data.query("status == 'en formation'")
        assert set(sites.label) <= set(in_training.amb_id)
    window.session.set_recommendation(None)
    with qtbot.waitSignal(window.map.map_ready, timeout=30_000):
        window.render_map()


def test_import_adds_rows_as_one_undoable_step(window, tmp_path, monkeypatch, qtbot):
    from ambmap.ui.dialogs import ImportWizard

    path = tmp_path / "ressources.csv"
    path.write_text(
        "id;nom;catégorie;lat;lon\nRES-0500;Pharmacie test;pharmacie;50,63;3,07\nRES-0501;Sans catégorie;;50,63;3,07\n",
        encoding="utf-8",
    )

    def drive(wizard):
        wizard.path.setText(str(path))
        wizard.kind.setCurrentIndex(wizard.kind.findData("resources"))
        wizard.geocode.setChecked(False)
        for _ in range(3):
            wizard._next()
        return wizard.result()

    monkeypatch.setattr(ImportWizard, "exec", drive)
    window.import_file()
    assert len(window.project.layers["resources"]) == 171
    assert "RES-0500" in set(window.project.layers["resources"].data["resource_id"])
    settle(window, qtbot)
    assert counts(window)["resources"] == 171
    window.table.show_layer("resources")
    assert window.table.model.rowCount() == 171
    window.undo_stack.undo()
    assert len(window.project.layers["resources"]) == 170 and window.table.model.rowCount() == 170
    settle(window, qtbot)


def test_autosave_writes_a_recovery_copy_then_a_clean_save_removes_it(window, tmp_path, monkeypatch):
    window.project.layers["poles"].title = "Pôles (titre changé)"
    window.project.modified = True
    window.autosave()
    recovery = pending_recovery(window.settings)
    assert recovery is not None and Path(recovery["file"]).exists()
    assert Project.load(recovery["file"]).layers["poles"].title == "Pôles (titre changé)"
    target = tmp_path / "lille.gpkg"
    monkeypatch.setattr(main_window_module.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    assert window.save() is True
    assert target.exists() and not window.project.modified and not window.isWindowModified()
    assert pending_recovery(window.settings) is None
    assert recent_projects(window.settings)[0] == target.resolve()
    window._fill_recent_menu()
    assert [a.text() for a in window.recent_menu.actions()][0] == "lille.gpkg"


def test_save_and_reopen(window, tmp_path, monkeypatch, qtbot):
    target = tmp_path / "copie.gpkg"
    monkeypatch.setattr(main_window_module.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.layer_panel.set_categories(["pharmacie", "dentiste"])
    assert window.save_as() is True
    with qtbot.waitSignal(window.map.map_ready, timeout=30_000):
        assert window.open_project(target) is True
    assert window.project.path == target
    assert window.project.layers["resources"].style["categories"] == ["pharmacie", "dentiste"]
    assert window.layer_panel.categories.item(0).checkState() == Qt.CheckState.Unchecked
    assert len(window.project.layers["ambassadors"]) == 65
    window.layer_panel.set_categories(None)
    window.project.modified = False


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_window(window, no_blocking_dialogs, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    window.project.modified = True
    monkeypatch.setattr(
        QMessageBox, "clickedButton", lambda self: next(b for b in self.buttons() if b.text() == "Annuler")
    )
    assert window.close() is False
    assert window.isVisible()
    asked = [text for kind, text in no_blocking_dialogs if kind == "exec"]
    assert asked and "modifié" in asked[-1]
    monkeypatch.setattr(
        QMessageBox, "clickedButton", lambda self: next(b for b in self.buttons() if b.text() == "Ne pas enregistrer")
    )
    assert window.maybe_save() is True
    window.project.modified = False


def test_the_page_raised_no_javascript_error(window):
    assert window.map.js_errors == []


@pytest.mark.parametrize("action", ["act_export", "act_offline", "act_about", "act_settings"])
def test_menu_actions_open_their_dialog_without_blocking(window, action, no_blocking_dialogs):
    getattr(window, action).trigger()
    assert no_blocking_dialogs  # the dialog (patched exec) or a « pas encore disponible » message


def test_f5_opens_the_presentation_window(window, qtbot):
    window.session.set_coverage(None)
    window.session.set_recommendation(None)
    window.act_present.trigger()
    assert len(window._children) == 1
    presentation = window._children[0]
    assert presentation.isVisible() and presentation.windowTitle().startswith("Présentation")
    presentation.close()
    window._children.clear()


def test_settings_change_the_basemap_not_the_project(window, qtbot, monkeypatch):
    from ambmap.ui.dialogs import SettingsDialog

    def answer(dialog):
        dialog.basemap.setCurrentIndex(dialog.basemap.findData("osm"))
        dialog.accept()
        return dialog.result()

    options, modified = dict(window.project.options), window.project.modified
    monkeypatch.setattr(SettingsDialog, "exec", answer)
    with qtbot.waitSignal(window.map.map_ready, timeout=30_000):
        window.edit_settings()
    assert window.settings.basemap == "osm"
    assert window.map_options().basemap == "none"  # offline mode: no remote basemap is asked for
    assert window.project.options == options and window.project.modified == modified  # radius: in the project


def test_the_layer_panel_follows_the_model(window, qtbot):
    item = next(
        window.layer_panel.list.item(r)
        for r in range(window.layer_panel.list.count())
        if window.layer_panel.list.item(r).data(Qt.ItemDataRole.UserRole) == "resources"
    )
    window.project.layers["resources"].visible = False  # e.g. an Undo or a script, not the panel
    assert item.checkState() == Qt.CheckState.Unchecked
    qtbot.waitUntil(lambda: "resources" not in window.map.run_js("ambmap.visibleKinds()"))
    window.project.layers["resources"].visible = True
    assert item.checkState() == Qt.CheckState.Checked


def test_new_territory_replaces_the_project_and_fits_the_map(window, qtbot, monkeypatch, demo_project):
    from ambmap.ui import dialogs

    demo_project.territory = {"code": "59512", "kind": "commune", "name": "Roubaix"}
    for layer in demo_project.layers.values():
        layer.provenance = {"source": "test"}
    monkeypatch.setattr(dialogs.NewTerritoryDialog, "exec", lambda self: dialogs.NewTerritoryDialog.DialogCode.Accepted)
    monkeypatch.setattr(
        dialogs.NewTerritoryDialog, "choice", lambda self: {"kind": "commune", "code": "59512", "nom": "Roubaix"}
    )
    monkeypatch.setattr(main_window_module, "build_territory_project", lambda parent, settings, t: demo_project)
    window.map.set_view(50.70, 3.17, 16)
    qtbot.waitUntil(lambda: window.map.current_view()[2] == 16)
    with qtbot.waitSignal(window.map.map_ready, timeout=30_000):
        window.new_territory()
    assert window.project is demo_project
    assert "Roubaix" in window.windowTitle() and "Roubaix" in window.territory_label.text()
    assert window.data_label.text() == "Données officielles"
    assert window.undo_stack.count() == 0
    assert window.map.run_js("ambmap.view()")[2] < 16  # fitted to the new territory, not the old view
    window.project.modified = False


def test_the_map_page_writes_visibility_and_view_into_the_session(window, qtbot):
    window.map.run_js("ambmap.emit('layerToggled', 'poles', false)")  # the page's own layer control
    qtbot.waitUntil(lambda: window.project.layers["poles"].visible is False)
    item = window.layer_panel._item("poles")
    assert item.checkState() == Qt.CheckState.Unchecked
    window.project.layers["poles"].visible = True
    window.map.set_view(50.6205, 3.0705, 14)
    qtbot.waitUntil(lambda: window.session.view is not None and round(window.session.view[2]) == 14)
    assert abs(window.session.view[0] - 50.6205) < 1e-3
