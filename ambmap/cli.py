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
