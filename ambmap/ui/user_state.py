"""What the window remembers between sessions: recent files, the recovery copy, the user's settings.

Kept out of Qt on purpose (plain JSON/TOML files in the user directories), so tests can read them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tomllib
from pathlib import Path

from ambmap.config import Settings
from ambmap.project import Project, write_project_file

log = logging.getLogger(__name__)
MAX_RECENT = 8
RECOVERY_NAME = "recuperation.gpkg"


# -- recent files -----------------------------------------------------------------------------------
def _recent_file(settings: Settings) -> Path:
    return settings.config_dir / "recent.json"


def recent_projects(settings: Settings) -> list[Path]:
    """Recently opened project files that still exist, most recent first."""
    try:
        paths = json.loads(_recent_file(settings).read_text(encoding="utf-8")).get("recent", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [Path(p) for p in paths if Path(p).exists()]


def remember_project(settings: Settings, path: Path) -> None:
    """Put ``path`` first in the recent list (it is also the project opened at next start).

    The window calls it only once the project's map was drawn, so a project that breaks the
    window is never the one reopened at the next start.
    """
    path = Path(path).resolve()
    paths = [path, *[p for p in recent_projects(settings) if p.resolve() != path]][:MAX_RECENT]
    target = _recent_file(settings)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            json.dumps({"recent": [str(p) for p in paths]}, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    except OSError:
        log.warning("liste des fichiers récents non enregistrée", exc_info=True)


def forget_project(settings: Settings, path: Path) -> None:
    """Take ``path`` out of the recent list (it could not be opened or drawn: not reopened at start)."""
    path = Path(path).resolve()
    paths = [p for p in recent_projects(settings) if p.resolve() != path]
    try:
        _recent_file(settings).write_text(
            json.dumps({"recent": [str(p) for p in paths]}, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    except OSError:
        log.warning("liste des fichiers récents non enregistrée", exc_info=True)


def last_project(settings: Settings) -> Path | None:
    recent = recent_projects(settings)
    return recent[0] if recent else None


# -- crash recovery ----------------------------------------------------------------------------------
def recovery_path(settings: Settings) -> Path:
    return settings.data_dir / RECOVERY_NAME


def write_recovery(project: Project, settings: Settings) -> Path:
    """Write a copy of the unsaved project beside a note of its real file; the project stays unsaved."""
    target = recovery_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    # one name per process: a second ambmap writing its own copy must not delete or replace this one
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp.gpkg")
    tmp.unlink(missing_ok=True)
    write_project_file(project, tmp)
    os.replace(tmp, target)
    note = {
        "path": str(project.path) if project.path else None,
        "time": dt.datetime.now().isoformat(timespec="seconds"),
        # the fingerprint of the file the edits started from: saving the recovery then still
        # refuses to replace a file someone else changed since
        "on_disk": [str(project.on_disk[0]), project.on_disk[1]] if project.on_disk else None,
    }
    target.with_suffix(".json").write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")
    return target


def pending_recovery(settings: Settings) -> dict | None:
    """The recovery copy left by a session that did not close cleanly: ``{"file", "path", "time"}``."""
    target = recovery_path(settings)
    if not target.exists():
        return None
    try:
        note = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        note = {}
    return {"file": target, "path": note.get("path"), "time": note.get("time", ""), "on_disk": note.get("on_disk")}


def load_recovery(settings: Settings) -> Project:
    """The recovered project, bound to its original file (or none) and marked as unsaved."""
    info = pending_recovery(settings)
    project = Project.load(info["file"])
    project.path = Path(info["path"]) if info.get("path") else None
    on_disk = info.get("on_disk")
    project.on_disk = (Path(on_disk[0]), str(on_disk[1])) if isinstance(on_disk, list) and len(on_disk) == 2 else None
    project.modified = True
    return project


def clear_recovery(settings: Settings) -> None:
    target = recovery_path(settings)
    target.unlink(missing_ok=True)
    target.with_suffix(".json").unlink(missing_ok=True)


# -- user settings -----------------------------------------------------------------------------------
def config_file() -> Path:
    """Where Settings.load reads the user's settings (same rule as ambmap.config)."""
    from ambmap.config import _user_dir

    return Path(os.environ.get("AMBMAP_CONFIG", _user_dir("config") / "config.toml"))


def save_user_settings(settings: Settings, **changes) -> Settings:
    """Write ``changes`` into the user's config.toml (keeping its other keys); return the new Settings."""
    path = config_file()
    values: dict = {}
    if path.exists():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            log.warning("config.toml illisible, réécrit", exc_info=True)
    values.update(changes)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key} = {_toml_value(value)}\n" for key, value in values.items()), encoding="utf-8")
    return settings.replace(**changes)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


# -- export dialog choices ----------------------------------------------------------------------------
EXPORT_FILE = "export.json"
#: every remembered choice of the export dialog and its type (a hand-edited file may hold anything)
EXPORT_CHOICES = {
    "format": str,
    "layout": str,
    "extent": str,
    "title": str,
    "subtitle": str,
    "logo": str,
    "table": bool,
    "bilan": bool,
    "atlas": bool,
    "folder": str,
}
#: the choices that belong to one project (its QPV, its titles); the others are the user's habits, shared
#: by every project; the folder is both (the project's own first, else the last one used). The level is
#: never remembered: every export starts public, the internal level is chosen each time (privacy by default)
PROJECT_ONLY = ("extent", "title", "subtitle")
PROJECT_CHOICES = (*PROJECT_ONLY, "folder")
MAX_EXPORT_PROJECTS = 30


def export_key(project: Project) -> str:
    """The name a project's export choices are kept under: its file, else (unsaved) its name."""
    return str(Path(project.path).resolve()) if project.path else f"sans fichier : {project.name}"


def _export_file(settings: Settings) -> Path:
    return settings.config_dir / EXPORT_FILE


def _read_export_file(settings: Settings) -> dict:
    try:
        saved = json.loads(_export_file(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return saved if isinstance(saved, dict) else {}


def _typed(values) -> dict:
    if not isinstance(values, dict):
        return {}
    return {key: value for key, value in values.items() if type(value) is EXPORT_CHOICES.get(key)}


def export_choices(settings: Settings, key: str) -> dict:
    """The export dialog's last choices for the project ``key``: the user's, overlaid by the project's.

    Only known keys of the right type come back; the dialog still checks each value against what
    it offers now (a QPV code from another year, a removed layout)."""
    saved = _read_export_file(settings)
    projects = saved.get("projects")
    own = _typed(projects.get(key)) if isinstance(projects, dict) else {}
    return _typed(saved.get("general")) | {name: value for name, value in own.items() if name in PROJECT_CHOICES}


def remember_export_choices(settings: Settings, key: str, choices: dict) -> None:
    """Keep ``choices`` for the next export dialog: the project's under ``key`` (the last
    :data:`MAX_EXPORT_PROJECTS` projects), the others for every project."""
    choices = _typed(choices)
    saved = _read_export_file(settings)
    general = _typed(saved.get("general")) | {k: v for k, v in choices.items() if k not in PROJECT_ONLY}
    projects = saved.get("projects") if isinstance(saved.get("projects"), dict) else {}
    projects.pop(key, None)  # then put back last: the most recent projects are kept
    projects[key] = {k: v for k, v in choices.items() if k in PROJECT_CHOICES}
    projects = dict(list(projects.items())[-MAX_EXPORT_PROJECTS:])
    target = _export_file(settings)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(
            json.dumps({"general": general, "projects": projects}, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)
        log.warning("choix d'export non enregistrés", exc_info=True)
