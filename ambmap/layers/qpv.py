"""Quartiers prioritaires de la politique de la ville (QPV 2024 perimeters)."""

from ambmap.layers.base import AREA, Field, LayerSchema

QPV = LayerSchema(
    kind="qpv",
    title="Quartiers prioritaires (QPV)",
    fields=(
        Field("code_qp", "Code QPV"),
        Field("nom_qp", "Nom du quartier"),
        Field("insee_com", "Code(s) commune", required=False),  # a user's QPV file may not say
        Field("lib_com", "Commune(s)"),
        Field("population", "Population", "int", required=False, minimum=0),
    ),
    geometry_types=AREA,
    id_field="code_qp",
)
