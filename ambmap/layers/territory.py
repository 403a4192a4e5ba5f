"""The territory outline: one commune, or the member communes of an intercommunality (EPCI)."""

from ambmap.layers.base import AREA, Field, LayerSchema

TERRITORY = LayerSchema(
    kind="territory",
    title="Territoire",
    fields=(
        Field("code", "Code INSEE"),
        Field("nom", "Nom"),
        Field("population", "Population", "int", required=False, minimum=0),
    ),
    geometry_types=AREA,
    id_field="code",
)
