"""Privacy levels of exports: what may leave the service.

Ambassadors are volunteers; their names and home addresses are personal data (RGPD). Every export has
a *public* level (the default), built from :func:`public_copy`, and an *internal* level that keeps
everything but carries :data:`INTERNAL_MARK` visibly and in the file's metadata.
"""

from __future__ import annotations

import copy as copy_module

import numpy as np
import shapely

from ambmap.crs import grid_crs
from ambmap.errors import AmbmapError
from ambmap.project import Project

PUBLIC, INTERNAL = "public", "interne"
LEVELS = (PUBLIC, INTERNAL)
INTERNAL_MARK = "Document interne — données personnelles"
PUBLIC_MARK = "Document public — sans données personnelles"
#: Side of INSEE's squares (carreaux Filosofi); their CRS is :func:`ambmap.crs.grid_crs`.
GRID_SIZE_M = 200.0


def check_level(level: str) -> str:
    """The level, or a French error naming the allowed values."""
    if level not in LEVELS:
        raise AmbmapError(f"Niveau de diffusion « {level} » inconnu : choisissez « public » ou « interne ».")
    return level


def level_mark(level: str) -> str:
    """The sentence shown on, and recorded in, an export of ``level``."""
    return INTERNAL_MARK if check_level(level) == INTERNAL else PUBLIC_MARK


def snap_to_grid(points):
    """Move points (GeoSeries, any CRS) to the centre of their INSEE 200 m square (ETRS89-LAEA in mainland
    France, the local projection overseas); same CRS back."""
    import geopandas as gpd

    grid = grid_crs(points)
    xy = shapely.get_coordinates(points.to_crs(grid).to_numpy())
    centres = np.floor(xy / GRID_SIZE_M) * GRID_SIZE_M + GRID_SIZE_M / 2
    return gpd.GeoSeries(shapely.points(centres), crs=grid, index=points.index).to_crs(points.crs)


def public_copy(project: Project) -> Project:
    """A copy of ``project`` safe to publish: no ambassador name, address or exact point.

    Private fields become the row's pseudonymous identifier when required, empty otherwise, and the
    points of any layer with private fields move to the centre of their 200 m square. The original
    project is left untouched.
    """
    layers = []
    for layer in project.ordered_layers():
        copy = layer.copy()
        private = copy.schema.private_fields
        if private and len(copy):
            data = copy.data.copy()
            id_field = copy.schema.id_field
            for name in private:
                data[name] = data[id_field] if copy.schema.field(name).required else ""
            data = data.set_geometry(snap_to_grid(data.geometry))
            copy.data = data
        layers.append(copy)
    return Project(project.territory, layers, copy_module.deepcopy(project.options))


class _PublicView:
    """An analysis result as a public document shows it: attributes pass through, some are replaced."""

    def __init__(self, result):
        self._result = result

    def __getattr__(self, name: str):
        return getattr(self._result, name)


class PublicCoverage(_PublicView):
    """Coverage whose per-ambassador zones (discs around homes) are the one dissolved covered area."""

    @property
    def zones(self):
        return self._result.covered_area.assign(amb_id="zone couverte")[["amb_id", "geometry"]]


class PublicFigures(_PublicView):
    """Coverage computed on the public copy (shapes to draw) carrying the exact data's per-QPV figures."""

    FIGURES = frozenset({"per_qpv", "summary", "population_method", "resources_inside_by_category",
                         "resources_500m_by_category", "to_dict"})

    def __init__(self, drawn, exact):
        super().__init__(drawn)
        self._exact = exact

    def __getattr__(self, name: str):
        return getattr(self._exact if name in self.FIGURES else self._result, name)


class PublicRecommendation(_PublicView):
    """Recommended sites moved to their 200 m square centre and named after their QPV: a candidate may
    be the home of an ambassador in training."""

    @property
    def sites(self):
        sites = self._result.sites.copy()
        sites["label"] = [f"{nom or 'hors QPV'}, site n° {rank}" for nom, rank in zip(sites["nom_qp"], sites["rank"])]
        return sites.set_geometry(snap_to_grid(sites.geometry))


def public_coverage(coverage):
    """``coverage`` as a public document shows it (None stays None)."""
    return None if coverage is None else PublicCoverage(coverage)


def public_recommendation(recommendation):
    """``recommendation`` as a public document shows it (None stays None)."""
    return None if recommendation is None else PublicRecommendation(recommendation)
