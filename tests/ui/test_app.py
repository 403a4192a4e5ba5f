"""Start-up choices (recovery, last project) and ``ambmap screenshot``."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

from ambmap.cli import main
from ambmap.config import Settings
from ambmap.project import Project
from ambmap.ui.app import _is_blank, choose_project, open_window
from ambmap.ui.user_state import last_project, pending_recovery, recent_projects, remember_project, write_recovery

from .conftest import close_window, wait_for, wait_map


def test_a_crash_recovery_is_offered_back_at_start(qapp, demo_project, tmp_path, monkeypatch):
    settings = Settings.load()
    demo_project.path = tmp_path / "mon-projet.gpkg"
    demo_project.layers["qpv"].title = "QPV modifiés"
    write_recovery(demo_project, settings)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    project = choose_project(settings, None)
    assert project.layers["qpv"].title == "QPV modifiés"
    assert project.path == tmp_path / "mon-projet.gpkg" and project.modified


def test_a_refused_recovery_is_removed_and_the_last_project_opens(qapp, demo_project, tmp_path, no_blocking_dialogs):
    settings = Settings.load()
    saved = demo_project.save(tmp_path / "dernier.gpkg")
    remember_project(settings, saved)
    write_recovery(demo_project, settings)
    project = choose_project(settings, None)  # the patched question answers « Non »
    assert pending_recovery(settings) is None
    assert project.path == saved and not project.modified


def test_without_history_the_demo_opens(qapp):
    assert choose_project(Settings.load(), None).is_demo


def test_screenshot_command_draws_the_whole_window(qapp, tmp_path, capsys):
    target = tmp_path / "capture.png"
    code = main(["screenshot", "--output", str(target), "--size", "1000x700", "--filter", "pharmacie", "--edit"])
    assert code == 0 and "Capture enregistrée" in capsys.readouterr().out
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1000, 700)
    assert not _is_blank(image)


def test_screenshot_refuses_a_bad_size(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["screenshot", "--output", str(tmp_path / "x.png"), "--size", "grand"])
    assert info.value.code == 2
    assert "LARGEURxHAUTEUR" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_unexpected_errors_point_at_the_log_file(qapp, no_blocking_dialogs):
    import logging

    from ambmap.runtime import log_to_file
    from ambmap.ui.dialogs import show_error

    settings = Settings.load()
    path = log_to_file(settings)
    assert path == settings.log_dir / "ambmap.log"
    try:
        try:
            {}["colonne"]
        except KeyError as e:
            show_error(None, e)
        assert str(path) in no_blocking_dialogs[-1][1]
        for handler in logging.getLogger("ambmap").handlers:
            handler.flush()
        text = path.read_text(encoding="utf-8")
        assert "ERROR" in text and "Traceback" in text and "KeyError" in text
    finally:
        logger = logging.getLogger("ambmap")
        for handler in [h for h in logger.handlers if isinstance(h, logging.FileHandler)]:
            logger.removeHandler(handler)
            handler.close()


# -- start-up is never bricked (issue 9, point 5) ---------------------------------------------------
def test_a_project_is_remembered_only_once_its_map_is_drawn(qapp, demo_project, tmp_path):
    settings = Settings.load()
    path = demo_project.save(tmp_path / "dessine.gpkg")
    window = open_window(settings, path)
    try:
        assert last_project(settings) is None  # not drawn yet
        wait_map(window)
        wait_for(lambda: last_project(settings) is not None)
        assert last_project(settings) == path.resolve()
    finally:
        close_window(window)


def test_a_last_project_that_cannot_be_drawn_gives_the_demo_and_a_message(
    qapp, demo_project, tmp_path, monkeypatch, no_blocking_dialogs
):
    from ambmap.ui import map_view

    settings = Settings.load()
    bad = demo_project.save(tmp_path / "casse-la-carte.gpkg")
    remember_project(settings, bad)
    real = map_view.write_map_html

    def failing(project, *args, **kwargs):
        if project.path == bad:
            raise ValueError("modèle de page invalide")
        return real(project, *args, **kwargs)

    monkeypatch.setattr(map_view, "write_map_html", failing)
    window = open_window(settings, None)
    try:
        assert window.project.is_demo and window.project.path is None
        message = no_blocking_dialogs[-1][1]
        assert str(bad) in message and "modèle de page invalide" in message and "démonstration" in message
        assert bad not in recent_projects(settings)  # the next start opens the demo without a message
        wait_map(window)
        assert last_project(settings) is None
    finally:
        close_window(window)


def test_a_last_project_that_cannot_be_read_gives_the_demo_and_names_the_file(qapp, tmp_path, no_blocking_dialogs):
    settings = Settings.load()
    broken = tmp_path / "abime.gpkg"
    broken.write_bytes(b"pas un GeoPackage" * 100)
    remember_project(settings, broken)
    project = choose_project(settings, None)
    assert project.is_demo
    assert str(broken) in no_blocking_dialogs[-1][1] and "démonstration" in no_blocking_dialogs[-1][1]
    assert last_project(settings) is None and broken.read_bytes().startswith(b"pas un")


# -- concurrent writers (issue 9, point 7) ----------------------------------------------------------
def test_a_save_refused_because_of_another_writer_offers_save_as(qapp, demo_project, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    path = demo_project.save(tmp_path / "partage.gpkg")
    window = open_window(Settings.load(), path)
    try:
        other = Project.load(path)
        other.layer("qpv").title = "Changé ailleurs"
        other.save()
        window.project.layer("poles").title = "Changé ici"
        asked = []
        monkeypatch.setattr(
            QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes
        )
        copy = tmp_path / "partage-copie.gpkg"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(copy), ""))
        assert window.save()
        assert "le projet a été modifié ailleurs" in asked[0]
        assert Project.load(path).layer("qpv").title == "Changé ailleurs"  # the other writer's work is kept
        assert Project.load(copy).layer("poles").title == "Changé ici"  # and so is ours
        assert window.project.path == copy and not window.project.modified
    finally:
        close_window(window)


# -- temporary map pages (issue 9, point 4) ---------------------------------------------------------
def test_map_pages_live_in_a_private_folder_removed_with_the_map(qapp, demo_project):
    import stat

    from PySide6.QtCore import QCoreApplication, QEvent

    from ambmap.ui.map_view import MapView

    settings = Settings.load()
    view = MapView(settings=settings)
    page = view.show_project(demo_project)
    folder = page.parent
    assert folder.parent == settings.cache_dir / "temp"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not folder.exists()


def test_a_screenshot_of_a_map_that_cannot_be_drawn_fails_in_french_without_a_dialog(
    qapp, demo_project, tmp_path, monkeypatch, capsys, no_blocking_dialogs
):
    from ambmap.ui import map_view

    path = demo_project.save(tmp_path / "casse.gpkg")
    monkeypatch.setattr(map_view, "write_map_html", lambda *a, **k: (_ for _ in ()).throw(ValueError("gabarit")))
    assert main(["screenshot", "--project", str(path), "--output", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert "La carte n'a pas pu être dessinée (ValueError : gabarit) : capture impossible." in err
    assert not no_blocking_dialogs and not (tmp_path / "x.png").exists()


def test_map_pages_do_not_count_as_downloads_in_the_status_bar(tmp_path):
    from ambmap.ui.main_window import cache_age_text

    pages = tmp_path / "cache" / "temp" / "carte-1-abc"
    pages.mkdir(parents=True)
    (pages / "carte-1.html").write_text("<html></html>")
    assert cache_age_text(tmp_path / "cache") == "Cache : vide"
