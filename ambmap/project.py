"""The Project: the layers and settings of one territory, saved as one GeoPackage.

The file holds one table per layer plus an ``ambmap_metadata`` attribute table (territory, project
options, each layer's title, style, visibility and provenance), so it opens in any GIS software. Saving
writes a temporary file beside the target and renames it: a crash mid-save never harms the old file.
Two windows or processes saving the same file never silently drop each other's work: the file's
fingerprint (SHA-256) is taken when it is read, and a save refuses to replace a file whose fingerprint
changed since; the check and the rename happen under a lock file, so two saves cannot interleave.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
from psygnal import Signal

from ambmap.errors import Problem, ProjectConflictError, ProjectFileError, ProjectWriteError, ValidationError, os_reason
from ambmap.io.text import strip_controls
from ambmap.layers import SCHEMAS, Layer
from ambmap.layers.base import radius_problem
from ambmap.layers.importable import importable

FORMAT_VERSION = 1
METADATA_TABLE = "ambmap_metadata"
#: Rows an import could not place (no coordinates, address not found, offline), kept as text until
#: placed by a click or geocoded (see ``ambmap.imports``): not a layer, so no analysis or export sees them.
TO_PLACE_TABLE = "a_placer"
DEMO_LABEL = "Données de démonstration"
GEODATA_DIR = Path(os.environ.get("AMBMAP_GEODATA", Path(__file__).resolve().parent.parent / "geodata"))
DEFAULT_PROJECT = GEODATA_DIR / "lille_demo.gpkg"
LOCK_WAIT_S = 15.0  # a save holds the lock for the check and the rename only: milliseconds
STALE_LOCK_S = 120.0  # a lock older than this was left by a killed save


class Project:
    """Layers of one territory plus project options; emits ``changed(kind)`` when a layer changes."""

    changed = Signal(str)

    def __init__(
        self,
        territory: dict[str, Any],
        layers: list[Layer] | None = None,
        options: dict[str, Any] | None = None,
        path: Path | None = None,
    ):
        self.territory = dict(territory)  # code, kind ("commune"/"epci"), name
        self.options: dict[str, Any] = dict(options or {})
        self.path = Path(path) if path else None
        self.layers: dict[str, Layer] = {}
        self.modified = False
        self.notes: list[Problem] = []  # what reading the file mended (see :func:`read_project_file`)
        self.to_place = pd.DataFrame()  # rows « à placer », all text (:data:`TO_PLACE_TABLE`)
        #: (file, SHA-256) of the project file as last read or written; None when not read from a file
        self.on_disk: tuple[Path, str | None] | None = None
        for layer in layers or []:
            self.set_layer(layer, mark_modified=False)

    # -- layers ---------------------------------------------------------------------------------
    def layer(self, kind: str) -> Layer:
        """The layer of ``kind``, created empty if the project has none yet."""
        if kind not in self.layers:
            self.set_layer(Layer(SCHEMAS[kind]), mark_modified=False)
        return self.layers[kind]

    def set_layer(self, layer: Layer, mark_modified: bool = True) -> None:
        old = self.layers.get(layer.kind)
        if old is not None:
            old.changed.disconnect(self._on_layer_changed)
        self.layers[layer.kind] = layer
        layer.changed.connect(self._on_layer_changed)
        if mark_modified:
            self.modified = True
        self.changed.emit(layer.kind)

    def _on_layer_changed(self, what: str) -> None:
        if what == "data":
            self.modified = True
        # psygnal gives the emitting instance: report which layer changed
        sender = Signal.sender()
        self.changed.emit(getattr(sender, "kind", what))

    def set_to_place(self, rows: pd.DataFrame) -> None:
        """Replace the rows « à placer »; emits ``changed("a_placer")``."""
        self.to_place = rows.reset_index(drop=True)
        self.modified = True
        self.changed.emit(TO_PLACE_TABLE)

    def ordered_layers(self) -> list[Layer]:
        """Layers in drawing order (bottom first)."""
        return [self.layers[k] for k in SCHEMAS if k in self.layers]

    @property
    def is_demo(self) -> bool:
        """True while any layer still comes from the bundled demonstration dataset."""
        return any(layer.provenance.get("demo") for layer in self.layers.values() if len(layer))

    @property
    def name(self) -> str:
        return self.territory.get("name") or self.territory.get("code", "")

    def summary(self) -> dict[str, Any]:
        """What ``ambmap info`` prints: territory, counts (and rows « à placer »), demo flag and provenance."""
        return {
            "territory": self.territory,
            "path": str(self.path) if self.path else None,
            "demo": self.is_demo,
            "counts": {kind: len(layer) for kind, layer in self.layers.items()},
            "to_place": len(self.to_place),
            "provenance": {kind: layer.provenance for kind, layer in self.layers.items()},
        }

    # -- file -----------------------------------------------------------------------------------
    def save(self, path: Path | str | None = None) -> Path:
        """Write the project atomically to ``path`` (default: where it was loaded from).

        Parameters
        ----------
        path
            The GeoPackage to write; None for the file the project was loaded from or last saved to.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        ProjectConflictError
            ``path`` is the file this project was read from and someone else saved it since; nothing replaced.
        ProjectWriteError
            The file could not be written; the previous file is untouched.
        """
        target = Path(path or self.path or "")
        if not str(target) or target.is_dir():
            raise ProjectFileError("Choisissez un nom de fichier pour enregistrer le projet.")
        target = gpkg_path(target)
        tmp = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp.gpkg", dir=target.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            tmp.unlink()
            write_project_file(self, tmp)
            add_file_tables(self, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            digest = file_digest(tmp)
            with _save_lock(target):
                self._check_unchanged(target)
                os.replace(tmp, target)
        except (OSError, RuntimeError) as e:  # RuntimeError: GDAL's write errors (pyogrio), e.g. a full disk
            reason = os_reason(e) if isinstance(e, OSError) else "écriture refusée"
            raise ProjectWriteError(
                f"Impossible d'enregistrer le projet dans « {target} » ({reason}). "
                "Vérifiez l'espace disque et les droits d'écriture ; "
                "l'ancien fichier n'a pas été modifié."
            ) from e
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
        self.path = target
        self.on_disk = (target.resolve(), digest)
        self.modified = False
        return target

    def _check_unchanged(self, target: Path) -> None:
        """Refuse to replace the file this project was read from if it changed on disk since."""
        if self.on_disk is None or target.resolve() != self.on_disk[0]:
            return  # a new file, or « Enregistrer sous » an existing one (the user chose to replace it)
        current = file_digest(target)
        if current is not None and current != self.on_disk[1]:
            raise ProjectConflictError(
                f"Impossible d'enregistrer « {target} » : le projet a été modifié ailleurs (par une autre fenêtre "
                "ou un autre programme) depuis qu'il a été ouvert ; enregistrez sous un autre nom (Fichier > "
                "Enregistrer sous…) pour garder vos modifications, puis comparez les deux fichiers. En ligne de "
                "commande, relancez la commande : elle relira le fichier. Le fichier n'a pas été modifié."
            )

    @classmethod
    def load(cls, path: Path | str) -> Project:
        """Read and validate a project file; every problem is reported at once.

        Parameters
        ----------
        path
            An ambmap project (GeoPackage).

        Returns
        -------
        Project
            The project, with ``on_disk`` recorded so a later save detects someone else's save.

        Raises
        ------
        ProjectFileError
            Missing, unreadable, not an ambmap project, or written by a newer ambmap.
        ValidationError
            Values refused by the layer schemas, all listed.
        """
        path = Path(path)
        if path.exists() and not path.is_file():  # a pipe would block the read forever
            raise ProjectFileError(
                f"« {path} » n'est pas un fichier de projet (c'est un dossier, un tube ou un périphérique) : "
                "choisissez le fichier .gpkg du projet."
            )
        if not path.exists() and path.is_symlink():
            raise ProjectFileError(
                f"« {path} » est un lien cassé ou en boucle : choisissez le fichier .gpkg du projet."
            )
        digest = file_digest(path)  # before reading: a change during the read then refuses the save
        project = read_project_file(path)
        if digest is not None:
            project.on_disk = (path.resolve(), digest)
        return project

    @classmethod
    def default(cls) -> Project:
        """The bundled Lille demonstration project, not bound to a file (saving asks for a name)."""
        project = cls.load(DEFAULT_PROJECT)
        project.path = project.on_disk = None
        return project

    @staticmethod
    def new_from_default(path: Path | str) -> Path:
        """Copy the bundled default project to ``path``."""
        target = gpkg_path(Path(path))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(DEFAULT_PROJECT, target)
        except OSError as e:
            raise ProjectWriteError(
                f"Impossible de créer le projet « {target} » ({os_reason(e)}). Vérifiez le "
                "dossier, les droits d'écriture et l'espace disque."
            ) from e
        return target


def file_digest(path: Path) -> str | None:
    """SHA-256 of the file at ``path`` (None when there is no such file)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
    except FileNotFoundError:
        return None
    return h.hexdigest()


def lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.verrou")


@contextlib.contextmanager
def _save_lock(target: Path):
    """Hold ``.<name>.verrou`` beside ``target``: one save at a time checks and replaces the file."""
    lock = lock_path(target)
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            try:
                if time.time() - lock.stat().st_mtime > STALE_LOCK_S:
                    lock.unlink(missing_ok=True)
                    continue
            except FileNotFoundError:
                continue
            if time.monotonic() > deadline:
                raise ProjectConflictError(
                    f"Impossible d'enregistrer « {target} » : le projet est en cours d'enregistrement par une autre "
                    "fenêtre ou un autre programme. Réessayez dans un instant, ou enregistrez sous un autre nom ; "
                    "le fichier n'a pas été modifié."
                ) from None
            time.sleep(0.05)
            continue
        try:
            os.write(fd, str(os.getpid()).encode())
        finally:
            os.close(fd)
        break
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


#: Tables a saved project file carries beside its layers, each written as ``add(project, path)``: the
#: floors above the project register theirs (``ambmap.export`` adds the QGIS styles), which it may not import.
FILE_TABLES: list = []


def add_file_tables(project: Project, path: Path) -> None:
    for add in FILE_TABLES:
        add(project, path)


def gpkg_path(path: Path) -> Path:
    """``path`` with the GeoPackage suffix a project file always has."""
    return path if path.suffix.lower() == ".gpkg" else path.with_suffix(".gpkg")


def write_project_file(project: Project, path: Path) -> None:
    """Write every layer and the metadata table to a new GeoPackage at ``path``."""
    layers_meta = []
    for i, layer in enumerate(project.ordered_layers()):
        geometry_type = layer.schema.geometry_types[-1]  # Point, MultiLineString or MultiPolygon (stored as such)
        # GeoPackage 1.2 on creation: still read by the older GDAL/QGIS found on town-hall machines
        pyogrio.write_dataframe(
            layer.data,
            path,
            layer=layer.kind,
            driver="GPKG",
            geometry_type=geometry_type,
            dataset_options={"VERSION": "1.2"} if i == 0 else None,
        )
        layers_meta.append(
            {
                "kind": layer.kind,
                "title": layer.title,
                "visible": layer.visible,
                "style": layer.style,
                "provenance": layer.provenance,
            }
        )
    if len(project.to_place):
        pyogrio.write_dataframe(
            project.to_place.astype(str),
            path,
            layer=TO_PLACE_TABLE,
            driver="GPKG",
            dataset_options=None if layers_meta else {"VERSION": "1.2"},
        )
    metadata = {
        "format_version": FORMAT_VERSION,
        "territory": project.territory,
        "options": project.options,
        "layers": layers_meta,
    }
    table = pd.DataFrame(
        {"key": list(metadata), "value": [json.dumps(v, ensure_ascii=False) for v in metadata.values()]}
    )
    pyogrio.write_dataframe(
        table,
        path,
        layer=METADATA_TABLE,
        driver="GPKG",
        dataset_options=None if layers_meta or len(project.to_place) else {"VERSION": "1.2"},
    )


OPTIONS_LABEL = "Options du projet"
#: Options holding a radius in metres, checked by the same rule as ``--radius``.
RADIUS_OPTIONS = {"coverage_radius_m": "Rayon de couverture (m)", "pole_radius_m": "Rayon des pôles (m)"}
_LIST_OPTIONS = ("layer_order", "slides", "views")
_CSS_COLOR = re.compile(r"#[0-9A-Fa-f]{3,8}|[A-Za-z]{3,20}")


def check_options(options: Any) -> tuple[dict, list[Problem], list[Problem]]:
    """(options to use, errors, notes) for the ``options`` of a project file.

    Numbers that drive an analysis (radii, target share, « en formation » switch) are errors, as on
    the command line: a project with a negative radius is refused, never drawn with a silent default.
    A display list of the wrong shape (layer order, slides, views) is dropped, with a note.
    """
    if not isinstance(options, dict):
        return {}, [], [Problem(OPTIONS_LABEL, None, None, "options illisibles : options par défaut utilisées")]
    options, errors, notes = dict(options), [], []
    for name, label in RADIUS_OPTIONS.items():
        if name not in options:
            continue
        value = options[name]
        reason = (
            radius_problem(value)
            if isinstance(value, (int, float))
            else f"« {value} » n'est pas un nombre (exemple : 500)"
        )  # JSON numbers only: the analyses read them as is
        if reason:
            errors.append(Problem(OPTIONS_LABEL, None, name, reason, label=label))
    target = options.get("target")
    if target is not None and not (_is_number(target) and 0 < target <= 1):
        errors.append(
            Problem(
                OPTIONS_LABEL,
                None,
                "target",
                f"objectif « {target} » : donnez une part entre 0 et 1 (exemple : 0.8)",
                label="Objectif de couverture",
            )
        )
    if not isinstance(options.get("include_in_training", False), bool):
        errors.append(
            Problem(
                OPTIONS_LABEL,
                None,
                "include_in_training",
                f"« {options['include_in_training']} » n'est ni vrai ni faux (true ou false)",
                label="Compter les ambassadeurs en formation",
            )
        )
    for name in _LIST_OPTIONS:
        if name in options and not isinstance(options[name], list):
            notes.append(Problem(OPTIONS_LABEL, None, name, "liste attendue : valeur ignorée"))
            del options[name]
    for name, check in (("slides", _check_slide), ("views", _check_saved_view)):
        kept = [c for c in map(check, options.get(name) or []) if c is not None]
        if name in options and len(kept) != len(options[name]):
            notes.append(Problem(OPTIONS_LABEL, None, name, "élément(s) illisible(s) ignoré(s)"))
        if name in options:
            options[name] = kept
    return options, errors, notes


#: A view's numbers and their ranges: anything else (text, NaN, a list) must not reach the map or Qt.
_VIEW_NUMBERS = {"lat": 90.0, "lon": 360.0, "zoom": 30.0}


def _check_view(view: Any) -> dict:
    """A slide's or saved view from a project file: its framing kept only when every number is a finite
    number in range (else the slide shows the whole territory), texts as text, visible kinds a list of text."""
    if not isinstance(view, dict):
        return {}
    checked = ("name", "overlay", "visible", "bounds", *_VIEW_NUMBERS)
    kept = {key: value for key, value in view.items() if key not in checked}  # nothing reads them: kept as is
    kept.update({key: view[key] for key in ("name", "overlay") if isinstance(view.get(key), str)})
    visible = view.get("visible")
    if isinstance(visible, list):
        kept["visible"] = [kind for kind in visible if isinstance(kind, str)]
    framing = {key: view[key] for key in _VIEW_NUMBERS if key in view}
    bounds = view.get("bounds")
    if (
        framing.keys() >= {"lat", "lon", "zoom"}
        and all(_is_number(v) and abs(v) <= _VIEW_NUMBERS[k] for k, v in framing.items())
        and (bounds is None or (isinstance(bounds, list) and len(bounds) == 4 and all(map(_is_number, bounds))))
    ):
        kept.update({key: float(value) for key, value in framing.items()})
        if bounds is not None:
            kept["bounds"] = [float(v) for v in bounds]
    return kept


def _check_slide(slide: Any) -> dict | None:
    """A slide from a project file (title and caption as text, its view checked), None when not a slide."""
    if not isinstance(slide, dict):
        return None
    kept = {key: value for key, value in slide.items() if key not in ("title", "caption", "view")}
    kept.update({key: slide[key] for key in ("title", "caption") if isinstance(slide.get(key), str)})
    return {**kept, "view": _check_view(slide["view"])} if "view" in slide else kept


def _check_saved_view(view: Any) -> dict | None:
    """A saved view (the Vues menu) from a project file: None unless it has a whole framing."""
    kept = _check_view(view)
    return kept if "lat" in kept else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_style(style: Any, title: str) -> tuple[dict, list[Problem]]:
    """(style to use, notes) for a layer's ``style`` from a project file.

    A wrong value (a colour that is not a CSS colour, an opacity outside 0..1, …) must never break
    drawing: it is dropped, so the default is drawn, and a note says so.
    """
    if style is None:
        return {}, []
    if not isinstance(style, dict):
        return {}, [Problem(title, None, "style", "style illisible : style par défaut utilisé")]
    checks = {
        "color": (lambda v: isinstance(v, str) and _CSS_COLOR.fullmatch(v), "couleur CSS attendue (#rrggbb)"),
        "opacity": (lambda v: _is_number(v) and 0 <= v <= 1, "nombre entre 0 et 1 attendu"),
        "fill_opacity": (lambda v: _is_number(v) and 0 <= v <= 1, "nombre entre 0 et 1 attendu"),
        "labels": (lambda v: isinstance(v, bool), "vrai ou faux attendu"),
        "categories": (
            lambda v: v is None or (isinstance(v, list) and all(isinstance(c, str) for c in v)),
            "liste de catégories attendue",
        ),
    }
    kept, notes = {}, []
    for key, value in style.items():
        ok, expected = checks.get(key, (lambda v: True, ""))
        if ok(value):
            kept[key] = value
        else:
            notes.append(
                Problem(
                    title,
                    None,
                    f"style.{key}",
                    f"valeur « {value} » invalide ({expected}) : valeur par défaut utilisée",
                )
            )
    return kept, notes


def check_provenance(provenance: Any) -> dict | None:
    """A layer's provenance from a project file, its texts as text (a number written as text, a list or
    an object dropped): maps and exports join and strip them. Flags (``demo``) stay as they are, the
    earlier provenance it kept (``previous``) is checked alike."""
    if not isinstance(provenance, dict):
        return None
    kept: dict = {}
    for key, value in provenance.items():
        if key == "previous":
            value = check_provenance(value)
        elif key in _PROVENANCE_TEXTS and _is_number(value):
            value = str(value)
        elif key in _PROVENANCE_TEXTS and not isinstance(value, str):
            value = None
        if value is not None and not isinstance(value, list):
            kept[str(key)] = value
    return kept


_PROVENANCE_TEXTS = ("source", "attribution", "licence", "date", "url", "geocoding")


def read_project_file(path: Path) -> Project:
    if not path.exists():
        raise ProjectFileError(f"Le fichier de projet « {path} » n'existe pas.")
    try:
        tables = {name for name, _ in pyogrio.list_layers(path)}
        if METADATA_TABLE not in tables:
            raise ProjectFileError(
                f"« {path} » n'est pas un projet ambmap (table {METADATA_TABLE} absente). "
                "Pour un fichier de données, utilisez Fichier > Importer."
            )
        raw = pyogrio.read_dataframe(path, layer=METADATA_TABLE)
        metadata = {row.key: json.loads(row.value) for row in raw.itertuples()}
        version, described = metadata.get("format_version", 0), metadata.get("layers", [])
        if not _is_number(version) or not isinstance(described, list):
            raise TypeError(f"format_version {version!r}, layers {type(described).__name__}")
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        ValueError,
        AttributeError,
        RecursionError,
        TypeError,
    ) as e:  # ValueError: bad JSON, not UTF-8, a 5,000-digit integer; RecursionError: JSON nested 1,000s deep
        raise ProjectFileError(
            f"Le fichier de projet « {path} » est illisible ou abîmé (ce n'est pas un "
            "GeoPackage valide). Ouvrez une sauvegarde ou le fichier de récupération."
        ) from e
    if version > FORMAT_VERSION:
        raise ProjectFileError(f"« {path} » a été créé par une version plus récente d'ambmap ; mettez ambmap à jour.")
    layers: list[Layer] = []
    options, problems, notes = check_options(metadata.get("options") or {})
    for meta in described:
        schema = SCHEMAS.get(meta.get("kind")) if isinstance(meta, dict) and isinstance(meta.get("kind"), str) else None
        if schema is None:
            continue
        data = _read_table(path, meta["kind"]) if meta["kind"] in tables else None
        if data is not None and "fid" in data.columns:
            data = data.drop(columns="fid")
        title = str(meta["title"]) if meta.get("title") else schema.title
        style, style_notes = check_style(meta.get("style"), title)
        provenance = check_provenance(meta.get("provenance"))
        try:
            layer = Layer(
                schema, data, title=title, visible=meta.get("visible") is not False, style=style, provenance=provenance
            )
        except ValidationError as e:
            problems.extend(e.problems)
            continue
        layers.append(layer)
        notes += layer.notes + style_notes
    for problem in problems + notes:
        problem.file = path.name
    if problems:
        raise ValidationError(problems)
    territory = metadata.get("territory")
    project = Project(territory if isinstance(territory, dict) else {}, layers, options, path=path)
    project.notes = notes
    if TO_PLACE_TABLE in tables:
        project.to_place = _read_to_place(path)
    return project


def _read_table(path: Path, table: str) -> pd.DataFrame:
    """One table of a project file; a hand-edited one GDAL cannot read (bytes that are not UTF-8, a view
    of a missing table…) is the French « illisible » error naming it, never an unexpected error."""
    try:
        return pyogrio.read_dataframe(path, layer=table)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as e:
        raise ProjectFileError(
            f"La table « {table} » du projet « {path} » est illisible (modifiée à la main ou abîmée). "
            "Ouvrez une sauvegarde ou le fichier de récupération."
        ) from e


def _read_to_place(path: Path) -> pd.DataFrame:
    """The rows « à placer » of a project file, as text; rows of an unknown layer kind are left out and
    each kind's id column is present (a hand-edited table never breaks the panel or an import)."""
    rows = _read_table(path, TO_PLACE_TABLE).drop(columns="fid", errors="ignore")
    rows = rows.fillna("").astype(str).map(strip_controls)  # hostile text: kept as text only, never evaluated
    if "kind" not in rows:
        return pd.DataFrame()
    rows = rows[rows["kind"].isin(list(importable()))].reset_index(drop=True)
    for name in ("motif", "fichier", "ligne", *{SCHEMAS[k].id_field for k in set(rows["kind"])}):
        if name not in rows:
            rows[name] = ""
    return rows


__all__ = ["DEFAULT_PROJECT", "DEMO_LABEL", "Problem", "Project", "gpkg_path"]
