"""Plan IGN tiles from the Géoplateforme WMTS (tile matrix set PM), one GetTile request per tile.

For presentations in rooms with no network the basemap is downloaded ahead of time. IGN's terms
allow it (Licence Ouverte; WMTS is exempt from the Géoplateforme rate limits), unlike the
OpenStreetMap tile servers, whose usage policy forbids bulk download. Which tiles, and the MBTiles
file they are kept in, are the business of :mod:`ambmap.basemap`; this module only asks the service.
"""

from __future__ import annotations

from collections.abc import Callable

from ambmap.config import Settings
from ambmap.sources.http import HttpClient

LAYER = "GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2"
SERVICE = "de la Géoplateforme (fond Plan IGN)"
ATTRIBUTION = "Plan IGN © IGN – Géoplateforme (Licence Ouverte)"
AVERAGE_TILE_BYTES = 20_000  # measured order of magnitude of Plan IGN PNG tiles in towns
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png(body: bytes) -> bytes:
    if not body.startswith(PNG_SIGNATURE):
        raise ValueError("la tuile reçue n'est pas une image PNG")
    return body


def tile_fetcher(settings: Settings) -> Callable[[int, int, int], bytes]:
    """A function giving the PNG of the Plan IGN tile (z, x, y), one HTTP client for all the tiles.

    Tiles are cached for a year; a failing service raises a SourceError naming the Géoplateforme.
    """
    client = HttpClient(settings)
    base = {
        "SERVICE": "WMTS",
        "REQUEST": "GetTile",
        "VERSION": "1.0.0",
        "LAYER": LAYER,
        "STYLE": "normal",
        "TILEMATRIXSET": "PM",
        "FORMAT": "image/png",
    }

    def fetch(z: int, x: int, y: int) -> bytes:
        return client.fetch(
            settings.wmts_url,
            service=SERVICE,
            parse=_png,
            max_age_days=365,
            params={**base, "TILEMATRIX": z, "TILEROW": y, "TILECOL": x},
        ).value

    return fetch
