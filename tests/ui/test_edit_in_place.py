"""Edit in place (form, table cells, bulk change, undo), live coverage after an edit, the stale
recommendation banner and the « Et si ? » mode, on the demo project in a real main window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from ambmap.ui.feature_form import DateField, FeatureForm, TagList


def amb(window, amb_id: str):
    data = window.project.layers["ambassadors"].data
    return data.loc[data["amb_id"] == amb_id].iloc[0]


def answer_form(monkeypatch, configure):
    """The form answers as ``configure(form)`` sets it, then « Enregistrer », without being shown."""
    seen = []

    def exec_(form):
        configure(form)
        form.accept()
        seen.append(form)
        return QDialog.DialogCode.Accepted if form.result() else QDialog.DialogCode.Rejected

    monkeypatch.setattr(FeatureForm, "exec", exec_)
    return seen


def test_form_widgets_edit_status_and_pole_as_one_undoable_step(win, monkeypatch):
    before = amb(win, "AMB-001")
    assert before.status == "en formation" and before.pole_id == "PRS-1"

    def configure(form):
        editors = form.form().editors
        assert editors["amb_id"].isReadOnly() and editors["amb_id"].text() == "AMB-001"
        pole = editors["pole_id"]  # the project's pôles, by id and name
        assert [pole.itemData(i) for i in range(pole.count())] == [None, "PRS-1", "PRS-2", "PRS-3", "PRS-4", "PRS-5"]
        assert "Moulins" in pole.itemText(pole.findData("PRS-2"))
        assert [editors["status"].itemText(i) for i in range(3)] == ["actif", "en formation", "inactif"]
        assert isinstance(editors["themes"], TagList) and "vaccination" in editors["themes"].values()
        assert isinstance(editors["start_date"], DateField) and editors["start_date"].value() == before.start_date
        assert editors["end_date"].value() is None and editors["radius_m"].value_or_none() is None
        editors["status"].setCurrentText("actif")
        pole.setCurrentIndex(pole.findData("PRS-2"))

    answer_form(monkeypatch, configure)
    steps = win.undo_stack.count()
    assert win.edit_feature("ambassadors", "AMB-001")
    after = amb(win, "AMB-001")
    assert after.status == "actif" and after.pole_id == "PRS-2"
    assert after.status_history.endswith("en formation → actif")  # dated by the command
    assert win.undo_stack.count() == steps + 1
    win.undo_stack.undo()
    restored = amb(win, "AMB-001")
    assert restored.status == "en formation" and restored.pole_id == "PRS-1" and restored.status_history == ""


def test_the_form_shows_a_refusal_under_its_field_and_stays_open(win, monkeypatch):
    def configure(form):
        form.form().editors["end_date"].set_value("2000-01-01")  # before the start date

    seen = answer_form(monkeypatch, configure)
    assert not win.edit_feature("ambassadors", "AMB-003")
    form = seen[0]
    error = form.form().errors["end_date"]
    assert form.result() != QDialog.DialogCode.Accepted and not error.isHidden()
    assert "antérieure à la date d'entrée" in error.text()
    assert amb(win, "AMB-003").end_date == ""


def test_double_click_on_a_point_and_on_a_row_opens_the_form(win, qtbot, monkeypatch):
    opened = []
    monkeypatch.setattr(FeatureForm, "exec", lambda form: opened.append(form.feature_id) or 0)
    win.map.run_js("ambmap.features.ambassadors['AMB-004'].fire('dblclick'); true")
    qtbot.waitUntil(lambda: opened == ["AMB-004"])
    win.table.show_layer("poles")
    index = win.table.proxy.mapFromSource(win.table.model.index(win.table.model.row_of("PRS-3"), 1))
    win.table.view.doubleClicked.emit(index)
    assert opened == ["AMB-004", "PRS-3"]


def test_table_cells_edit_status_and_pole(win, qtbot):
    win.table.show_layer("ambassadors")
    model, proxy = win.table.model, win.table.proxy
    row = model.row_of("AMB-001")
    status, pole = (model.fields.index(model.layer.schema.field(n)) for n in ("status", "pole_id"))
    assert model.flags(model.index(row, status)) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(row, 0)) & Qt.ItemFlag.ItemIsEditable  # the identifier
    assert "(privé)" in model.headerData(1, Qt.Orientation.Horizontal)
    editor = win.table.view.itemDelegate().createEditor(
        win.table.view, None, proxy.mapFromSource(model.index(row, status))
    )
    assert [editor.itemText(i) for i in range(editor.count())] == ["actif", "en formation", "inactif"]
    steps = win.undo_stack.count()
    assert proxy.setData(proxy.mapFromSource(model.index(row, status)), "actif")
    qtbot.waitUntil(lambda: amb(win, "AMB-001").status == "actif")
    assert proxy.setData(proxy.mapFromSource(model.index(model.row_of("AMB-001"), pole)), "PRS-4")
    qtbot.waitUntil(lambda: amb(win, "AMB-001").pole_id == "PRS-4")
    assert win.undo_stack.count() == steps + 2
    assert not proxy.setData(proxy.mapFromSource(model.index(model.row_of("AMB-001"), status)), "retraité")
    assert "non reconnue" in win.table.message.text() and amb(win, "AMB-001").status == "actif"
    win.undo_stack.undo()
    win.undo_stack.undo()
    assert amb(win, "AMB-001").status == "en formation" and amb(win, "AMB-001").pole_id == "PRS-1"


def test_bulk_change_of_three_rows_is_one_step(win, qtbot):
    win.table.show_layer("ambassadors")
    data = win.project.layers["ambassadors"].data
    ids = list(data.loc[data["status"] != "actif", "amb_id"][:3])
    assert len(ids) == 3
    view, model, proxy = win.table.view, win.table.model, win.table.proxy
    view.clearSelection()
    for amb_id in ids:
        index = proxy.mapFromSource(model.index(model.row_of(amb_id), 0))
        view.selectionModel().select(
            index, view.selectionModel().SelectionFlag.Select | view.selectionModel().SelectionFlag.Rows
        )
    assert win.table.selected_ids() == sorted(ids, key=model.row_of)
    assert win.table.bulk_button.text() == "Changer le statut…" and win.table.bulk_button.isVisibleTo(win.table)
    menu = win.table.bulk_button.menu()
    win.table._fill_bulk_menu(menu)
    action = next(a for a in menu.actions() if a.text().startswith("Passer en « actif »"))
    steps = win.undo_stack.count()
    action.trigger()
    qtbot.waitUntil(lambda: all(amb(win, i).status == "actif" for i in ids))
    assert win.undo_stack.count() == steps + 1 and "3" in win.undo_stack.undoText()
    assert sorted(win.table.selected_ids()) == sorted(ids)  # the edited rows stay selected
    win.undo_stack.undo()
    assert all(amb(win, i).status != "actif" for i in ids)


def test_coverage_is_recomputed_after_an_edit_without_a_click(win, qtbot, monkeypatch):
    from ambmap.ui import main_window

    dialogs = []  # the window's progress dialogs (run_task): the live coverage may not show one
    monkeypatch.setattr(main_window, "run_task", lambda *a, **k: dialogs.append(a[1]))
    answer_form(monkeypatch, lambda form: form.form().editors["status"].setCurrentText("inactif"))
    with qtbot.waitSignal(
        win.session.coverage_changed, timeout=30_000, check_params_cb=lambda result: result is not None
    ):
        assert win.edit_feature("ambassadors", "AMB-003")
    coverage = win.session.coverage
    assert coverage is not None and not win.session.stale and dialogs == []
    assert win.coverage_panel.table.rowCount() == 8


def test_a_stale_recommendation_stays_shown_with_a_refresh_button(win, qtbot, monkeypatch):
    from ambmap.analysis.recommend import recommend_for_project

    panel = win.recommendation_panel
    win.session.set_recommendation(recommend_for_project(win.project, k=1, time_limit=20))
    assert panel.table.rowCount() == 1 and panel.stale_banner.isHidden()
    answer_form(monkeypatch, lambda form: form.form().editors["status"].setCurrentText("inactif"))
    assert win.edit_feature("ambassadors", "AMB-003")
    assert win.session.recommendation is not None and win.session.recommendation_stale
    assert panel.table.rowCount() == 1 and not panel.stale_banner.isHidden()
    assert "À actualiser" in panel.stale_banner.findChild(type(panel.summary)).text()
    from PySide6.QtWidgets import QPushButton

    panel.stale_banner.findChild(QPushButton, "refresh_button").click()
    assert not win.session.recommendation_stale and panel.stale_banner.isHidden()
    assert win.session.recommendation.request["k"] == 1


def test_what_if_mode_shows_the_gain_of_the_spot(win, qtbot):
    from shapely.geometry import Point

    from ambmap import text
    from ambmap.analysis.what_if import WhatIf

    qpv = win.project.layers["qpv"].data
    what_if = WhatIf(win.project, win.session.coverage_params)
    spots = [Point(x, y) for g in qpv.geometry for x, y in g.envelope.exterior.coords[:4]]
    spot = next(p for p in spots if what_if.gain(p.x, p.y).total > 0)  # somewhere one more would help
    expected = what_if.gain(spot.x, spot.y)
    win.act_what_if.trigger()
    assert win.act_what_if.isChecked() and not win.act_edit.isChecked()
    qtbot.waitUntil(lambda: win.map.run_js("ambmapWhatIf.on") is True)
    win.map.run_js(f"ambmap.map.fire('click', {{latlng: L.latLng({spot.y}, {spot.x})}}); true")
    qtbot.waitUntil(lambda: win.map.run_js("!!ambmapWhatIf.zone") is True, timeout=30_000)
    assert win._what_if_model is not None
    label = win.what_if_label.text()
    assert label.startswith(f"Et si ? +{text.number(expected.total)}") and expected.per_qpv["nom_qp"].iloc[0] in label
    tip = win.map.run_js("ambmapWhatIf.tip.getElement().textContent")
    assert expected.per_qpv["nom_qp"].iloc[0] in tip and text.number(expected.total) in tip
    win.map.cursor_moved.emit(qpv.geometry.iloc[1].centroid.y, qpv.geometry.iloc[1].centroid.x)  # hovering
    qtbot.waitUntil(lambda: win.what_if_label.text() != label, timeout=30_000)  # answered from the cached demand
    assert win.what_if_label.text().startswith("Et si ?")
    win.set_edit_mode(True)  # the two modes exclude each other
    assert not win.act_what_if.isChecked()
    qtbot.waitUntil(lambda: win.map.run_js("ambmapWhatIf.zone") is None)
    win.set_edit_mode(False)
