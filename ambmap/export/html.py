"""Interactive HTML export: the map of :mod:`ambmap.render.map` in one offline file, plus a search box.

The page keeps the layer control, legend and tooltips of the application's map. The search box is
plain JavaScript over the map's feature registry (``window.ambmap``) and a ``<datalist>``: folium's
Search plugin only works on folium GeoJson layers, which the map does not use. Its entries are names
from data, so they travel as a JSON data block (``#ambmap-search``), like the map's own data, and text
added to the page head is HTML-escaped: no data text is ever run or templated. The privacy level is
recorded in ``<meta name="ambmap:niveau">`` (and the other ``ambmap:`` metadata); the internal level
also shows a red banner. Basemap: when the territory's Plan IGN tiles were prepared for offline use
(see :mod:`ambmap.basemap`), the tiles covering the territory are embedded as data URIs from the
widest zoom up to zoom 15, as long as they fit in about 4 MB (the most detailed zooms are dropped
first; Leaflet enlarges the last one beyond). Otherwise Plan IGN is fetched online when the file is
opened, and without a network the layers show over a blank background.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from ambmap.errors import AmbmapError
from ambmap.export.common import IGN_CREDIT, Prepared, metadata
from ambmap.layers import KINDS

EMBED_MAX_ZOOM = 15
EMBED_MAX_BYTES = 4_000_000  # base64 size of the embedded tiles: keeps the page easy to e-mail

SEARCH_JS = """
(function () {
  var entries = JSON.parse(document.getElementById("ambmap-search").textContent);
  function start() {
    var A = window.ambmap;
    if (!A || !A.map) { return setTimeout(start, 50); }
    var box = L.control({position: "topleft"});
    box.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-control leaflet-bar amb-search");
      div.innerHTML = '<input type="search" list="amb-search-list" aria-label="Rechercher" ' +
        'placeholder="Rechercher un quartier, un lieu…"><datalist id="amb-search-list"></datalist>';
      var list = div.querySelector("datalist");
      entries.forEach(function (e) { var o = document.createElement("option"); o.value = e[0]; list.appendChild(o); });
      var input = div.querySelector("input");
      input.addEventListener("change", function () {
        var hit = entries.filter(function (e) { return e[0] === input.value; })[0];
        if (hit) { A.highlight(hit[1], hit[2]); }
      });
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    box.addTo(A.map);
  }
  start();
}());
"""
TILES_JS = """
(function () {
  var tiles = %(tiles)s;
  var blank = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
  function start() {
    var A = window.ambmap;
    if (!A || !A.map) { return setTimeout(start, 50); }
    var Embedded = L.TileLayer.extend({
      getTileUrl: function (c) { return tiles[c.z + "/" + c.x + "/" + c.y] || blank; }
    });
    new Embedded("", {minNativeZoom: %(min)d, maxNativeZoom: %(max)d, maxZoom: 19,
                      attribution: %(attribution)s, className: "amb-embedded"}).addTo(A.map).bringToBack();
  }
  start();
}());
"""
SEARCH_CSS = (
    ".amb-search input{width:19em;padding:5px 8px;border:0;border-radius:4px;font:14px sans-serif}"
    ".amb-internal{position:fixed;top:0;left:50%;transform:translateX(-50%);z-index:2000;"
    "background:#b2182b;color:#fff;font:bold 15px sans-serif;padding:4px 14px;border-radius:0 0 6px 6px}"
)


def search_entries(prepared: Prepared) -> list[tuple[str, str, str]]:
    """(label, kind, id) for each feature of the kinds ``prepared`` makes searchable (ambassadors only
    at the internal level)."""
    project = prepared.project
    entries = []
    for kind in reversed(KINDS.values()):  # top layer first
        if kind.name not in prepared.searchable or kind.name not in project.layers:
            continue
        by_category = kind.class_field == "category"
        for row in project.layers[kind.name].data.itertuples():
            what = getattr(row, kind.class_field) if by_category else kind.singular
            entries.append((f"{getattr(row, kind.search_field)} ({what})", kind.name, str(getattr(row, kind.id_field))))
    return entries


def embedded_tiles(mbtiles: Path, bbox) -> dict[str, str]:
    """{"z/x/y": data URI} of the prepared Plan IGN tiles covering ``bbox``, from the widest zoom up to
    :data:`EMBED_MAX_ZOOM`, dropping the most detailed zooms until they fit in :data:`EMBED_MAX_BYTES`."""
    from ambmap.basemap import stored_tiles

    by_zoom = stored_tiles(mbtiles, bbox, range(0, EMBED_MAX_ZOOM + 1))
    tiles: dict[str, str] = {}
    total = 0
    for z in sorted(by_zoom):
        size = sum(len(data) * 4 // 3 for data in by_zoom[z].values())
        if total + size > EMBED_MAX_BYTES:
            break
        total += size
        tiles.update(
            {key: "data:image/png;base64," + base64.b64encode(data).decode() for key, data in by_zoom[z].items()}
        )
    return tiles


def write_html(prepared: Prepared, path: Path, *, map_options=None, basemap_file: Path | None = None) -> Path:
    """Write the interactive offline map of the prepared project to ``path``.

    With ``basemap_file`` (the territory's prepared MBTiles), the Plan IGN tiles of the territory are
    embedded at the zooms that fit in a few megabytes, and the page needs no network at all.
    """
    from ambmap.basemap import territory_bbox
    from ambmap.render.map import MapOptions, json_script, json_text, map_html

    path = Path(path)
    coverage = prepared.coverage
    options = map_options or MapOptions()
    tiles = embedded_tiles(basemap_file, territory_bbox(prepared.project)) if basemap_file else {}
    basemap = "plan-ign" if tiles else options.basemap
    if tiles:
        options = options.replace(basemap="none")
    page = map_html(prepared.project, coverage=coverage, recommendation=prepared.recommendation, options=options)
    meta = metadata(prepared.project, prepared.level, basemap)
    title = f"Ambassadeurs·rices de santé — {prepared.project.name}"
    head = [
        '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        '<meta name="generator" content="ambmap">',
    ]
    head += [f'<meta name="{key.replace("_", ":", 1)}" content="{html.escape(value)}">' for key, value in meta.items()]
    head.append(f"<style>{SEARCH_CSS}</style>")
    # names are data: a JSON block, inert whatever it holds (a name like "<!--<script>" or "{{7*7}}")
    body = [json_script("ambmap-search", search_entries(prepared)), f"<script>{SEARCH_JS}</script>"]
    if tiles:
        zooms = sorted({int(key.split("/")[0]) for key in tiles})
        script = TILES_JS % {
            "tiles": json_text(tiles),
            "min": zooms[0],
            "max": zooms[-1],
            "attribution": json_text(IGN_CREDIT),
        }
        body.append(f"<script>{script}</script>")
    if prepared.banner:
        body.insert(0, f'<div class="amb-internal">{html.escape(prepared.banner)}</div>')
    page = page.replace("<head>", "<head>\n" + "\n".join(head), 1)
    page = page.replace("</body>", "\n".join(body) + "\n</body>", 1)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as e:
        raise AmbmapError(
            f"Impossible d'écrire « {path} » ({e.strerror or e}). Vérifiez le dossier et les droits d'écriture."
        ) from e
    return path
