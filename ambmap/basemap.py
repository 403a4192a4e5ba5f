"""Offline basemap: download Plan IGN tiles for the territory once, then serve them to the map locally.

The tiles live in one MBTiles file per territory in the user data directory (SQLite, TMS row order, as
QGIS and other viewers expect), written under a temporary name and renamed at the end: a cancelled or
failed download leaves any previous file untouched. :class:`TileServer` is a small threaded HTTP server
on 127.0.0.1 (random free port) that answers ``/{z}/{x}/{y}.png`` from that file; pass its
:attr:`TileServer.url` as ``MapOptions.tile_url`` (and its max zoom as ``max_zoom``). The HTML export
embeds the stored tiles through :func:`stored_tiles`. Only :mod:`ambmap.sources.wmts` talks to the
Géoplateforme; this module owns the tile maths, the MBTiles file and the orchestration.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
import threading
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ambmap.config import Settings
from ambmap.errors import AmbmapError, SourceError
from ambmap.project import Project
from ambmap.sources import wmts

DEFAULT_ZOOMS = range(11, 17)  # town overview (11) to street level (16)
MAX_TILES = 30_000
_TILE_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


def tile_range(bbox: tuple[float, float, float, float], zoom: int) -> tuple[int, int, int, int]:
    """(xmin, ymin, xmax, ymax) of the Web Mercator (PM) tiles covering ``bbox`` (west, south, east, north)."""
    west, south, east, north = bbox
    n = 2**zoom

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


def _tms_row(z: int, y: int) -> int:
    """MBTiles rows count from the south (TMS), Leaflet's and the WMTS's from the north: the flip is its own inverse."""
    return 2**z - 1 - y


def basemap_path(settings: Settings, project: Project) -> Path:
    """The MBTiles file of the project's territory."""
    code = re.sub(r"[^A-Za-z0-9_-]", "_", str(project.territory.get("code") or "territoire"))
    return Path(settings.data_dir) / "fonds" / f"plan-ign-{code}.mbtiles"


def territory_bbox(project: Project, margin_deg: float = 0.005) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the territory (or its QPV), with a small margin."""
    for kind in ("territory", "qpv"):
        if kind in project.layers and len(project.layers[kind]):
            west, south, east, north = project.layers[kind].data.total_bounds
            return (west - margin_deg, south - margin_deg, east + margin_deg, north + margin_deg)
    raise AmbmapError("Le projet n'a pas de territoire : importez d'abord le contour de la commune ou de l'EPCI.")


def estimate(project: Project, zooms: range = DEFAULT_ZOOMS) -> tuple[int, int]:
    """(tile count, approximate bytes) of the territory's basemap at ``zooms``, shown before it starts."""
    count = len(tiles_for(territory_bbox(project), zooms))
    return count, count * wmts.AVERAGE_TILE_BYTES


def prepare_offline_basemap(project: Project, settings: Settings, zooms: range = DEFAULT_ZOOMS, progress=None) -> Path:
    """Download the territory's Plan IGN tiles into its MBTiles file (replaced only on success)."""
    bbox = territory_bbox(project)
    tiles = tiles_for(bbox, zooms)
    if len(tiles) > MAX_TILES:
        raise SourceError(
            f"{len(tiles)} tuiles demandées : c'est trop (maximum {MAX_TILES}). "
            "Choisissez un niveau de zoom maximal plus petit."
        )
    path = basemap_path(settings, project)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partiel")
    partial.unlink(missing_ok=True)
    fetch = wmts.tile_fetcher(settings)
    db = sqlite3.connect(partial)
    try:
        db.executescript(
            "CREATE TABLE metadata (name TEXT, value TEXT);"
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
            "tile_data BLOB);"
            "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
        )
        meta = {
            "name": "Plan IGN",
            "format": "png",
            "type": "baselayer",
            "attribution": wmts.ATTRIBUTION,
            "bounds": ",".join(f"{v:.6f}" for v in bbox),
            "minzoom": str(zooms.start),
            "maxzoom": str(zooms.stop - 1),
        }
        db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
        for i, (z, x, y) in enumerate(tiles):
            if progress:
                progress(i, len(tiles), f"Fond de carte : tuile {i + 1} sur {len(tiles)} (zoom {z})")
            db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, _tms_row(z, y), fetch(z, x, y)))
        db.commit()
        db.close()
        os.replace(partial, path)
    finally:
        db.close()
        partial.unlink(missing_ok=True)
    if progress:
        progress(len(tiles), len(tiles), "Fond de carte prêt pour une utilisation hors ligne.")
    return path


def mbtiles_info(path: Path) -> dict[str, str]:
    """The metadata of an MBTiles file (name, bounds, minzoom, maxzoom…) plus its tile count."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        info = dict(db.execute("SELECT name, value FROM metadata"))
        info["tiles"] = str(db.execute("SELECT COUNT(*) FROM tiles").fetchone()[0])
    return info


def stored_tiles(path: Path, bbox, zooms: range) -> dict[int, dict[str, bytes]]:
    """{zoom: {"z/x/y": PNG}} of the tiles of the MBTiles file ``path`` covering ``bbox``, for the zooms
    of ``zooms`` that have any (rows in Leaflet's order)."""
    by_zoom: dict[int, dict[str, bytes]] = {}
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        for z in zooms:
            xmin, ymin, xmax, ymax = tile_range(bbox, z)
            rows = db.execute(
                "SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level = ? AND "
                "tile_column BETWEEN ? AND ? AND tile_row BETWEEN ? AND ?",
                (z, xmin, xmax, _tms_row(z, ymax), _tms_row(z, ymin)),
            ).fetchall()
            if rows:
                by_zoom[z] = {f"{z}/{x}/{_tms_row(z, row)}": data for x, row, data in rows}
    return by_zoom


class TileServer:
    """Serve the tiles of one MBTiles file on http://127.0.0.1:PORT/{z}/{x}/{y}.png until stopped."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.exists():
            raise AmbmapError(
                f"Fond de carte hors ligne introuvable (« {self.path} ») : utilisez d'abord "
                "« Préparer pour une présentation hors ligne »."
            )
        self.info = mbtiles_info(self.path)
        source = self.path

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                match = _TILE_PATH.match(self.path)
                row = None
                if match:
                    z, x, y = (int(v) for v in match.groups())
                    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
                        row = db.execute(
                            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                            (z, x, _tms_row(z, y)),
                        ).fetchone()
                if row is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(row[0])))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(row[0])

            def log_message(self, *args):  # quiet: one line per tile is noise
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="ambmap-tiles", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The Leaflet tile template of this server."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"

    @property
    def max_zoom(self) -> int:
        return int(self.info.get("maxzoom", 16))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> TileServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
