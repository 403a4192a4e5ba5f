"""Network limits (issue 9, point 6): a silent, a dripping and an endless server on 127.0.0.1.

Each server loop is bounded and stops by itself; the only time check is a generous upper bound that
proves the call ended (the deadline in these tests is 2 s).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ambmap.config import Settings
from ambmap.errors import AmbmapError, SourceError
from ambmap.sources.http import HttpClient

SERVICE = "test (lent)"
GOOD = json.dumps({"features": []}).encode()
ENDS_WITHIN = 30.0  # seconds: proves termination, not a benchmark


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def do_GET(self) -> None:
        mode, stop = self.server.mode, self.server.stop
        try:
            if mode == "ok":
                self._head(len(GOOD))
                self.wfile.write(GOOD)
            elif mode == "silence":  # reads the request, never answers (for at most 20 s)
                stop.wait(20)
            elif mode == "goutte":  # announces 100 kB, then one byte every half second (at most 60)
                self._head(100_000)
                for _ in range(60):
                    if stop.wait(0.5):
                        break
                    self.wfile.write(b" ")
                    self.wfile.flush()
            elif mode == "sans-fin":  # no length, 64 kB chunks for ever (at most 50 MB)
                self._head(None)
                for _ in range(800):
                    if stop.is_set():
                        break
                    self.wfile.write(b"x" * 65536)
            elif mode == "annonce-trop":  # an honest server announcing a body over the cap
                self._head(50_000_000)
                stop.wait(5)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client left, as it should

    def _head(self, length: int | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Connection", "close")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mode = "ok"
    stop = threading.Event()


@pytest.fixture
def server():
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.stop = threading.Event()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.stop.set()
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture
def settings(tmp_path) -> Settings:
    # the read timeout stays long: only the total deadline can stop a dripping server
    return Settings(
        cache_dir=tmp_path / "cache",
        download_deadline=2.0,
        read_timeout=60.0,
        max_retries=2,
        backoff_factor=0.01,
        max_retry_wait=0.05,
    )


def _parse(body: bytes) -> dict:
    return json.loads(body)


def _fetch(client: HttpClient, url: str, **kwargs):
    start = time.monotonic()
    try:
        return client.fetch(url, service=SERVICE, parse=_parse, **kwargs)
    finally:
        assert time.monotonic() - start < ENDS_WITHIN


@pytest.mark.parametrize("mode", ["silence", "goutte"])
def test_a_silent_or_dripping_server_fails_within_the_deadline(server, settings, mode):
    server.mode = mode
    messages: list[str] = []
    with pytest.raises(SourceError) as error:
        _fetch(
            HttpClient(settings),
            f"http://127.0.0.1:{server.server_port}/x",
            progress=lambda done, total, message: messages.append(message),
        )
    assert f"Le service {SERVICE} ne répond pas (aucune réponse complète en 2 s" in error.value.message
    assert "aucune donnée n'est en cache" in error.value.message
    if mode == "silence":  # the progress line shows the wait
        assert any(f"en attente de {SERVICE} (" in m for m in messages)


def test_past_the_deadline_the_cached_copy_is_used(server, settings):
    url = f"http://127.0.0.1:{server.server_port}/x"
    client = HttpClient(settings)
    assert not _fetch(client, url).from_cache
    server.mode = "silence"
    fetched = _fetch(client, url, max_age_days=0)
    assert fetched.from_cache and fetched.value == {"features": []}
    assert client.notices[-1].startswith(f"Le service {SERVICE} ne répond pas ; les données en cache du")


@pytest.mark.parametrize("mode", ["sans-fin", "annonce-trop"])
def test_a_body_over_the_size_cap_is_refused(server, settings, mode):
    server.mode = mode
    small = settings.replace(max_mb_other=1.0, download_deadline=60.0)
    with pytest.raises(SourceError) as error:
        _fetch(HttpClient(small), f"http://127.0.0.1:{server.server_port}/x")
    assert f"Le service {SERVICE} a envoyé une réponse de plus de 1 Mo" in error.value.message
    assert "max_mb_" in error.value.message


def test_each_service_has_its_own_cap(settings):
    client = HttpClient(settings)
    assert client.max_bytes(settings.qpv_url) == 100_000_000
    assert client.max_bytes(settings.overpass_url) == 200_000_000
    assert client.max_bytes(f"{settings.geocoder_url}/search?q=x") == 20_000_000
    assert client.max_bytes("https://static.data.gouv.fr/finess.csv") == 300_000_000


def test_the_deadline_is_a_setting_with_an_environment_variable(tmp_path):
    settings = Settings.load(
        env={"AMBMAP_DOWNLOAD_DEADLINE": "45", "AMBMAP_MAX_MB_OVERPASS": "10"}, config_file=tmp_path / "absent.toml"
    )
    assert settings.download_deadline == 45.0 and settings.max_mb_overpass == 10.0
    assert Settings().download_deadline == 120.0
    for bad in ("0", "-5", "nan", "inf", "deux minutes"):
        with pytest.raises(AmbmapError, match=r"Réglage « download_deadline » : .* \(nombre positif attendu\)"):
            Settings.load(env={"AMBMAP_DOWNLOAD_DEADLINE": bad}, config_file=tmp_path / "absent.toml")
