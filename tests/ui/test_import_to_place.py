"""Import that keeps everything (issue 13 point 3) in the window: the wizard's joined columns and
preview, the report, the « À placer » panel, placing a row by a click and geocoding again, each undone."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from ambmap.config import Settings
from ambmap.ui import dialogs
from ambmap.ui.dialogs import ImportWizard


def _wizard_to_report(wizard: ImportWizard, path) -> None:
    wizard.path.setText(str(path))
    wizard.kind.setCurrentIndex(wizard.kind.findData("ambassadors"))
    wizard._next()
    assert wizard.pages.currentIndex() == 1
    wizard._next()
    assert wizard.pages.currentIndex() == 2


def _preview(wizard: ImportWizard) -> dict[str, list[str]]:
    table = wizard.preview
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return {h: [table.item(r, c).text() for r in range(table.rowCount())] for c, h in enumerate(headers)}


def test_wizard_joins_first_and_last_name_and_previews_the_first_rows(qtbot, demo_project, eight):
    wizard = ImportWizard(demo_project, Settings(offline=True))
    qtbot.addWidget(wizard)
    wizard.path.setText(str(eight))
    wizard.kind.setCurrentIndex(wizard.kind.findData("ambassadors"))
    wizard._next()
    assert wizard.mapping()["display_name"] == ["Prénom", "Nom"]
    assert wizard.mapping()["address"] == ["Numéro", "Voie"]
    shown = _preview(wizard)
    assert len(shown["Nom affiché"]) == dialogs.PREVIEW_ROWS
    assert shown["Nom affiché"][:2] == ["Awa Diallo", "Karim Benali"]
    assert shown["Adresse"][0] == "12 rue Nationale, 59000 Lille"
    row = next(
        r
        for r in range(wizard.mapping_table.rowCount())
        if wizard.mapping_table.item(r, 0).text().startswith("Nom affiché")
    )
    first = wizard.mapping_table.cellWidget(row, 1)
    first.setCurrentIndex(first.findData("Nom"))  # the family name first, then the first name
    second = wizard.mapping_table.cellWidget(row, 2)
    second.setCurrentIndex(second.findData("Prénom"))
    assert _preview(wizard)["Nom affiché"][0] == "Diallo Awa"  # the preview follows the mapping


def test_wizard_offline_reports_eight_rows_to_place(qtbot, demo_project, eight):
    wizard = ImportWizard(demo_project, Settings(offline=True))
    qtbot.addWidget(wizard)
    _wizard_to_report(wizard, eight)
    result = wizard.import_result
    assert len(result.to_place) == 8 and not result.rejected and len(result.data) == 0
    text = wizard.report.text()
    assert "0 ligne(s) placée(s) sur la carte, 8 « à placer »" in text
    assert "8 mise(s) de côté « à placer » (panneau « À placer ») : AMB-066, AMB-067" in text
    assert "rien n'a été modifié" not in text
    kinds = {wizard.problems.item(r, 0).text() for r in range(wizard.problems.rowCount())}
    assert wizard.problems.rowCount() == 8 and kinds == {"à placer"}
    assert wizard.next.isEnabled()  # rows kept: « Ajouter au projet » is possible
    assert wizard.next.text() == "Ajouter au projet"  # not « à la carte »: these rows are not drawn yet


def _import_in_window(win, monkeypatch, path) -> None:
    def run(wizard):
        _wizard_to_report(wizard, path)
        wizard.accept()
        return ImportWizard.DialogCode.Accepted

    monkeypatch.setattr(ImportWizard, "exec", run)
    win.import_file()


def test_panel_lists_rows_to_place_and_a_click_places_one_undoably(win, monkeypatch, eight, qtbot):
    layer_rows = len(win.project.layer("ambassadors"))
    _import_in_window(win, monkeypatch, eight)
    panel = win.to_place_panel
    assert panel.table.rowCount() == 8 and len(win.project.layer("ambassadors")) == layer_rows
    assert panel.table.item(0, 0).text() == "Awa Diallo (AMB-066)"
    assert "ne comptent ni dans la couverture" in panel.summary.text()
    assert win.to_place_dock.isVisible() and win.to_place_dock.windowTitle() == "À placer (8)"
    panel.table.selectRow(0)
    qtbot.mouseClick(panel.place_button, Qt.MouseButton.LeftButton)
    assert panel.placing == 0 and "Awa Diallo" in win.statusBar().currentMessage()
    win.map.map_clicked.emit(50.6300, 3.0600)  # the page sends a click on the map
    data = win.project.layer("ambassadors").data
    placed = data[data["amb_id"] == "AMB-066"].iloc[0]
    assert (placed.geometry.x, placed.geometry.y) == (3.06, 50.63) and placed["display_name"] == "Awa Diallo"
    assert panel.table.rowCount() == 7 and panel.placing is None and not panel.place_button.isChecked()
    assert win.undo_stack.undoText() == "Placer « Awa Diallo (AMB-066) »"
    win.undo_stack.undo()
    assert len(win.project.layer("ambassadors")) == layer_rows and panel.table.rowCount() == 8
    win.undo_stack.undo()  # the import itself
    assert panel.table.rowCount() == 0 and len(win.project.to_place) == 0


def test_geocode_again_once_online_places_the_addresses_found(win, monkeypatch, eight, services, no_blocking_dialogs):
    _import_in_window(win, monkeypatch, eight)
    layer_rows = len(win.project.layer("ambassadors"))
    win.to_place_panel.geocode_requested.emit([])  # offline: the service cannot be asked
    assert len(win.project.to_place) == 8 and no_blocking_dialogs[-1][0] in ("critical", "warning")
    win.session.settings = services.settings()  # online again (the fake Géoplateforme)
    win.to_place_panel.geocode_requested.emit([])
    assert len(win.project.to_place) == 4 and len(win.project.layer("ambassadors")) == layer_rows + 4
    assert "4 ligne(s) placée(s) d'après leur adresse. 4 restent à placer" in no_blocking_dialogs[-1][1]
    assert (
        "Ana Silva (AMB-070) : adresse « 102 rue Léon Gambetta, 59000 Lille » introuvable" in no_blocking_dialogs[-1][1]
    )
    win.undo_stack.undo()
    assert len(win.project.to_place) == 8 and len(win.project.layer("ambassadors")) == layer_rows


def test_rows_to_place_unfold_the_folded_panels_on_a_laptop_screen(win, monkeypatch, eight):
    """At 1366×768 the bottom panels start folded: the rows just imported (not on the map) must be seen."""
    win.set_panels_collapsed(True)
    _import_in_window(win, monkeypatch, eight)
    assert not win.panels_collapsed
    assert win.to_place_panel.isVisible() and win.to_place_panel.table.rowCount() == 8


# -- a waiting row edited or deleted in the panel ------------------------------------------------------------
@pytest.fixture
def panel(qtbot, demo_project, eight, tmp_path):
    """The « À placer » panel alone on the eight rows imported offline, its steps pushed on an undo stack."""
    from PySide6.QtGui import QUndoStack

    from ambmap import imports
    from ambmap.session import Session
    from ambmap.ui.to_place_panel import ToPlacePanel

    imports.apply_import(
        demo_project, imports.import_file(eight, "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False)
    )
    panel = ToPlacePanel(Session(demo_project, Settings(offline=True)))
    panel.stack = QUndoStack(panel)
    panel.command_ready.connect(panel.stack.push)
    qtbot.addWidget(panel)
    panel.resize(1000, 320)
    panel.show()
    return panel


def _answer_dialog(monkeypatch, *attempts):
    """ToPlaceDialog.exec types each (id, name, address) of ``attempts`` then « Enregistrer », as a user
    would after a refusal; the dialogs seen are kept (with the error shown after each attempt)."""
    from PySide6.QtWidgets import QDialogButtonBox

    from ambmap.ui.to_place_panel import ToPlaceDialog

    seen = []

    def run(dialog):
        dialog.shown = [edit.text() for edit in dialog.edits.values()]
        dialog.errors = []
        for values in attempts:
            for edit, value in zip(dialog.edits.values(), values, strict=True):
                edit.setText(value)
            dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
            dialog.errors.append(dialog.error.text() if dialog.error.isVisibleTo(dialog) else "")
        seen.append(dialog)
        return dialog.result()

    monkeypatch.setattr(ToPlaceDialog, "exec", run)
    return seen


def test_edit_a_waiting_row_refuses_an_id_in_use_and_is_one_undo_step(panel, monkeypatch, qtbot):
    rows = panel.project.to_place
    rows.loc[2, "display_name"] = '<img src="x" onerror="alert(1)"><b>Lucie</b>'  # hostile text from a file
    panel.refresh()
    assert not panel.edit_button.isEnabled() and not panel.delete_button.isEnabled()  # nothing selected
    seen = _answer_dialog(
        monkeypatch,
        ("AMB-001", "Lucie Martin", "40 rue de Wazemmes, 59000 Lille"),  # placed on the map already
        ("AMB-066", "Lucie Martin", "40 rue de Wazemmes, 59000 Lille"),  # Awa's, waiting too
        ("AMB-300", "Lucie Martin", "40 rue de Wazemmes, 59000 Lille"),
    )
    item = panel.table.item(2, 0)
    assert item.text() == '<img src="x" onerror="alert(1)"><b>Lucie</b> (AMB-068)'  # shown as typed
    where = panel.table.visualItemRect(item).center()
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=where)  # a real double-click: a press
    qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=where)  # first, then the double one
    dialog = seen[-1]
    assert dialog.shown == [
        "AMB-068",
        '<img src="x" onerror="alert(1)"><b>Lucie</b>',
        "40 rue de Wazemmes, 59000 Lille",
    ]
    assert dialog.error.textFormat() == Qt.TextFormat.PlainText
    assert dialog.errors == [
        "L'identifiant « AMB-001 » existe déjà dans « Ambassadeurs·rices de santé » : choisissez-en un autre.",
        "L'identifiant « AMB-066 » est déjà celui d'une autre ligne « à placer » : choisissez-en un autre.",
        "",
    ]
    row = panel.project.to_place.loc[2]
    assert (row["amb_id"], row["display_name"], row["status"], row["ligne"]) == (
        "AMB-300",
        "Lucie Martin",
        "en formation",
        "4",
    )
    assert panel.table.item(2, 0).text() == "Lucie Martin (AMB-300)"
    assert panel.stack.count() == 1
    assert panel.stack.undoText() == 'Modifier « <img src="x" onerror="alert(1)"><b>Lucie</b> (AMB-068) » (à placer)'
    panel.stack.undo()
    assert panel.project.to_place.at[2, "amb_id"] == "AMB-068" and panel.table.item(2, 0).text().endswith("(AMB-068)")
    panel.table.selectRow(1)
    _answer_dialog(monkeypatch, ("AMB-067", "Karim B.", ""))
    qtbot.mouseClick(panel.edit_button, Qt.MouseButton.LeftButton)  # the button, on the selected row
    assert panel.project.to_place.loc[1, ["display_name", "address"]].tolist() == ["Karim B.", ""]


def test_delete_waiting_rows_after_a_confirmation_naming_how_many(panel, monkeypatch, qtbot):
    from PySide6.QtWidgets import QAbstractItemView, QMessageBox

    asked, answer = [], [QMessageBox.StandardButton.No]

    def box_exec(box):
        asked.append((box.textFormat(), box.text()))
        return answer[0].value

    monkeypatch.setattr(QMessageBox, "exec", box_exec)
    panel.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
    panel.table.selectRow(0)
    panel.table.selectRow(3)
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert asked[-1] == (
        Qt.TextFormat.PlainText,
        "Supprimer les 2 lignes sélectionnées (Awa Diallo (AMB-066), Tran Nguyen (AMB-069)) de la liste « À placer » ? "
        "Elles seront retirées du projet et ne pourront plus être placées sur la carte.\n\n"
        "Pour revenir en arrière : Édition › Annuler (Ctrl+Z).",
    )
    assert len(panel.project.to_place) == 8 and panel.stack.count() == 0  # « Non »: nothing changes
    answer[0] = QMessageBox.StandardButton.Yes
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert list(panel.project.to_place["amb_id"]) == ["AMB-067", "AMB-068", "AMB-070", "AMB-071", "AMB-072", "AMB-073"]
    assert panel.table.rowCount() == 6 and panel.stack.undoText() == "Supprimer 2 ligne(s) « à placer »"
    panel.stack.undo()
    assert len(panel.project.to_place) == 8 and panel.table.rowCount() == 8
    panel.table.clearSelection()
    panel.table.selectRow(4)
    panel.activateWindow()
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)  # Suppr, the list having focus
    assert asked[-1][1].startswith("Supprimer « Ana Silva (AMB-070) » de la liste « À placer » ?")
    assert "AMB-070" not in set(panel.project.to_place["amb_id"]) and len(panel.project.to_place) == 7


def test_rows_edited_and_deleted_in_the_window_are_saved(win, monkeypatch, eight, tmp_path, qtbot):
    from PySide6.QtWidgets import QMessageBox

    from ambmap.project import Project

    _import_in_window(win, monkeypatch, eight)
    panel = win.to_place_panel
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Yes.value)
    panel.table.selectRow(0)
    win.activateWindow()
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)  # the window's own Suppr (attribute table, map) is not taken
    assert len(win.project.to_place) == 7 and win.undo_stack.undoText() == "Supprimer 1 ligne(s) « à placer »"
    _answer_dialog(monkeypatch, ("AMB-400", "Karim Benali", "1 place du Théâtre, 59000 Lille"))
    panel.edit_row(0)
    assert win.undo_stack.undoText() == "Modifier « Karim Benali (AMB-067) » (à placer)"
    assert win._save_to(tmp_path / "p.gpkg")
    saved = Project.load(tmp_path / "p.gpkg").to_place
    assert saved.equals(win.project.to_place) and len(saved) == 7
    assert saved.loc[0, ["amb_id", "display_name", "address", "status", "fichier"]].tolist() == [
        "AMB-400",
        "Karim Benali",
        "1 place du Théâtre, 59000 Lille",
        "actif",
        "ambassadeurs.csv",
    ]


def test_geocoding_leaves_a_row_whose_id_is_now_placed_waiting_with_the_reason(
    win, monkeypatch, eight, services, no_blocking_dialogs
):
    _import_in_window(win, monkeypatch, eight)
    rows = win.project.to_place.copy()
    rows.loc[1, "amb_id"] = "AMB-001"  # Karim, 1 place du Théâtre (found): his id was placed meanwhile
    win.project.set_to_place(rows)
    win.session.settings = services.settings()
    win.to_place_panel.geocode_requested.emit([])
    assert "3 ligne(s) placée(s) d'après leur adresse. 5 restent à placer" in no_blocking_dialogs[-1][1]
    assert (
        "Karim Benali (AMB-001) : l'identifiant « AMB-001 » existe déjà dans « Ambassadeurs·rices de santé » : "
        "changez-le (« Modifier… ») avant de la placer" in no_blocking_dialogs[-1][1]
    )
    assert "AMB-001" in set(win.project.to_place["amb_id"])
    assert list(win.project.layer("ambassadors").data["amb_id"]).count("AMB-001") == 1


# -- what the coordinator reads: why a row waits, what to do next, what « Supprimer » removes ------------------
def test_a_search_says_in_the_list_why_each_row_still_waits_even_when_none_is_found(
    win, monkeypatch, eight, services, no_blocking_dialogs
):
    from ambmap.imports import EDITED

    _import_in_window(win, monkeypatch, eight)
    panel = win.to_place_panel
    assert "« Placer sur la carte » puis un clic" in panel.summary.text().replace("\xa0", " ")  # what to do next
    win.session.settings = services.settings()
    panel.table.selectRow(4)  # Ana Silva: not found
    assert panel.geocode_button.text() == "Chercher l'adresse sélectionnée"
    before = [panel.table.item(r, 3).text() for r in range(panel.table.rowCount())]
    assert set(before) == {"pas de coordonnées ; adresse pas encore cherchée"}
    panel.geocode_button.click()
    why = [panel.table.item(r, 3).text() for r in range(panel.table.rowCount())]
    assert why[4] == "adresse introuvable : corrigez-la (« Modifier… ») ou placez-la d'un clic sur la carte"
    assert why.count("pas de coordonnées ; adresse pas encore cherchée") == 7  # the others were not searched
    assert win.undo_stack.undoText() == "Chercher les adresses (aucune trouvée)"
    _answer_dialog(monkeypatch, ("AMB-070", "Ana Silva", "103 rue Léon Gambetta, 59000 Lille"))
    panel.edit_row(4)
    assert panel.table.item(4, 3).text() == EDITED and panel.selected_rows() == [4]  # still selected
    win.undo_stack.undo()
    win.undo_stack.undo()
    assert panel.table.item(4, 3).text() == "pas de coordonnées ; adresse pas encore cherchée"
    panel.table.clearSelection()
    assert panel.geocode_button.text() == "Chercher les adresses"


def test_edit_an_address_then_search_it_at_once(win, monkeypatch, eight, services, no_blocking_dialogs, qtbot):
    from ambmap.ui.to_place_panel import ToPlaceDialog

    _import_in_window(win, monkeypatch, eight)
    panel = win.to_place_panel
    win.session.settings = services.settings()
    layer_rows = len(win.project.layer("ambassadors"))
    enabled = []

    def run(dialog):
        address = dialog.edits["address"]
        address.clear()
        enabled.append(dialog.search_button.isEnabled())  # nothing to search
        address.setText("1 place du Théâtre, 59000 Lille")  # Ana's address corrected
        enabled.append(dialog.search_button.isEnabled())
        assert "la place sur la carte si elle est trouvée" in dialog.findChildren(type(dialog.error))[0].text()
        dialog.search_button.click()
        return dialog.result()

    monkeypatch.setattr(ToPlaceDialog, "exec", run)
    panel.table.selectRow(4)
    qtbot.mouseClick(panel.edit_button, Qt.MouseButton.LeftButton)
    assert enabled == [False, True]
    assert "AMB-070" not in set(win.project.to_place["amb_id"]) and len(win.project.to_place) == 7
    data = win.project.layer("ambassadors").data
    assert len(data) == layer_rows + 1 and data.iloc[-1]["address"] == "1 place du Théâtre, 59000 Lille"
    assert "1 ligne(s) placée(s) d'après leur adresse." in no_blocking_dialogs[-1][1]
    win.undo_stack.undo()  # the placing, then the edit: each its own step
    assert win.undo_stack.undoText() == "Modifier « Ana Silva (AMB-070) » (à placer)"


def test_the_edit_dialog_grows_to_show_a_refusal_and_a_long_address(panel, qtbot):
    from ambmap.ui.to_place_panel import ToPlaceDialog

    rows = panel.project.to_place
    rows.loc[4, "address"] = "Résidence les Tilleuls, bâtiment C, escalier 4, appartement 112, 102 rue Léon Gambetta"
    dialog = ToPlaceDialog(panel.project, 4, panel)
    qtbot.addWidget(dialog)
    dialog.show()
    address = dialog.edits["address"]
    assert address.width() > address.fontMetrics().horizontalAdvance(address.text())  # read whole
    dialog.edits["amb_id"].setText("AMB-001")
    qtbot.keyClick(dialog.edits["amb_id"], Qt.Key.Key_Return)  # Enter: « Enregistrer », refused
    assert dialog.isVisible() and dialog.error.isVisible()
    assert dialog.error.geometry().top() >= address.geometry().bottom()
    assert dialog.height() >= dialog.layout().totalHeightForWidth(dialog.width())  # nothing drawn over
    qtbot.keyClick(dialog.edits["amb_id"], Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.rows is None


def test_the_search_message_says_which_rows_placed_need_checking(
    win, monkeypatch, eight, services, no_blocking_dialogs
):
    _import_in_window(win, monkeypatch, eight)
    rows = win.project.to_place.copy()
    rows.loc[4, "address"] = "rue du Moulin, Lille"  # found approximately (score 0.41)
    win.project.set_to_place(rows)
    win.session.settings = services.settings()
    win.to_place_panel.geocode_requested.emit([])
    assert no_blocking_dialogs[-1][1].startswith(
        "5 ligne(s) placée(s) d'après leur adresse, dont 1 à vérifier (adresse trouvée approximativement : "
        "vérifiez leur position). 3 restent à placer :"
    )
    data = win.project.layer("ambassadors").data.set_index("amb_id")
    assert data.at["AMB-070", "a_verifier"] and not data.at["AMB-066", "a_verifier"]


def test_enter_in_the_list_edits_the_row_and_guillemets_never_break(panel, monkeypatch, qtbot):
    seen = _answer_dialog(monkeypatch, ("AMB-068", "Lucie M.", "40 rue de Wazemmes, 59000 Lille"))
    panel.table.selectRow(2)
    panel.activateWindow()
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert len(seen) == 1 and panel.project.to_place.at[2, "display_name"] == "Lucie M."
    assert panel.selected_rows() == [2]  # the list refreshed, the row still selected
    assert "« " not in panel.summary.text() and " »" not in panel.summary.text()  # « + no-break space


def test_a_search_leaving_one_row_says_it_in_the_singular(win, monkeypatch, eight, services, no_blocking_dialogs):
    _import_in_window(win, monkeypatch, eight)
    win.session.settings = services.settings()
    win.to_place_panel.geocode_requested.emit([4])  # Ana Silva alone: not found
    assert no_blocking_dialogs[-1][1].startswith("0 ligne(s) placée(s) d'après leur adresse. 1 reste à placer :")


def test_edit_delete_and_place_mixed_are_undone_and_redone_in_order(panel, monkeypatch, qtbot):
    """Three steps on the rows (edit, delete, a click), undone then redone: each state comes back whole —
    the layer and the « à placer » table always agree (no row lost, none twice)."""
    from PySide6.QtWidgets import QMessageBox

    project, layer = panel.project, panel.project.layer("ambassadors")
    states = [(project.to_place.copy(), layer.data.copy())]
    _answer_dialog(monkeypatch, ("AMB-500", "Lucie M.", ""))
    panel.edit_row(2)
    states.append((project.to_place.copy(), layer.data.copy()))
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Yes.value)
    panel.table.selectRow(0)
    panel.delete_selected()
    states.append((project.to_place.copy(), layer.data.copy()))
    panel.table.selectRow(1)  # Lucie, edited: now the second row
    panel.place_button.setChecked(True)
    panel.place_at(50.63, 3.06)
    states.append((project.to_place.copy(), layer.data.copy()))
    assert panel.stack.count() == 3 and "AMB-500" in set(layer.data["amb_id"])
    assert layer.data.set_index("amb_id").at["AMB-500", "display_name"] == "Lucie M."
    for step in (2, 1, 0, 1, 2, 3):
        (panel.stack.undo if step < panel.stack.index() else panel.stack.redo)()
        rows, data = states[step]
        assert project.to_place.equals(rows) and layer.data.equals(data), step
        assert panel.table.rowCount() == len(rows) and panel.placing is None
        waiting, placed = set(rows["amb_id"]), set(data["amb_id"])
        assert not waiting & placed and len(rows) + len(data) == len(states[0][0]) + len(states[0][1]) - (step >= 2)


def test_a_huge_address_not_found_is_cut_short_in_the_message(win, monkeypatch, eight, services, no_blocking_dialogs):
    """A 100,000-character address (a hand-edited project) is not found: the message naming it stays the size
    of a message, not a box wider than any screen with its buttons out of reach."""
    _import_in_window(win, monkeypatch, eight)
    rows = win.project.to_place.copy()
    rows.loc[4, "address"] = "rue " + "x" * 100_000
    win.project.set_to_place(rows)
    win.session.settings = services.settings()
    win.to_place_panel.geocode_requested.emit([])
    text = no_blocking_dialogs[-1][1]
    assert "4 ligne(s) placée(s) d'après leur adresse. 4 restent à placer" in text
    assert len(text) < 2_000 and "Ana Silva (AMB-070) : adresse « rue xxx" in text
