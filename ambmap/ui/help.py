"""Aide › Guide de démarrage: what the colours mean, how to add people, read coverage, export, share.

The colours and class words are read from ``render/symbology.py``, the layer-kind registry and the
project's coverage target (``analysis.indicators``), the same sources the map and its legend use, so
the guide cannot disagree with the map. The text is ours; every piece of it is HTML-escaped and the
browser opens no link and loads no resource.
"""

from __future__ import annotations

import html
import re

from ambmap import text
from ambmap.analysis.indicators import COVERAGE_CLASS_KEYS, class_labels, project_target
from ambmap.layers import CATEGORIES, KINDS, STATUSES
from ambmap.project import Project
from ambmap.render import symbology
from ambmap.render.map import CLUSTER_NOTE, OVERLAY_TITLES
from ambmap.ui.dialogs import TextDialog

GUIDE_TITLE = "Guide de démarrage"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


#: The sign of an area drawn as a dashed outline only (no fill): the line in its colour on white.
OUTLINE = "- - -"


def _swatch(color: str, sign: str = "") -> str:
    """A table cell painted ``color`` (a symbology constant, checked) holding ``sign`` in white or ink,
    whichever reads; an :data:`OUTLINE` sign is drawn in ``color`` on white."""
    color = color if _COLOUR.fullmatch(color) else "#777777"
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    ink = "#ffffff" if 0.299 * r + 0.587 * g + 0.114 * b < 160 else symbology.INK
    background, ink = ("#ffffff", color) if sign == OUTLINE else (color, ink)
    return (
        f'<td bgcolor="{background}" width="34" align="center" style="white-space:nowrap">'
        f'<font color="{ink}"><b>{html.escape(sign) or "&nbsp;"}</b></font></td>'
    )


def _rows(rows: list[tuple[str, str, str]]) -> str:
    """A legend table: (colour, sign, words) per row."""
    body = "".join(f"<tr>{_swatch(c, s)}<td>&nbsp;{html.escape(words)}</td></tr>" for c, s, words in rows)
    return f'<table cellspacing="3" cellpadding="2">{body}</table>'


def _section(title: str, *paragraphs: str) -> str:
    return f"<h3>{html.escape(title)}</h3>" + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def _steps(*items: str) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def colour_rows(target: float) -> dict[str, list[tuple[str, str, str]]]:
    """The map's colours by heading: (colour, sign, words), from the symbology and the target."""
    labels = class_labels(target)
    qpv = symbology.style("qpv")
    ambassadors = symbology.style(KINDS["ambassadors"].symbol)
    resources = symbology.style(KINDS["resources"].symbol)
    pole = symbology.style(KINDS["poles"].symbol).symbol
    overlays = ("coverage", "gaps", "recommendation")  # the ones a coordinator meets first

    def cluster(kind: str) -> tuple[str, str, str]:  # the numbered discs and squares the map shows zoomed out
        plural = KINDS[kind].plural
        return symbology.color(KINDS[kind].symbol), "N", CLUSTER_NOTE.format(plural[0].lower() + plural[1:])

    return {
        f"Quartiers prioritaires (QPV) : part de la population couverte, objectif du projet {text.percent(target)}": [
            (qpv.of(k).fill or qpv.symbol.color, "", labels[k]) for k in COVERAGE_CLASS_KEYS
        ]
        + [(qpv.symbol.fill or qpv.symbol.color, "", "Avant le calcul de la couverture : QPV sans classe")],
        "Ambassadeurs·rices de santé, par statut": [
            (ambassadors.of(s).color, "", s[0].upper() + s[1:]) for s in STATUSES
        ]
        + [cluster("ambassadors")],
        "Pôles et ressources de santé": [(pole.color, pole.text, KINDS["poles"].plural)]
        + [(resources.of(c).color, resources.of(c).text, c[0].upper() + c[1:]) for c in CATEGORIES]
        + [cluster("resources")],
        "Résultats des analyses": [(_overlay(k)[0], _overlay(k)[1], OVERLAY_TITLES[k]) for k in overlays],
    }


def _overlay(key: str) -> tuple[str, str]:
    """(colour, sign) of an analysis overlay: a numbered disc, a dashed outline, or its fill."""
    symbol = symbology.style(key).symbol
    if symbol.shape == "number":
        return symbol.color, "1"
    if symbol.fill is None:
        return symbol.color, OUTLINE
    return symbol.fill, ""


def guide_html(project: Project) -> str:
    """The guide as HTML built only from our text and the symbology (no data text from the project)."""
    target = project_target(project)
    t = text.percent(target)
    colours = "".join(f"<h4>{html.escape(title)}</h4>{_rows(rows)}" for title, rows in colour_rows(target).items())
    return "".join(
        [
            f"<h2>{html.escape(GUIDE_TITLE)}</h2>",
            _section(
                "Les couleurs de la carte",
                "La légende de la carte (bouton « Légende » en bas à droite, un clic la déplie) reprend ces "
                "couleurs ; les noms des QPV portent leur part couverte une fois la couverture calculée. Vue de "
                "loin, la carte regroupe les points proches en un carré ou un rond numéroté : zoomez pour les "
                "voir un par un.",
            ),
            colours,
            _section("Ajouter ou importer des ambassadeurs·rices"),
            _steps(
                "Un par un : Édition › Mode édition (Ctrl+M), puis cliquez sur la carte à l'adresse de la "
                "personne et remplissez la fiche. Glissez un point pour le déplacer.",
                "Plusieurs à la fois : Fichier › Importer… (Ctrl+I) un tableau CSV ou Excel avec des adresses "
                "ou des coordonnées ; l'assistant associe les colonnes (Prénom + Nom, Numéro + Voie…) et dit "
                "ce qui a été ajouté.",
                "Sans connexion, les adresses ne peuvent pas être cherchées : les lignes sont gardées dans le "
                "panneau « À placer ». Choisissez une ligne, « Placer sur la carte », puis cliquez à l'adresse "
                "(Ctrl+Z annule) ; une fois en ligne, « Chercher les adresses » les place d'après leur adresse.",
                "Corriger une fiche : double-cliquez sur le point ou sur la ligne de la table attributaire "
                "(statut, pôle, thèmes, langues, dates).",
                "Toute modification s'annule avec Ctrl+Z (Édition › Annuler).",
            ),
            _section("Lire la couverture et « Où recruter »"),
            _steps(
                "Analyse › Calculer la couverture (Ctrl+R) : pour chaque QPV, la part de ses habitant·es qui "
                "vivent à portée d'un·e ambassadeur·rice actif·ve (rayon ou temps de marche réglés dans le "
                "panneau « Couverture des QPV »). Elle se recalcule seule après chaque modification.",
                f"Un QPV atteint l'objectif quand au moins {t} de sa population est couverte ; la ligne du "
                "panneau prend la couleur de sa classe sur la carte.",
                "Analyse › Recommander… (Ctrl+Maj+R) : les emplacements numérotés (1 = priorité) où recruter "
                "couvrirait le plus d'habitant·es encore non couvert·es. Après une modification, le panneau "
                "« Où recruter » affiche « À actualiser » : un clic refait le calcul.",
                "Analyse › Et si ? (Ctrl+W) : survolez ou cliquez la carte pour voir ce qu'un·e "
                "ambassadeur·rice de plus à cet endroit ajouterait, QPV par QPV.",
            ),
            _section("Exporter pour le contrat de ville"),
            _steps(
                "Fichier › Exporter… (Ctrl+E) : une carte à imprimer (PDF ou PNG) avec légende, sources et "
                "date ; cochez « Bilan d'une page pour le contrat de ville » pour une page A4 de chiffres, "
                "de carte et d'évolution.",
                "Les indicateurs par QPV s'exportent en Excel ou CSV ; les données géographiques en "
                "GeoPackage (avec les styles QGIS) ou GeoJSON ; une carte interactive en HTML.",
            ),
            _section("Présenter en réunion"),
            _steps(
                "Affichage › Panneau « Diapositives » : « Partir du jeu de départ » (territoire, couverture, "
                "manques, recommandation) ou « Ajouter la vue actuelle » de la carte ; chaque diapositive a "
                "un titre et une légende. « Insérer un chiffre à jour… » met dans la légende un chiffre "
                "(part couverte, QPV à l'objectif…) recalculé à chaque présentation.",
                "Mode présentation (F5) : la carte en plein écran, les chiffres au niveau public. Flèches ou "
                "Espace pour avancer, Échap pour quitter ; avec un second écran, la console de l'orateur·rice "
                "reste sur le vôtre.",
            ),
            _section("Niveau public ou interne"),
            _steps(
                "Public (choisi par défaut) : sans noms, adresses ni domiciles ; chaque domicile est placé au "
                "centre de son carreau INSEE de 200 m, les chiffres sont calculés sur ces positions et "
                "arrondis, et un QPV où vivent 1 ou 2 ambassadeurs·rices affiche « < 3 ». À utiliser pour "
                "tout document diffusé hors de l'équipe.",
                "Interne : tout, noms et adresses compris, pour l'équipe du projet seulement. Ne le diffusez "
                "pas : il contient des données personnelles.",
            ),
        ]
    )


class GuideDialog(TextDialog):
    """The guide in a plain text browser (no link followed, no resource loaded)."""

    def __init__(self, project: Project, parent=None):
        super().__init__(GUIDE_TITLE, guide_html(project), (640, 600), False, parent)
