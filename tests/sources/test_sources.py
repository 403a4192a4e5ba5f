"""Each official source against a local server serving its real response format."""

from __future__ import annotations

import io
import zipfile

import geopandas as gpd
import pytest
from pyproj import Geod
from shapely.geometry import Point, Polygon

from ambmap.errors import AmbmapError
from ambmap.layers import CATEGORIES, QPV, RESOURCES, TERRITORY, validate
from ambmap.sources import communes, finess, geocoding, overpass, qpv
from ambmap.sources.health import fetch_health_resources, merge_resources, similar_names
from ambmap.sources.http import HttpClient
from tests.sources.fakes import DATA

GEOD = Geod(ellps="WGS84")


def test_commune_outline(services):
    outlines, territory, fetched = communes.territory_outlines(services.settings(), commune="59350")
    assert territory == {"kind": "commune", "code": "59350", "name": "Lille"}
    assert list(outlines["code"]) == ["59350"] and outlines.crs == "EPSG:4326"
    validate(TERRITORY, outlines)
    assert fetched.url.startswith(services.url("/geoapi/communes"))


def test_epci_outlines(services):
    outlines, territory, _ = communes.territory_outlines(services.settings(), epci="200093201")
    assert territory["name"] == "Métropole Européenne de Lille" and territory["kind"] == "epci"
    assert sorted(outlines["code"]) == ["59350", "59512"]


@pytest.mark.parametrize(
    "kwargs, words",
    [({"commune": "Lille"}, "ce n'est pas le code postal"), ({"epci": "123"}, "SIREN"), ({}, "soit un code commune")],
)
def test_bad_territory_codes_are_explained(services, kwargs, words):
    with pytest.raises(AmbmapError, match=words):
        communes.territory_outlines(services.settings(), **kwargs)


def test_search_territories_by_name(services):
    found = communes.search_territories("Lille", services.settings())
    assert found[0] == {"kind": "commune", "code": "59350", "nom": "Lille", "population": 236710}
    assert {"kind": "epci", "code": "200093201", "nom": "Métropole Européenne de Lille", "population": 1179372} in found


def test_search_territories_by_codes(services):
    lille = [{"nom": "Lille", "code": "59350", "population": 236710}]
    server = services.server
    server.expect_request(
        "/geoapi/communes", query_string={"code": "59350", "fields": "code,nom,population"}
    ).respond_with_json(lille)
    server.expect_request(
        "/geoapi/communes", query_string={"code": "59000", "fields": "code,nom,population"}
    ).respond_with_json([])
    server.expect_request(
        "/geoapi/communes", query_string={"codePostal": "59000", "fields": "code,nom,population"}
    ).respond_with_json(lille)
    server.expect_request(
        "/geoapi/communes", query_string={"codePostal": "59350", "fields": "code,nom,population"}
    ).respond_with_json([])
    settings = services.settings()
    expected = [{"kind": "commune", "code": "59350", "nom": "Lille", "population": 236710}]
    assert communes.search_territories("59350", settings) == expected  # INSEE code
    assert communes.search_territories("59000", settings) == expected  # postcode
    assert communes.search_territories("200093201", settings)[0]["kind"] == "epci"  # SIREN
    assert communes.search_territories("  ", settings) == []


def test_qpv_filtered_for_a_commune_with_population(services):
    outlines, _, _ = communes.territory_outlines(services.settings(), commune="59350")
    data, prov = qpv.fetch_qpv(services.settings(), outlines)
    codes = set(data["code_qp"])
    assert {"QN059001", "QN059008"} <= codes  # the eight Lille QPVs
    assert "QN05999M" in codes  # listed with two communes, one is Lille
    assert "QN05998M" in codes  # an outdated commune code, but inside Lille: kept by the spatial check
    assert not codes & {"QN05912M", "QN01301M", "QN05950M"}  # Roubaix, Marseille, Tourcoing
    assert len(data) == 10
    valid = validate(QPV, data)
    assert valid.set_index("code_qp").at["QN059001", "population"] == 1000
    assert valid.set_index("code_qp")["population"].isna().sum() == 1  # QN05998M has no INSEE figure
    assert prov["licence"].startswith("Licence Ouverte") and prov["url"].endswith("/datasets/r/qpv2024")
    assert prov["date"] and prov["attribution"]


def test_qpv_filtered_for_a_multi_commune_epci(services):
    outlines, _, _ = communes.territory_outlines(services.settings(), epci="200093201")
    data, _ = qpv.fetch_qpv(services.settings(), outlines)
    codes = set(data["code_qp"])
    assert {"QN05912M", "QN05999M", "QN059001"} <= codes and len(data) == 11
    assert "QN05950M" not in codes and "QN01301M" not in codes


def test_qpv_national_file_downloaded_once(services):
    settings = services.settings()
    client = HttpClient(settings)
    for code in ("59350", "59350"):
        outlines, _, _ = communes.territory_outlines(settings, commune=code, client=client)
        qpv.fetch_qpv(settings, outlines, client)
    assert sum(1 for request, _ in services.server.log if request.path == "/datasets/r/qpv2024") == 1


def test_qpv_population_missing_is_a_notice_not_a_failure(services):
    settings = services.settings(qpv_population_url=services.url("/absent.csv"), max_retries=0)
    client = HttpClient(settings)
    outlines, _, _ = communes.territory_outlines(settings, commune="59350", client=client)
    data, _ = qpv.fetch_qpv(settings, outlines, client)
    assert data["population"].isna().all()
    assert any("Population des QPV non disponible" in n for n in client.notices)


def test_geocode_single_address(services):
    found = geocoding.geocode_one("1 place du Théâtre, 59000 Lille", services.settings())
    assert (found.lon, found.lat, found.score) == (3.0653, 50.6372, 0.95)
    assert found.label == "1 Place du Théâtre 59000 Lille" and found.citycode == "59350"
    assert geocoding.geocode_one("nulle part", services.settings()) is None


def test_geocode_batch_keeps_order_scores_and_sends_only_addresses(services):
    addresses = [
        "12 rue Nationale, 59000 Lille",
        "",
        "rue du Moulin, Lille",
        "adresse inconnue",
        "1 place du Théâtre, 59000 Lille",
    ]
    results = geocoding.geocode_many(addresses, services.settings())
    assert results[0].score == 0.91 and results[1] is None and results[3] is None
    assert results[2].score == 0.41  # the caller flags it « à vérifier » (below geocode_min_score)
    assert results[2].score < services.settings().geocode_min_score
    assert (results[4].lon, results[4].lat) == (3.0653, 50.6372)
    assert services.geocoder_csv.received == [["adresse"]]  # one column: nothing but the address


def test_overpass_elements_to_categories(services):
    outlines, _, _ = communes.territory_outlines(services.settings(), commune="59350")
    data, prov = overpass.fetch_osm_resources(services.settings(), outlines)
    by_id = data.set_index("resource_id")
    expected = {
        "osm-n101": "pharmacie",
        "osm-n102": "médecin généraliste",
        "osm-n103": "dentiste",
        "osm-w201": "hôpital/clinique",
        "osm-w202": "centre de santé",
        "osm-r301": "laboratoire",
        "osm-n104": "accès aux droits (CPAM, CCAS)",
        "osm-n105": "santé sexuelle (CeGIDD, planning familial)",
        "osm-n106": "santé mentale (CMP)",
    }
    for rid, category in expected.items():
        assert by_id.at[rid, "category"] == category, rid
    assert set(data["category"]) <= set(CATEGORIES)
    assert "osm-n107" not in by_id.index  # outside the territory outline
    assert by_id.at["osm-w201", "geometry"].equals(Point(3.0350, 50.6100))  # a way placed at its centre
    assert by_id.at["osm-n101", "address"] == "3 Rue Nationale, 59000 Lille"
    assert prov["attribution"] == "© les contributeurs d'OpenStreetMap" and "ODbL" in prov["licence"]
    request = next(r for r, _ in services.server.log if r.path == "/api/interpreter")
    query = request.form["data"]
    assert "[out:json]" in query and "out center tags;" in query


def test_overpass_runtime_error_is_not_data():
    body = b'{"elements": [], "remark": "runtime error: Query timed out in \\"query\\" at line 3"}'
    with pytest.raises(ValueError, match="interrompue"):
        overpass.parse_elements(body)


def test_finess_lambert93_placed_within_one_metre(services):
    data, prov = finess.fetch_finess_resources(services.settings(), {"59350"})
    by_id = data.set_index("resource_id")
    assert set(by_id.index) == {"finess-590000011", "finess-590000029", "finess-590000037", "finess-590000045"}
    point = by_id.at["finess-590000011", "geometry"]
    _, _, distance = GEOD.inv(point.x, point.y, 3.06003, 50.63002)
    assert distance < 1.0
    assert by_id.at["finess-590000029", "category"] == "hôpital/clinique"
    assert by_id.at["finess-590000037", "category"] == "santé mentale (CMP)"
    assert by_id.at["finess-590000045", "category"] == "PMI"
    assert by_id.at["finess-590000011", "address"] == "3 R NATIONALE, 59000 LILLE"
    assert prov["url"].endswith("etalab-cs1100507-stock-20261105-0336.csv")  # the geolocated resource
    validate(RESOURCES, data.assign(geocode_score=None, a_verifier=False))


def test_finess_commune_codes():
    assert finess.insee_code("59", "350") == "59350"
    assert finess.insee_code("2A", "004") == "2A004"
    assert finess.insee_code("9D", "411") == "97411"


def test_finess_overseas_utm():
    table = finess.parse_extract((DATA / "finess_extract.csv").read_bytes()).head(1)
    table = table.assign(x="338000", y="7690000", crs_source="1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_N40 S")
    assert finess._crs_for("UTM 40 S") == "EPSG:32740"
    point = finess.to_wgs84(table.assign(crs_source="UTM 40 S")).geometry.iloc[0]
    assert 55 < point.x < 56 and -21.5 < point.y < -20.5  # La Réunion


@pytest.mark.parametrize("zone", ["UTM 99 S", "UTM 0", "UTM 61 N", "UTM_N00"])
def test_finess_hostile_utm_zone_leaves_that_row_unplaced_not_the_whole_fetch(zone):
    """A zone that does not exist (UTM zones are 1 to 60) names no system: that row has no position (it is
    dropped like one without coordinates), the others are placed, never a pyproj error nor the polar
    system EPSG:32661 « crafted » by zone 61."""
    table = finess.parse_extract((DATA / "finess_extract.csv").read_bytes()).head(2)
    table = table.assign(x=["338000", "704000"], y=["7690000", "7059000"], crs_source=[zone, ""])
    assert finess._crs_for(zone) is None
    points = finess.to_wgs84(table).geometry
    assert points.iloc[0].is_empty or points.iloc[0].x != points.iloc[0].x  # no position (NaN)
    assert 3 < points.iloc[1].x < 3.2 and 50.5 < points.iloc[1].y < 50.7  # Lambert-93: Lille


def test_not_a_finess_file():
    with pytest.raises(ValueError, match="structureet"):
        finess.parse_extract(b"a;b;c\n1;2;3\n")


def test_dedupe_same_place_in_osm_and_finess(services):
    outlines, _, _ = communes.territory_outlines(services.settings(), commune="59350")
    merged, prov = fetch_health_resources(services.settings(), outlines)
    ids = set(merged["resource_id"])
    assert "finess-590000011" in ids and "osm-n101" not in ids  # same pharmacy, 1 m apart
    assert "finess-590000029" in ids and "osm-w201" not in ids  # « CH SAINT VINCENT » / « Hôpital Saint-Vincent »
    assert "osm-n108" in ids  # another pharmacy, far away
    assert prov["duplicates_removed"] == 2
    assert "OpenStreetMap" in prov["source"] and "FINESS" in prov["source"]


def test_dedupe_needs_same_category_and_similar_name():
    def frame(rows):
        return gpd.GeoDataFrame(
            [{"resource_id": r, "name": n, "category": c, "address": "", "source": ""} for r, n, c, _ in rows],
            geometry=[p for *_, p in rows],
            crs="EPSG:4326",
        )

    here, near = Point(3.06, 50.63), Point(3.0602, 50.6301)  # ~17 m apart
    official = frame([("f1", "PHARMACIE DU CENTRE", "pharmacie", here)])
    osm = frame(
        [
            ("o1", "Pharmacie du Centre", "pharmacie", near),
            ("o2", "Dr Dupont", "médecin généraliste", near),
            ("o3", "Pharmacie des Halles", "pharmacie", near),
            ("o4", "Pharmacie du Centre", "pharmacie", Point(3.07, 50.63)),
        ]
    )
    merged, dropped = merge_resources(official, osm)
    assert dropped == 1 and list(merged["resource_id"]) == ["f1", "o2", "o3", "o4"]
    assert similar_names("SELARL PHARMACIE VAUBAN", "Pharmacie Vauban") and not similar_names("Vauban", "Fives")


def test_one_source_down_keeps_the_other(services):
    settings = services.settings(overpass_url=services.url("/panne"), max_retries=0)
    client = HttpClient(settings)
    outlines, _, _ = communes.territory_outlines(settings, commune="59350", client=client)
    merged, prov = fetch_health_resources(settings, outlines, client)
    assert set(merged["source"]) == {"FINESS"} and len(merged) == 4
    assert any("Ressources OpenStreetMap non disponibles" in n for n in client.notices)


def test_qpv_population_also_read_from_a_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pop_QPV24.csv", (DATA / "pop_QPV24.csv").read_bytes())
    population = qpv.parse_population(buffer.getvalue())
    assert population["QN059001"] == 1000 and "QN05998M" not in population


def test_self_intersecting_outline_is_repaired_to_polygons():
    bow_tie = Polygon([(3.0, 50.6), (3.1, 50.7), (3.1, 50.6), (3.0, 50.7), (3.0, 50.6)])
    repaired = communes.polygonal(gpd.GeoSeries([bow_tie, None], crs="EPSG:4326"))
    assert repaired.iloc[0].is_valid and repaired.iloc[0].geom_type == "MultiPolygon"
    assert repaired.iloc[0].area == pytest.approx(0.005)  # both triangles kept
    assert repaired.iloc[1] is None
