"""What ambmap keeps outside project files while it runs: the error log and private temporary folders.

Temporary map pages hold personal data (ambassadors' homes at the internal level), so they live in
private folders (mode 0700) under ``<cache>/temp``, removed at exit; a killed run leaves them, and its
half-written project saves (``.<nom>.xxxxxxxx.tmp.gpkg``), save locks and exports (``.<nom>.partiel-<pid>.<ext>``),
behind: :func:`clean_leftovers` removes those at the next start. Only exact temporary names, and only
old enough ones, are ever deleted, so that a user's own file or another running ambmap is never touched.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable
from logging.handlers import RotatingFileHandler
from pathlib import Path

from ambmap.config import Settings

log = logging.getLogger(__name__)
LOG_NAME = "ambmap.log"
TEMP_DIR = "temp"
#: a temporary file younger than this may belong to a save or an export still running
MIN_AGE_S = 15 * 60.0
#: a private folder whose process cannot be checked is removed past this age
MAX_DIR_AGE_S = 2 * 86400.0
EXPORT_SUFFIXES = "pdf|png|html|gpkg|geojson|xlsx|csv"
_SQLITE_SIDE = r"(-journal|-wal|-shm)?"  # GDAL's and SQLite's side files of a GeoPackage being written
_made: list[Path] = []


# -- the error log ----------------------------------------------------------------------------------
def log_to_file(settings: Settings) -> Path | None:
    """Write errors (ERROR level, with their traceback) to ``ambmap.log`` in the user log folder.

    One such file handler per process: a new log folder replaces the previous one.
    """
    path = Path(settings.log_dir) / LOG_NAME
    logger = logging.getLogger("ambmap")
    for handler in [h for h in logger.handlers if isinstance(h, logging.FileHandler)]:
        if Path(handler.baseFilename) == path:
            return path
        logger.removeHandler(handler)
        handler.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=2, encoding="utf-8", delay=True)
    except OSError:
        log.info("journal %s impossible à ouvrir", path, exc_info=True)
        return None
    handler.setLevel(logging.ERROR)  # bugs only: expected errors name user data (files, addresses)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    return path


def log_path() -> Path | None:
    """The log file errors currently go to (None when none was opened)."""
    for handler in logging.getLogger("ambmap").handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


# -- private temporary folders ----------------------------------------------------------------------
def temp_root(settings: Settings) -> Path:
    """``<cache>/temp``, readable by the user only."""
    root = Path(settings.cache_dir) / TEMP_DIR
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(root.stat().st_mode) != 0o700:
        root.chmod(0o700)
    return root


def private_dir(settings: Settings, kind: str) -> Path:
    """A new folder ``<kind>-<pid>-xxxx`` (mode 0700) removed when the process ends.

    In the system's temporary folder when the cache folder cannot be written (the map must still open).
    """
    prefix = f"{kind}-{os.getpid()}-"
    try:
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=temp_root(settings)))
    except OSError:
        log.warning("dossier temporaire privé impossible dans %s", settings.cache_dir, exc_info=True)
        path = Path(tempfile.mkdtemp(prefix=f"ambmap-{prefix}"))
    _made.append(path)
    return path


def remove_private_dirs() -> None:
    """Remove this process's private folders (at exit, and when the application quits)."""
    while _made:
        shutil.rmtree(_made.pop(), ignore_errors=True)


atexit.register(remove_private_dirs)


# -- leftovers of a killed run ----------------------------------------------------------------------
def clean_leftovers(settings: Settings, project_paths: Iterable[Path] = ()) -> list[Path]:
    """Remove what a killed ambmap left behind; returns what was removed.

    Looks in the private temporary root, the data folder (recovery copy being written, offline
    basemap being downloaded) and beside each of ``project_paths`` (the recent projects).
    """
    removed: list[Path] = []
    root = Path(settings.cache_dir) / TEMP_DIR
    if root.is_dir():
        for path in root.iterdir():
            match = re.fullmatch(r"[a-z]+-(\d+)-\w+", path.name)
            if match and path.is_dir() and not path.is_symlink() and _dead(int(match.group(1)), path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    data = Path(settings.data_dir)
    patterns = [
        (data, rf"\.recuperation\.(\d+\.)?tmp\.gpkg{_SQLITE_SIDE}", MIN_AGE_S),
        (data / "fonds", rf"plan-ign-[A-Za-z0-9_-]+\.mbtiles\.partiel{_SQLITE_SIDE}", 86400.0),
    ]
    for project in project_paths:
        project = Path(project)
        stem = re.escape(project.stem)
        patterns += [
            (project.parent, rf"\.{stem}\.[a-z0-9_]{{8}}\.tmp\.gpkg{_SQLITE_SIDE}", MIN_AGE_S),
            (project.parent, rf"\.{re.escape(project.name)}\.verrou", MIN_AGE_S),
            (project.parent, rf"\..+\.partiel-\d+\.({EXPORT_SUFFIXES}){_SQLITE_SIDE}", MIN_AGE_S),
        ]
    seen: set[tuple[Path, str]] = set()
    for folder, pattern, min_age in patterns:
        if (folder, pattern) in seen or not folder.is_dir():
            continue
        seen.add((folder, pattern))
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = folder / name
            if re.fullmatch(pattern, name) and _old_file(path, min_age):
                try:
                    path.unlink()
                    removed.append(path)
                except OSError:
                    log.warning("fichier temporaire %s impossible à supprimer", path, exc_info=True)
    for path in removed:
        log.info("fichier temporaire d'une session interrompue supprimé : %s", path)
    return removed


def _old_file(path: Path, min_age: float) -> bool:
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and time.time() - info.st_mtime > min_age


def _dead(pid: int, path: Path) -> bool:
    """True when the process that made ``path`` has ended (or, where that cannot be checked, it is old)."""
    if pid == os.getpid():
        return False
    if os.name == "posix":
        try:
            os.kill(pid, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return True
        except PermissionError:
            return False  # a process of another user: not ours
    try:
        return time.time() - path.stat().st_mtime > MAX_DIR_AGE_S
    except OSError:
        return False
