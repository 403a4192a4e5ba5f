"""Plan IGN tiles from the Géoplateforme WMTS (tile matrix set PM), saved into one MBTiles file.

For presentations in rooms with no network the basemap is downloaded ahead of time. IGN's terms
allow it (Licence Ouverte; WMTS is exempt from the Géoplateforme rate limits), unlike the
OpenStreetMap tile servers, whose usage policy forbids bulk download. Tiles go into an MBTiles file
(SQLite, TMS row order, as QGIS and other viewers expect), written under a temporary name and renamed
at the end: a cancelled download leaves any previous file untouched.
"""

from __future__ import annotations

import math
import os
import sqlite3
from pathlib import Path

from ambmap.config import Settings
from ambmap.errors import SourceError
from ambmap.sources.http import HttpClient, Progress

LAYER = "GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2"
SERVICE = "de la Géoplateforme (fond Plan IGN)"
ATTRIBUTION = "Plan IGN © IGN – Géoplateforme (Licence Ouverte)"
AVERAGE_TILE_BYTES = 20_000  # measured order of magnitude of Plan IGN PNG tiles in towns
MAX_TILES = 30_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def tile_range(bbox: tuple[float, float, float, float], zoom: int) -> tuple[int, int, int, int]:
    """(xmin, ymin, xmax, ymax) of the Web Mercator (PM) tiles covering ``bbox`` (west, south, east, north)."""
    west, south, east, north = bbox
    n = 2 ** zoom

    def x_of(lon: float) -> int:
        return min(n - 1, max(0, int((lon + 180) / 360 * n)))

    def y_of(lat: float) -> int:
        lat = max(min(lat, 85.0511), -85.0511)
        r = math.radians(lat)
        return min(n - 1, max(0, int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)))

    return x_of(west), y_of(north), x_of(east), y_of(south)


def tiles_for(bbox, zooms: range) -> list[tuple[int, int, int]]:
    """Every (z, x, y) tile covering ``bbox`` at each zoom of ``zooms``."""
    tiles = []
    for z in zooms:
        xmin, ymin, xmax, ymax = tile_range(bbox, z)
        tiles += [(z, x, y) for x in range(xmin, xmax + 1) for y in range(ymin, ymax + 1)]
    return tiles


def estimate(bbox, zooms: range) -> tuple[int, int]:
    """(tile count, approximate size in bytes) of a download, shown before it starts."""
    count = len(tiles_for(bbox, zooms))
    return count, count * AVERAGE_TILE_BYTES


def _png(body: bytes) -> bytes:
    if not body.startswith(PNG_SIGNATURE):
        raise ValueError("la tuile reçue n'est pas une image PNG")
    return body


def download_tiles(settings: Settings, bbox, zooms: range, path: Path, progress: Progress = None) -> Path:
    """Download the Plan IGN tiles of ``bbox`` at ``zooms`` into the MBTiles file ``path``."""
    tiles = tiles_for(bbox, zooms)
    if len(tiles) > MAX_TILES:
        raise SourceError(f"{len(tiles)} tuiles demandées : c'est trop (maximum {MAX_TILES}). "
                          "Choisissez un niveau de zoom maximal plus petit.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partiel")
    partial.unlink(missing_ok=True)
    client = HttpClient(settings)
    base = {"SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0", "LAYER": LAYER, "STYLE": "normal",
            "TILEMATRIXSET": "PM", "FORMAT": "image/png"}
    db = sqlite3.connect(partial)
    try:
        db.executescript("CREATE TABLE metadata (name TEXT, value TEXT);"
                         "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
                         "tile_data BLOB);"
                         "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);")
        meta = {"name": "Plan IGN", "format": "png", "type": "baselayer", "attribution": ATTRIBUTION,
                "bounds": ",".join(f"{v:.6f}" for v in bbox), "minzoom": str(zooms.start),
                "maxzoom": str(zooms.stop - 1)}
        db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
        for i, (z, x, y) in enumerate(tiles):
            if progress:
                progress(i, len(tiles), f"Fond de carte : tuile {i + 1} sur {len(tiles)} (zoom {z})")
            body = client.fetch(settings.wmts_url, service=SERVICE, parse=_png, max_age_days=365,
                                params={**base, "TILEMATRIX": z, "TILEROW": y, "TILECOL": x}).value
            db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, 2 ** z - 1 - y, body))
        db.commit()
        db.close()
        os.replace(partial, path)
    finally:
        db.close()
        partial.unlink(missing_ok=True)
    if progress:
        progress(len(tiles), len(tiles), "Fond de carte prêt pour une utilisation hors ligne.")
    return path
