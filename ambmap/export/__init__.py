"""Exports that leave the service: print layouts, interactive HTML, data files, uMap; always at a privacy level.

:func:`export` is the one entry point used by the CLI and the export dialog; :data:`WRITERS` is the
table of formats both list. Each file is written beside its target under a temporary name and renamed
at the end, so a cancelled or failed export never leaves a half-written file; write errors are put
in French once, here, for every format.

Importing this package stays light (no pandas, folium or matplotlib): the command line lists
:data:`WRITERS` to build its parser, and each writer imports its module when it is called.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ambmap.errors import AmbmapError, UsageError, os_reason


@dataclass(frozen=True)
class Writer:
    """One export format: its French label, file suffix, which options it reads, and its write function.

    ``write(prepared, path, layout=, layer=, map_options=, basemap_file=)`` writes the file from a
    :class:`ambmap.export.common.Prepared` and never tests the level; ``public_only`` formats are
    refused at the internal level by :func:`export`, once, for all of them.
    """

    label: str
    suffix: str
    uses_layout: bool
    uses_layer: bool
    write: Callable[..., Any]
    public_only: bool = False


def _print(prepared, path, *, layout, **_):
    from ambmap.export.layout import write_print

    write_print(prepared, path, layout)


def _html(prepared, path, *, map_options, basemap_file, **_):
    from ambmap.export.html import write_html

    write_html(prepared, path, map_options=map_options, basemap_file=basemap_file)


def _layers(prepared, path, *, layer, **_):
    from ambmap.export.data import write_layers

    write_layers(prepared, path, layer=layer)


def _xlsx(prepared, path, **_):
    from ambmap.export.data import write_xlsx

    write_xlsx(prepared, path)


def _csv(prepared, path, **_):
    from ambmap.export.data import write_csv

    write_csv(prepared, path)


def _umap(prepared, path, **_):
    from ambmap.export.umap import write_umap

    write_umap(prepared, path)


#: Every export format: adding one is one entry here (the CLI choices and the export dialog read it).
WRITERS: dict[str, Writer] = {
    "pdf": Writer("Carte à imprimer (PDF)", ".pdf", True, False, _print),
    "png": Writer("Image de la carte (PNG, 300 dpi)", ".png", True, False, _print),
    "html": Writer("Carte interactive (HTML, hors ligne)", ".html", False, False, _html),
    "gpkg": Writer("Données géographiques (GeoPackage, styles QGIS)", ".gpkg", False, True, _layers),
    "geojson": Writer("Une couche (GeoJSON)", ".geojson", False, True, _layers),
    "xlsx": Writer("Indicateurs par QPV (Excel)", ".xlsx", False, False, _xlsx),
    "csv": Writer("Indicateurs par QPV (CSV)", ".csv", False, False, _csv),
    "umap": Writer("Carte à importer dans uMap (niveau public)", ".umap", False, False, _umap, public_only=True),
}
FORMATS = tuple(WRITERS)


def _project_styles(project, path: Path) -> None:
    """Saved project files carry the QGIS styles too (the project may not import this floor)."""
    from ambmap.export.styles import write_styles

    write_styles(path, {layer.kind: layer.data for layer in project.ordered_layers()})


def register_file_tables() -> None:
    """Hand ``ambmap.project`` the QGIS styles every saved project file carries (idempotent).

    Done at import when the project floor is already loaded (the window, the tests), else by the
    command line once its arguments are read and by :func:`export`.
    """
    from ambmap.project import FILE_TABLES

    if _project_styles not in FILE_TABLES:
        FILE_TABLES.append(_project_styles)


if "ambmap.project" in sys.modules:
    register_file_tables()


def export(
    project,
    fmt: str,
    path: Path | str,
    *,
    level: str = "public",
    layout=None,
    layer: str | None = None,
    map_options=None,
    coverage=None,
    recommendation=None,
    basemap_file: Path | None = None,
    progress=None,
) -> Path:
    """Write ``project`` as ``fmt`` to ``path`` at ``level``, through :func:`ambmap.export.common.prepare`.

    Parameters
    ----------
    project
        The :class:`ambmap.project.Project` to export.
    fmt
        A key of :data:`WRITERS` (« pdf », « png », « html », « xlsx », « csv », « geojson »…).
    path
        The file written (replaced atomically).
    level
        « public » (secret statistique, 200 m squares, no personal data) or « interne ».
    layout
        The :class:`ambmap.export.layout.LayoutOptions` of a PDF/PNG export.
    layer
        The one layer of a GeoJSON (or GeoPackage) export.
    map_options
        The :class:`ambmap.render.map.MapOptions` of an HTML export.
    coverage
        An already computed CoverageResult: used as is at the internal level; at the public level only
        its parameters are kept and the analysis is redone on the public copy.
    recommendation
        A Recommendation whose sites are drawn and exported; at the public level its question is asked
        again of the public copy and the sites move to their 200 m square.
    basemap_file
        The territory's prepared offline basemap (MBTiles) to embed in an HTML export.
    progress
        Called with (step, steps, French message).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    UsageError
        A format that exists only at the public level asked at the internal one, or ``path`` is the project file.
    AmbmapError
        Unknown format, missing folder, or the file could not be written (French message naming it).
    """
    from ambmap.export.common import prepare
    from ambmap.export.privacy import PUBLIC, check_level

    register_file_tables()
    writer = WRITERS.get(fmt)
    if writer is None:
        raise AmbmapError(f"Format « {fmt} » inconnu : choisissez parmi {', '.join(WRITERS)}.")
    if writer.public_only and check_level(level) != PUBLIC:
        raise UsageError(
            f"Le format « {fmt} » est une carte à publier : il ne s'exporte qu'au niveau public. "
            "Choisissez le niveau public (--level public), ou un autre format pour un document interne."
        )
    target = Path(path)
    if target.suffix.lower() != writer.suffix:
        target = target.with_name(target.name + writer.suffix)
    if project.path is not None and target.exists() and target.resolve() == Path(project.path).resolve():
        raise UsageError(
            f"« {target.name} » est le fichier du projet lui-même : l'export le remplacerait. "
            "Choisissez un autre nom de fichier pour l'export."
        )
    if not target.parent.is_dir():
        raise AmbmapError(f"Le dossier « {target.parent} » n'existe pas : choisissez un autre emplacement.")
    if progress:
        progress(0, 2, "Préparation des données (niveau de diffusion, couverture)…")
    prepared = prepare(project, level, coverage=coverage, recommendation=recommendation)
    if progress:
        progress(1, 2, f"Écriture du fichier {fmt.upper()}…")
    # one name per process (two exports to one file never share it); ambmap.runtime removes a killed one's
    partial = target.with_name(f".{target.stem}.partiel-{os.getpid()}{target.suffix}")
    try:
        _write(prepared, fmt, partial, layout=layout, layer=layer, map_options=map_options, basemap_file=basemap_file)
        os.replace(partial, target)
    except (OSError, AmbmapError) as e:  # writers name their temporary file: name the one the user chose
        cause = e if isinstance(e, OSError) else e.__cause__
        if not isinstance(cause, OSError):
            raise
        raise AmbmapError(
            f"Impossible d'écrire « {target} » ({os_reason(cause)}). "
            "Vérifiez l'espace disque, les droits, et que le fichier n'est pas ouvert ailleurs."
        ) from cause
    finally:
        partial.unlink(missing_ok=True)
    if progress:
        progress(2, 2, f"Export enregistré : {target.name}")
    return target


def _write(prepared, fmt: str, path: Path, **options) -> None:
    WRITERS[fmt].write(prepared, path, **options)
