"""Presentation mode shows the public project: no ambassador name, address or home, even among the
recommended sites chosen among ambassadors in training; slide text from the project is plain text."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")

from PySide6.QtCore import Qt  # noqa: E402

from ambmap.config import Settings  # noqa: E402
from ambmap.session import Session  # noqa: E402
from ambmap.ui.presentation import PresentationWindow  # noqa: E402
from tests.export.test_privacy import leaks, secret_patterns  # noqa: E402

LOAD_MS = 30_000
DUMP = """(function () {
  var out = {};
  Object.keys(ambmap.features).forEach(function (kind) {
    out[kind] = Object.keys(ambmap.features[kind]).map(function (id) {
      var l = ambmap.features[kind][id], t = l.getTooltip && l.getTooltip(), p = l.getPopup && l.getPopup();
      return {id: id, t: t ? t.getContent() : "", p: p ? p.getContent() : "",
              ll: l.getLatLng ? [l.getLatLng().lat, l.getLatLng().lng] : null,
              g: l.toGeoJSON ? l.toGeoJSON() : null};
    });
  });
  return out;
}())"""


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        config_dir=tmp_path / "config",
        basemap="none",
        offline=True,
    )


def test_presentation_draws_only_the_public_project(qtbot, demo_project, settings):
    from ambmap.analysis.recommend import recommend_for_project

    recommendation = recommend_for_project(demo_project, k=3, candidates="en formation", time_limit=10)
    demo_project.options["slides"] = [{"title": "<b>Titre</b> <img src=x>", "caption": "<i>légende</i>", "view": None}]
    session = Session(demo_project, settings)
    session.set_recommendation(recommendation)
    window = PresentationWindow(session)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    with qtbot.waitSignal(window.map_view.map_ready, timeout=LOAD_MS):
        window.show()
    drawn = window.map_view.run_js(DUMP)
    assert len(drawn["ambassadors"]) == len(demo_project.layer("ambassadors"))
    assert len(drawn["recommendation"]) == 3 and len(drawn["coverage"]) == 1  # one dissolved zone
    assert leaks(json.dumps(drawn, ensure_ascii=False).encode(), secret_patterns(demo_project)) == []
    # text of the project's slides is shown as typed, never interpreted as HTML
    assert window.title.textFormat() == Qt.TextFormat.PlainText
    assert window.caption.textFormat() == Qt.TextFormat.PlainText
    assert window.title.text() == "<b>Titre</b> <img src=x>"


def test_a_slide_centred_on_a_home_is_shown_centred_on_its_square(qtbot, demo_project, settings):
    # views are saved from the main map, which centres on an ambassador when a row of the table is selected
    import geopandas as gpd
    from shapely.geometry import Point

    from ambmap.export.privacy import snap_to_grid

    home = demo_project.layer("ambassadors").data.geometry.iloc[0]
    demo_project.options["slides"] = [
        {
            "title": "Zoom",
            "caption": "",
            "view": {
                "name": "Zoom",
                "lat": home.y,
                "lon": home.x,
                "zoom": 17,
                "visible": ["ambassadors"],
                "overlay": "none",
            },
        }
    ]
    window = PresentationWindow(Session(demo_project, settings))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    with qtbot.waitSignal(window.map_view.map_ready, timeout=LOAD_MS):
        window.show()
    qtbot.waitUntil(lambda: window.map_view.run_js("ambmap.view()")[2] == 17, timeout=LOAD_MS)
    lat, lon, _ = window.map_view.run_js("ambmap.view()")
    shown = gpd.GeoSeries([Point(lon, lat)], crs="EPSG:4326").to_crs("EPSG:3035").iloc[0]
    exact = gpd.GeoSeries([home], crs="EPSG:4326").to_crs("EPSG:3035").iloc[0]
    square = snap_to_grid(gpd.GeoSeries([home], crs="EPSG:4326")).to_crs("EPSG:3035").iloc[0]
    assert shown.distance(square) < 1 and shown.distance(exact) > 1


def test_a_framing_centred_on_a_home_moves_with_its_square_and_any_other_stays_exact(demo_project):
    import geopandas as gpd
    from shapely.geometry import Point

    from ambmap.export.privacy import snap_to_grid
    from ambmap.ui.presentation import public_view

    home = demo_project.layer("ambassadors").data.geometry.iloc[0]
    square = snap_to_grid(gpd.GeoSeries([home], crs="EPSG:4326")).iloc[0]
    bounds = [home.y - 0.01, home.x - 0.02, home.y + 0.01, home.x + 0.02]
    view = {"lat": home.y, "lon": home.x, "zoom": 15.5, "bounds": bounds, "visible": [], "overlay": "none"}
    moved = public_view(view, demo_project)
    assert (moved["lat"], moved["lon"]) == pytest.approx((square.y, square.x))
    dy, dx = square.y - home.y, square.x - home.x
    assert moved["bounds"] == pytest.approx([bounds[0] + dy, bounds[1] + dx, bounds[2] + dy, bounds[3] + dx])
    assert Point(moved["lon"], moved["lat"]).distance(home) > 1e-6  # the home itself is never the centre
    elsewhere = dict(view, lat=home.y + 0.003, lon=home.x + 0.003)  # ~400 m away: the presenter's framing
    assert public_view(elsewhere, demo_project) is elsewhere
