"""Importing a user's file into a project and placing its rows again (imports.py)."""

from __future__ import annotations

from ambmap import imports
from tests.sources.fakes import DATA


def test_geocode_layer_replaces_flagged_points(services, demo_project):
    files = DATA.parent / "imports"
    result = imports.import_file(files / "ambassadors_addresses.csv", "ambassadors", services.settings())
    imports.apply_import(demo_project, result, replace=True)
    layer = demo_project.layer("ambassadors")
    moved, doubtful = imports.geocode_layer(demo_project, "ambassadors", services.settings())
    assert moved == 1 and len(doubtful) == 1 and "score faible (0.41" in doubtful[0].reason
    assert demo_project.layer("ambassadors") is not layer  # swapped as a whole
    moved, doubtful = imports.geocode_layer(demo_project, "ambassadors", services.settings(), only_flagged=False)
    assert moved == 2
