"""Optional INSEE 200 m population grid (carreaux Filosofi), used to weigh coverage by residents."""

from ambmap.layers.base import AREA, Field, LayerSchema

POPULATION_GRID = LayerSchema(
    kind="population",
    title="Population (carreaux 200 m)",
    fields=(
        Field("idcar", "Identifiant du carreau"),
        Field("population", "Population", "float", minimum=0),
    ),
    geometry_types=AREA,
    id_field="idcar",
)
