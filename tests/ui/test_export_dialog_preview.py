"""The export dialog shows what will be written, remembers its choices and opens the export's folder."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")
pytest.importorskip("PySide6.QtPdf")

from PySide6.QtCore import QSize, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDesktopServices, QImage  # noqa: E402

from ambmap.config import Settings  # noqa: E402
from ambmap.session import Session  # noqa: E402
from ambmap.text import number  # noqa: E402
from ambmap.ui.export_dialog import PREVIEW_BOX, ExportDialog  # noqa: E402
from ambmap.ui.user_state import EXPORT_FILE  # noqa: E402

PREVIEW_MS = 120_000  # a loaded machine draws a page in seconds; the test waits, it never times


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", config_dir=tmp_path / "config", basemap="none"
    )


def _shown(qtbot, dialog: ExportDialog) -> ExportDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _wait_preview(qtbot, dialog: ExportDialog) -> QImage:
    qtbot.waitUntil(lambda: dialog.preview_state.text() == "Aperçu à jour.", timeout=PREVIEW_MS)
    return dialog.preview_image


def _banner_pixels(image: QImage) -> int:
    """Pixels of the internal mark's red (#b2182b, lightened at the edges), which no public page uses."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    colours = (image.pixelColor(x, y) for y in range(image.height()) for x in range(image.width()))
    return sum(c.red() > 150 and c.red() - c.green() > 80 and c.red() - c.blue() > 70 for c in colours)


def _pdf_page_one(path, box: QSize) -> QImage:
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument(None)
    assert document.load(str(path)) == QPdfDocument.Error.None_
    page = document.pagePointSize(0)
    scale = min(box.width() / page.width(), box.height() / page.height())
    image = document.render(0, QSize(round(page.width() * scale), round(page.height() * scale)))
    document.close()
    return image


def test_the_preview_is_page_one_of_the_export_and_follows_the_level(qtbot, demo_project, settings, tmp_path):
    from ambmap.export import export

    session = Session(demo_project, settings)
    dialog = _shown(qtbot, ExportDialog(session))
    dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
    public = _wait_preview(qtbot, dialog)
    assert public is not None and public.width() > public.height() > 100  # A4 landscape
    assert "Page 1 telle qu'elle sera écrite" in dialog.description.text()
    assert "Niveau public" in dialog.description.text() and "carreau de 200 m" in dialog.description.text()

    # the thumbnail IS the public file: page 1 of the exported PDF, drawn at the same size
    written = export(demo_project, "pdf", tmp_path / "public.pdf", layout=dialog.layout_options())
    box = QSize(
        round(PREVIEW_BOX.width() * dialog.devicePixelRatioF()),
        round(PREVIEW_BOX.height() * dialog.devicePixelRatioF()),
    )
    assert _pdf_page_one(written, box) == public

    dialog.internal.setChecked(True)
    internal = _wait_preview(qtbot, dialog)
    assert internal != public and _banner_pixels(internal) > _banner_pixels(public) + 20
    assert "Niveau interne" in dialog.description.text()

    dialog.layout_choice.setCurrentIndex(dialog.layout_choice.findData("a4-portrait"))
    portrait = _wait_preview(qtbot, dialog)
    assert portrait.height() > portrait.width()
    assert not list((tmp_path / "cache").rglob("apercu.pdf"))  # the page drawn was deleted, even internal


def test_the_preview_says_why_it_cannot_be_drawn(qtbot, demo_project, settings, tmp_path):
    dialog = _shown(qtbot, ExportDialog(Session(demo_project, settings)))
    dialog.logo.setText(str(tmp_path / "absent.png"))
    dialog.logo.editingFinished.emit()
    qtbot.waitUntil(lambda: dialog.preview_state.text().startswith("Aperçu impossible"), timeout=PREVIEW_MS)
    assert "Logo" in dialog.preview_state.text() and dialog.preview_image is None


def test_closing_stops_the_preview(qtbot, demo_project, settings):
    dialog = _shown(qtbot, ExportDialog(Session(demo_project, settings)))
    qtbot.waitUntil(lambda: dialog._preview_task is not None, timeout=PREVIEW_MS)  # drawing now
    task = dialog._preview_task
    dialog.reject()
    assert not task.is_running() and dialog._preview_task is None and dialog.preview_image is None


def test_other_formats_are_described_in_french(qtbot, demo_project, settings):
    dialog = ExportDialog(Session(demo_project, settings))
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("gpkg"))
    text = dialog.description.text()
    assert not dialog.preview.isVisibleTo(dialog)
    assert "QGIS" in text and "• Quartiers prioritaires (QPV) : 8" in text and "Zone couverte" in text
    assert "Zone de chaque ambassadeur" not in text and "« < 3 »" in text and "nom affiché, adresse" in text
    dialog.internal.setChecked(True)
    assert "Zone de chaque ambassadeur" in dialog.description.text()
    assert "Document interne — données personnelles" in dialog.description.text()
    dialog.format.setCurrentIndex(dialog.format.findData("geojson"))
    assert "Couche : Quartiers prioritaires (QPV) : 8" in dialog.description.text()
    dialog.format.setCurrentIndex(dialog.format.findData("umap"))
    assert "Zone couverte" in dialog.description.text() and "Population" not in dialog.description.text()
    dialog.format.setCurrentIndex(dialog.format.findData("html"))
    assert (
        "fond blanc" in dialog.description.text()
        and f"• Population (carreaux 200 m) : {number(1273)}" in dialog.description.text()
    )
    dialog.format.setCurrentIndex(dialog.format.findData("xlsx"))
    assert "8 QPV" in dialog.description.text() and "Part de la population couverte" in dialog.description.text()


def test_the_atlas_checkbox_asks_the_layout_for_one_page_per_qpv(qtbot, demo_project, settings):
    dialog = ExportDialog(Session(demo_project, settings))
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
    assert not dialog.options()["layout"].atlas
    dialog.atlas.setChecked(True)
    assert dialog.atlas.isEnabled() and dialog.options()["layout"].atlas
    assert "une page par QPV (8)" in dialog.description.text()
    dialog.bilan.setChecked(True)  # the bilan replaces the map pages: an A4 page of its own, no logo
    assert not dialog.atlas.isEnabled() and not dialog.options()["layout"].atlas
    assert not dialog.layout_choice.isEnabled() and not dialog.logo.isEnabled() and dialog.title.isEnabled()
    assert "bilan d'une page" in dialog.description.text()
    dialog.bilan.setChecked(False)
    dialog.format.setCurrentIndex(dialog.format.findData("png"))
    assert not dialog.atlas.isEnabled() and not dialog.options()["layout"].atlas


def test_choices_are_restored_when_the_dialog_opens_again(qtbot, demo_project, settings, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    logo = tmp_path / "logo.png"
    first = ExportDialog(Session(demo_project, settings))
    qtbot.addWidget(first)
    first.format.setCurrentIndex(first.format.findData("pdf"))
    first.internal.setChecked(True)
    first.layout_choice.setCurrentIndex(first.layout_choice.findData("a3-portrait"))
    first.extent.setCurrentIndex(first.extent.findData("QN059D01"))
    first.title.setText("Lille-Sud")
    first.subtitle.setText("Point d'étape")
    first.logo.setText(str(logo))
    first.table.setChecked(True)
    first.atlas.setChecked(True)
    first.output.setText(str(folder / "carte.pdf"))
    first.reject()

    again = ExportDialog(Session(demo_project, settings))
    qtbot.addWidget(again)
    assert again.choices() == first.choices()
    assert again.format.currentData() == "pdf" and again.public.isChecked()  # the level is chosen each time
    assert again.extent.currentData() == "QN059D01" and again.title.text() == "Lille-Sud"
    assert again.options()["layout"].atlas and again.options()["layout"].table
    assert again.output.text() == str(folder / "ambmap-Lille.pdf")

    # another project: the user's habits, not this project's QPV or titles
    demo_project.path = tmp_path / "autre-projet.gpkg"  # the same demo, saved under another file
    other = ExportDialog(Session(demo_project, settings))
    qtbot.addWidget(other)
    assert other.format.currentData() == "pdf" and other.layout_choice.currentData() == "a3-portrait"
    assert other.public.isChecked() and other.extent.currentData() == "territoire" and other.title.text() == ""
    assert other.logo.text() == str(logo) and other.atlas.isChecked()
    assert other.output.text() == str(folder / "ambmap-Lille.pdf")  # the last folder used


@pytest.mark.parametrize(
    "content",
    [
        "{",
        "[1, 2]",
        "[" * 100_000,
        json.dumps({"general": {"format": "exe", "table": "oui", "layout": 3}, "projects": []}),
    ],
)
def test_a_damaged_choices_file_gives_the_defaults(qtbot, demo_project, settings, content):
    (settings.config_dir).mkdir(parents=True, exist_ok=True)
    (settings.config_dir / EXPORT_FILE).write_text(content, encoding="utf-8")
    dialog = ExportDialog(Session(demo_project, settings))
    qtbot.addWidget(dialog)
    assert dialog.format.currentData() == "pdf" and dialog.public.isChecked() and not dialog.table.isChecked()
    dialog.reject()  # and the file is written again, whole
    assert json.loads((settings.config_dir / EXPORT_FILE).read_text(encoding="utf-8"))["general"]["format"] == "pdf"


def test_a_finished_export_offers_to_open_its_folder(
    qtbot, demo_project, settings, tmp_path, monkeypatch, no_blocking_dialogs
):
    opened: list[QUrl] = []
    answer = [True]
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or answer[0])
    dialog = ExportDialog(Session(demo_project, settings))
    qtbot.addWidget(dialog)
    assert not dialog.done_box.isVisibleTo(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    dialog.output.setText(str(tmp_path / "indicateurs.csv"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.done_box.isVisibleTo(dialog) and not no_blocking_dialogs
    assert "✓ Export enregistré (niveau public) : indicateurs.csv" in dialog.done_label.text()
    qtbot.mouseClick(dialog.open_folder_button, Qt.MouseButton.LeftButton)
    assert opened == [QUrl.fromLocalFile(str(tmp_path))]
    answer[0] = False  # no file manager on this computer: said, in French
    qtbot.mouseClick(dialog.open_folder_button, Qt.MouseButton.LeftButton)
    assert no_blocking_dialogs[-1] == ("warning", f"Le dossier « {tmp_path} » n'a pas pu être ouvert.")


def test_the_current_view_is_remembered_as_such_not_as_an_old_box(qtbot, demo_project, settings):
    from types import SimpleNamespace

    from PySide6.QtWidgets import QWidget

    window = QWidget()
    qtbot.addWidget(window)
    window.map = SimpleNamespace(is_ready=True, run_js=lambda code: "3.03,50.6,3.09,50.64")
    first = ExportDialog(Session(demo_project, settings), window)
    qtbot.addWidget(first)
    first.extent.setCurrentIndex(first.extent.findText("Vue actuelle de la carte"))
    first.reject()
    window.map = SimpleNamespace(is_ready=True, run_js=lambda code: "3.0,50.5,3.1,50.7")  # the map moved
    again = ExportDialog(Session(demo_project, settings), window)
    qtbot.addWidget(again)
    assert again.extent.currentData() == (3.0, 50.5, 3.1, 50.7)
    without_map = ExportDialog(Session(demo_project, settings))  # no map to ask: the whole territory
    qtbot.addWidget(without_map)
    assert without_map.extent.currentData() == "territoire"
