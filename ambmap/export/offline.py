"""Offline basemap: download Plan IGN tiles for the territory once, then serve them to the map locally.

The tiles live in one MBTiles file per territory in the user data directory. :class:`TileServer` is a
small threaded HTTP server on 127.0.0.1 (random free port) that answers ``/{z}/{x}/{y}.png`` from that
file; pass its :attr:`TileServer.url` as ``MapOptions.tile_url`` (and its max zoom as ``max_zoom``).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ambmap.config import Settings
from ambmap.errors import AmbmapError
from ambmap.project import Project
from ambmap.sources import wmts

DEFAULT_ZOOMS = range(11, 17)  # town overview (11) to street level (16)
_TILE_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


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
    """(tile count, approximate bytes) of the territory's basemap at ``zooms``."""
    return wmts.estimate(territory_bbox(project), zooms)


def prepare_offline_basemap(project: Project, settings: Settings, zooms: range = DEFAULT_ZOOMS,
                            progress=None) -> Path:
    """Download the territory's Plan IGN tiles into its MBTiles file (replaced only on success)."""
    return wmts.download_tiles(settings, territory_bbox(project), zooms, basemap_path(settings, project),
                               progress=progress)


def mbtiles_info(path: Path) -> dict[str, str]:
    """The metadata of an MBTiles file (name, bounds, minzoom, maxzoom…) plus its tile count."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        info = dict(db.execute("SELECT name, value FROM metadata"))
        info["tiles"] = str(db.execute("SELECT COUNT(*) FROM tiles").fetchone()[0])
    return info


class TileServer:
    """Serve the tiles of one MBTiles file on http://127.0.0.1:PORT/{z}/{x}/{y}.png until stopped."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.exists():
            raise AmbmapError(f"Fond de carte hors ligne introuvable (« {self.path} ») : utilisez d'abord "
                              "« Préparer pour une présentation hors ligne ».")
        self.info = mbtiles_info(self.path)
        source = self.path

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                match = _TILE_PATH.match(self.path)
                row = None
                if match:
                    z, x, y = (int(v) for v in match.groups())
                    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
                        row = db.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? "
                                         "AND tile_row=?", (z, x, 2 ** z - 1 - y)).fetchone()
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

    def __enter__(self) -> "TileServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
