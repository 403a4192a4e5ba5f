"""The importable layer kinds' names, readable without pandas: the command line builds its parser from
them in an instant (issue 15 point 6), while the registry (``registry.py``) needs every schema, hence
pandas and geopandas.

The registry stays the truth: ``tests/test_cli_startup.py`` checks that this table names exactly its
importable kinds, in its order, with their CLI names.
"""

#: {kind: the other names the user may type for it} for every importable kind, in drawing order.
IMPORTABLE: dict[str, tuple[str, ...]] = {
    "resources": ("ressources",),
    "poles": ("pôles",),
    "ambassadors": ("ambassadeurs",),
}
