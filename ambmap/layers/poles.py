"""Pôles Ressources Santé: the city's health resource centres in the QPVs."""

from ambmap.layers.base import GEOCODING_FIELDS, POINT, Field, LayerSchema

POLES = LayerSchema(
    kind="poles",
    title="Pôles Ressources Santé",
    fields=(
        Field("pole_id", "Identifiant"),
        Field("name", "Nom"),
        Field("address", "Adresse", required=False),
        Field("phone", "Téléphone", required=False),
        *GEOCODING_FIELDS,
    ),
    geometry_types=POINT,
    id_field="pole_id",
)
