"""Pure layer models: schemas, validation and change notifications; no Qt, folium or HTTP.

The names below are loaded on first use (PEP 562): the schemas need pandas and geopandas, and
``import ambmap.layers.importable`` (the command line's parser) must not pay for them. The first name
used loads the registry, so every built-in kind is registered before any layer is read.
"""

import importlib

_HOMES = {
    "AMBASSADORS": "ambassadors",
    "STATUSES": "ambassadors",
    "Field": "base",
    "Layer": "base",
    "LayerSchema": "base",
    "split_list": "base",
    "validate": "base",
    "POLES": "poles",
    "POPULATION_GRID": "population",
    "QPV": "qpv",
    "KINDS": "registry",
    "SCHEMAS": "registry",
    "LayerKind": "registry",
    "kind_of": "registry",
    "kinds": "registry",
    "register": "registry",
    "unregister": "registry",
    "CATEGORIES": "resources",
    "RESOURCES": "resources",
    "TERRITORY": "territory",
    "BASEMAP_KINDS": "streets",
    "PARKS": "streets",
    "RAILWAYS": "streets",
    "STREETS": "streets",
    "WATER": "streets",
}

__all__ = [
    "AMBASSADORS",
    "BASEMAP_KINDS",
    "CATEGORIES",
    "KINDS",
    "PARKS",
    "POLES",
    "POPULATION_GRID",
    "QPV",
    "RAILWAYS",
    "RESOURCES",
    "SCHEMAS",
    "STATUSES",
    "STREETS",
    "TERRITORY",
    "WATER",
    "Field",
    "Layer",
    "LayerKind",
    "LayerSchema",
    "kind_of",
    "kinds",
    "register",
    "split_list",
    "unregister",
    "validate",
]


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    importlib.import_module(f"{__name__}.registry")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # the next use is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
