"""The rendered map page, checked by parsing its HTML (no Qt, no network)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from ambmap.analysis.indicators import coverage_class
from ambmap.errors import AmbmapError
from ambmap.render.map import IGN_ATTRIBUTION, OSM_ATTRIBUTION, MapOptions, map_html, page_data, write_map_html

EVIL = "<script>alert(1)</script>"
#: Hosts named in library licence comments or as an XML namespace: never fetched by the page.
NOT_FETCHED = {
    "www.w3.org",
    "leafletjs.com",
    "github.com",
    "www.jsdelivr.com",
    "bugzilla.mozilla.org",
    "www.sitepoint.com",
}
CDNS = (
    "cdn.jsdelivr.net",
    "cdnjs.cloudflare.com",
    "unpkg.com",
    "code.jquery.com",
    "netdna.bootstrapcdn.com",
    "d3js.org",
    "fonts.googleapis.com",
)


class _Tags(HTMLParser):
    """Collects every tag with its attributes."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def specs(page: str) -> dict[str, dict]:
    """The per-kind data ``ambmap.fill`` draws, from the page's data block."""
    drawn = page_data(page)["layers"]
    assert re.findall(r'ambmap\.fill\("(\w+)", \w+, \w+\);', page) == list(drawn)  # each kind filled, in order
    for spec in drawn.values():
        for feature in spec["features"]:
            if "p" in feature:
                feature["p"] = popup_html(spec, feature)
            if "kw" in spec:
                feature["t"] = f"<b>{feature['t']}</b><br>{spec['kw'][feature['k']]}"
    return drawn


def popup_html(spec: dict, feature: dict) -> str:
    """A popup as ambmap.js popupHtml writes it: the title (else the name), then the non-empty values
    under their labels, coded columns looked up."""
    values = [spec["pc"][i][v] if isinstance(v, int) else v for i, v in enumerate(feature["p"][1:])]
    rows = "".join(f"<tr><th>{label}</th><td>{v}</td></tr>" for label, v in zip(spec["pl"], values, strict=False) if v)
    return f'<div class="amb-popup"><h3>{feature["p"][0] or feature["t"]}</h3><table>{rows}</table></div>'


def finish_config(page: str) -> dict:
    assert re.search(r"ambmap\.finish\(\w+\);", page)
    return page_data(page)["config"]


def set_value(project, kind, row, field, value):
    layer = project.layer(kind)
    data = layer.data.copy()
    data.loc[row, field] = value
    layer.data = data


@pytest.fixture
def page(demo_project):
    return map_html(demo_project, options=MapOptions(basemap="none"))


def test_every_layer_and_feature_is_in_the_page(demo_project, page):
    drawn = specs(page)
    for kind in ("territory", "population", "qpv", "resources", "poles", "ambassadors"):
        layer = demo_project.layer(kind)
        ids = [f["id"] for f in drawn[kind]["features"]]
        assert ids == [str(v) for v in layer.data[layer.schema.id_field]], kind
    assert drawn["qpv"]["labels"] is True
    assert drawn["ambassadors"]["features"][0]["ll"] == pytest.approx(
        [
            demo_project.layer("ambassadors").data.geometry.iloc[0].y,
            demo_project.layer("ambassadors").data.geometry.iloc[0].x,
        ],
        abs=1e-5,
    )  # quantised to about 1 m


def test_page_is_offline_and_self_contained(page):
    tags = _Tags()
    tags.feed(page)
    scripts = [attrs for tag, attrs in tags.tags if tag == "script"]
    assert len(scripts) >= 3 and all("src" not in attrs for attrs in scripts)
    assert not [attrs for tag, attrs in tags.tags if tag == "link"]
    assert not [attrs for tag, attrs in tags.tags if tag in ("img", "iframe") and "src" in attrs]
    for cdn in CDNS:
        assert cdn not in page
    hosts = set(re.findall(r"https?://([^/\s\"'<>)\\]+)", page))
    assert hosts <= NOT_FETCHED
    assert "url(http" not in page.replace(" ", "")
    assert "L.markerClusterGroup = function" in page or "L.markerClusterGroup=function" in page  # plugin inlined
    assert "window.ambmap" in page


def test_data_text_is_escaped_in_tooltips_and_popups(demo_project):
    set_value(demo_project, "resources", 0, "name", EVIL)
    set_value(demo_project, "ambassadors", 0, "display_name", 'Zoé "<b>" & Cie')
    set_value(demo_project, "ambassadors", 0, "address", "<img src=x onerror=alert(2)>")
    set_value(demo_project, "qpv", 0, "nom_qp", "<i>Quartier</i>")
    page = map_html(demo_project, options=MapOptions(basemap="none"))
    assert EVIL not in page and "<img src=x" not in page and "<i>Quartier" not in page
    drawn = specs(page)
    resource = drawn["resources"]["features"][0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in resource["t"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in resource["p"]
    ambassador = drawn["ambassadors"]["features"][0]
    assert "Zoé &quot;&lt;b&gt;&quot; &amp; Cie" in ambassador["t"]
    assert "&lt;img src=x onerror=alert(2)&gt;" in ambassador["p"]
    assert drawn["qpv"]["features"][0]["t"] == "&lt;i&gt;Quartier&lt;/i&gt;"
    tags = _Tags()
    tags.feed(page)
    assert not [attrs for tag, attrs in tags.tags if tag == "img"]


def test_popups_show_the_fields_that_matter(page):
    drawn = specs(page)
    popup = drawn["resources"]["features"][0]["p"]
    assert "Catégorie" in popup and "médecin généraliste" in popup and "Adresse" in popup
    amb = drawn["ambassadors"]["features"][0]["p"]
    assert "Statut" in amb and "Langues parlées" in amb
    assert "Téléphone" in drawn["poles"]["features"][0]["p"] or "Adresse" in drawn["poles"]["features"][0]["p"]
    assert "<th>Population</th><td>19\u202f800</td>" in drawn["qpv"]["features"][0]["p"]  # Lille-Sud


def test_demo_banner_legend_and_attributions(demo_project, page):
    config = finish_config(page)
    assert config["banner"] == "Données de démonstration"
    assert "Légende" in config["legend"] and "Pharmacie" in config["legend"] and "Actif" in config["legend"]
    assert config["attributions"] == ["Données de démonstration"]  # the demo is nobody's official data
    minx, miny, maxx, maxy = demo_project.layer("territory").data.total_bounds
    assert sum(config["fit"], []) == pytest.approx([miny, minx, maxy, maxx])  # opens on the territory
    official = map_html(_not_demo(demo_project), options=MapOptions(basemap="none"))
    assert finish_config(official)["banner"] == ""


def _not_demo(project):
    for layer in project.layers.values():
        layer.provenance = {**layer.provenance, "demo": False}
    return project


def basemaps(page: str) -> list[tuple[str, str, str]]:
    return [(b["name"], b["url"], b["attribution"]) for b in finish_config(page)["basemaps"]]


def test_basemaps_carry_their_attribution(demo_project):
    ign = basemaps(
        map_html(demo_project, options=MapOptions(basemap="plan-ign", wmts_url="https://wmts.example.fr/wmts"))
    )
    assert ign[0][0] == "Plan IGN" and ign[0][2] == IGN_ATTRIBUTION
    assert ign[0][1].startswith("https://wmts.example.fr/wmts?SERVICE=WMTS") and "PLANIGNV2" in ign[0][1]
    osm = basemaps(map_html(demo_project, options=MapOptions(basemap="osm")))
    assert [b[2] for b in osm] == [OSM_ATTRIBUTION, IGN_ATTRIBUTION]  # OSM first (shown), IGN offered
    assert osm[0][1] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    local_page = map_html(
        demo_project, options=MapOptions(basemap="plan-ign", tile_url="http://127.0.0.1:8765/{z}/{x}/{y}.png")
    )
    assert basemaps(local_page) == [("Plan IGN (hors ligne)", "http://127.0.0.1:8765/{z}/{x}/{y}.png", IGN_ATTRIBUTION)]
    assert "data.geopf.fr" not in local_page
    none = map_html(demo_project, options=MapOptions(basemap="none"))
    assert basemaps(none) == [] and '"maxZoom": 19' in none


def test_attributions_follow_the_layers_provenance(demo_project):
    demo_project.layer("qpv").provenance = {"source": "ANCT", "attribution": "QPV 2024 : ANCT", "demo": False}
    demo_project.layer("resources").provenance = {"attribution": OSM_ATTRIBUTION}
    config = finish_config(map_html(demo_project, options=MapOptions(basemap="none")))
    assert config["attributions"] == ["Données de démonstration", "QPV 2024 : ANCT", OSM_ATTRIBUTION]


def test_osm_data_attribution_when_resources_come_from_osm(demo_project):
    set_value(demo_project, "resources", 0, "source", "OpenStreetMap")
    config = finish_config(map_html(demo_project, options=MapOptions(basemap="none")))
    assert f"Ressources : {OSM_ATTRIBUTION}" in config["attributions"]


def test_options_filter_categories_hide_layers_and_keep_view(demo_project):
    options = MapOptions(
        basemap="none", resource_categories=("pharmacie",), hidden={"qpv"}, labels=False, view=(50.63, 3.06, 15)
    )
    page = map_html(demo_project, options=options)
    drawn = specs(page)
    expected = (demo_project.layer("resources").data["category"] == "pharmacie").sum()
    assert len(drawn["resources"]["features"]) == expected > 0
    assert {f["k"] for f in drawn["resources"]["features"]} == {"pharmacie"}
    assert drawn["qpv"]["labels"] is False
    qpv_group = re.search(r'ambmap\.fill\("qpv", (\w+)', page).group(1)
    assert f"{qpv_group}.addTo(" not in page  # drawn, but not shown at start
    assert "[50.63, 3.06]" in page and '"zoom": 15' in page and finish_config(page)["fit"] is None


def test_invalid_basemap_is_refused_in_french():
    with pytest.raises(AmbmapError, match="Fond de carte « satellite » inconnu"):
        MapOptions(basemap="satellite")


def test_coverage_and_recommendation_layers(demo_project):
    from ambmap.analysis.coverage import compute_coverage

    coverage = compute_coverage(demo_project)
    sites = gpd.GeoDataFrame(
        {
            "rank": [1, 2],
            "label": ["Site <A>", "Site B"],
            "code_qp": ["QN059D01"] * 2,
            "nom_qp": ["Lille-Sud"] * 2,
            "gain": [812.4, 300.0],
        },
        geometry=[Point(3.05, 50.61), Point(3.06, 50.62)],
        crs="EPSG:4326",
    )
    recommendation = type("Recommendation", (), {"sites": sites})()
    page = map_html(demo_project, coverage=coverage, recommendation=recommendation, options=MapOptions(basemap="none"))
    drawn = specs(page)
    # ONE merged covered area; the disc of each ambassador is an optional layer, off at start
    assert len(drawn["coverage"]["features"]) == 1
    assert len(drawn["ambassador_zones"]["features"]) == len(coverage.zones)
    assert drawn["ambassador_zones"]["shown"] is False and drawn["coverage"]["shown"] is True
    assert drawn["resources"]["shown"] is False  # over a coverage map, resources come on demand
    assert [f["id"] for f in drawn["gaps"]["features"]] == list(coverage.gaps["code_qp"])
    assert len(drawn["pole_coverage"]["features"]) == len(coverage.pole_zones)
    classes = {f["id"]: f["k"] for f in drawn["qpv"]["features"]}
    assert classes == {code: coverage_class(share, 0.8) for code, share in coverage.per_qpv["covered_share"].items()}
    assert "Couverture" in drawn["qpv"]["features"][0]["p"]
    assert [f["id"] for f in drawn["recommendation"]["features"]] == ["1", "2"]
    assert "Site &lt;A&gt;" in drawn["recommendation"]["features"][0]["t"]
    assert ">1</div>" in drawn["recommendation"]["icons"]["1"]["html"]  # numbered markers
    assert ">2</div>" in drawn["recommendation"]["icons"]["2"]["html"]
    legend = finish_config(page)["legend"]
    assert "80\u202f% ou plus (objectif)" in legend and "Groupe de N" in legend
    # resources asked for by the user stay on
    again = specs(
        map_html(demo_project, coverage=coverage, options=MapOptions(basemap="none", shown=frozenset({"resources"})))
    )
    assert again["resources"]["shown"] is True


def test_empty_project_still_renders(tmp_path):
    from ambmap.project import Project

    path = write_map_html(
        Project({"code": "00000", "kind": "commune", "name": "Vide"}),
        tmp_path / "vide.html",
        options=MapOptions(basemap="none"),
    )
    page = path.read_text(encoding="utf-8")
    assert "ambmap.finish(" in page and not specs(page)


def test_lille_page_is_small(demo_project, tmp_path):
    path = write_map_html(demo_project, tmp_path / "lille.html")
    assert path.stat().st_size < 2_000_000


def test_layer_style_is_applied(demo_project):
    demo_project.layer("qpv").set_style(color="#123456", opacity=0.5)
    style = specs(map_html(demo_project, options=MapOptions(basemap="none")))["qpv"]["styles"][""]
    assert style["color"] == style["fillColor"] == "#123456"  # no coverage: the fill is the layer's own
    assert style["opacity"] == 0.5
    demo_project.layer("ambassadors").set_style(opacity=0.4)
    demo_project.layer("resources").set_style(categories=["PMI"])
    drawn = specs(map_html(demo_project, options=MapOptions(basemap="none")))
    assert drawn["ambassadors"]["opacity"] == 0.4
    assert {f["k"] for f in drawn["resources"]["features"]} == {"PMI"}


def test_write_error_is_french(demo_project, tmp_path):
    blocker = tmp_path / "fichier"
    blocker.write_text("x")
    with pytest.raises(AmbmapError, match="Impossible d'écrire la carte"):
        write_map_html(demo_project, blocker / "carte.html", options=MapOptions(basemap="none"))


def test_missing_values_are_left_out(demo_project):
    set_value(demo_project, "resources", 0, "address", pd.NA)
    popup = specs(map_html(demo_project, options=MapOptions(basemap="none")))["resources"]["features"][0]["p"]
    assert "Adresse" not in popup and "nan" not in popup.lower().replace("nancy", "")


def test_options_from_settings_follow_basemap_and_offline_mode():
    from ambmap.config import Settings

    settings = Settings(basemap="osm", osm_tile_url="http://tuiles.mairie.fr/{z}/{x}/{y}.png")
    options = MapOptions.from_settings(settings, labels=False)
    assert (options.basemap, options.osm_tile_url, options.labels) == ("osm", settings.osm_tile_url, False)
    assert MapOptions.from_settings(settings.replace(offline=True)).basemap == "none"
    local = MapOptions.from_settings(settings.replace(offline=True), tile_url="http://127.0.0.1:8000/{z}/{x}/{y}.png")
    assert local.basemap == "osm"


def test_unknown_population_is_said_not_crashed(demo_project):
    gaps = gpd.GeoDataFrame(
        {"code_qp": ["QN059D01"], "nom_qp": ["Lille-Sud"], "uncovered_population": [float("nan")]},
        geometry=[demo_project.layer("qpv").data.geometry.iloc[0]],
        crs="EPSG:4326",
    )
    coverage = type("Coverage", (), {"gaps": gaps})()
    drawn = specs(map_html(demo_project, coverage=coverage, options=MapOptions(basemap="none")))
    assert "population inconnue" in drawn["gaps"]["features"][0]["t"]


def test_assets_are_read_without_breaking_the_offlinefolium_package(page):
    import importlib
    import sys

    assert "offlinefolium" not in sys.modules or hasattr(sys.modules["offlinefolium"], "Map")
    assert hasattr(importlib.import_module("offlinefolium"), "Map")
    assert hasattr(importlib.import_module("offlinefolium.plugins"), "MarkerCluster")


def latlon(coords) -> list[float]:
    """(lon, lat) pairs as the flat [lat, lon, …] the page draws."""
    return [v for x, y in coords for v in (y, x)]


def test_packed_coordinates_decode_to_the_original_within_1e5():
    from shapely.geometry import LineString, MultiPolygon, Polygon

    from ambmap.render.map import PACK_ALPHABET, pack, unpack

    ring = [(3.0612345, 50.6312345), (3.0698765, 50.6312345), (3.0698765, 50.6387654), (3.0612345, 50.6312345)]
    hole = [(3.064, 50.633), (3.066, 50.633), (3.066, 50.635), (3.064, 50.633)]
    far = [(-61.5512345, 16.2412345), (-61.5498765, 16.2412345), (-61.5498765, 16.2487654), (-61.5512345, 16.2412345)]
    areas = pack([Polygon(ring, [hole]), MultiPolygon([Polygon(ring), Polygon(far)])])
    assert [len(polygons) for polygons in areas] == [1, 2] and len(areas[0][0]) == 2  # outer ring and hole
    originals = [[ring, hole], [ring], [far]]
    for packed, rings in zip([areas[0][0], areas[1][0], areas[1][1]], originals, strict=False):
        for part, coords in zip(packed, rings, strict=False):
            assert isinstance(part, str) and set(part) <= set(PACK_ALPHABET)  # no sign JSON or HTML escapes
            assert unpack(part).ravel() == pytest.approx(latlon(coords), abs=1e-5)
    lines = pack([LineString(ring[:3]), LineString(far[:2])])
    assert unpack(lines[1][0]).ravel() == pytest.approx(latlon(far[:2]), abs=1e-5)
    extremes = [(-179.99999, -85.0), (179.99999, 85.0), (0.0, 0.0), (0.00001, -0.00001)]  # widest steps, sign flips
    assert unpack(pack([LineString(extremes)])[0][0]).ravel() == pytest.approx(latlon(extremes), abs=1e-5)
    steps = pack([LineString([(3.0, 50.0), (3.00001, 50.00001), (3.00017, 50.0)])])[0][0]
    assert len(steps) == 5 + 4 + 1 + 1 + 1 + 2  # a whole point, then one sign per 1 m step, two for 16 m


def test_every_area_of_the_page_is_packed_and_decodes_to_its_geometry(demo_project, page):
    from ambmap.render.map import unpack

    drawn = specs(page)
    for kind in ("territory", "qpv", "population"):
        data = demo_project.layer(kind).data
        for feature, geometry in list(zip(drawn[kind]["features"], data.geometry, strict=False))[:50]:
            outer = feature["m"][0][0]
            first = geometry.geoms[0] if hasattr(geometry, "geoms") else geometry
            assert unpack(outer).ravel() == pytest.approx(latlon(first.exterior.coords), abs=1e-5), kind


def test_page_style_follows_the_layer_and_the_symbology(demo_project):
    from ambmap.layers import KINDS
    from ambmap.render import symbology
    from ambmap.render.map import page_style, restyled_in_page

    qpv = demo_project.layer("qpv")
    qpv.set_style(color="#123456", opacity=0.5, labels=False)
    style = page_style(qpv)
    assert style["labels"] is False
    assert style["styles"][""]["color"] == "#123456" and style["styles"][""]["opacity"] == 0.5
    for cls, symbol in symbology.style(KINDS["qpv"].symbol).classes.items():
        assert style["styles"][cls]["fillColor"] == symbol.fill  # a class keeps its colour
    poles = demo_project.layer("poles")
    poles.set_style(color="#654321", opacity=0.3)
    style = page_style(poles)
    assert style["opacity"] == 0.3 and "#654321" in style["icons"][""]["html"]
    assert restyled_in_page("qpv", "color") and restyled_in_page("resources", "categories")
    assert not restyled_in_page("qpv", "size") and not restyled_in_page("streets", "color")
