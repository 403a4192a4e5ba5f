"""The territory's streets: drawn under everything as a basemap that works offline and on paper, and
walked along by the walking catchments (only the ``walkable`` ones: see
:func:`ambmap.analysis.network.is_walkable` for the OpenStreetMap rule).
"""

from ambmap.layers.base import LINE, Field, LayerSchema

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
