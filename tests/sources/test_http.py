"""The HTTP layer's faults, each against a local server: French messages, retries, cache, offline."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from ambmap.config import Settings
from ambmap.errors import SourceError
from ambmap.sources import http
from ambmap.sources.geocoding import geocode_one
from ambmap.sources.http import HttpClient

SERVICE = "test (géo)"
GOOD = {"type": "FeatureCollection", "features": []}


def _parse(body: bytes) -> dict:
    data = json.loads(body)
    if "features" not in data:
        raise ValueError("features absentes")
    return data


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        cache_dir=tmp_path / "cache",
        connect_timeout=1.0,
        read_timeout=0.3,
        max_retries=2,
        backoff_factor=0.01,
        max_retry_wait=0.05,
    )


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """Record the retry waits instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(http.time, "sleep", recorded.append)
    return recorded


def _today() -> str:
    return dt.date.today().strftime("%d/%m/%Y")


def test_user_agent_names_ambmap_and_response_is_cached(httpserver, settings):
    httpserver.expect_request("/x", headers={"User-Agent": settings.user_agent}).respond_with_json(GOOD)
    client = HttpClient(settings)
    first = client.fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse)
    assert not first.from_cache and "ambmap" in settings.user_agent
    second = client.fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse)
    assert second.from_cache and second.value == GOOD
    assert len(httpserver.log) == 1  # the fresh cache copy was used


def test_http_500_then_success_is_retried(httpserver, settings, waits):
    httpserver.expect_oneshot_request("/x").respond_with_data("oups", status=500)
    httpserver.expect_request("/x").respond_with_json(GOOD)
    fetched = HttpClient(settings).fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse)
    assert fetched.value == GOOD and not fetched.from_cache
    assert len(httpserver.log) == 2 and len(waits) == 1


def test_429_honours_retry_after_within_bound(httpserver, settings, waits):
    httpserver.expect_oneshot_request("/x").respond_with_response(
        Response("trop", status=429, headers={"Retry-After": "2"})
    )
    httpserver.expect_request("/x").respond_with_json(GOOD)
    client = HttpClient(settings.replace(max_retry_wait=5.0))
    assert client.fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse).value == GOOD
    assert waits == [2.0]


def test_429_wait_is_bounded(httpserver, settings, waits):
    httpserver.expect_oneshot_request("/x").respond_with_response(
        Response("trop", status=429, headers={"Retry-After": "3600"})
    )
    httpserver.expect_request("/x").respond_with_json(GOOD)
    HttpClient(settings.replace(max_retry_wait=1.5)).fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse)
    assert waits == [1.5]


def test_retry_after_http_date():
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    assert 25 <= http._retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT")) <= 31
    assert http._retry_after(None) is None and http._retry_after("n'importe") is None


def test_retries_are_bounded_then_french_message(httpserver, settings, waits):
    httpserver.expect_request("/x").respond_with_data("panne", status=503)
    with pytest.raises(SourceError) as e:
        HttpClient(settings).fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse)
    assert len(httpserver.log) == settings.max_retries + 1
    assert f"Le service {SERVICE} ne répond pas" in e.value.message
    assert "aucune donnée n'est en cache" in e.value.message and "rien n'a été modifié" in e.value.message


def test_client_error_is_not_retried(httpserver, settings, waits):
    httpserver.expect_request("/x").respond_with_data("absent", status=404)
    with pytest.raises(SourceError, match="HTTP 404"):
        HttpClient(settings).fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse)
    assert len(httpserver.log) == 1 and waits == []


def test_timeout_without_then_with_cache(httpserver, settings, waits):
    gates = [threading.Event()]

    def slow(request):  # holds the (single-threaded) server until the test opens the gate
        gates[-1].wait(5)
        return Response(json.dumps(GOOD))

    httpserver.expect_request("/slow").respond_with_handler(slow)
    client = HttpClient(settings.replace(max_retries=0))
    with pytest.raises(SourceError, match="délai d'attente dépassé"):
        client.fetch(httpserver.url_for("/slow"), service=SERVICE, parse=_parse)
    gates[-1].set()
    # with a stale cached copy: the copy is used and the user is told its date
    httpserver.clear()
    httpserver.expect_oneshot_request("/slow").respond_with_json(GOOD)
    client.fetch(httpserver.url_for("/slow"), service=SERVICE, parse=_parse)
    gates.append(threading.Event())
    httpserver.expect_request("/slow").respond_with_handler(slow)
    fetched = client.fetch(httpserver.url_for("/slow"), service=SERVICE, parse=_parse, max_age_days=0)
    gates[-1].set()
    assert fetched.from_cache and fetched.value == GOOD
    assert client.notices == [
        f"Le service {SERVICE} ne répond pas ; les données en cache du {_today()} sont utilisées."
    ]


def test_truncated_json_is_refused_and_never_cached(httpserver, settings):
    httpserver.expect_oneshot_request("/x").respond_with_data(
        '{"type": "FeatureCollection", "feat', content_type="application/json"
    )
    client = HttpClient(settings)
    with pytest.raises(SourceError, match="incomplète ou illisible"):
        client.fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse)
    httpserver.expect_request("/x").respond_with_json(GOOD)
    assert not client.fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse).from_cache
    assert (
        HttpClient(settings.replace(offline=True)).fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse).value
        == GOOD
    )


def test_truncated_answer_keeps_previous_cached_copy(httpserver, settings):
    httpserver.expect_oneshot_request("/x").respond_with_json(GOOD)
    client = HttpClient(settings)
    client.fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse)
    httpserver.expect_request("/x").respond_with_data('{"type": "Feat', content_type="application/json")
    fetched = client.fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse, max_age_days=0)
    assert fetched.value == GOOD and fetched.from_cache
    assert "les données en cache du" in client.notices[-1]


def test_corrupted_cache_file_is_set_aside(httpserver, settings):
    settings.cache_dir.mkdir(parents=True)
    (settings.cache_dir / "http_cache.sqlite").write_bytes(b"ceci n'est pas une base SQLite" * 100)
    httpserver.expect_request("/x").respond_with_json(GOOD)
    client = HttpClient(settings)
    assert client.fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse).value == GOOD
    assert any("cache des téléchargements était abîmé" in n for n in client.notices)
    assert list(settings.cache_dir.glob("http_cache.sqlite.abime-*"))
    # the rebuilt cache works: offline now serves the new copy
    assert (
        HttpClient(settings.replace(offline=True))
        .fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse)
        .from_cache
    )


def test_corrupted_cache_offline_gives_french_message(settings):
    settings.cache_dir.mkdir(parents=True)
    (settings.cache_dir / "http_cache.sqlite").write_bytes(b"\x00garbage" * 500)
    with pytest.raises(SourceError, match="Mode hors ligne"):
        HttpClient(settings.replace(offline=True)).fetch("http://127.0.0.1:9/x", service=SERVICE, parse=_parse)


def test_no_network_without_cache(settings, waits):
    with pytest.raises(SourceError) as e:
        HttpClient(settings).fetch("http://127.0.0.1:9/rien", service=SERVICE, parse=_parse)
    assert "connexion impossible" in e.value.message and "Vérifiez la connexion" in e.value.message


def test_no_network_with_cache_uses_it_and_says_so(settings, waits):
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        server.expect_request("/x").respond_with_json(GOOD)
        url = server.url_for("/x")
        HttpClient(settings).fetch(url, service=SERVICE, parse=_parse)
    finally:
        server.clear()
        server.stop()
    client = HttpClient(settings)
    fetched = client.fetch(url, service=SERVICE, parse=_parse, max_age_days=0)  # network gone
    assert fetched.value == GOOD and fetched.from_cache
    assert client.notices == [
        f"Le service {SERVICE} ne répond pas ; les données en cache du {_today()} sont utilisées."
    ]


def test_offline_never_touches_network(httpserver, settings):
    httpserver.expect_request("/x").respond_with_json(GOOD)
    HttpClient(settings).fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse)
    httpserver.clear_log()
    offline = HttpClient(settings.replace(offline=True))
    assert offline.fetch(httpserver.url_for("/x"), service=SERVICE, parse=_parse, max_age_days=0).from_cache
    with pytest.raises(SourceError, match="Mode hors ligne : les données du service .* ne sont pas dans le cache"):
        offline.fetch(httpserver.url_for("/autre"), service=SERVICE, parse=_parse)
    assert len(httpserver.log) == 0


def test_wrong_shape_is_refused_like_truncation(httpserver, settings):
    httpserver.expect_request("/geocodage/search").respond_with_json(
        {"type": "FeatureCollection", "features": [{"properties": {"score": 0.9}}]}
    )
    with pytest.raises(SourceError, match="incomplète ou illisible"):
        geocode_one("1 rue X", settings.replace(geocoder_url=httpserver.url_for("/geocodage")))


def test_interrupted_download_resumes_with_range(httpserver, settings, waits):
    body = json.dumps({"type": "FeatureCollection", "features": [{"n": i} for i in range(3000)]}).encode()
    half = len(body) // 2

    def cut(request):  # announces the whole length, sends half, then the connection drops
        return Response(
            iter([body[:half]]), headers={"Content-Length": str(len(body))}, content_type="application/json"
        )

    def rest(request):
        start = int(request.headers["Range"].removeprefix("bytes=").rstrip("-"))
        return Response(
            body[start:],
            status=206,
            content_type="application/json",
            headers={"Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"},
        )

    httpserver.expect_oneshot_request("/gros").respond_with_handler(cut)
    httpserver.expect_request("/gros", headers={"Range": f"bytes={half}-"}).respond_with_handler(rest)
    client = HttpClient(settings)
    fetched = client.fetch(httpserver.url_for("/gros"), service=SERVICE, parse=_parse)
    assert len(fetched.value["features"]) == 3000 and len(httpserver.log) == 2
    offline = HttpClient(settings.replace(offline=True))  # the cache holds the whole, reassembled file
    assert len(offline.fetch(httpserver.url_for("/gros"), service=SERVICE, parse=_parse).value["features"]) == 3000
