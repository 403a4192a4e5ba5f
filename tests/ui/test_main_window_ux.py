"""Issue 13 point 5 in the window: the getting-started guide, one layer list, a toolbar that stays put,
the map given most of a 1366×768 window, greyed widgets that say why, plain error texts."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabBar

from ambmap.analysis.indicators import class_labels, project_target
from ambmap.errors import ImportFileError
from ambmap.layers import CATEGORIES, KINDS, STATUSES
from ambmap.project import Project
from ambmap.render import symbology
from ambmap.ui import commands
from ambmap.ui.dialogs import show_error
from ambmap.ui.help import GUIDE_TITLE, GuideDialog, guide_html
from tests.ui.conftest import close_window, open_window


def settle(window, qtbot) -> None:
    qtbot.waitUntil(lambda: not window._render_timer.isActive() and window.map.is_ready, timeout=30_000)


# -- 1. the guide ----------------------------------------------------------------------------------
def test_the_help_menu_opens_the_guide(window, no_blocking_dialogs):
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "Ai&de")
    assert help_menu.actions()[0] is window.act_guide
    window.act_guide.trigger()
    assert no_blocking_dialogs[-1] == ("dialog", GUIDE_TITLE)


@pytest.mark.parametrize("target", [None, 0.7])
def test_the_guide_shows_the_map_classes_at_the_project_target(qtbot, demo_project, target):
    if target is not None:
        demo_project.options["target"] = target
    dialog = GuideDialog(demo_project)
    qtbot.addWidget(dialog)
    shown = dialog.text.toPlainText()  # Qt writes the narrow no-break space of « 80 % » as a space
    labels = {cls: label.replace("\u202f", " ") for cls, label in class_labels(project_target(demo_project)).items()}
    assert all(label in shown for label in labels.values())
    assert ("70 % ou plus (objectif)" in shown) == (target == 0.7)
    for words in [*STATUSES, *CATEGORIES]:
        assert words[0].upper() + words[1:] in shown
    for part in ("Importer", "Où recruter", "contrat de ville", "Public", "Interne"):
        assert part in shown
    page = guide_html(demo_project)
    words = class_labels(project_target(demo_project))
    for cls, colour in symbology.COVERAGE_CLASSES.items():  # each class label beside the map's colour
        assert re.search(f'bgcolor="{colour}".*?</td><td>&nbsp;{re.escape(words[cls])}</td>', page)
    assert not re.search(r"<(a|img|script)\b", page)  # our text only: nothing to follow or load


def test_the_guide_never_quotes_project_data(demo_project):
    demo_project.territory["name"] = "<b>Lille</b> {{ 7*7 }}"
    assert "Lille" not in guide_html(demo_project) and "49" not in guide_html(demo_project)


# -- 2. one layer list -------------------------------------------------------------------------------
def test_the_window_page_has_no_leaflet_layer_control(window):
    assert window.map.run_js("document.querySelectorAll('.leaflet-control-layers').length") == 0
    assert window.map_options().layer_control is False


def test_the_exported_page_keeps_its_layer_control(demo_project):
    from ambmap.render.map import MapOptions, map_html, page_data

    assert page_data(map_html(demo_project, options=MapOptions(basemap="none")))["config"]["layerControl"] is True


# -- 3. a stable toolbar -----------------------------------------------------------------------------
def test_the_toolbar_does_not_move_after_an_undoable_edit(window, qtbot):
    def geometry():
        qtbot.wait(50)
        return [window.toolbar.widgetForAction(a).geometry() for a in window.toolbar.actions()]

    before = geometry()
    layer = window.project.layers["ambassadors"]
    first = str(layer.data["amb_id"].iloc[0])
    window.push(
        commands.edit_features(layer, {first: {"status": "inactif"}}, "Passer une très longue liste en inactif")
    )
    try:
        assert window.act_undo.text() != "Annuler"  # the menu's action names the step: it grew
        assert window.act_undo_button.text() == "Annuler" and window.act_undo_button.isEnabled()
        assert "Passer une très longue liste en inactif" in window.act_undo_button.toolTip()
        assert geometry() == before
    finally:
        window.undo_stack.undo()
    assert window.act_redo_button.isEnabled() and geometry() == before
    window.undo_stack.clear()
    settle(window, qtbot)


# -- 4. 1366×768 -------------------------------------------------------------------------------------
@pytest.fixture
def small_window(qapp, window_settings, demo_project):
    win = open_window(demo_project, window_settings, (1366, 768))
    yield win
    close_window(win)


def test_at_1366_by_768_the_map_gets_most_of_the_window(small_window, qtbot):
    window = small_window
    qtbot.waitUntil(lambda: window.map.height() > 500)
    share = window.map.width() * window.map.height() / (window.width() * window.height())
    assert share >= 0.65, (window.map.size(), share)
    assert window.panels_collapsed and window.act_fold.isChecked()
    bar = next(
        b for b in window.findChildren(QTabBar) if b.parent() is window and b.count() == len(window.bottom_docks)
    )
    assert bar.isVisible()  # the folded panels still show their tabs
    coverage_tab = next(i for i in range(bar.count()) if bar.tabText(i) == "Couverture des QPV")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(coverage_tab).center())
    qtbot.waitUntil(lambda: not window.panels_collapsed and window.coverage_panel.isVisible())
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(bar.currentIndex()).center())
    qtbot.waitUntil(lambda: window.panels_collapsed and not window.coverage_panel.isVisible())
    window.compute_coverage()  # a result asked for unfolds its panel
    assert not window.panels_collapsed and window.coverage_panel.isVisible()
    settle(window, qtbot)


# -- 5. review leftovers -------------------------------------------------------------------------------
def test_every_greyed_layer_panel_widget_says_why(window):
    panel = window.layer_panel
    for kind in window.project.layers:
        panel.select_layer(kind)
        for widget in (panel.opacity, panel.color, panel.labels):
            assert widget.isEnabled() or widget.toolTip(), (kind, widget)
    panel.select_layer("ambassadors")
    assert "statut" in panel.color.toolTip() and "QPV" in panel.labels.toolTip()


def test_an_unreadable_file_is_told_without_a_command_line_hint(window, no_blocking_dialogs, tmp_path, capsys):
    from ambmap.cli import main
    from ambmap.io.tables import read_geofile

    junk = tmp_path / "couche.geojson"
    junk.write_bytes(b"\x00\x01 pas une couche")
    with pytest.raises(ImportFileError) as caught:
        read_geofile(junk)
    show_error(window, caught.value)
    assert "couche.geojson" in no_blocking_dialogs[-1][1] and "ambmap -v" not in no_blocking_dialogs[-1][1]
    project = Project.default().save(tmp_path / "p.gpkg")
    assert main(["import", "resources", str(junk), "--project", str(project)]) != 0
    assert "ambmap -v import" in capsys.readouterr().err  # the command line keeps its own hint


def test_offline_streets_say_what_to_do_without_naming_the_service(window, no_blocking_dialogs):
    window.act_streets.trigger()  # offline settings, empty cache
    said = no_blocking_dialogs[-1][1]
    assert "Overpass" not in said and "Réglages" in said and "Internet" in said


def test_the_guide_explains_the_numbered_groups_the_rows_to_place_and_the_slides(qtbot, demo_project):
    """What a coordinator meets on day one and the guide left out: the map's numbered clusters (same colour
    and words as the legend), the « À placer » panel after an offline import, the slides and F5."""
    from ambmap.render.map import CLUSTER_NOTE

    page = guide_html(demo_project)
    for kind in ("ambassadors", "resources"):
        plural = KINDS[kind].plural
        words = CLUSTER_NOTE.format(plural[0].lower() + plural[1:])
        assert re.search(f'bgcolor="{symbology.color(KINDS[kind].symbol)}".*?</td><td>&nbsp;{re.escape(words)}', page)
    dialog = GuideDialog(demo_project)
    qtbot.addWidget(dialog)
    shown = dialog.text.toPlainText()
    for part in ("« À placer »", "Placer sur la carte", "« Diapositives »", "Insérer un chiffre à jour", "(F5)"):
        assert part in shown
    assert not re.search(r"(?i)optimum|highs|overpass|mclp|géocod", shown)  # no jargon for the coordinator
