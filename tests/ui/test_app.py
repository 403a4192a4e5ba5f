"""Start-up choices (recovery, last project) and ``ambmap screenshot``."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

from ambmap.cli import main
from ambmap.config import Settings
from ambmap.project import Project
from ambmap.ui.app import _is_blank, choose_project
from ambmap.ui.user_state import pending_recovery, remember_project, write_recovery


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

    from ambmap.ui.app import log_to_file
    from ambmap.ui.dialogs import show_error

    settings = Settings.load()
    path = log_to_file(settings)
    try:
        show_error(None, KeyError("colonne"))
        assert str(path) in no_blocking_dialogs[-1][1]
        for handler in logging.getLogger("ambmap").handlers:
            handler.flush()
        assert "KeyError" in path.read_text(encoding="utf-8")
    finally:
        logger = logging.getLogger("ambmap")
        for handler in [h for h in logger.handlers if isinstance(h, logging.FileHandler)]:
            logger.removeHandler(handler)
            handler.close()
