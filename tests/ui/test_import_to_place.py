"""Import that keeps everything (issue 13 point 3) in the window: the wizard's joined columns and
preview, the report, the « À placer » panel, placing a row by a click and geocoding again, each undone."""

from __future__ import annotations

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
