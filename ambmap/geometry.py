"""Polygon repair shared by the sources (official outlines) and the layers (project files, forms).

Official and hand-made outlines sometimes self-intersect (a « bow tie »): shapely's overlays then fail
or give wrong areas, so every polygon is made valid before any overlay, keeping its polygonal parts
only (a repair can leave stray lines or points). Bottom floor, beside crs and text: sources and layers both use it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely


def _areas_only(geom):
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def repair(geometries: np.ndarray) -> np.ndarray:
    """Valid polygonal versions of ``geometries`` (None where nothing polygonal is left)."""
    fixed = shapely.make_valid(np.asarray(geometries, dtype=object))
    return np.array([_areas_only(g) for g in fixed], dtype=object)


def polygonal(geometries: gpd.GeoSeries) -> gpd.GeoSeries:
    """``geometries`` with every invalid or non-polygonal one repaired (valid ones are kept as they are:
    the national QPV file has ~1,600 and only a few need it)."""
    values = geometries.to_numpy(dtype=object)
    present = ~shapely.is_missing(values)
    todo = present & ~(shapely.is_valid(values) & np.isin(shapely.get_type_id(values), (3, 6)))
    if not todo.any():
        return geometries
    values = values.copy()
    values[todo] = repair(values[todo])
    return gpd.GeoSeries(values, index=geometries.index, crs=geometries.crs)
