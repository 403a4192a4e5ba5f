"""Pure layer models: schemas, validation and change notifications; no Qt, folium or HTTP."""

from ambmap.layers.ambassadors import AMBASSADORS, STATUSES
from ambmap.layers.base import Field, Layer, LayerSchema, split_list, validate
from ambmap.layers.poles import POLES
from ambmap.layers.population import POPULATION_GRID
from ambmap.layers.qpv import QPV
from ambmap.layers.registry import KINDS, SCHEMAS, LayerKind, kind_of, kinds, register, unregister
from ambmap.layers.resources import CATEGORIES, RESOURCES
from ambmap.layers.streets import BASEMAP_KINDS, PARKS, RAILWAYS, STREETS, WATER
from ambmap.layers.territory import TERRITORY

__all__ = ["AMBASSADORS", "BASEMAP_KINDS", "CATEGORIES", "KINDS", "PARKS", "POLES", "POPULATION_GRID", "QPV",
           "RAILWAYS", "RESOURCES", "SCHEMAS", "STATUSES", "STREETS", "TERRITORY", "WATER", "Field", "Layer",
           "LayerKind", "LayerSchema", "kind_of", "kinds", "register", "split_list", "unregister", "validate"]
