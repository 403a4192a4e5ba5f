"""The territory's basemap layers: streets, water, railways and parks, stored in the project.

Drawn under everything as a basemap that works offline and on paper; the streets are also walked
along by the walking catchments (only the ``walkable`` ones). The OpenStreetMap rules (which way is
walkable, which ``highway`` is which class) live here, the lowest floor that both the Overpass download
(``ambmap.fetch``), the file import (``ambmap.imports``) and the walking engine (``ambmap.analysis``)
may read.

Water is ONE area layer: lakes, ponds and the river areas OSM draws as polygons, plus the river and
canal centre lines buffered by a typical width (:data:`WATERWAY_WIDTH_M`) where no area exists, so a
map shows the Deûle as a band whichever way it was mapped, and paper and screen draw one fill.
"""

from __future__ import annotations

from collections.abc import Mapping

from ambmap.layers.base import AREA, LINE, Field, LayerSchema

#: Street classes, from the widest to the narrowest (drawing widths follow this order).
STREET_CLASSES = ("principale", "secondaire", "desserte", "piétonne/chemin", "escalier")

STREETS = LayerSchema(
    kind="streets",
    title="Rues",
    fields=(
        Field("street_id", "Identifiant"),
        Field("name", "Nom", required=False),
        Field("street_class", "Classe", "choice", choices=STREET_CLASSES),
        Field("walkable", "Praticable à pied", "bool"),
    ),
    geometry_types=LINE,
    id_field="street_id",
)

WATER = LayerSchema(
    kind="water",
    title="Eau (cours d'eau, canaux, plans d'eau)",
    fields=(Field("water_id", "Identifiant"), Field("name", "Nom", required=False)),
    geometry_types=AREA,
    id_field="water_id",
)

RAILWAYS = LayerSchema(
    kind="railways",
    title="Voies ferrées",
    fields=(Field("rail_id", "Identifiant"), Field("name", "Nom", required=False)),
    geometry_types=LINE,
    id_field="rail_id",
)

PARKS = LayerSchema(
    kind="parks",
    title="Parcs et espaces verts",
    fields=(Field("park_id", "Identifiant"), Field("name", "Nom", required=False)),
    geometry_types=AREA,
    id_field="park_id",
)

#: The basemap kinds, bottom first.
BASEMAP_KINDS = ("parks", "water", "streets", "railways")

#: Typical full width (metres) of a waterway drawn from its centre line.
WATERWAY_WIDTH_M = {"river": 20.0, "canal": 16.0}

#: highway values a pedestrian may not walk (DATA_SOURCES.md): motorways, trunks, unbuilt roads
NOT_WALKABLE_HIGHWAYS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link", "construction", "proposed"})
_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
_FOOT_FORBIDDEN = frozenset({"no", "private"})


def is_walkable(tags: Mapping[str, str]) -> bool:
    """True when an OpenStreetMap way with these tags can be walked.

    Every ``highway`` except motorways, trunks and roads under construction or proposed (DATA_SOURCES.md);
    not ``foot=no`` (nor ``foot=private``); not ``access=private`` (nor ``access=no``) unless ``foot``
    explicitly allows walking. ``oneway`` is ignored: it binds vehicles, not pedestrians.
    """
    highway = tags.get("highway")
    if not highway or highway in NOT_WALKABLE_HIGHWAYS:
        return False
    foot = tags.get("foot")
    if foot in _FOOT_FORBIDDEN:
        return False
    return tags.get("access") not in _FOOT_FORBIDDEN or foot in _FOOT_ALLOWED


_HIGHWAY_CLASS = {
    **dict.fromkeys(("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"), "principale"),
    **dict.fromkeys(("secondary", "secondary_link", "tertiary", "tertiary_link"), "secondaire"),
    **dict.fromkeys(("residential", "unclassified", "service", "living_street", "road", "busway"), "desserte"),
    **dict.fromkeys(
        ("pedestrian", "footway", "path", "cycleway", "track", "bridleway", "corridor", "sidewalk", "crossing"),
        "piétonne/chemin",
    ),
    "steps": "escalier",
}

#: Class names met in street files, lower-cased, to :data:`STREET_CLASSES`: the OSM ``highway`` values,
#: the ``roadClass`` of the reference extracts (highway / major / minor), and common French words.
CLASS_ALIASES: dict[str, str] = {
    **_HIGHWAY_CLASS,
    **{c: c for c in STREET_CLASSES},
    "highway": "principale",
    "major": "secondaire",
    "minor": "desserte",
    "autoroute": "principale",
    "nationale": "principale",
    "départementale": "secondaire",
    "principal": "principale",
    "secondaire": "secondaire",
    "locale": "desserte",
    "rue": "desserte",
    "piéton": "piétonne/chemin",
    "piétonne": "piétonne/chemin",
    "chemin": "piétonne/chemin",
    "sentier": "piétonne/chemin",
    "escaliers": "escalier",
}


def street_class(value) -> str | None:
    """The street class of an OSM ``highway`` value or a file's class value (None: unknown)."""
    return CLASS_ALIASES.get(str(value).strip().lower()) if value is not None else None
