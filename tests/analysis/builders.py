"""Hand-made projects in Lambert-93 metres, so expected answers can be worked out on paper."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Point, box

from ambmap.layers import AMBASSADORS, POLES, POPULATION_GRID, QPV, RESOURCES, Layer
from ambmap.project import Project

L93 = "EPSG:2154"
X0, Y0 = 700_000.0, 7_000_000.0  # near Lille


def frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=L93), crs=L93)


def qpv_layer(squares: list[tuple[str, float, float, float, int | None]]) -> Layer:
    """Square QPVs: (code, x offset, y offset, side, population)."""
    rows = [
        {"code_qp": c, "nom_qp": f"Quartier {c}", "insee_com": "59350", "lib_com": "Lille", "population": p}
        for c, _, _, _, p in squares
    ]
    return Layer(QPV, frame(rows, [box(X0 + x, Y0 + y, X0 + x + s, Y0 + y + s) for _, x, y, s, _ in squares]))


def ambassadors_layer(
    points: list[tuple[str, float, float, str]], languages: str = "français", radius: float | None = None
) -> Layer:
    """Ambassadors: (id, x offset, y offset, status)."""
    rows = [
        {"amb_id": a, "display_name": a, "status": st, "languages": languages, "radius_m": radius}
        for a, _, _, st in points
    ]
    return Layer(AMBASSADORS, frame(rows, [Point(X0 + x, Y0 + y) for _, x, y, _ in points]))


def make_project(
    qpv: Layer,
    ambassadors: Layer | None = None,
    *,
    grid: list[tuple[float, float, float, float]] = (),
    poles: list[tuple[float, float]] = (),
    resources: list[tuple[float, float, str]] = (),
) -> Project:
    """A project from layers; ``grid`` squares are (x, y, side, population)."""
    layers = [qpv]
    if ambassadors is not None:
        layers.append(ambassadors)
    if grid:
        layers.append(
            Layer(
                POPULATION_GRID,
                frame(
                    [{"idcar": f"c{i}", "population": p} for i, (_, _, _, p) in enumerate(grid)],
                    [box(X0 + x, Y0 + y, X0 + x + s, Y0 + y + s) for x, y, s, _ in grid],
                ),
            )
        )
    if poles:
        layers.append(
            Layer(
                POLES,
                frame(
                    [{"pole_id": f"P{i}", "name": f"Pôle {i}"} for i in range(len(poles))],
                    [Point(X0 + x, Y0 + y) for x, y in poles],
                ),
            )
        )
    if resources:
        layers.append(
            Layer(
                RESOURCES,
                frame(
                    [
                        {"resource_id": f"R{i}", "name": f"R {i}", "category": c}
                        for i, (_, _, c) in enumerate(resources)
                    ],
                    [Point(X0 + x, Y0 + y) for x, y, _ in resources],
                ),
            )
        )
    return Project({"code": "59350", "kind": "commune", "name": "Test"}, layers)
