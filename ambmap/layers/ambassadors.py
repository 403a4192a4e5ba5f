"""Ambassadeurs·rices de santé: volunteers, so names and home addresses are personal data (RGPD).

``display_name`` and ``address`` are marked private, and so are the languages spoken and the start
date: beside a 200 m square, a rare language or a date can single a person out (and languages hint
at origins). So is the geocoding score: the geocoder scores each address of a square differently, so
the score of a home picks it out of its square. Public exports drop them, and exact points are moved to the centre of their 200 m
square (see ``ambmap.export``); per-QPV counts and language lists stay, as aggregates.
"""

import dataclasses

from ambmap.layers.base import (
    GEOCODING_FIELDS,
    POINT,
    Field,
    LayerSchema,
    radius_problem,
)

STATUSES = ("actif", "en formation", "inactif")

AMBASSADORS = LayerSchema(
    kind="ambassadors",
    title="Ambassadeurs·rices de santé",
    fields=(
        Field("amb_id", "Identifiant (pseudonyme)"),
        Field("display_name", "Nom affiché", private=True),
        Field("address", "Adresse", required=False, private=True),
        Field("status", "Statut", "choice", choices=STATUSES),
        Field("pole_id", "Pôle de rattachement", required=False),
        Field("themes", "Thèmes", "list", required=False),
        Field("languages", "Langues parlées", "list", required=False, private=True),
        Field("start_date", "Date d'entrée", "date", required=False, private=True),
        Field("radius_m", "Rayon de couverture (m)", "float", required=False, check=radius_problem),
        *(dataclasses.replace(f, private=True) if f.name == "geocode_score" else f for f in GEOCODING_FIELDS),
    ),
    geometry_types=POINT,
    id_field="amb_id",
)
