"""The territory's streets, water, railways and parks from a fake Overpass server (real ``out geom`` JSON)."""

from __future__ import annotations

import json

import pytest

from ambmap.config import Settings
from ambmap.errors import SourceError
from ambmap.fetch import fetch_basemap, refresh
from ambmap.layers.streets import is_walkable, street_class
from ambmap.sources import overpass

LON, LAT = 3.0570, 50.6120  # Lille-Sud, inside the demo territory


def _way(i, tags, coords):
    """A way as ``out geom`` gives it: bounds, node ids, geometry inline."""
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    return {
        "type": "way",
        "id": i,
        "bounds": {"minlat": min(lats), "minlon": min(lons), "maxlat": max(lats), "maxlon": max(lons)},
        "nodes": list(range(i * 10, i * 10 + len(coords))),
        "geometry": [{"lat": lat, "lon": lon} for lon, lat in coords],
        "tags": tags,
    }


def _square(x, y, d):
    return [(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]


ELEMENTS = [
    _way(1, {"highway": "primary", "name": "Boulevard de Test"}, [(LON, LAT), (LON + 0.01, LAT)]),
    _way(2, {"highway": "residential", "name": "Rue des Essais", "oneway": "yes"}, [(LON, LAT), (LON, LAT + 0.005)]),
    _way(3, {"highway": "footway"}, [(LON + 0.002, LAT), (LON + 0.002, LAT + 0.003)]),
    _way(4, {"highway": "steps"}, [(LON + 0.003, LAT), (LON + 0.003, LAT + 0.001)]),
    _way(5, {"highway": "motorway", "name": "A 1"}, [(LON - 0.01, LAT - 0.01), (LON + 0.01, LAT - 0.01)]),
    _way(6, {"highway": "service", "access": "private"}, [(LON + 0.004, LAT), (LON + 0.004, LAT + 0.001)]),
    _way(7, {"highway": "tertiary", "name": "Rue <b>{{7*7}}</b>"}, [(LON, LAT + 0.002), (LON + 0.004, LAT + 0.002)]),
    _way(8, {"waterway": "river", "name": "La Deûle"}, [(LON - 0.02, LAT + 0.01), (LON + 0.02, LAT + 0.012)]),
    _way(9, {"natural": "water", "name": "Étang"}, _square(LON + 0.005, LAT + 0.005, 0.001)),
    _way(10, {"railway": "rail"}, [(LON - 0.02, LAT - 0.005), (LON + 0.02, LAT - 0.004)]),
    _way(11, {"leisure": "park", "name": "Parc des Tests"}, _square(LON - 0.006, LAT + 0.004, 0.002)),
    {
        "type": "relation",
        "id": 12,
        "tags": {"type": "multipolygon", "leisure": "park", "name": "Bois"},
        "members": [
            {
                "type": "way",
                "ref": 120,
                "role": "outer",
                "geometry": [{"lat": y, "lon": x} for x, y in _square(LON - 0.01, LAT - 0.003, 0.002)],
            },
            {
                "type": "way",
                "ref": 121,
                "role": "inner",
                "geometry": [{"lat": y, "lon": x} for x, y in _square(LON - 0.0095, LAT - 0.0025, 0.0005)],
            },
        ],
    },
    {"type": "node", "id": 13, "lat": LAT, "lon": LON, "tags": {"natural": "water"}},  # no extent: ignored
]


def _answer(elements) -> str:
    return json.dumps(
        {"version": 0.6, "generator": "Overpass API 0.7.62", "osm3s": {"copyright": "ODbL"}, "elements": elements}
    )


@pytest.fixture
def overpass_server(httpserver):
    httpserver.expect_request("/api/interpreter", method="POST").respond_with_data(
        _answer(ELEMENTS), content_type="application/json"
    )
    return httpserver


def _settings(server, **changes) -> Settings:
    return Settings(overpass_url=server.url_for("/api/interpreter"), max_retries=0, **changes)


def test_parser_sorts_ways_into_themes():
    themes = overpass.basemap_elements(json.loads(_answer(ELEMENTS))["elements"])
    assert {t: len(f) for t, f in themes.items()} == {
        "streets": 7,
        "railways": 1,
        "water_lines": 1,
        "water": 1,
        "parks": 2,
    }
    bois = themes["parks"].set_index("name").loc["Bois", "geometry"]
    assert len(bois.interiors) == 1  # the inner ring is a hole
    assert themes["streets"].iloc[1]["tags"]["highway"] == "residential"


def test_osm_rules_class_and_walkable():
    assert [street_class(v) for v in ("trunk", "secondary", "living_street", "cycleway", "steps", "major", "??")] == [
        "principale",
        "secondaire",
        "desserte",
        "piétonne/chemin",
        "escalier",
        "secondaire",
        None,
    ]
    assert not is_walkable({"highway": "motorway"}) and is_walkable({"highway": "steps"})
    assert not is_walkable({"highway": "service", "access": "private"})
    assert is_walkable({"highway": "service", "access": "private", "foot": "yes"})
    from ambmap.analysis import network  # the walking engine uses the same rule

    assert network.is_walkable is is_walkable


def test_fetch_streets_from_overpass_then_offline_from_the_cache(overpass_server, demo_project):
    layer = refresh(demo_project, "streets", _settings(overpass_server))
    query = overpass_server.log[0][0].form["data"]
    assert 'way["highway"]' in query and 'nwr["leisure"="park"]' in query and "out geom;" in query
    streets = demo_project.layer("streets").data.set_index("street_id")
    assert layer is demo_project.layer("streets") and len(streets) == 7
    assert streets.loc["osm-w1", "street_class"] == "principale" and streets.loc["osm-w4", "street_class"] == "escalier"
    assert streets.loc["osm-w3", "street_class"] == "piétonne/chemin"
    assert list(streets.loc[["osm-w2", "osm-w5", "osm-w6"], "walkable"]) == [True, False, False]
    assert streets.loc["osm-w7", "name"] == "Rue <b>{{7*7}}</b>"  # kept as text, escaped where drawn
    assert set(streets.geometry.geom_type) == {"MultiLineString"}
    water = demo_project.layer("water").data.set_index("water_id")
    assert len(water) == 2 and water.loc["osm-w8", "geometry"].area > 0  # the river as a band
    assert len(demo_project.layer("railways")) == 1 and len(demo_project.layer("parks")) == 2
    prov = demo_project.layer("streets").provenance
    assert prov["attribution"] == "© les contributeurs d'OpenStreetMap" and "ODbL" in prov["licence"]
    # offline: the same answer from the cache, no request
    again = fetch_basemap(demo_project, _settings(overpass_server, offline=True))
    assert len(again[0]) == 7 and len(overpass_server.log) == 1


def test_an_empty_answer_never_empties_the_streets(httpserver, demo_project, tmp_path):
    httpserver.expect_request("/api/interpreter", method="POST").respond_with_data(
        _answer(ELEMENTS), content_type="application/json"
    )
    refresh(demo_project, "streets", _settings(httpserver))
    httpserver.clear()
    httpserver.expect_request("/api/interpreter", method="POST").respond_with_data(
        _answer([]), content_type="application/json"
    )
    with pytest.raises(SourceError, match="aucune rue trouvée.*7 rue"):
        fetch_basemap(demo_project, _settings(httpserver, cache_dir=tmp_path / "other-cache"))
    assert len(demo_project.layer("streets")) == 7
