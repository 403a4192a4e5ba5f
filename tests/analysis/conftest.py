"""Fixtures for the analysis tests: small hand-made projects (see builders.py)."""

from __future__ import annotations

import pytest

from ambmap.project import Project
from tests.analysis.builders import ambassadors_layer, make_project, qpv_layer


@pytest.fixture
def square_project() -> Project:
    """One 1 km square QPV of 1,000 inhabitants, one active ambassador on its south-west corner."""
    return make_project(
        qpv_layer([("Q1", 0, 0, 1000, 1000)]),
        ambassadors_layer([("A1", 0, 0, "actif"), ("A2", 1000, 1000, "en formation")]),
    )
