"""Exports that leave the service: print layouts, interactive HTML, data files; always at a privacy level.

:func:`export` is the one entry point used by the CLI and the export dialog. Each file is written
beside its target under a temporary name and renamed at the end, so a cancelled or failed export
never leaves a half-written file.
"""

from __future__ import annotations

import os
from pathlib import Path

from ambmap.errors import AmbmapError, UsageError, os_reason

FORMATS = ("pdf", "png", "html", "gpkg", "geojson", "xlsx", "csv")
FORMAT_LABELS = {
    "pdf": "Carte à imprimer (PDF)",
    "png": "Image de la carte (PNG, 300 dpi)",
    "html": "Carte interactive (HTML, hors ligne)",
    "gpkg": "Données géographiques (GeoPackage)",
    "geojson": "Une couche (GeoJSON)",
    "xlsx": "Indicateurs par QPV (Excel)",
    "csv": "Indicateurs par QPV (CSV)",
}


def export(project, fmt: str, path: Path | str, *, level: str = "public", layout=None, layer: str | None = None,
           map_options=None, coverage=None, recommendation=None, basemap_file: Path | None = None,
           progress=None) -> Path:
    """Write ``project`` as ``fmt`` to ``path`` at ``level`` ("public" or "interne").

    ``layout`` is a :class:`ambmap.export.layout.LayoutOptions` (PDF/PNG), ``layer`` the one layer of
    a GeoJSON (or GeoPackage) export, ``map_options`` the :class:`ambmap.render.map.MapOptions` of an
    HTML export, ``coverage`` an already computed CoverageResult (used as is at the internal level; at
    the public level only its parameters are kept, the analysis is redone on the public copy),
    ``recommendation`` a Recommendation whose sites are drawn and exported (at the public level its
    question is asked again of the public copy, and the sites move to their 200 m square), ``basemap_file`` the territory's prepared offline basemap (MBTiles) to embed
    in an HTML export.
    """
    from ambmap.export.common import prepare

    if fmt not in FORMATS:
        raise AmbmapError(f"Format « {fmt} » inconnu : choisissez parmi {', '.join(FORMATS)}.")
    target = Path(path)
    if target.suffix.lower() != f".{fmt}":
        target = target.with_name(target.name + f".{fmt}")
    if project.path is not None and target.exists() and target.resolve() == Path(project.path).resolve():
        raise UsageError(f"« {target.name} » est le fichier du projet lui-même : l'export le remplacerait. "
                         "Choisissez un autre nom de fichier pour l'export.")
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
        raise AmbmapError(f"Impossible d'écrire « {target} » ({os_reason(cause)}). "
                          "Vérifiez l'espace disque, les droits, et que le fichier n'est pas ouvert ailleurs.") from cause
    finally:
        partial.unlink(missing_ok=True)
    if progress:
        progress(2, 2, f"Export enregistré : {target.name}")
    return target


def _write(prepared, fmt: str, path: Path, *, layout, layer, map_options, basemap_file) -> None:
    if fmt in ("pdf", "png"):
        from ambmap.export.layout import write_print

        write_print(prepared, path, layout)
    elif fmt == "html":
        from ambmap.export.html import write_html

        write_html(prepared, path, map_options=map_options, basemap_file=basemap_file)
    elif fmt in ("gpkg", "geojson"):
        from ambmap.export.data import write_layers

        write_layers(prepared, path, layer=layer)
    elif fmt == "xlsx":
        from ambmap.export.data import write_xlsx

        write_xlsx(prepared, path)
    else:
        from ambmap.export.data import write_csv

        write_csv(prepared, path)
