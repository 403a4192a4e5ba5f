"""Dialogs driven without a window: feature form, settings, about, new territory, import wizard."""

from __future__ import annotations

import pytest

from ambmap.config import Settings
from ambmap.errors import CancelledError
from ambmap.ui import dialogs
from ambmap.ui.feature_form import FeatureForm


def test_feature_form_proposes_new_ids_and_refuses_missing_values(qtbot, demo_project):
    form = FeatureForm(demo_project, 50.63, 3.06)
    qtbot.addWidget(form)
    assert form.forms["poles"].editors["pole_id"].text() == "PRS-6"
    assert form.forms["ambassadors"].editors["amb_id"].text() == "AMB-066"
    assert form.forms["resources"].editors["resource_id"].text() == "RES-0171"
    form.accept()
    assert form.result() == 0 and "Nom" in form.error.text()
    form.kind_box.setCurrentIndex(form.kind_box.findData("ambassadors"))
    form.form().editors["display_name"].setText("Awa D.")
    radius = form.form().editors["radius_m"]  # metres in a spin box: a word cannot be typed in
    assert radius.value_or_none() is None and radius.text().startswith("rayon du projet")
    radius.setValue(800)
    assert form.problems() == [] and form.values()["radius_m"] == 800.0
    assert form.values()["status"] == "actif"


def test_settings_dialog_saves_to_the_user_config(qtbot, isolated_user_dirs):
    dialog = dialogs.SettingsDialog(Settings.load())
    qtbot.addWidget(dialog)
    assert not hasattr(dialog, "radius")  # the coverage radius is a project setting (coverage panel)
    dialog.basemap.setCurrentIndex(dialog.basemap.findData("osm"))
    dialog.offline.setChecked(True)
    dialog.accept()
    assert dialog.result() == 1
    loaded = Settings.load()
    assert (loaded.basemap, loaded.offline) == ("osm", True)
    assert dialog.settings == loaded


def test_settings_show_minutes_in_french(qtbot, isolated_user_dirs):
    dialog = dialogs.SettingsDialog(Settings.load())
    qtbot.addWidget(dialog)
    dialog.autosave.setValue(3)
    assert dialog.autosave.text() == "3 min"  # not « 3,00 min »
    dialog.autosave.setValue(2.5)
    assert dialog.autosave.text() == "2,5 min"


def test_about_dates_are_french(demo_project):
    demo_project.layers["poles"].provenance["date"] = "2026-11-25"
    text = dialogs.about_html(demo_project)
    assert "25/11/2026" in text and "2026-11-25" not in text


def test_about_lists_each_source_escaped(qtbot, demo_project):
    demo_project.layers["poles"].provenance["source"] = "Ville <b>de</b> Lille"
    text = dialogs.about_html(demo_project)
    assert "Ville &lt;b&gt;de&lt;/b&gt; Lille" in text
    assert "Licence Ouverte 2.0" in text and "OpenStreetMap" in text and "ODbL" in text
    about = dialogs.AboutDialog(demo_project)
    qtbot.addWidget(about)
    assert about.text.toPlainText().startswith("ambmap")


def test_new_territory_search_and_build_run_in_workers(qtbot, monkeypatch):
    found = [
        {"kind": "commune", "code": "59512", "nom": "Roubaix", "population": 98892},
        {"kind": "epci", "code": "200093201", "nom": "Métropole Européenne de Lille", "population": 1179000},
    ]
    monkeypatch.setattr("ambmap.sources.communes.search_territories", lambda text, settings: found)
    dialog = dialogs.NewTerritoryDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.query.setText("Roubaix")
    dialog.search()
    assert dialog.results.count() == 2 and "Roubaix" in dialog.results.item(0).text()
    dialog.results.setCurrentRow(1)
    assert dialog.choice()["code"] == "200093201"

    calls = {}

    def build(settings, *, commune=None, epci=None, progress=None):
        progress(1, 2, "QPV…")
        calls.update(commune=commune, epci=epci)
        return "projet"

    monkeypatch.setattr("ambmap.fetch.build_project", build)
    assert dialogs.build_territory_project(None, Settings(), dialog.choice()) == "projet"
    assert calls == {"commune": None, "epci": "200093201"}


def test_errors_are_shown_in_french_and_cancel_is_silent(qapp, no_blocking_dialogs):
    dialogs.show_error(None, CancelledError())
    dialogs.show_error(None, ValueError("boom"))
    assert len(no_blocking_dialogs) == 1
    assert no_blocking_dialogs[0][1].startswith("Une erreur inattendue")


@pytest.fixture
def poles_csv(tmp_path):
    path = tmp_path / "poles.csv"
    path.write_text(
        "Identifiant;Nom du pôle;Adresse;Latitude;Longitude\n"
        "PRS-10;Pôle Nord;1 rue A, Lille;50,64;3,06\n"
        "PRS-11;Pôle Sud;2 rue B, Lille;;\n"
        "PRS-12;;3 rue C, Lille;50,62;3,05\n",
        encoding="utf-8",
    )
    return path


def test_import_wizard_maps_columns_and_reports_rejected_rows(qtbot, demo_project, poles_csv):
    wizard = dialogs.ImportWizard(demo_project, Settings(offline=True))
    qtbot.addWidget(wizard)
    wizard.path.setText(str(poles_csv))
    wizard.kind.setCurrentIndex(wizard.kind.findData("poles"))
    wizard.geocode.setChecked(False)
    wizard._next()
    assert wizard.pages.currentIndex() == 1
    mapping = wizard.mapping()
    assert mapping["lat"] == "Latitude" and mapping["lon"] == "Longitude" and mapping["address"] == "Adresse"
    wizard._next()
    assert wizard.pages.currentIndex() == 2
    assert len(wizard.import_result.data) == 1
    result = wizard.import_result
    assert wizard.problems.rowCount() == len(result.aside) + len(result.rejected) + len(result.doubtful) >= 2
    rows = {wizard.problems.item(r, 1).text() for r in range(wizard.problems.rowCount())}
    assert {"3", "4"} <= rows  # lines as seen in the spreadsheet (header = line 1)
    assert "refusée" in wizard.report.text()


def test_import_wizard_says_which_file_is_missing(qtbot, demo_project, tmp_path, no_blocking_dialogs):
    wizard = dialogs.ImportWizard(demo_project, Settings(offline=True))
    qtbot.addWidget(wizard)
    wizard.path.setText(str(tmp_path / "absent.csv"))
    wizard._next()
    assert wizard.pages.currentIndex() == 0
    assert "absent.csv" in no_blocking_dialogs[-1][1]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "JAVASCRIPT:alert(1)"])
def test_about_links_only_web_addresses_from_a_project_file(demo_project, url):
    demo_project.layers["qpv"].provenance["url"] = url
    assert "<a " not in dialogs.about_html(demo_project) or url not in dialogs.about_html(demo_project)
    demo_project.layers["qpv"].provenance["url"] = "https://www.data.gouv.fr/"
    assert '<a href="https://www.data.gouv.fr/">' in dialogs.about_html(demo_project)
