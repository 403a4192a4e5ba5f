"""Fichier > Exporter… and « Préparer pour une présentation hors ligne », driven like a user would."""

from __future__ import annotations

import subprocess

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")

from PySide6.QtCore import Qt  # noqa: E402

from ambmap.config import Settings  # noqa: E402
from ambmap.session import Session  # noqa: E402
from ambmap.ui.export_dialog import ExportDialog  # noqa: E402
from ambmap.ui.offline_dialog import OfflineBasemapDialog  # noqa: E402


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", config_dir=tmp_path / "config", basemap="none"
    )


def test_export_dialog_writes_an_internal_pdf_of_one_qpv(qtbot, demo_project, settings, tmp_path, no_blocking_dialogs):
    dialog = ExportDialog(Session(demo_project, settings))
    qtbot.addWidget(dialog)
    assert dialog.public.isChecked() and not dialog.level_note.isVisibleTo(dialog)  # public by default
    dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
    assert dialog.print_box.isVisibleTo(dialog) and not dialog.layer.isVisibleTo(dialog)
    dialog.internal.setChecked(True)
    assert dialog.level_note.isVisibleTo(dialog) and "Document interne" in dialog.level_note.text()
    dialog.layout_choice.setCurrentIndex(dialog.layout_choice.findData("a4-portrait"))
    dialog.extent.setCurrentIndex(dialog.extent.findData("QN059D01"))
    dialog.title.setText("Lille-Sud")
    dialog.table.setChecked(True)
    dialog.output.setText(str(tmp_path / "lille-sud"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.result_path == tmp_path / "lille-sud.pdf"
    info = subprocess.run(["pdfinfo", str(dialog.result_path)], capture_output=True, text=True).stdout
    assert "niveau=interne" in info and "Pages:           1" in info and "595.276 x 841.89" in info
    assert not no_blocking_dialogs  # no message box: the confirmation is in the dialog
    assert dialog.done_box.isVisibleTo(dialog) and "niveau interne" in dialog.done_label.text()
    assert "lille-sud.pdf" in dialog.done_label.text() and str(tmp_path) in dialog.done_label.text()


def test_export_dialog_geojson_layer_choice_and_errors(qtbot, demo_project, settings, tmp_path, no_blocking_dialogs):
    dialog = ExportDialog(Session(demo_project, settings))
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("geojson"))
    assert dialog.layer.currentData() == "qpv" and dialog.output.text().endswith(".geojson")
    dialog.layer.setCurrentIndex(dialog.layer.findData("poles"))
    dialog.output.setText(str(tmp_path / "absent" / "poles.geojson"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.result_path is None
    assert no_blocking_dialogs[-1][0] == "critical" and "n'existe pas" in no_blocking_dialogs[-1][1]
    dialog.output.setText(str(tmp_path / "poles.geojson"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert '"name": "poles"' in (tmp_path / "poles.geojson").read_text(encoding="utf-8")


def test_export_dialog_lists_the_writers_and_keeps_umap_public(
    qtbot, demo_project, settings, tmp_path, no_blocking_dialogs
):
    from ambmap.export import WRITERS

    dialog = ExportDialog(Session(demo_project, settings))
    qtbot.addWidget(dialog)
    assert [dialog.format.itemData(i) for i in range(dialog.format.count())] == list(WRITERS)
    dialog.internal.setChecked(True)
    dialog.format.setCurrentIndex(dialog.format.findData("umap"))
    assert dialog.public.isChecked() and not dialog.internal.isEnabled()
    assert not dialog.print_box.isVisibleTo(dialog) and not dialog.layer.isVisibleTo(dialog)
    assert dialog.output.text().endswith(".umap")
    dialog.output.setText(str(tmp_path / "carte.umap"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.result_path == tmp_path / "carte.umap"
    assert '"type": "umap"' in dialog.result_path.read_text(encoding="utf-8")
    dialog.format.setCurrentIndex(dialog.format.findData("gpkg"))
    assert dialog.internal.isEnabled() and dialog.layer.isVisibleTo(dialog)


def test_offline_dialog_estimates_before_downloading(qtbot, demo_project, settings):
    dialog = OfflineBasemapDialog(demo_project, settings)
    qtbot.addWidget(dialog)
    assert "tuiles, environ" in dialog.estimate_label.text() and dialog.state.text().startswith("non")
    before = dialog.estimate_label.text()
    dialog.zoom_max.setValue(17)
    assert dialog.estimate_label.text() != before and "la rue" in dialog.estimate_label.text()
    assert dialog.zooms() == range(11, 18)


def test_offline_dialog_downloads_from_the_wmts(qtbot, demo_project, settings, httpserver, no_blocking_dialogs):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), "white").save(buffer, format="PNG")
    httpserver.expect_request("/wmts").respond_with_data(buffer.getvalue(), content_type="image/png")
    dialog = OfflineBasemapDialog(demo_project, settings.replace(wmts_url=httpserver.url_for("/wmts")))
    qtbot.addWidget(dialog)
    dialog.zoom_min.setValue(11)
    dialog.zoom_max.setValue(12)
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    assert dialog.state.text().startswith("oui") and dialog.path.exists()
    assert "fonctionnera sans réseau" in no_blocking_dialogs[-1][1]


def test_export_dialog_offers_the_current_map_view(qtbot, demo_project, settings, tmp_path):
    from types import SimpleNamespace

    from PySide6.QtWidgets import QWidget

    main_window = QWidget()
    qtbot.addWidget(main_window)
    main_window.map = SimpleNamespace(is_ready=True, run_js=lambda code: "3.03,50.6,3.09,50.64")
    dialog = ExportDialog(Session(demo_project, settings), main_window)
    qtbot.addWidget(dialog)
    index = dialog.extent.findText("Vue actuelle de la carte")
    assert index > 0 and dialog.extent.itemData(index) == (3.03, 50.6, 3.09, 50.64)
    dialog.extent.setCurrentIndex(index)
    dialog.format.setCurrentIndex(dialog.format.findData("png"))
    dialog.output.setText(str(tmp_path / "vue.png"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.result_path == tmp_path / "vue.png" and dialog.result_path.stat().st_size > 10_000


def test_export_dialog_follows_the_session_until_closed(qtbot, demo_project, settings):
    session = Session(demo_project, settings)
    dialog = ExportDialog(session)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("gpkg"))
    assert dialog.layer.findData("recrutement_propose") < 0
    session.set_recommendation(object())  # a recommendation computed meanwhile: it may be exported
    assert dialog.layer.findData("recrutement_propose") >= 0
    dialog.reject()
    assert len(session.recommendation_changed) == 0  # closed: no longer listening


def test_export_dialog_bilan_checkbox_is_for_the_pdf(qtbot, demo_project, settings):
    dialog = ExportDialog(Session(demo_project, settings))
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
    dialog.bilan.setChecked(True)
    assert dialog.bilan.isEnabled() and dialog.options()["layout"].bilan
    dialog.format.setCurrentIndex(dialog.format.findData("xlsx"))
    assert not dialog.bilan.isEnabled() and not dialog.options()["layout"].bilan
