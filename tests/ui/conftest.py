"""Qt fixtures for the window tests: one QApplication, one shared main window (or a fresh one), no blocking
dialog."""

from __future__ import annotations

import pytest

from ambmap.ui import qt_env

qt_env.configure()  # before pytest-qt creates the QApplication
from PySide6 import QtWebEngineWidgets  # noqa: E402,F401 - must be imported before the QApplication
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QDialog, QMessageBox  # noqa: E402

from ambmap.config import Settings  # noqa: E402
from ambmap.project import Project  # noqa: E402

MAP_TIMEOUT_MS = 30_000


@pytest.fixture(autouse=True)
def no_blocking_dialogs(monkeypatch):
    """Message boxes and dialogs return at once; what they would have said is kept in the list."""
    shown: list[tuple[str, str]] = []

    def record(kind, default):
        def box(parent, title, text, *args, **kwargs):
            shown.append((kind, text))
            return default

        return box

    monkeypatch.setattr(QMessageBox, "critical", record("critical", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "warning", record("warning", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "information", record("information", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "question", record("question", QMessageBox.StandardButton.No))
    icons = {
        QMessageBox.Icon.Critical: "critical",
        QMessageBox.Icon.Warning: "warning",
        QMessageBox.Icon.Information: "information",
        QMessageBox.Icon.Question: "question",
    }

    def box_exec(self):  # ambmap.ui.dialogs.message: a plain-text box, recorded like the static calls
        plain = self.textFormat() == Qt.TextFormat.PlainText
        shown.append((icons.get(self.icon(), "exec") if plain else "exec", self.text()))
        return QMessageBox.StandardButton.No.value if plain and self.icon() == QMessageBox.Icon.Question else 0

    monkeypatch.setattr(QMessageBox, "exec", box_exec)
    monkeypatch.setattr(QDialog, "exec", lambda self: shown.append(("dialog", self.windowTitle())) or 0)
    return shown


@pytest.fixture(scope="module")
def window_settings(tmp_path_factory) -> Settings:
    """Settings with private user directories (module fixtures run before the per-test isolation)."""
    home = tmp_path_factory.mktemp("window-home")
    return Settings(
        cache_dir=home / "cache", data_dir=home / "data", config_dir=home / "config", basemap="none", offline=True
    )


def wait_for(predicate, timeout_ms: int = MAP_TIMEOUT_MS) -> None:
    """Run the event loop until ``predicate()`` is true (usable in module-scoped fixtures)."""
    from PySide6.QtCore import QDeadlineTimer, QEventLoop
    from PySide6.QtWidgets import QApplication

    deadline = QDeadlineTimer(timeout_ms)
    while not predicate():
        if deadline.hasExpired():
            raise AssertionError(f"condition not reached in {timeout_ms} ms")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def wait_map(window) -> None:
    """Wait until the map page says every layer is drawn."""
    wait_for(lambda: window.map.is_ready)


def open_window(project: Project, settings: Settings, size: tuple[int, int] = (1300, 850)):
    """A main window on ``project``, shown at ``size`` with its map drawn; no autosave during a test."""
    from ambmap.ui.main_window import MainWindow

    window = MainWindow(project, settings)
    window.autosave_timer.stop()
    window.resize(*size)
    window.show()
    wait_map(window)
    return window


@pytest.fixture(scope="module")
def window(qapp, window_settings, _default_project_cache):
    """One main window on the demo project, shared by a test module (the map is drawn once)."""
    source = _default_project_cache
    project = Project(source.territory, [layer.copy() for layer in source.ordered_layers()], dict(source.options))
    win = open_window(project, window_settings)
    yield win
    close_window(win)


@pytest.fixture
def win(qapp, window_settings, demo_project, qtbot):
    """A fresh window per test (``window`` is shared by a module): edits and background work never leak
    into another test; it closes once the live coverage, « Et si ? » and redraws are done."""
    window = open_window(demo_project, window_settings)
    yield window
    qtbot.waitUntil(
        lambda: (
            window._live_task is None
            and window._what_if_task is None
            and window.map.is_ready
            and not window._live_timer.isActive()
            and not window._render_timer.isActive()
        ),
        timeout=30_000,
    )
    close_window(window)


def close_window(win) -> None:
    """Close and really delete a window: a web page left alive at exit crashes QtWebEngine."""
    from PySide6.QtCore import QCoreApplication, QEvent

    win.project.modified = False
    win.close()
    win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def write_empty_mbtiles(path, max_zoom: int) -> None:
    """A prepared offline basemap with no tile in it: enough for the map to be pointed at it."""
    import sqlite3

    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE metadata (name TEXT, value TEXT); CREATE TABLE tiles (zoom_level INTEGER, "
            "tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
            f"INSERT INTO metadata VALUES ('maxzoom', '{max_zoom}');"
        )
    db.close()
