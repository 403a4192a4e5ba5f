"""Headless commands over the same core as the window: ``ambmap COMMAND``.

``ambmap`` with no command opens the window. Exit codes: 0 success, 2 bad usage or bad data,
1 another failure (network, disk), 130 cancelled.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ambmap import __version__
from ambmap.config import Settings
from ambmap.errors import AmbmapError, CancelledError, ValidationError
from ambmap.project import DEFAULT_PROJECT, DEMO_LABEL, Project

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130
log = logging.getLogger("ambmap")


class FrenchArgumentParser(argparse.ArgumentParser):
    """argparse with its fixed English phrases in French."""

    def format_help(self) -> str:
        return (super().format_help().replace("usage:", "utilisation :")
                .replace("positional arguments:", "arguments :").replace("options:", "options :")
                .replace("show this help message and exit", "affiche cette aide et quitte"))

    def error(self, message: str):
        message = (message.replace("the following arguments are required", "arguments obligatoires manquants")
                   .replace("invalid choice", "choix invalide").replace("unrecognized arguments", "arguments inconnus")
                   .replace("expected one argument", "une valeur attendue")
                   .replace("one of the arguments", "un des arguments").replace("is required", "est obligatoire")
                   .replace("not allowed with argument", "incompatible avec"))
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog} : erreur : {message}\n")


def load_project(path: str | None) -> Project:
    """The project at ``path``, or the bundled Lille demonstration project."""
    return Project.load(path) if path else Project.default()


def add_project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", metavar="FICHIER",
                        help="fichier de projet .gpkg (par défaut : le territoire de démonstration de Lille)")


# -- commands ---------------------------------------------------------------------------------------
def cmd_info(args, settings: Settings) -> int:
    project = load_project(args.project)
    summary = project.summary()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return EXIT_OK
    t = project.territory
    print(f"Territoire : {t.get('name', '?')} ({t.get('kind', '?')} {t.get('code', '?')})")
    print(f"Fichier : {summary['path'] or f'(projet par défaut, {DEFAULT_PROJECT.name})'}")
    print(f"Données : {DEMO_LABEL if project.is_demo else 'officielles / utilisateur'}")
    for layer in project.ordered_layers():
        source = layer.provenance.get("source", "source inconnue")
        date = layer.provenance.get("date", "")
        print(f"  {layer.title:<35} {len(layer):>6} élément(s)   {source} {date}".rstrip())
    return EXIT_OK


def cmd_new(args, settings: Settings) -> int:
    target = Project.new_from_default(args.project)
    project = Project.load(target)
    print(f"Projet créé : {target} ({project.name}, {DEMO_LABEL.lower()}).")
    return EXIT_OK


def cmd_validate(args, settings: Settings) -> int:
    project = Project.load(args.project)
    counts = ", ".join(f"{layer.title} : {len(layer)}" for layer in project.ordered_layers())
    print(f"Projet valide : {args.project} ({counts}).")
    return EXIT_OK


def cmd_gui(args, settings: Settings) -> int:
    from ambmap.ui.app import run_gui  # imported here so the CLI runs without Qt

    return run_gui(settings, project_path=getattr(args, "project", None))


def cmd_screenshot(args, settings: Settings) -> int:
    from ambmap.ui.app import take_screenshot  # imported here so the CLI runs without Qt

    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise AmbmapError(f"Taille « {args.size} » invalide : écrivez LARGEURxHAUTEUR, par exemple 1600x1000.") from None
    target = take_screenshot(settings, args.output, project_path=args.project, size=(width, height),
                             category=args.filter, edit=args.edit)
    print(f"Capture enregistrée : {target}")
    return EXIT_OK


def cmd_export(args, settings: Settings) -> int:
    from ambmap.export import export
    from ambmap.export.layout import LayoutOptions

    project = load_project(args.project)
    layout = LayoutOptions(layout=args.layout, extent=args.extent, title=args.title, table=args.tableau)
    target = export(project, args.format, Path(args.output), level=args.level, layout=layout, layer=args.layer)
    print(f"Export {args.format.upper()} ({'niveau interne' if args.level == 'interne' else 'niveau public'}) "
          f"enregistré : {target}")
    return EXIT_OK


def cmd_present(args, settings: Settings) -> int:
    from ambmap.ui.presentation import run_presentation  # imported here so the CLI runs without Qt

    return run_presentation(settings, project_path=args.project)


def build_parser() -> argparse.ArgumentParser:
    parser = FrenchArgumentParser(prog="ambmap", description="Carte des ambassadeurs·rices de santé dans les QPV. "
                                  "Sans commande : ouvre la fenêtre.")
    parser.add_argument("--version", action="version", version=f"ambmap {__version__}",
                        help="affiche la version et quitte")
    parser.add_argument("-v", "--verbose", action="store_true", help="affiche le détail technique des erreurs")
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", parser_class=FrenchArgumentParser)

    p = sub.add_parser("info", help="résumé d'un projet : territoire, couches, provenance")
    add_project_option(p)
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("new", help="crée un projet (copie du territoire de démonstration de Lille)")
    p.add_argument("--project", metavar="FICHIER", required=True, help="fichier .gpkg à créer")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("validate", help="vérifie toutes les couches d'un projet")
    p.add_argument("--project", metavar="FICHIER", required=True, help="fichier .gpkg à vérifier")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("gui", help="ouvre la fenêtre (comme ambmap sans commande)")
    add_project_option(p)
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("screenshot", help="capture PNG de la fenêtre, carte entièrement dessinée")
    add_project_option(p)
    p.add_argument("--output", required=True, metavar="FICHIER", help="image PNG à écrire")
    p.add_argument("--size", default="1600x1000", metavar="LxH", help="taille de la fenêtre (défaut : 1600x1000)")
    p.add_argument("--filter", metavar="CATÉGORIE", help="n'affiche que cette catégorie de ressources de santé")
    p.add_argument("--edit", action="store_true", help="fenêtre en mode édition")
    p.set_defaults(func=cmd_screenshot)

    p = sub.add_parser("export", help="exporte la carte ou les données (PDF, PNG, HTML, GeoPackage, GeoJSON, XLSX, CSV)")
    add_project_option(p)
    p.add_argument("--format", required=True, choices=("pdf", "png", "html", "gpkg", "geojson", "xlsx", "csv"),
                   help="format du fichier produit")
    p.add_argument("--output", required=True, metavar="FICHIER", help="fichier à écrire")
    p.add_argument("--layout", default="a4-paysage", choices=("a4-paysage", "a4-portrait", "a3-paysage", "a3-portrait"),
                   help="mise en page de la carte PDF/PNG (défaut : a4-paysage)")
    p.add_argument("--level", default="public", choices=("public", "interne"),
                   help="niveau de diffusion : public (défaut, sans données personnelles) ou interne")
    p.add_argument("--layer", metavar="COUCHE", help="couche à exporter (GeoJSON : qpv par défaut ; GeoPackage : toutes)")
    p.add_argument("--extent", default="territoire", metavar="EMPRISE",
                   help="emprise de la carte PDF/PNG : territoire (défaut) ou le code d'un QPV (ex. QN059D01)")
    p.add_argument("--title", metavar="TITRE", help="titre de la carte PDF/PNG")
    p.add_argument("--tableau", action="store_true", help="ajoute au PDF une page avec les indicateurs par QPV")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("present", help="mode présentation plein écran (diapositives enregistrées dans le projet)")
    add_project_option(p)
    p.set_defaults(func=cmd_present)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    func = getattr(args, "func", cmd_gui)
    try:
        settings = Settings.load()
        return func(args, settings)
    except CancelledError as e:
        print(e.message, file=sys.stderr)
        return EXIT_CANCELLED
    except ValidationError as e:
        log.debug("validation", exc_info=True)
        print(f"Données invalides :\n{e.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except AmbmapError as e:
        log.debug("erreur", exc_info=True)
        print(f"Erreur : {e.message}", file=sys.stderr)
        return EXIT_BAD_INPUT if isinstance(e, (ValueError,)) else EXIT_FAILURE
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return EXIT_CANCELLED


if __name__ == "__main__":
    sys.exit(main())
