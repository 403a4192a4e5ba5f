"""An overseas print is drawn in the local projection: north up, the scale bar true (issue 9 point 10)."""

from __future__ import annotations

import math
import re
from contextlib import contextmanager

import geopandas as gpd
import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation
from pyproj import Geod, Transformer
from shapely.geometry import Point, box

from ambmap.export.common import prepare
from ambmap.export.layout import LayoutOptions, draw_map_page, map_crs
from ambmap.layers import POLES, QPV, RESOURCES, TERRITORY, Layer
from ambmap.project import Project

WGS84 = "EPSG:4326"
GEOD = Geod(ellps="GRS80")


def synthetic_project(code: str, name: str, lon: float, lat: float) -> Project:
    """A commune of ~10 km around (lon, lat) with one QPV, one pôle and one pharmacy."""

    def frame(rows, geoms):
        return gpd.GeoDataFrame(rows, geometry=geoms, crs=WGS84)

    return Project(
        {"code": code, "kind": "commune", "name": name},
        [
            Layer(
                TERRITORY,
                frame(
                    [{"code": code, "nom": name, "population": 150_000}],
                    [box(lon - 0.06, lat - 0.05, lon + 0.06, lat + 0.03)],
                ),
            ),
            Layer(
                QPV,
                frame(
                    [
                        {
                            "code_qp": "QN97401M",
                            "nom_qp": "Quartier du Centre",
                            "insee_com": code,
                            "lib_com": name,
                            "population": 5000,
                        }
                    ],
                    [box(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.005)],
                ),
            ),
            Layer(POLES, frame([{"pole_id": "P1", "name": "Pôle Centre"}], [Point(lon, lat)])),
            Layer(
                RESOURCES,
                frame(
                    [{"resource_id": "R1", "name": "Pharmacie du Port", "category": "pharmacie"}],
                    [Point(lon + 0.004, lat - 0.003)],
                ),
            ),
        ],
    )


@pytest.fixture(scope="module")
def reunion():
    return synthetic_project("97411", "Saint-Denis", 55.45, -20.88)


@pytest.fixture(scope="module")
def lille():
    return synthetic_project("59350", "Lille", 3.06, 50.63)


@contextmanager
def draw(project):
    """The first page of the project's print and its map frame; the figure is closed afterwards."""
    import matplotlib.pyplot as plt

    fig = draw_map_page(prepare(project, "public", with_coverage=False), LayoutOptions())
    fig.canvas.draw()  # the frame takes its final shape (equal aspect) when drawn
    ax = next(a for a in fig.axes if any(p.get_zorder() == 11 for p in a.patches))  # the map frame
    try:
        yield fig, ax
    finally:
        plt.close(fig)


def scale_bar(ax) -> tuple[tuple[float, float], tuple[float, float], float]:
    """The bar's two ends (map coordinates) and the length printed at its right end, in metres."""
    halves = sorted(
        (p for p in ax.patches if isinstance(p, Rectangle) and p.get_zorder() == 11), key=lambda p: p.get_x()
    )
    start = (halves[0].get_x(), halves[0].get_y())
    end = (halves[-1].get_x() + halves[-1].get_width(), halves[-1].get_y())
    labels = [t for t in ax.texts if re.fullmatch(r"[\d,\u202f]+[ \u00a0]k?m", t.get_text())]
    label = max(labels, key=lambda t: t.get_position()[0]).get_text()
    number, unit = label.replace("\u202f", "").replace(",", ".").split()
    return start, end, float(number) * (1000 if unit == "km" else 1)


def north_angle(ax) -> float:
    """Angle (degrees, clockwise from the top of the page) of the printed north arrow."""
    arrow = next(t for t in ax.texts if isinstance(t, Annotation) and t.arrow_patch is not None)
    transform = {"data": ax.transData, "axes fraction": ax.transAxes}[arrow.xycoords]
    (x0, y0), (x1, y1) = transform.transform([arrow.xyann, arrow.xy])  # on the page, as printed
    return math.degrees(math.atan2(x1 - x0, y1 - y0))


def meridian_angle(ax, crs: str, lon: float, lat: float) -> float:
    """Angle (degrees, clockwise from the top of the page) of the meridian through (lon, lat) as drawn."""
    to_map = Transformer.from_crs(WGS84, crs, always_xy=True)
    (x0, y0), (x1, y1) = ax.transData.transform([to_map.transform(lon, lat - 0.02), to_map.transform(lon, lat + 0.02)])
    return math.degrees(math.atan2(x1 - x0, y1 - y0))


def footer(fig) -> str:
    return " ".join(t.get_text() for a in fig.axes for t in a.texts).replace("\n", " ")


@pytest.mark.parametrize(
    ("which", "crs", "label"),
    [("reunion", "EPSG:2975", "RGR92 / UTM zone 40S (EPSG:2975)"), ("lille", "EPSG:2154", "Lambert-93 (EPSG:2154)")],
)
def test_print_is_drawn_in_the_territory_projection(request, which, crs, label):
    project = request.getfixturevalue(which)
    lon, lat = project.layer("poles").data.geometry.iloc[0].coords[0]
    assert map_crs(project) == crs
    with draw(project) as (fig, ax):
        assert f"Projection {label}, échelle 1 : " in footer(fig)
        # the scale bar is as long on the ground as it says (geodesic distance between its two ends)
        start, end, metres = scale_bar(ax)
        to_lonlat = Transformer.from_crs(crs, WGS84, always_xy=True)
        (lon0, lat0), (lon1, lat1) = to_lonlat.transform(*start), to_lonlat.transform(*end)
        ground = GEOD.inv(lon0, lat0, lon1, lat1)[2]
        assert ground == pytest.approx(metres, rel=0.01)
        assert end[0] - start[0] == pytest.approx(metres)
        # north is up: the meridian through the town is (nearly) vertical and the arrow follows it
        meridian = meridian_angle(ax, crs, lon, lat)
        assert abs(meridian) < 1.0, meridian
        assert north_angle(ax) == pytest.approx(meridian, abs=0.1)


def test_lambert93_would_turn_and_stretch_a_reunion_print():
    """What the test above guards against: Saint-Denis in Lambert-93 is turned ~38° and twice too large."""
    from pyproj import Proj

    factors = Proj("EPSG:2154").get_factors(55.45, -20.88)
    assert abs(factors.meridian_convergence) > 30
    assert factors.meridional_scale > 1.5
    local = Proj("EPSG:2975").get_factors(55.45, -20.88)
    assert abs(local.meridian_convergence) < 1 and local.meridional_scale == pytest.approx(1, abs=1e-3)
