"""Headless commands over the same core as the window: ``ambmap COMMAND``.

``ambmap`` with no command opens the window. Exit codes: 0 success, 2 bad usage or bad data,
1 another failure (network, disk), 130 cancelled.

Building the parser imports nothing heavy (no pandas, geopandas, pyogrio, folium, Qt): ``ambmap --help``
answers in an instant, and each command imports what it uses (tests/test_cli_startup.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ambmap import __version__, text
from ambmap.errors import (
    AmbmapError,
    AnalysisError,
    CancelledError,
    ImportFileError,
    ProjectFileError,
    ProjectWriteError,
    UsageError,
    ValidationError,
    os_reason,
)
from ambmap.layers.importable import importable

if TYPE_CHECKING:
    from ambmap.config import Settings
    from ambmap.project import Project

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130
log = logging.getLogger("ambmap")


class FrenchArgumentParser(argparse.ArgumentParser):
    """argparse with its fixed English phrases in French."""

    def format_help(self) -> str:
        return (
            super()
            .format_help()
            .replace("usage:", "utilisation :")
            .replace("positional arguments:", "arguments :")
            .replace("options:", "options :")
            .replace("show this help message and exit", "affiche cette aide et quitte")
        )

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "utilisation :")

    def error(self, message: str):
        message = re.sub(
            r"invalid (float|int) value: '([^']*)'",
            lambda m: f"« {m.group(2)} » n'est pas un nombre" + (" entier" if m.group(1) == "int" else ""),
            message,
        )
        message = (
            message.replace("the following arguments are required", "arguments obligatoires manquants")
            .replace("(choose from", "(choisir parmi")
            .replace("invalid choice", "choix invalide")
            .replace("unrecognized arguments", "arguments inconnus")
            .replace("expected one argument", "une valeur attendue")
            .replace("one of the arguments", "un des arguments")
            .replace("is required", "est obligatoire")
            .replace("not allowed with argument", "incompatible avec")
        )
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog} : erreur : {message}\n")


def load_project(path: str | None) -> Project:
    """The project at ``path``, or the bundled Lille demonstration project."""
    from ambmap.project import Project

    return Project.load(path) if path else Project.default()


def add_project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        metavar="FICHIER",
        help="fichier de projet .gpkg (par défaut : le territoire de démonstration de Lille)",
    )


def _counts(project: Project) -> str:
    """« Territoire : 1, Quartiers prioritaires (QPV) : 4, … » for a one-line summary."""
    return ", ".join(f"{layer.title} : {len(layer)}" for layer in project.ordered_layers())


# -- commands ---------------------------------------------------------------------------------------
def cmd_info(args, settings: Settings) -> int:
    """Territory, layers, counts and provenance, read straight from the file when it can be (no pandas)."""
    light = read_summary(Path(args.project) if args.project else None)
    if light is None:  # anything unusual: the full reader, which says what is wrong
        project = load_project(args.project)
        light = project.summary(), [(layer.kind, layer.title) for layer in project.ordered_layers()]
    summary, titles = light
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return EXIT_OK
    t = {key: _terminal(value) for key, value in summary["territory"].items()}
    print(f"Territoire : {t.get('name', '?')} ({t.get('kind', '?')} {t.get('code', '?')})")
    print(f"Fichier : {_terminal(summary['path'] or f'(projet par défaut, {DEFAULT_PROJECT_NAME})')}")
    print(f"Données : {DEMO_LABEL if summary['demo'] else 'officielles / utilisateur'}")
    for kind, title in titles:
        provenance = summary["provenance"][kind]
        source = _terminal(provenance.get("source", "source inconnue"))
        date = provenance.get("date", "")
        date = _terminal(text.date(date) or date)  # « 25/11/2026 »; a date written otherwise stays as written
        print(f"  {_terminal(title):<35} {summary['counts'][kind]:>6} élément(s)   {source} {date}".rstrip())
    if summary["to_place"]:
        print(f"  {'À placer (importées sans position)':<35} {summary['to_place']:>6} ligne(s)   panneau « À placer »")
    return EXIT_OK


_TERMINAL_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _terminal(value) -> str:
    """Text from a project file as one line a terminal shows and never obeys: its control characters (ESC
    sequences that retitle the window, write the clipboard or fake lines) and line breaks become spaces."""
    return _TERMINAL_CONTROLS.sub(" ", str(value))


#: What ``ambmap.project`` writes (tests/test_cli_startup.py keeps these equal to its constants).
PROJECT_FORMAT_VERSION, PROJECT_METADATA_TABLE, TO_PLACE_TABLE = 1, "ambmap_metadata", "a_placer"
DEFAULT_PROJECT_NAME, DEMO_LABEL = "lille_demo.gpkg", "Données de démonstration"


def default_project_file() -> Path:
    """``ambmap.project.DEFAULT_PROJECT``, found without importing it."""
    geodata = os.environ.get("AMBMAP_GEODATA", Path(__file__).resolve().parent.parent / "geodata")
    return Path(geodata) / DEFAULT_PROJECT_NAME


def read_summary(path: Path | None) -> tuple[dict, list[tuple[str, str]]] | None:
    """``Project.summary()`` and the (kind, title) of each layer in drawing order, read with sqlite3 from
    the project's metadata table and row counts: ``info`` without importing pandas and geopandas, most of
    its time (issue 15 point 6). The rows are counted, not validated (``ambmap validate`` does that).

    None when the file is anything but a readable project of this version with plain metadata: the full
    reader then gives the answer or the French error.
    """
    import contextlib
    import sqlite3

    from ambmap.layers.importable import known_kinds

    file = path or default_project_file()
    known = known_kinds()
    if not file.is_file():  # missing, a folder, a pipe (sqlite would wait on it forever), a symlink loop
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)) as db:
            metadata = {k: json.loads(v) for k, v in db.execute(f"SELECT key, value FROM {PROJECT_METADATA_TABLE}")}
            tables = {name for (name,) in db.execute("SELECT table_name FROM gpkg_contents")}
            version, described = metadata.get("format_version"), metadata.get("layers")
            territory = metadata.get("territory")
            if type(version) is not int or version > PROJECT_FORMAT_VERSION or not isinstance(described, list):
                return None
            if not isinstance(territory, dict) or not all(isinstance(m, dict) for m in described):
                return None
            layers = [m for m in described if m.get("kind") in known]  # the full reader skips unknown kinds too
            kinds = [m["kind"] for m in layers]
            if len(set(kinds)) != len(kinds) or not all(_plain(m) for m in layers):
                return None
            counts = {k: db.execute(f'SELECT COUNT(*) FROM "{k}"').fetchone()[0] if k in tables else 0 for k in kinds}
            to_place = _count_to_place(db, tables)
            if to_place is None:
                return None
    except (sqlite3.Error, ValueError, TypeError, AttributeError, RecursionError, OSError):
        return None
    provenance = {m["kind"]: m["provenance"] for m in layers}
    summary = {
        "territory": territory,
        "path": None if path is None else str(path),
        "demo": any(provenance[k].get("demo") for k in kinds if counts[k]),
        "counts": counts,
        "provenance": provenance,
        "to_place": to_place,
    }
    titles = [(m["kind"], str(m["title"])) for m in sorted(layers, key=lambda m: known.index(m["kind"]))]
    return summary, titles


def _count_to_place(db, tables: set[str]) -> int | None:
    """The rows « à placer » the full reader keeps: those of an importable kind (``project._read_to_place``).
    None when a kind is anything but printable text or null (a blob, a number, a control character the full
    reader would strip or GDAL cut at): the full reader then counts."""
    if TO_PLACE_TABLE not in tables:
        return 0
    columns = {row[1] for row in db.execute(f'PRAGMA table_info("{TO_PLACE_TABLE}")')}
    if "kind" not in columns:
        return 0
    kinds, count = set(importable()), 0
    for kind, rows in db.execute(f'SELECT kind, COUNT(*) FROM "{TO_PLACE_TABLE}" GROUP BY kind'):
        if kind in kinds:
            count += rows
        elif kind is not None and not (isinstance(kind, str) and kind.isprintable()):
            return None
    return count


def _plain(meta: dict) -> bool:
    """A layer's metadata the full reader keeps exactly as written: a title, and a provenance of texts and
    flags only (``project.check_provenance`` changes numbers, lists and nulls: those go to the full reader)."""

    def plain(provenance) -> bool:
        return isinstance(provenance, dict) and all(
            plain(value) if key == "previous" else isinstance(value, str | bool) for key, value in provenance.items()
        )

    return isinstance(meta.get("title"), str) and bool(meta["title"]) and plain(meta.get("provenance"))


def cmd_new(args, settings: Settings) -> int:
    from ambmap.project import DEMO_LABEL, Project, gpkg_path

    target = gpkg_path(Path(args.project))
    if target.exists():  # never overwrite an existing project (or any file) with a new one
        raise ProjectFileError(
            f"« {target} » existe déjà : choisissez un autre nom de fichier, ou déplacez "
            "d'abord l'ancien fichier si vous voulez vraiment le remplacer."
        )
    if args.territory_file:
        from ambmap.imports import build_project_from_files

        project, report = build_project_from_files(
            settings,
            args.territory_file,
            args.qpv_file,
            args.population_file,
            code_field=args.code_field,
            name_field=args.name_field,
            progress=StderrProgress(),
        )
        print("\n".join(report))
        target = project.save(args.project)
        print(f"Projet créé : {target} ({project.name} ; {_counts(project)}).")
        return EXIT_OK
    if args.qpv_file or args.population_file:
        raise UsageError("--qpv-file et --population-file vont avec --territory-file (le contour du territoire).")
    if args.commune or args.epci:
        from ambmap.fetch import build_project

        project = build_project(
            _online(args, settings), commune=args.commune, epci=args.epci, progress=StderrProgress()
        )
        target = project.save(args.project)
        print(f"Projet créé : {target} ({project.name} ; {_counts(project)}).")
        return EXIT_OK
    target = Project.new_from_default(args.project)
    project = Project.load(target)
    print(f"Projet créé : {target} ({project.name}, {DEMO_LABEL.lower()}).")
    return EXIT_OK


# -- official sources and imports (ambmap.fetch, ambmap.imports) --------------------------------------
class StderrProgress:
    """Progress on the terminal (stderr): one line per step, download sizes rewritten in place."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self._last = ""

    def __call__(self, done: int, total: int, message: str) -> None:
        if message == self._last:
            return
        live = self.stream.isatty() and message.startswith("Téléchargement")
        percent = f" {text.percent(100 * done // total / 100)}" if total and done else ""
        print(
            f"\r{message}{percent}" if live else f"{message}{percent}",
            end="" if live else "\n",
            file=self.stream,
            flush=True,
        )
        self._last = message


def _online(args, settings: Settings) -> Settings:
    return settings.replace(offline=True) if getattr(args, "offline", False) else settings


def add_layer_file_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--code-field",
        metavar="COLONNE",
        help="colonne du code (QPV : code_qp ; territoire : INSEE_COM) quand elle n'est pas reconnue",
    )
    parser.add_argument(
        "--name-field",
        metavar="COLONNE",
        help="colonne du nom (QPV : lib_qp ; territoire : NOM ; rues : name) quand elle n'est pas reconnue",
    )


def add_offline_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--offline", action="store_true", help="hors ligne : n'utilise que les données déjà téléchargées (cache)"
    )


def cmd_fetch(args, settings: Settings) -> int:
    from ambmap.fetch import refresh
    from ambmap.project import Project

    project = Project.load(args.project)
    layer = refresh(project, args.what, _online(args, settings), progress=StderrProgress())
    project.save()
    print(
        f"{layer.title} : {len(layer)} élément(s) ({layer.provenance.get('source', '')}, "
        f"{layer.provenance.get('date', '')}) enregistré(s) dans {project.path}."
    )
    return EXIT_OK


def _import_kinds() -> dict[str, str]:
    """{name the user may type: layer kind} of the registry's importable kinds (« pôles » or « poles »)."""
    return {name: kind for kind, cli_names in importable().items() for name in (kind, *cli_names)}


def cmd_import(args, settings: Settings) -> int:
    from ambmap.imports import (
        LAYER_FILE_KINDS,
        apply_import,
        apply_layer_file,
        import_file,
        plan_import,
        read_layer_file,
    )
    from ambmap.io.mapping import parse_assignment
    from ambmap.project import Project

    project = Project.load(args.project)
    if args.kind in ("streets", "rues"):
        return _import_streets(args, project)
    if args.kind in LAYER_FILE_KINDS:  # official layers from a file: the whole layer is replaced
        result = read_layer_file(project, args.kind, args.file, code_field=args.code_field, name_field=args.name_field)
        print(result.report())
        apply_layer_file(project, result)
        project.save()
        print(f"Projet enregistré : {project.path}.")
        return EXIT_OK
    territory = project.layers["territory"].data if "territory" in project.layers else None
    try:
        overrides = dict(parse_assignment(text) for text in args.column or [])
    except ValueError as e:
        raise UsageError(f"--column {e}") from None
    result = import_file(
        args.file,
        _import_kinds()[args.kind],
        _online(args, settings),
        overrides=overrides,
        geocode=not args.no_geocode,
        progress=StderrProgress(),
        territory=territory,
    )
    if not result.kept:  # every row refused: the project is left as it was
        print(result.report())
        return EXIT_BAD_INPUT
    print(result.report(plan_import(project, result, replace=args.replace)))
    apply_import(project, result, replace=args.replace)
    project.save()
    print(f"Projet enregistré : {project.path}.")
    return EXIT_OK


def _import_streets(args, project: Project) -> int:
    """``ambmap import streets FILE``: the project's streets layer replaced by a line file's."""
    from ambmap.imports import import_streets

    layer, notes = import_streets(
        args.file,
        class_field=args.class_field,
        name_field=args.name_field,
        licence=args.licence or "",
        attribution=args.attribution or "",
    )
    for note in notes:
        print(note)
    counts = layer.data["street_class"].value_counts()
    print(f"{len(layer)} rue(s) importée(s) : " + ", ".join(f"{c} {text.number(int(n))}" for c, n in counts.items()))
    project.set_layer(layer)
    project.save()
    print(f"Projet enregistré : {project.path}.")
    return EXIT_OK


def cmd_geocode(args, settings: Settings) -> int:
    from ambmap.sources.geocoding import geocode_many

    settings = _online(args, settings)
    if args.project:
        return _geocode_project(args, settings)
    if not args.addresses or not all(a.strip() for a in args.addresses):
        raise UsageError("Indiquez une ou plusieurs adresses (non vides) entre guillemets, ou --project et --layer.")
    for address, found in zip(
        args.addresses, geocode_many(args.addresses, settings, progress=StderrProgress()), strict=True
    ):
        if found is None:
            print(f"{address} : introuvable")
        else:
            check = "" if found.score >= settings.geocode_min_score else " (à vérifier : score faible)"
            print(f"{address} : {found.lat:.6f}, {found.lon:.6f} score {found.score:.2f} « {found.label} »{check}")
    return EXIT_OK


def _geocode_project(args, settings: Settings) -> int:
    """``ambmap geocode --project P --layer K``: the layer's points « à vérifier » placed again, then its
    rows « à placer » that have an address placed; the project saved once, at the end."""
    from ambmap.imports import geocode_layer, geocode_waiting, name_field
    from ambmap.project import Project

    project = Project.load(args.project)
    kind = _import_kinds()[args.layer]
    moved, doubtful = geocode_layer(project, kind, settings, only_flagged=not args.all, progress=StderrProgress())
    placed, low, still = geocode_waiting(project, kind, settings, progress=StderrProgress())
    title, data = project.layer(kind).title, project.layer(kind).data
    if moved or doubtful:
        print(
            f"Sur la carte ({title}) : {moved} point(s) replacé(s) d'après leur adresse ; {len(doubtful)} à vérifier."
        )
    else:
        print(f"Sur la carte ({title}) : aucun point à replacer" + ("." if args.all else " (aucun « à vérifier »)."))
    for problem in doubtful:  # named as the coordinator knows them, not by a row number of the layer
        row = data.iloc[problem.row - 1]
        print(f"  - {row[name_field(kind)]} ({row[project.layer(kind).schema.id_field]}) : {problem.reason}")
    if placed or still:
        flagged = f" dont {len(low)} à vérifier (score faible ou loin du territoire) : {', '.join(low)}" if low else ""
        print(f"À placer ({title}) : {len(placed)} ligne(s) placée(s) d'après leur adresse{flagged}.")
    if still:
        print(f"{len(still)} ligne(s) restent « à placer » :")
        for line in still:
            print(f"  - {line}")
        print("Pour les corriger ou les placer d'un clic : ouvrez le projet dans ambmap, panneau « À placer ».")
    others = project.to_place[project.to_place["kind"] != kind] if len(project.to_place) else project.to_place
    for other, count in others["kind"].value_counts().items() if len(others) else []:
        print(
            f"{count} ligne(s) « à placer » dans « {project.layer(other).title} » : "
            f"ambmap geocode --project {project.path} --layer {(*importable()[other], other)[0]}"
        )
    project.save()
    print(f"Projet enregistré : {project.path}.")
    return EXIT_OK


def cmd_validate(args, settings: Settings) -> int:
    """Exit 2 (through ValidationError) on any refused value; what reading mended is listed, exit 0."""
    from ambmap.project import Project

    project = Project.load(args.project)
    print(f"Projet valide : {args.project} ({_counts(project)}).")
    if project.notes:
        print(f"Corrigé à la lecture ({len(project.notes)}) ; enregistrez le projet pour garder ces corrections :")
        for problem in project.notes:
            print(f"  - {problem.describe()}")
    return EXIT_OK


def cmd_gui(args, settings: Settings) -> int:
    from ambmap.ui.app import run_gui  # imported here so the CLI runs without Qt

    return run_gui(settings, project_path=getattr(args, "project", None))


def window_size(text: str) -> tuple[int, int]:
    """« 1600x1000 » -> (1600, 1000), for ``--size``."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"taille « {text} » invalide : écrivez LARGEURxHAUTEUR, par exemple 1600x1000"
        ) from None
    if not (200 <= width <= 8000 and 200 <= height <= 8000):
        raise argparse.ArgumentTypeError(f"taille « {text} » hors limites (200 à 8000 pixels de côté)")
    return width, height


def radius(text: str) -> float:
    """A radius in metres for ``--radius``: the same rule as a project file's (:func:`radius_problem`)."""
    from ambmap.layers.base import radius_problem

    reason = radius_problem(text)
    if reason:
        raise argparse.ArgumentTypeError(reason)
    return float(text.replace(",", "."))


def positive_number(text: str) -> float:
    """A finite number > 0, for ``--time-limit``."""
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre (exemple : 500)") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"« {text} » : donnez un nombre positif (exemple : 500)")
    return value


def add_reach_options(parser: argparse.ArgumentParser) -> None:
    """``--reach``, and ``--radius`` or ``--minutes`` (a walking time), shared by coverage and recommend."""
    parser.add_argument(
        "--reach",
        choices=("cercle", "marche"),
        help="zones à vol d'oiseau (cercle) ou à pied le long des rues (marche) ; défaut : celui du projet",
    )
    distance = parser.add_mutually_exclusive_group()
    distance.add_argument(
        "--radius", type=radius, metavar="M", help="distance de couverture en mètres (défaut : celle du projet)"
    )
    distance.add_argument(
        "--minutes",
        type=positive_number,
        metavar="N",
        help="temps de marche en minutes (à la vitesse de marche du projet, 4,5 km/h par défaut)",
    )


def positive_int(text: str) -> int:
    """An integer ≥ 1, for ``-k`` and ``--recrutements``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre entier (exemple : 5)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"« {text} » : donnez un nombre entier d'au moins 1 (exemple : 5)")
    return value


def cmd_screenshot(args, settings: Settings) -> int:
    from ambmap.ui.app import take_screenshot  # imported here so the CLI runs without Qt

    target = take_screenshot(
        settings, args.output, project_path=args.project, size=args.size, category=args.filter, edit=args.edit
    )
    print(f"Capture enregistrée : {target}")
    return EXIT_OK


def cmd_export(args, settings: Settings) -> int:
    from ambmap.basemap import basemap_path
    from ambmap.export import export
    from ambmap.export.layout import LayoutOptions
    from ambmap.render.map import MapOptions

    project = load_project(args.project)
    extent = args.extent
    if "," in extent:  # a box « ouest,sud,est,nord » in degrees
        try:
            extent = tuple(float(v) for v in extent.split(","))
        except ValueError:
            extent = ()
        if len(extent) == 4 and not (-180 <= extent[0] < extent[2] <= 180 and -90 <= extent[1] < extent[3] <= 90):
            extent = ()
        if len(extent) != 4:
            raise UsageError(
                f"Emprise « {args.extent} » illisible : donnez « territoire », un code de QPV "
                "ou quatre nombres « ouest,sud,est,nord » en degrés (ex. 3.03,50.60,3.09,50.64)."
            )
    if args.bilan and args.format != "pdf":
        raise UsageError("--bilan produit une page PDF : ajoutez --format pdf (ou retirez --bilan).")
    if args.atlas and (args.format != "pdf" or args.bilan):
        raise UsageError("--atlas produit un PDF de plusieurs pages : ajoutez --format pdf (sans --bilan).")
    layout = LayoutOptions(
        layout="a4-portrait" if args.bilan else args.layout,
        extent=extent,
        title=args.title,
        table=args.tableau,
        bilan=args.bilan,
        atlas=args.atlas,
    )
    prepared_basemap = basemap_path(settings, project)  # embedded in the HTML when prepared beforehand
    recommendation = None
    if args.recrutements:
        from ambmap.analysis.recommend import recommend_for_project

        recommendation = recommend_for_project(
            project, k=args.recrutements, params=coverage_params(args, project, settings)
        )
    target = export(
        project,
        args.format,
        Path(args.output),
        level=args.level,
        layout=layout,
        layer=args.layer,
        map_options=MapOptions.from_settings(settings),
        recommendation=recommendation,
        basemap_file=prepared_basemap if prepared_basemap.exists() else None,
    )
    print(
        f"Export {args.format.upper()} ({'niveau interne' if args.level == 'interne' else 'niveau public'}) "
        f"enregistré : {target}"
    )
    return EXIT_OK


def cmd_present(args, settings: Settings) -> int:
    from ambmap.ui.presentation import run_presentation  # imported here so the CLI runs without Qt

    return run_presentation(settings, project_path=args.project)


def coverage_params(args, project, settings: Settings):
    """The project's coverage parameters (the user's settings for a project without any), with
    ``--reach``, ``--radius``, ``--minutes`` and ``--en-formation`` applied. Minutes mean walking."""
    from ambmap.analysis.coverage import CoverageParams

    params = CoverageParams.from_project(project, settings)
    if getattr(args, "reach", None):
        params = params.replace(reach=args.reach)
    if getattr(args, "radius", None) is not None:
        params = params.replace(radius_m=args.radius, walk_minutes=None)
    if getattr(args, "minutes", None) is not None:
        if getattr(args, "reach", None) == "cercle":
            raise UsageError(
                "--minutes est un temps de marche : il va avec --reach marche (ou --radius M à vol d'oiseau)."
            )
        params = params.replace(reach="marche", walk_minutes=args.minutes)
    if getattr(args, "en_formation", False):
        params = params.replace(include_in_training=True)
    return params


def cmd_coverage(args, settings: Settings) -> int:
    from ambmap.analysis.coverage import compute_coverage

    project = load_project(args.project)
    result = compute_coverage(project, coverage_params(args, project, settings))
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif args.csv:
        result.per_qpv.to_csv(sys.stdout, sep=";", decimal=",", float_format="%.4f")
    else:
        s = result.summary
        print(
            f"Couverture {s['method']} ({s['ambassadors_counted']} ambassadeur(s) compté(s)) : "
            f"{s['qpv_covered']} QPV couvert(s), {s['qpv_partial']} partiellement, {s['qpv_uncovered']} non couvert(s)."
        )
        for code, row in result.per_qpv.iterrows():
            print(f"  {code}  {row.nom_qp:<28} {row.covered_share:>6.1%}  {row.status}")
        print(result.population_method)
        for warning in result.warnings:
            print(f"Attention : {warning}.")
    return EXIT_OK


def year(text: str) -> int:
    """An argparse type: a four-digit year."""
    if not re.fullmatch(r"\d{4}", text.strip()):
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas une année (AAAA)")
    return int(text)


def cmd_history(args, settings: Settings) -> int:
    from ambmap.analysis.history import compute_history

    project = load_project(args.project)
    result = compute_history(project, args.first, args.last, args.par, coverage_params(args, project, settings))
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write("\ufeff")  # Excel reads UTF-8 only with the BOM
        result.table.to_csv(sys.stdout, sep=";", decimal=",", float_format="%.4f", index=False)
    else:
        print(
            f"Suivi de la couverture à {result.params.radius_m:g} m (statuts comptés : "
            f"{', '.join(result.params.statuses)}) :"
        )
        for row in result.territory.itertuples():
            share = text.percent(row.covered_share, 1) or "—"
            print(
                f"  {row.period:<8} au {text.date(row.as_of)}  {share:>6}  {row.ambassadors_covering:>4} actif(s)  "
                f"+{row.recruited} recrutement(s)  -{row.departed} départ(s)"
            )
        for note in result.notes:
            print(note)
        print(result.population_method)
    return EXIT_OK


def cmd_recommend(args, settings: Settings) -> int:
    from ambmap.analysis.recommend import TRAINING, recommend_for_project, recommend_points
    from ambmap.io.points import read_points

    if args.demand:
        if args.k is None or args.radius is None or not args.candidates:
            raise AnalysisError("Avec --demand, indiquez aussi --candidates, --radius et -k.")
        if args.reach == "marche" and not args.streets:
            raise AnalysisError("Avec --demand et --reach marche, indiquez le fichier des rues : --streets FICHIER.")
        existing = read_points(args.existing) if args.existing else None
        streets = read_streets(args.streets) if args.streets and args.reach == "marche" else None
        result = recommend_points(
            read_points(args.demand),
            args.weight_field,
            read_points(args.candidates),
            args.radius,
            args.k,
            existing=existing,
            time_limit=args.time_limit,
            reach=args.reach or "cercle",
            streets=streets,
        )
    else:
        project = load_project(args.project)
        candidates = args.candidates
        if candidates and candidates != TRAINING:
            candidates = read_points(candidates)
        result = recommend_for_project(
            project,
            k=args.k,
            target=args.target,
            params=coverage_params(args, project, settings),
            candidates=candidates,
            time_limit=args.time_limit,
        )
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return EXIT_OK
    for site in result.sites.itertuples():
        where = f" ({site.nom_qp})" if site.nom_qp and site.nom_qp not in site.label else ""
        gain = text.number(site.gain)
        print(f"{site.rank:>3}. {site.label}{where} : +{gain} {result.unit}")
    for message in result.messages:
        print(message)
    return EXIT_OK


FOOTPATHS = frozenset({"footway", "path", "pedestrian", "steps", "cycleway", "living_street", "track"})


def read_streets(path: str):
    """A line file (GeoJSON, GPKG, Shapefile) as rows of the streets schema, for ``--streets``.

    Every line is walked, except where a ``walkable`` field says no (« non », « false », « 0 ») or an
    OpenStreetMap ``highway`` field names a road closed to pedestrians; ``highway`` footways, paths and
    steps count as footpaths (without any, the result warns that walking zones are underestimated).
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from ambmap.analysis.network import is_walkable
    from ambmap.io.tables import read_geofile

    frame = read_geofile(path)
    kinds = shapely.get_type_id(frame.geometry.array)
    if not len(frame) or not np.isin(kinds, (1, 5)).all():
        bad = np.flatnonzero(~np.isin(kinds, (1, 5)))
        where = f" (objet n° {bad[0] + 1})" if len(bad) else ""
        raise ImportFileError(f"Le fichier des rues « {Path(path).name} » doit contenir des lignes{where}.")
    walkable = np.ones(len(frame), dtype=bool)
    footpath = np.zeros(len(frame), dtype=bool)
    if "walkable" in frame.columns:
        walkable &= ~frame["walkable"].astype(str).str.strip().str.lower().isin({"non", "false", "0", "no"}).to_numpy()
    if "highway" in frame.columns:
        highway = frame["highway"].astype(str).to_numpy()
        walkable &= np.array([is_walkable({"highway": h}) for h in highway])
        footpath = np.isin(highway, list(FOOTPATHS))
    return gpd.GeoDataFrame(
        {
            "street_id": [f"S{i}" for i in range(1, len(frame) + 1)],
            "street_class": np.where(footpath, "piétonne/chemin", "desserte"),
            "walkable": walkable,
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = FrenchArgumentParser(
        prog="ambmap",
        description="Carte des ambassadeurs·rices de santé dans les QPV. Sans commande : ouvre la fenêtre.",
    )
    parser.add_argument(
        "--version", action="version", version=f"ambmap {__version__}", help="affiche la version et quitte"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="affiche le détail technique des erreurs")
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", parser_class=FrenchArgumentParser)

    p = sub.add_parser("info", help="résumé d'un projet : territoire, couches, provenance")
    add_project_option(p)
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser(
        "new",
        help="crée un projet : données officielles d'une commune ou d'une intercommunalité, "
        "sinon copie du territoire de démonstration de Lille",
    )
    p.add_argument("--project", metavar="FICHIER", required=True, help="fichier .gpkg à créer")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--commune", metavar="CODE_INSEE", help="code INSEE de la commune (ex. 59350 pour Lille)")
    where.add_argument("--epci", metavar="SIREN", help="SIREN de l'intercommunalité (ex. 200093201 pour la MEL)")
    where.add_argument(
        "--territory-file",
        metavar="FICHIER",
        help="contour(s) du territoire depuis un fichier (Admin Express, geo.api : GeoJSON, GPKG, SHP), sans réseau",
    )
    p.add_argument(
        "--qpv-file",
        metavar="FICHIER",
        help="avec --territory-file : périmètres des QPV (fichier national QPV 2024 GeoJSON/ZIP, GPKG, SHP)",
    )
    p.add_argument(
        "--population-file",
        metavar="FICHIER",
        help="avec --territory-file : carreaux INSEE Filosofi 200 m (GPKG, GeoJSON, CSV Idcar_200m/Ind)",
    )
    add_layer_file_options(p)
    add_offline_option(p)
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("fetch", help="télécharge à nouveau le territoire, les QPV, les ressources de santé ou les rues")
    p.add_argument(
        "what",
        choices=("territory", "qpv", "resources", "streets"),
        metavar="DONNÉES",
        help="territory (contours), qpv (quartiers prioritaires 2024), resources (OSM + FINESS) ou "
        "streets (rues, eau, voies ferrées et parcs d'OpenStreetMap, fond de carte hors ligne)",
    )
    p.add_argument("--project", metavar="FICHIER", required=True, help="fichier .gpkg à mettre à jour")
    add_offline_option(p)
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser(
        "import",
        help="importe un fichier de pôles, d'ambassadeurs ou de ressources (CSV, XLSX, GeoJSON, GeoPackage, Shapefile)",
    )
    p.add_argument(
        "kind",
        choices=sorted(_import_kinds()) + ["population", "qpv", "rues", "streets", "territory"],
        metavar="COUCHE",
        help=" ou ".join(sorted(importable()) + ["streets (lignes des rues)"])
        + " ; ou territory, qpv, population (remplace la couche officielle par celle du fichier)",
    )
    p.add_argument("file", metavar="FICHIER_À_IMPORTER")
    p.add_argument(
        "--class-field",
        metavar="COLONNE",
        help="streets : colonne de la classe des rues (valeurs OSM highway, roadClass highway/major/minor "
        "ou principale/secondaire/desserte/piétonne/chemin/escalier)",
    )
    p.add_argument("--licence", metavar="TEXTE", help="streets : licence du fichier (ex. « ODbL 1.0 »)")
    p.add_argument(
        "--attribution",
        metavar="TEXTE",
        help="streets : mention à afficher sur les cartes (ex. « © les contributeurs d'OpenStreetMap »)",
    )
    p.add_argument("--project", metavar="FICHIER", required=True, help="fichier .gpkg où importer")
    p.add_argument("--replace", action="store_true", help="remplace toute la couche (sinon : mise à jour et ajout)")
    p.add_argument(
        "--no-geocode",
        action="store_true",
        help="ne géocode pas les adresses (les lignes sans coordonnées sont gardées « à placer » dans le projet)",
    )
    p.add_argument(
        "--column",
        action="append",
        metavar="CHAMP=COLONNE[+COLONNE…]",
        help="associe un champ à une colonne du fichier, ou à plusieurs jointes par une espace "
        "(ex. display_name=Prénom+Nom, address=Numéro+Voie) ; répétable",
    )
    add_layer_file_options(p)
    add_offline_option(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "geocode",
        help="géocode des adresses ; ou, avec --project, replace les points « à vérifier » d'une couche et place "
        "ses lignes « à placer » qui ont une adresse",
        description="Sans --project : affiche la position des adresses données. Avec --project : replace d'après "
        "leur adresse les points « à vérifier » de la couche (--all : tous), puis place les lignes « à placer » "
        "de cette couche qui ont une adresse (score faible ou loin du territoire : placée et marquée « à vérifier ») ; les autres "
        "restent « à placer », avec la raison. Le projet est enregistré une fois, à la fin. Il faut être en ligne.",
    )
    p.add_argument("addresses", nargs="*", metavar="ADRESSE", help="adresse(s) à chercher")
    p.add_argument(
        "--project",
        metavar="FICHIER",
        help="projet dont replacer les points et placer les lignes « à placer » d'après leur adresse",
    )
    p.add_argument(
        "--layer",
        default="ambassadeurs",
        choices=sorted(_import_kinds()),
        metavar="COUCHE",
        help="couche à géocoder, et dont placer les lignes « à placer » : ambassadeurs (par défaut), pôles ou "
        "ressources",
    )
    p.add_argument("--all", action="store_true", help="tous les points, pas seulement ceux « à vérifier »")
    add_offline_option(p)
    p.set_defaults(func=cmd_geocode)

    p = sub.add_parser("validate", help="vérifie toutes les couches d'un projet")
    p.add_argument("--project", metavar="FICHIER", required=True, help="fichier .gpkg à vérifier")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "coverage",
        help="couverture de chaque QPV par les ambassadeurs (population, surface, langues, pôles, ressources)",
    )
    add_project_option(p)
    add_reach_options(p)
    p.add_argument("--en-formation", action="store_true", help="compte aussi les ambassadeurs en formation")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="sortie JSON")
    out.add_argument("--csv", action="store_true", help="tableau CSV (séparateur ;) sur la sortie standard")
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser(
        "history",
        help="suivi dans le temps : couverture de chaque QPV, ambassadeurs actifs, "
        "recrutements et départs, par année ou par trimestre",
    )
    add_project_option(p)
    p.add_argument(
        "--from",
        dest="first",
        type=year,
        metavar="AAAA",
        help="première année (défaut : celle de la première date d'entrée)",
    )
    p.add_argument("--to", dest="last", type=year, metavar="AAAA", help="dernière année (défaut : l'année en cours)")
    p.add_argument("--par", default="annee", choices=("annee", "trimestre"), help="période (défaut : annee)")
    p.add_argument(
        "--radius", type=positive_number, metavar="M", help="rayon de couverture en mètres (défaut : celui du projet)"
    )
    p.add_argument("--en-formation", action="store_true", help="compte aussi les ambassadeurs en formation")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="sortie JSON")
    out.add_argument(
        "--csv", action="store_true", help="tableau CSV (séparateur ;, virgule décimale) sur la sortie standard"
    )
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("recommend", help="où recruter : les sites qui couvrent le plus d'habitants non couverts")
    add_project_option(p)
    question = p.add_mutually_exclusive_group(required=True)
    question.add_argument("-k", type=int, metavar="N", help="nombre de recrues à placer")
    question.add_argument(
        "--target", type=float, metavar="PART", help="objectif de couverture pour chaque QPV : 0.8 ou 80 (%%)"
    )
    add_reach_options(p)
    p.add_argument(
        "--candidates",
        metavar="FICHIER",
        help="sites candidats (GeoJSON, GPKG ou CSV lon,lat), ou « en formation » pour classer "
        "les ambassadeurs en formation ; défaut : grille de 100 m sur les QPV",
    )
    p.add_argument("--demand", metavar="POINTS", help="forme brute : points de demande (GeoJSON, GPKG ou CSV lon,lat)")
    p.add_argument("--weight-field", metavar="CHAMP", help="forme brute : champ de poids des points de demande")
    p.add_argument("--existing", metavar="POINTS", help="forme brute : sites existants, gardés")
    p.add_argument(
        "--streets",
        metavar="LIGNES",
        help="forme brute : rues à parcourir à pied (GeoJSON, GPKG ou Shapefile de lignes), avec --reach marche",
    )
    p.add_argument(
        "--time-limit", type=positive_number, default=60.0, metavar="S", help="temps maximal en secondes (défaut : 60)"
    )
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=cmd_recommend)

    p = sub.add_parser("gui", help="ouvre la fenêtre (comme ambmap sans commande)")
    add_project_option(p)
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("screenshot", help="capture PNG de la fenêtre, carte entièrement dessinée")
    add_project_option(p)
    p.add_argument("--output", required=True, metavar="FICHIER", help="image PNG à écrire")
    p.add_argument(
        "--size",
        default=(1600, 1000),
        type=window_size,
        metavar="LxH",
        help="taille de la fenêtre (défaut : 1600x1000)",
    )
    p.add_argument("--filter", metavar="CATÉGORIE", help="n'affiche que cette catégorie de ressources de santé")
    p.add_argument("--edit", action="store_true", help="fenêtre en mode édition")
    p.set_defaults(func=cmd_screenshot)

    from ambmap.export import WRITERS

    p = sub.add_parser(
        "export", help="exporte la carte ou les données (PDF, PNG, HTML, GeoPackage, GeoJSON, XLSX, CSV, uMap)"
    )
    add_project_option(p)
    p.add_argument(
        "--format",
        required=True,
        choices=tuple(WRITERS),
        help="format du fichier produit (umap : niveau public seulement)",
    )
    p.add_argument("--output", required=True, metavar="FICHIER", help="fichier à écrire")
    p.add_argument(
        "--layout",
        default="a4-paysage",
        choices=("a4-paysage", "a4-portrait", "a3-paysage", "a3-portrait"),
        help="mise en page de la carte PDF/PNG (défaut : a4-paysage)",
    )
    p.add_argument(
        "--level",
        default="public",
        choices=("public", "interne"),
        help="niveau de diffusion : public (défaut, sans données personnelles) ou interne",
    )
    p.add_argument(
        "--layer", metavar="COUCHE", help="couche à exporter (GeoJSON : qpv par défaut ; GeoPackage : toutes)"
    )
    p.add_argument(
        "--extent",
        default="territoire",
        metavar="EMPRISE",
        help="emprise de la carte PDF/PNG : territoire (défaut), le code d'un QPV (ex. QN059D01) "
        "ou « ouest,sud,est,nord » en degrés",
    )
    p.add_argument("--title", metavar="TITRE", help="titre de la carte PDF/PNG")
    p.add_argument(
        "--tableau",
        action="store_true",
        help="ajoute au PDF du territoire une page avec les indicateurs de tous les QPV (la carte d'un QPV porte déjà ses chiffres)",
    )
    p.add_argument(
        "--bilan",
        action="store_true",
        help="PDF : bilan d'une page A4 pour le contrat de ville (chiffres clés, carte, évolution par QPV, "
        "suivi, méthode) au lieu de la carte",
    )
    p.add_argument(
        "--atlas",
        action="store_true",
        help="PDF : atlas — carte du territoire, puis une page par QPV (sa carte, ses chiffres, la méthode), "
        "puis le tableau de tous les QPV",
    )
    p.add_argument(
        "--recrutements",
        type=positive_int,
        metavar="N",
        help="ajoute les N meilleurs sites où recruter (comme ambmap recommend -k N)",
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("present", help="mode présentation plein écran (diapositives enregistrées dans le projet)")
    add_project_option(p)
    p.set_defaults(func=cmd_present)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:  # the terminal: no record meant for the log file only
        handler.addFilter(_not_for_the_log_only)
    func = getattr(args, "func", cmd_gui)
    try:
        # imported after parsing: --help loads no settings, log file or project floor
        from ambmap.config import Settings
        from ambmap.runtime import log_to_file

        settings = Settings.load()
        log_to_file(settings)
        if func is not cmd_info:  # info writes nothing, and stays free of pandas (issue 15 point 6)
            from ambmap.export import register_file_tables

            register_file_tables()
        return func(args, settings)
    except CancelledError as e:
        print(e.message, file=sys.stderr)
        return EXIT_CANCELLED
    except ValidationError as e:
        log.debug("validation", exc_info=True)
        print(
            f"Données invalides :\n{e.message}\nCorrigez ces valeurs dans le fichier indiqué (par exemple avec "
            "QGIS, ou le tableur d'où vient l'import), puis recommencez.",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except AmbmapError as e:
        log.debug("erreur", exc_info=True)
        print(f"Erreur : {e.message}", file=sys.stderr)
        if isinstance(e, ImportFileError) and e.__cause__ is not None and not args.verbose:  # the CLI's own hint
            print(f"Détail technique : relancez avec « ambmap -v {args.command or ''} … ».", file=sys.stderr)
        if isinstance(e, ProjectWriteError) or isinstance(e.__cause__, OSError):  # disk, rights: not bad data
            return EXIT_FAILURE
        return EXIT_BAD_INPUT if isinstance(e, (ValueError, ProjectFileError, ImportFileError)) else EXIT_FAILURE
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return EXIT_CANCELLED
    except BrokenPipeError:  # « ambmap coverage --csv | head »: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except OSError as e:  # disk, permissions, a path that cannot exist: never a traceback
        log.debug("erreur système", exc_info=True)
        where = f" « {e.filename} »" if getattr(e, "filename", None) else ""
        print(
            f"Erreur : opération impossible sur{where or ' un fichier'} ({os_reason(e)}). Vérifiez le "
            "chemin, les droits d'écriture et l'espace disque.",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    except Exception as e:  # a bug: a plain sentence for the user, the detail in the log file and with -v
        log.debug("erreur inattendue", exc_info=True)
        log.exception("erreur inattendue : ambmap %s", args.command or "", extra={"log_only": True})
        from ambmap.runtime import log_path

        journal = log_path()
        print(
            f"Erreur inattendue ({type(e).__name__}) : l'opération s'est arrêtée (un projet n'est jamais "
            f"enregistré à moitié). Relancez avec « ambmap -v "
            f"{args.command or ''} … » pour le détail technique et transmettez-le à l'équipe qui maintient "
            "ambmap" + (f", avec le journal « {journal} »." if journal else "."),
            file=sys.stderr,
        )
        return EXIT_FAILURE


def _not_for_the_log_only(record: logging.LogRecord) -> bool:
    return not getattr(record, "log_only", False)


if __name__ == "__main__":
    sys.exit(main())
