"""The importable layer kinds' names, readable without pandas: the command line builds its parser from
them in an instant (issue 15 point 6), while the registry (``registry.py``) needs every schema, hence
pandas and geopandas.

The registry stays the truth: once it is loaded (the window, a kind registered at runtime) its
importable kinds are read; before, only the built-in kinds can be registered, and
``tests/test_cli_startup.py`` checks that :data:`BUILT_IN` names exactly those, in order.
"""

import sys

#: {kind: the other names the user may type for it} for every built-in importable kind, in drawing order.
BUILT_IN: dict[str, tuple[str, ...]] = {
    "resources": ("ressources",),
    "poles": ("pôles",),
    "ambassadors": ("ambassadeurs",),
}


#: Every built-in layer kind, in drawing order (bottom first): ``ambmap info`` reads a project without pandas.
BUILT_IN_KINDS = (
    "parks",
    "water",
    "streets",
    "railways",
    "territory",
    "population",
    "qpv",
    "resources",
    "poles",
    "ambassadors",
)


def known_kinds() -> tuple[str, ...]:
    """Every layer kind a project file may hold, in drawing order, from the registry if it is loaded."""
    registry = sys.modules.get("ambmap.layers.registry")
    if registry is None or not registry.KINDS:
        return BUILT_IN_KINDS
    return tuple(registry.KINDS)


def importable() -> dict[str, tuple[str, ...]]:
    """{kind: its CLI names} of the importable kinds, from the registry if it is loaded."""
    registry = sys.modules.get("ambmap.layers.registry")
    if registry is None or not registry.KINDS:
        return dict(BUILT_IN)
    return {k.name: k.cli_names for k in registry.kinds(importable=True)}
