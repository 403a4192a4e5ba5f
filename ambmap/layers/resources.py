"""Health resources (ressources de santé), each in one category of a fixed French list."""

from ambmap.layers.base import GEOCODING_FIELDS, POINT, Field, LayerSchema

CATEGORIES = (
    "médecin généraliste",
    "pharmacie",
    "centre de santé",
    "hôpital/clinique",
    "dentiste",
    "PMI",
    "santé mentale (CMP)",
    "santé sexuelle (CeGIDD, planning familial)",
    "accès aux droits (CPAM, CCAS)",
    "laboratoire",
    "autre",
)

RESOURCES = LayerSchema(
    kind="resources",
    title="Ressources de santé",
    fields=(
        Field("resource_id", "Identifiant"),
        Field("name", "Nom"),
        Field("category", "Catégorie", "choice", choices=CATEGORIES),
        Field("address", "Adresse", required=False),
        Field("source", "Source", required=False),
        *GEOCODING_FIELDS,
    ),
    geometry_types=POINT,
    id_field="resource_id",
)
