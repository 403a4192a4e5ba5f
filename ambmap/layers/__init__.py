"""Pure layer models: schemas, validation and change notifications; no Qt, folium or HTTP."""

from ambmap.layers.ambassadors import AMBASSADORS, STATUSES
from ambmap.layers.base import Field, Layer, LayerSchema, split_list, validate
from ambmap.layers.poles import POLES
from ambmap.layers.population import POPULATION_GRID
from ambmap.layers.qpv import QPV
from ambmap.layers.resources import CATEGORIES, RESOURCES
from ambmap.layers.territory import TERRITORY

#: Every layer kind a project can hold, in drawing order (bottom first).
SCHEMAS: dict[str, LayerSchema] = {s.kind: s for s in
                                   (TERRITORY, POPULATION_GRID, QPV, RESOURCES, POLES, AMBASSADORS)}

__all__ = ["AMBASSADORS", "CATEGORIES", "Field", "Layer", "LayerSchema", "POLES", "POPULATION_GRID", "QPV",
           "RESOURCES", "SCHEMAS", "STATUSES", "TERRITORY", "split_list", "validate"]
