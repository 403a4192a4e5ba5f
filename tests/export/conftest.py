"""Exports of the bundled project, made once per test session, and the personal data they must hide."""

from __future__ import annotations

import pytest

from ambmap.export import FORMATS, WRITERS, export
from ambmap.project import Project


@pytest.fixture(scope="session")
def project() -> Project:
    project = Project.default()
    project.layer("population").visible = True
    return project


@pytest.fixture(scope="session")
def exports(project, tmp_path_factory):
    """Every format at both levels (public-only formats at the public one): {(fmt, level): path}."""
    folder = tmp_path_factory.mktemp("exports")
    from ambmap.analysis.recommend import recommend_for_project
    from ambmap.export.layout import LayoutOptions
    from ambmap.render.map import MapOptions

    # sites chosen among the homes of ambassadors in training: public exports must not reveal them
    recommendation = recommend_for_project(project, k=3, candidates="en formation", time_limit=10)
    made = {}
    for level in ("public", "interne"):
        for fmt in (f for f in FORMATS if level == "public" or not WRITERS[f].public_only):
            made[fmt, level] = export(
                project,
                fmt,
                folder / f"{level}.{fmt}",
                level=level,
                layout=LayoutOptions(table=True),
                layer="ambassadors" if fmt == "geojson" else None,
                map_options=MapOptions(basemap="none"),
                recommendation=recommendation,
            )
    return made
