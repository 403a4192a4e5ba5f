"""A local stand-in for every official service, serving tests/data/sources files in the real formats.

The ``services`` fixture defined here is loaded for every test by tests/conftest.py (pytest_plugins): it
starts pytest-httpserver, routes each service's real paths to the fixture files, and gives Settings
whose base URLs all point at it (as a town hall's mirror would be configured). ``env`` points the same
services at the command line through AMBMAP_* variables; ``eight`` is a user's file of eight addresses,
four of which the fake geocoder knows.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from werkzeug import Request, Response

from ambmap.config import Settings

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"

#: Addresses the fake geocoder knows: text -> (lon, lat, score, label, citycode).
ADDRESSES = {
    "1 place du Théâtre, 59000 Lille": (3.0653, 50.6372, 0.95, "1 Place du Théâtre 59000 Lille", "59350"),
    "12 rue Nationale, 59000 Lille": (3.0590, 50.6350, 0.91, "12 Rue Nationale 59000 Lille", "59350"),
    "40 rue de Wazemmes, 59000 Lille": (3.0470, 50.6280, 0.88, "40 Rue de Wazemmes 59000 Lille", "59350"),
    "rue du Moulin, Lille": (3.0700, 50.6200, 0.41, "Rue du Moulin 59000 Lille", "59350"),
    "5 bd de Belfort, 59000 Lille": (3.0750, 50.6180, 0.87, "5 Boulevard de Belfort 59000 Lille", "59350"),
}

#: A user's ambassadors file with joined columns (Prénom + Nom, Numéro + Voie): the fake geocoder knows
#: the first four addresses (Awa, Karim, Lucie, Tran), not the last four.
EIGHT = (
    "Prénom;Nom;Numéro;Voie;Code postal;Ville;Statut\n"
    "Awa;Diallo;12;rue Nationale;59000;Lille;actif\n"
    "Karim;Benali;1;place du Théâtre;59000;Lille;actif\n"
    "Lucie;Martin;40;rue de Wazemmes;59000;Lille;en formation\n"
    "Tran;Nguyen;5;bd de Belfort;59000;Lille;actif\n"
    "Ana;Silva;102;rue Léon Gambetta;59000;Lille;actif\n"
    "Moussa;Traoré;7;rue des Postes;59000;Lille;actif\n"
    "Inès;Haddad;19;avenue du Peuple Belge;59800;Lille;actif\n"
    "Paul;Durand;1;rue Pierre Mauroy;59800;Lille;actif\n"
)


def write_eight(folder: Path) -> Path:
    """``ambassadeurs.csv`` holding EIGHT, written in ``folder``."""
    path = folder / "ambassadeurs.csv"
    path.write_text(EIGHT, encoding="utf-8")
    return path


def qpv_zip() -> bytes:
    """The national QPV file as data.gouv.fr serves it: a ZIP with GEOJSON/… inside."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        name = "QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson"
        archive.write(DATA / name, f"GEOJSON/{name}")
        archive.writestr("LISEZMOI.txt", "Quartiers prioritaires 2024")
    return buffer.getvalue()


def _lookup(text: str):
    return ADDRESSES.get(" ".join(text.split()))


def geocoder_search(request: Request) -> Response:
    """GET /geocodage/search?q=…&limit=1 -> GeoJSON FeatureCollection with score, label, citycode."""
    found = _lookup(request.args.get("q", ""))
    features = []
    if found:
        lon, lat, score, label, citycode = found
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"label": label, "score": score, "citycode": citycode, "type": "housenumber"},
            }
        )
    body = {"type": "FeatureCollection", "features": features, "query": request.args.get("q", "")}
    return Response(json.dumps(body), content_type="application/json")


class GeocoderCsv:
    """POST /geocodage/search/csv (multipart ``data`` file, ``columns``): the CSV with result columns added.

    Records what it received so tests can check that only the address column was sent.
    """

    def __init__(self):
        self.received: list[list[str]] = []

    def __call__(self, request: Request) -> Response:
        upload = request.files["data"].read().decode("utf-8")
        columns = request.form.getlist("columns")
        rows = list(csv.reader(io.StringIO(upload)))
        self.received.append(rows[0])
        header, records = rows[0], rows[1:]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            header
            + [
                "latitude",
                "longitude",
                "result_label",
                "result_score",
                "result_type",
                "result_citycode",
                "result_status",
            ]
        )
        for record in records:
            text = " ".join(record[header.index(c)] for c in columns)
            found = _lookup(text)
            if found:
                lon, lat, score, label, citycode = found
                writer.writerow(record + [lat, lon, label, score, "housenumber", citycode, "ok"])
            else:
                writer.writerow(record + ["", "", "", "", "", "", "not-found"])
        return Response(out.getvalue(), content_type="text/csv; charset=utf-8")


class Services:
    """Routes of every fake service on one pytest-httpserver, plus matching Settings."""

    def __init__(self, httpserver, cache_dir: Path):
        self.server = httpserver
        self.cache_dir = cache_dir
        self.geocoder_csv = GeocoderCsv()

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def settings(self, **changes) -> Settings:
        base = dict(
            cache_dir=self.cache_dir,
            qpv_url=self.url("/datasets/r/qpv2024"),
            qpv_population_url=self.url("/insee/pop_QPV24.csv"),
            geo_api_url=self.url("/geoapi"),
            geocoder_url=self.url("/geocodage"),
            overpass_url=self.url("/api/interpreter"),
            finess_url=self.url("/api/1/datasets/finess-extraction-du-fichier-des-etablissements/"),
            connect_timeout=2.0,
            read_timeout=5.0,
            max_retries=2,
            backoff_factor=0.01,
            max_retry_wait=1.0,
        )
        base.update(changes)
        return Settings(**base)

    def install(self) -> Services:
        s = self.server
        read = lambda name: (DATA / name).read_bytes()  # noqa: E731
        s.expect_request(
            "/geoapi/communes",
            query_string={"code": "59350", "format": "geojson", "geometry": "contour", "fields": "code,nom,population"},
        ).respond_with_data(read("geoapi_commune_59350.geojson"), content_type="application/json")
        s.expect_request("/geoapi/epcis/200093201/communes").respond_with_data(
            read("geoapi_epci_200093201_communes.geojson"), content_type="application/json"
        )
        s.expect_request("/geoapi/epcis/200093201").respond_with_data(
            read("geoapi_epci_200093201.json"), content_type="application/json"
        )
        s.expect_request(
            "/geoapi/communes",
            query_string={"nom": "Lille", "fields": "code,nom,population", "boost": "population", "limit": "10"},
        ).respond_with_data(read("geoapi_search_lille.json"), content_type="application/json")
        s.expect_request(
            "/geoapi/epcis", query_string={"nom": "Lille", "fields": "code,nom,population", "limit": "5"}
        ).respond_with_data(read("geoapi_search_epcis_lille.json"), content_type="application/json")
        s.expect_request("/datasets/r/qpv2024").respond_with_data(qpv_zip(), content_type="application/zip")
        s.expect_request("/insee/pop_QPV24.csv").respond_with_data(read("pop_QPV24.csv"), content_type="text/csv")
        s.expect_request("/api/interpreter", method="POST").respond_with_data(
            read("overpass_lille.json"), content_type="application/json"
        )
        dataset = read("finess_dataset.json").decode().replace("{base}", self.url("").rstrip("/"))
        s.expect_request("/api/1/datasets/finess-extraction-du-fichier-des-etablissements/").respond_with_data(
            dataset, content_type="application/json"
        )
        s.expect_request("/static/etalab-cs1100507-stock-20261105-0336.csv").respond_with_data(
            read("finess_extract.csv"), content_type="text/csv"
        )
        s.expect_request("/geocodage/search").respond_with_handler(geocoder_search)
        s.expect_request("/geocodage/search/csv", method="POST").respond_with_handler(self.geocoder_csv)
        return self


@pytest.fixture
def services(httpserver, tmp_path) -> Services:
    """Every official service faked on a local server, with Settings pointing at it."""
    return Services(httpserver, tmp_path / "cache").install()


@pytest.fixture
def env(services, monkeypatch):
    """Point every source at the fake services through environment variables, as a town hall would."""
    settings = services.settings()
    for name in (
        "qpv_url",
        "qpv_population_url",
        "geo_api_url",
        "geocoder_url",
        "overpass_url",
        "finess_url",
        "cache_dir",
        "max_retries",
        "backoff_factor",
        "max_retry_wait",
    ):
        monkeypatch.setenv(f"AMBMAP_{name.upper()}", str(getattr(settings, name)))
    return services


@pytest.fixture
def eight(tmp_path) -> Path:
    """The file of eight addresses (EIGHT) in this test's folder."""
    return write_eight(tmp_path)
