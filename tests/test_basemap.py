"""Offline basemap: Plan IGN tiles downloaded from a local WMTS into one MBTiles file, then served locally."""

from __future__ import annotations

import io
import urllib.error
import urllib.request

import pytest
from PIL import Image

from ambmap.basemap import (
    TileServer,
    basemap_path,
    estimate,
    mbtiles_info,
    prepare_offline_basemap,
    stored_tiles,
    territory_bbox,
    tile_range,
)
from ambmap.config import Settings
from ambmap.errors import CancelledError, SourceError
from ambmap.sources import wmts

ZOOMS = range(11, 13)


def png_tile(color) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def wmts_server(httpserver):
    """A WMTS answering GetTile in the Géoplateforme's KVP form with a PNG whose colour encodes the zoom."""
    seen = []

    def handler(request):
        from werkzeug import Response

        args = request.args
        assert (args["SERVICE"], args["REQUEST"], args["LAYER"], args["TILEMATRIXSET"]) == (
            "WMTS",
            "GetTile",
            wmts.LAYER,
            "PM",
        )
        z, x, y = int(args["TILEMATRIX"]), int(args["TILECOL"]), int(args["TILEROW"])
        seen.append((z, x, y))
        return Response(png_tile((z * 10, x % 256, y % 256)), content_type="image/png")

    httpserver.expect_request("/wmts").respond_with_handler(handler)
    return httpserver, seen


def settings_for(server) -> Settings:
    return Settings.load().replace(wmts_url=server.url_for("/wmts"), max_retries=0)


def test_estimate_counts_tiles_before_downloading(demo_project):
    count, size = estimate(demo_project, ZOOMS)
    assert 4 <= count <= 40  # Lille (about 12 x 8 km) at zooms 11 and 12
    assert size == count * wmts.AVERAGE_TILE_BYTES
    assert tile_range((2.35, 48.85, 2.35, 48.85), 0) == (0, 0, 0, 0)
    assert tile_range((3.0573, 50.6292, 3.0573, 50.6292), 12) == (
        2082,
        1377,
        2082,
        1377,
    )  # Lille, as Leaflet asks the Géoplateforme


def test_download_into_one_mbtiles_then_serve_it(demo_project, wmts_server):
    server, seen = wmts_server
    settings = settings_for(server)
    calls = []
    path = prepare_offline_basemap(demo_project, settings, ZOOMS, progress=lambda d, t, m: calls.append((d, t)))
    assert path == basemap_path(settings, demo_project) and path.parent == settings.data_dir / "fonds"
    count, _ = estimate(demo_project, ZOOMS)
    assert len(seen) == count and calls[-1] == (count, count)
    info = mbtiles_info(path)
    assert info["tiles"] == str(count) and info["format"] == "png" and "IGN" in info["attribution"]
    stored = stored_tiles(path, territory_bbox(demo_project), ZOOMS)  # what the HTML export embeds
    assert sorted(stored) == list(ZOOMS)
    assert {key for tiles in stored.values() for key in tiles} == {f"{z}/{x}/{y}" for z, x, y in seen}
    z, x, y = seen[0]
    with TileServer(path) as tiles:
        assert tiles.max_zoom == 12
        url = tiles.url.format(z=z, x=x, y=y)
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url) as response:
            assert response.headers["Content-Type"] == "image/png"
            with Image.open(io.BytesIO(response.read())) as image:
                assert image.getpixel((0, 0)) == (z * 10, x % 256, y % 256)  # the right tile, TMS rows undone
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(tiles.url.format(z=3, x=0, y=0))


def test_cancel_or_failure_keeps_the_previous_file(demo_project, wmts_server):
    server, _ = wmts_server
    settings = settings_for(server)
    path = prepare_offline_basemap(demo_project, settings, range(11, 12))
    before = path.read_bytes()

    def cancel(done, total, message):
        if done == 3:
            raise CancelledError()

    with pytest.raises(CancelledError):
        prepare_offline_basemap(demo_project, settings, ZOOMS, progress=cancel)
    assert path.read_bytes() == before and list(path.parent.iterdir()) == [path]
    server.clear()
    server.expect_request("/wmts").respond_with_data(b"<html>maintenance</html>", content_type="text/html")
    with pytest.raises(SourceError, match="Géoplateforme"):
        prepare_offline_basemap(demo_project, settings.replace(cache_dir=settings.cache_dir / "vide"), ZOOMS)
    assert path.read_bytes() == before


def test_too_many_tiles_are_refused(demo_project):
    with pytest.raises(SourceError, match="zoom maximal plus petit"):
        prepare_offline_basemap(demo_project, Settings.load(), range(11, 20))
