"""Interactive HTML export: the map of :mod:`ambmap.render.map` in one offline file, plus a search box.

The page keeps the layer control, legend and tooltips of the application's map. The search box is
plain JavaScript over the map's feature registry (``window.ambmap``) and a ``<datalist>``: folium's
Search plugin only works on folium GeoJson layers, which the map does not use. The privacy level is
recorded in ``<meta name="ambmap:niveau">`` (and the other ``ambmap:`` metadata); the internal level
also shows a red banner. The basemap is Plan IGN, fetched online when the file is opened: without a
network the layers still show over a blank background (no tiles are embedded, to keep files small).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from ambmap.errors import AmbmapError
from ambmap.export.common import Prepared, metadata
from ambmap.export.privacy import INTERNAL, INTERNAL_MARK

SEARCH_JS = """
(function () {
  var entries = %(entries)s;
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
SEARCH_CSS = (".amb-search input{width:19em;padding:5px 8px;border:0;border-radius:4px;font:14px sans-serif}"
              ".amb-internal{position:fixed;top:0;left:50%;transform:translateX(-50%);z-index:2000;"
              "background:#b2182b;color:#fff;font:bold 15px sans-serif;padding:4px 14px;border-radius:0 0 6px 6px}")


def search_entries(prepared: Prepared) -> list[tuple[str, str, str]]:
    """(label, kind, id) for each searchable feature; ambassadors only at the internal level."""
    project = prepared.project
    wanted = [("qpv", "nom_qp", "code_qp", "Quartier"), ("poles", "name", "pole_id", "Pôle"),
              ("resources", "name", "resource_id", None)]
    if prepared.level == INTERNAL:
        wanted.append(("ambassadors", "display_name", "amb_id", "Ambassadeur·rice"))
    entries = []
    for kind, label_field, id_field, prefix in wanted:
        if kind not in project.layers:
            continue
        for row in project.layers[kind].data.itertuples():
            what = prefix or getattr(row, "category", "")
            entries.append((f"{getattr(row, label_field)} ({what})", kind, str(getattr(row, id_field))))
    return entries


class PublicCoverage:
    """A coverage result as a public export shows it: its per-ambassador zones are the one dissolved area."""

    def __init__(self, coverage):
        self._coverage = coverage

    def __getattr__(self, name: str):
        return getattr(self._coverage, name)

    @property
    def zones(self):
        return self._coverage.covered_area.assign(amb_id="zone couverte")[["amb_id", "geometry"]]


def public_coverage(coverage):
    """``coverage`` wrapped in :class:`PublicCoverage` (None stays None)."""
    return None if coverage is None else PublicCoverage(coverage)


def write_html(prepared: Prepared, path: Path, *, map_options=None) -> Path:
    """Write the interactive offline map of the prepared project to ``path``."""
    from ambmap.render.map import MapOptions, map_html

    path = Path(path)
    coverage = prepared.coverage if prepared.level == INTERNAL else public_coverage(prepared.coverage)
    options = map_options or MapOptions()
    page = map_html(prepared.project, coverage=coverage, options=options)
    meta = metadata(prepared.project, prepared.level, options.basemap)
    title = f"Ambassadeurs·rices de santé — {prepared.project.name}"
    head = ['<meta charset="utf-8">', f"<title>{html.escape(title)}</title>",
            '<meta name="generator" content="ambmap">']
    head += [f'<meta name="{key.replace("_", ":", 1)}" content="{html.escape(value)}">' for key, value in meta.items()]
    head.append(f"<style>{SEARCH_CSS}</style>")
    entries = json.dumps(search_entries(prepared), ensure_ascii=False).replace("</", "<\\/")
    body = [f"<script>{SEARCH_JS % {'entries': entries}}</script>"]
    if prepared.level == INTERNAL:
        body.insert(0, f'<div class="amb-internal">{html.escape(INTERNAL_MARK)}</div>')
    page = page.replace("<head>", "<head>\n" + "\n".join(head), 1)
    page = page.replace("</body>", "\n".join(body) + "\n</body>", 1)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as e:
        raise AmbmapError(f"Impossible d'écrire « {path} » ({e.strerror or e}). "
                          "Vérifiez le dossier et les droits d'écriture.") from e
    return path
