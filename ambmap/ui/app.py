"""Start the window (``ambmap``) or render it to a PNG (``ambmap screenshot``).

Which project opens: the one asked for, else a recovery copy left by a crash (if the user takes it
back), else the last project opened, else the bundled Lille demonstration territory. Start-up is never
bricked: a project that cannot be opened or drawn gives the demo and a French message naming the file,
and a project becomes « the last one » only once its map was drawn (see MainWindow._on_map_ready).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from ambmap.config import Settings
from ambmap.errors import AmbmapError
from ambmap.project import Project
from ambmap.runtime import clean_leftovers, log_to_file, remove_private_dirs
from ambmap.ui.qt_env import ensure_app

log = logging.getLogger(__name__)


def choose_project(settings: Settings, project_path: str | Path | None, parent=None) -> Project:
    """The project to open at start-up (see the module docstring); errors fall back to the demo."""
    from PySide6.QtWidgets import QMessageBox

    from ambmap.ui.dialogs import show_error
    from ambmap.ui.user_state import clear_recovery, forget_project, last_project, load_recovery, pending_recovery

    if project_path:
        return Project.load(project_path)
    recovery = pending_recovery(settings)
    if recovery is not None:
        answer = QMessageBox.question(
            parent,
            "Récupération",
            "ambmap ne s'est pas fermé normalement"
            + (
                f" (dernière sauvegarde de secours : {recovery['time'].replace('T', ' à ')})"
                if recovery["time"]
                else ""
            )
            + ".\nRouvrir les modifications non enregistrées ?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer == QMessageBox.StandardButton.Yes:
            try:
                return load_recovery(settings)
            except AmbmapError as e:
                show_error(parent, e)
        clear_recovery(settings)
    last = last_project(settings)
    if last is not None:
        try:
            return Project.load(last)
        except Exception as e:  # whatever the file holds, the window opens
            log.error("dernier projet illisible : %s", last, exc_info=not isinstance(e, AmbmapError))
            forget_project(settings, last)
            reason = e.message if isinstance(e, AmbmapError) else f"{type(e).__name__} : {e}"
            show_error(
                parent,
                AmbmapError(
                    f"Le dernier projet ouvert, « {last} », n'a pas pu être rouvert ({reason}).\n"
                    "Le territoire de démonstration est affiché à la place ; le fichier "
                    "n'a pas été modifié."
                ),
            )
    return Project.default()


def open_window(settings: Settings, project_path: str | Path | None = None):
    """The main window on the start-up project; any failure to open it gives the demo and a message."""
    from ambmap.ui.dialogs import show_error
    from ambmap.ui.main_window import MainWindow

    try:
        project = choose_project(settings, project_path)
    except Exception as e:  # never a start-up that cannot start
        log.error("projet de départ illisible", exc_info=not isinstance(e, AmbmapError))
        reason = e.message if isinstance(e, AmbmapError) else f"{type(e).__name__} : {e}"
        show_error(
            None,
            AmbmapError(
                f"Le projet « {project_path} » n'a pas pu être ouvert ({reason}).\n"
                "Le territoire de démonstration est affiché à la place."
            ),
        )
        project = Project.default()
    return MainWindow(project, settings)  # a map that cannot be drawn falls back to the demo too


def start_up_cleaning(settings: Settings) -> None:
    """Remove what a killed run left behind and the geocoding answers kept by an older version."""
    from ambmap.sources.geocoding import forget_geocoding_cache
    from ambmap.ui.user_state import recent_projects

    try:
        clean_leftovers(settings, recent_projects(settings))
        forget_geocoding_cache(settings)
    except Exception:  # cleaning never prevents the start
        log.exception("nettoyage au démarrage impossible")


def _log_uncaught(kind, error, trace) -> None:
    """Errors escaping a Qt slot: written to the log with their traceback, shown in French."""
    if not issubclass(kind, Exception):
        return sys.__excepthook__(kind, error, trace)
    from PySide6.QtWidgets import QApplication

    from ambmap.ui.dialogs import show_error

    show_error(QApplication.activeWindow(), error)  # logs a bug at ERROR level, with its traceback


def run_gui(settings: Settings, project_path: str | Path | None = None) -> int:
    """Open the main window and run the event loop; the exit code of the application."""
    from ambmap.ui.main_window import window_state

    log_to_file(settings)
    app = ensure_app()
    sys.excepthook = _log_uncaught
    start_up_cleaning(settings)
    window = open_window(settings, project_path)
    geometry = window_state(settings).value("window/geometry")
    if geometry is None or not window.restoreGeometry(geometry):
        fit_to_screen(window)
    window.show()
    code = app.exec()
    _delete_now(window)
    remove_private_dirs()
    return code


def fit_to_screen(window) -> None:
    """A first start: the window's size within the screen's free area (maximised on a laptop screen)."""
    from PySide6.QtCore import Qt

    screen = window.screen().availableGeometry()
    if screen.width() < window.width() or screen.height() < window.height():
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
        window.resize(screen.size())  # the size the docks are laid out for, before the window manager's


def _delete_now(window) -> None:
    """Delete the window now: a web page still alive when the application ends crashes QtWebEngine."""
    from PySide6.QtCore import QCoreApplication, QEvent

    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


# -- screenshot ------------------------------------------------------------------------------------
def _is_blank(image) -> bool:
    """True while the map area is still one flat colour (page not painted yet)."""
    colours = set()
    width, height = image.width(), image.height()
    for i in range(1, 24):
        for j in range(1, 24):
            colours.add(image.pixel(width * i // 24, height * j // 24))
            if len(colours) > 12:
                return False
    return True


def wait_until_drawn(window, timeout: float = 60.0) -> None:
    """Wait for the map's ``map_ready`` and until a grab of the map is not blank."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    if not window.map.is_ready:
        loop = QEventLoop()
        window.map.map_ready.connect(loop.quit)
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        loop.exec()
        window.map.map_ready.disconnect(loop.quit)
    if not window.map.is_ready:
        raise AmbmapError(f"La carte ne s'est pas affichée en {timeout:g} s : capture impossible.")
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if not _is_blank(window.map.grab().toImage()):
            break
        time.sleep(0.1)
    else:
        raise AmbmapError("La carte est restée blanche : capture impossible (affichage graphique indisponible ?).")
    end = time.monotonic() + 0.8  # let marker clusters and fonts settle
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.05)


def _with_feature_form(window, image):
    """Paint the form a click on the map opens in edit mode over the window's image, near the map centre."""
    from PySide6.QtCore import QPoint, QRect, QSize, Qt
    from PySide6.QtGui import QColor, QPainter

    from ambmap.ui.feature_form import FeatureForm

    lat, lon, _ = window.map.current_view() or (50.63, 3.06, 13)
    form = FeatureForm(window.project, lat, lon, window)
    form.form().editors["name"].setText("Pôle Ressources Santé (nouveau)")
    form.adjustSize()
    picture = form.grab()
    form.deleteLater()  # never shown: only its picture is used
    bar = 28  # a title bar like the window manager's, so the form reads as a dialog
    centre = window.map.mapTo(window, window.map.rect().center())
    top_left = centre - QPoint(picture.width() // 2, (picture.height() + bar) // 2)
    painter = QPainter(image)
    frame = QRect(top_left, QSize(picture.width(), picture.height() + bar))
    painter.fillRect(frame.adjusted(3, 3, 3, 3), QColor(0, 0, 0, 60))
    painter.fillRect(QRect(top_left, QSize(picture.width(), bar)), QColor("#3b4252"))
    painter.setPen(QColor("white"))
    painter.drawText(QRect(top_left, QSize(picture.width(), bar)), Qt.AlignmentFlag.AlignCenter, form.windowTitle())
    painter.drawPixmap(top_left + QPoint(0, bar), picture)
    painter.setPen(QColor("#3b4252"))
    painter.drawRect(frame.adjusted(0, 0, -1, -1))
    painter.end()
    return image


def take_screenshot(
    settings: Settings,
    output: str | Path,
    *,
    project_path: str | Path | None = None,
    size: tuple[int, int] = (1600, 1000),
    category: str | None = None,
    edit: bool = False,
    timeout: float = 60.0,
) -> Path:
    """Render the main window with the map fully drawn and save it as a PNG at ``output``."""
    ensure_app(headless=True)
    from ambmap.layers import CATEGORIES
    from ambmap.ui.main_window import MainWindow

    project = Project.load(project_path) if project_path else Project.default()
    if category is not None:
        if category not in CATEGORIES:
            raise AmbmapError(f"Catégorie « {category} » inconnue (catégories : {', '.join(CATEGORIES)}).")
        project.layer("resources").set_style(categories=[category])
    window = MainWindow(project, settings, fallback_to_demo=False)
    window.autosave_timer.stop()
    if category is not None:
        window.layer_panel.select_layer("resources")
        window.table.show_layer("resources")
        window.table.search.setText(category)
    if edit:
        window.set_edit_mode(True)
        window.table.show_layer("poles")
    window.resize(*size)
    window.show()
    try:
        if window.draw_error is not None:
            error = window.draw_error
            reason = error.message if isinstance(error, AmbmapError) else f"{type(error).__name__} : {error}"
            raise AmbmapError(f"La carte n'a pas pu être dessinée ({reason}) : capture impossible.") from error
        wait_until_drawn(window, timeout)
        image = window.grab()
        if edit:
            image = _with_feature_form(window, image)
        output = Path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(output), "PNG"):
            raise AmbmapError(f"Impossible d'écrire l'image « {output} » : vérifiez le dossier et les droits.")
    finally:
        window.project.modified = False  # nothing to save: close without asking
        window.close()
        _delete_now(window)
    return output
