"""The interactive HTML export in headless Chromium with name resolution disabled."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PROBE = """<script>(function probe() {
  var A = window.ambmap;
  if (A && A.ready && document.querySelector(".amb-search")) {
    var pre = document.createElement("pre"); pre.id = "probe";
    pre.textContent = JSON.stringify({counts: A.counts(), search: document.querySelectorAll("#amb-search-list option").length,
                                      legend: !!document.querySelector(".amb-legend"),
                                      layers: document.querySelectorAll(".leaflet-control-layers-overlays label").length,
                                      banner: (document.querySelector(".amb-internal") || {}).textContent || "",
                                      embedded: Array.prototype.filter.call(document.querySelectorAll(".amb-embedded img"),
                                        function (i) { return i.src.indexOf("data:image/png") === 0; }).length});
    document.body.appendChild(pre);
  } else { setTimeout(probe, 50); }
}());</script>"""


def open_offline(page, tmp_path, probe: str = PROBE) -> tuple[dict, list[str]]:
    """Load ``page`` (plus a probe script) in Chromium with no network; return the probe and page requests."""
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8")
    net = tmp_path / "net.json"
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--log-net-log={net}",
            "--virtual-time-budget=15000",
            "--dump-dom",
            probed.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom)
    assert found, dom[-2000:]
    log = json.loads(net.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    # requests made by the page (not by the browser itself) are keyed to the file:// site
    requests = [
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start and str(e["params"].get("network_isolation_key", "")).startswith("file://")
    ]
    return json.loads(found.group(1).replace("&quot;", '"')), requests


@pytest.mark.parametrize("level", ["public", "interne"])
def test_html_draws_every_layer_offline_without_any_request(exports, project, tmp_path, level):
    probe, requests = open_offline(exports["html", level], tmp_path)
    counts = probe["counts"]
    for kind in ("territory", "population", "qpv", "resources", "poles", "ambassadors"):
        assert counts[kind] == len(project.layer(kind)), kind
    assert counts["gaps"] >= 1 and counts["recommendation"] == 3
    assert counts["coverage"] == 1  # one dissolved zone, not one disc around each home
    if level == "public":
        assert "ambassador_zones" not in counts
    else:  # one disc per ambassador: an optional layer of internal documents
        assert counts["ambassador_zones"] > 1
    assert probe["legend"] and probe["layers"] >= 6
    assert requests == []  # basemap "none": nothing at all leaves the machine
    searchable = 8 + 5 + 170 + (65 if level == "interne" else 0)  # QPV, pôles, resources (+ names if internal)
    assert probe["search"] == searchable
    assert probe["banner"] == ("Document interne — données personnelles" if level == "interne" else "")


#: Ticks the legend's resource categories as a reader would: only « pharmacie », then all again.
CATEGORY_PROBE = """<script>(function probe() {
  var A = window.ambmap;
  if (!(A && A.ready)) { setTimeout(probe, 50); return; }
  A.setVisible("resources", true);
  var boxes = [].slice.call(document.querySelectorAll(".amb-legend input.amb-cat"));
  function shown() {
    var total = 0, keys = {};
    A.layers.resources._featureGroup.eachLayer(function (l) {
      if (l instanceof L.MarkerCluster) { total += A.kept(l); } else { total += 1; keys[l.ambmap.key] = 1; }
    });
    return {total: total, keys: Object.keys(keys)};
  }
  var visible = boxes.filter(function (b) { return getComputedStyle(b).display !== "none"; }).length;
  boxes.forEach(function (b) { if (b.value !== "pharmacie") { b.click(); } });
  var one = {count: A.count("resources"), shown: shown(), categories: A.categories};
  boxes.forEach(function (b) { if (!b.checked) { b.click(); } });
  var all = {count: A.count("resources"), shown: shown(), categories: A.categories};
  var pre = document.createElement("pre"); pre.id = "probe";
  pre.textContent = JSON.stringify({boxes: boxes.map(function (b) { return b.value; }), visible: visible, one: one,
                                    all: all});
  document.body.appendChild(pre);
}());</script>"""


@pytest.mark.parametrize("level", ["public", "interne"])
def test_html_filters_resources_by_category_from_the_legend(exports, project, tmp_path, level):
    """Issue 12: the exported map has the window's category filter, as tick boxes in the legend; the
    clusters then count and show only the ticked categories."""
    probe, requests = open_offline(exports["html", level], tmp_path, CATEGORY_PROBE)
    categories = project.layer("resources").data["category"]
    assert sorted(probe["boxes"]) == sorted(categories.unique()) and probe["visible"] == len(probe["boxes"])
    pharmacies = int((categories == "pharmacie").sum())
    assert probe["one"]["categories"] == ["pharmacie"] and probe["one"]["count"] == pharmacies
    assert probe["one"]["shown"]["total"] == pharmacies and set(probe["one"]["shown"]["keys"]) <= {"pharmacie"}
    assert probe["all"]["categories"] is None and probe["all"]["count"] == probe["all"]["shown"]["total"] == 170
    assert requests == []


def test_default_basemap_only_asks_the_geoplateforme(project, tmp_path):
    from ambmap.export import export

    page = export(project, "html", tmp_path / "carte.html")
    _, requests = open_offline(page, tmp_path)
    assert requests and all(url.startswith("https://data.geopf.fr/wmts?") for url in requests)


def test_prepared_basemap_is_embedded_and_needs_no_network(project, tmp_path):
    import io
    import sqlite3

    from PIL import Image

    from ambmap.basemap import territory_bbox, tiles_for
    from ambmap.export import export

    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (240, 230, 200)).save(buffer, format="PNG")
    mbtiles = tmp_path / "plan.mbtiles"
    with sqlite3.connect(mbtiles) as db:
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(z, x, 2**z - 1 - y, buffer.getvalue()) for z, x, y in tiles_for(territory_bbox(project), range(11, 14))],
        )
    db.close()
    page = export(project, "html", tmp_path / "carte.html", basemap_file=mbtiles)
    assert "data.geopf.fr" not in page.read_text(encoding="utf-8")
    probe, requests = open_offline(page, tmp_path)
    assert requests == [] and probe["embedded"] > 0 and probe["counts"]["qpv"] == 8
