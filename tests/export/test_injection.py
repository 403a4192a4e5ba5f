"""Text from a project (names, addresses, layer titles, credits) stays inert in the interactive HTML.

A project file can come from anyone (a colleague, a partner): every string in it is opened in headless
Chromium with payloads that would mark the page if they ever ran, and every tooltip and popup is
rendered the way Leaflet renders it (innerHTML).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest

from ambmap.export import export
from ambmap.render.map import MapOptions

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def tag_payload(tag: str) -> str:
    return f"<img src=x onerror=\"document.body.setAttribute('data-pwned','{tag}')\">"


def script_payload(tag: str) -> str:
    # closing the script, opening another, and "<!--<script>" which puts the parser in the script's
    # double-escaped state (the rest of the page would be swallowed)
    return f"</script><script>document.body.setAttribute('data-pwned','{tag}')</script><!--<script>"


PROBE = """<script>(function probe() {
  var A = window.ambmap;
  if (!(A && A.ready && document.querySelector(".amb-search"))) { return setTimeout(probe, 50); }
  var sink = document.createElement("div");
  document.body.appendChild(sink);
  Object.keys(A.features).forEach(function (kind) {
    Object.keys(A.features[kind]).forEach(function (id) {
      var layer = A.features[kind][id];
      [layer.getTooltip && layer.getTooltip(), layer.getPopup && layer.getPopup()].forEach(function (t) {
        if (t) { var d = document.createElement("div"); d.innerHTML = t.getContent(); sink.appendChild(d); }
      });
    });
  });
  setTimeout(function () {
    var pre = document.createElement("pre"); pre.id = "probe";
    pre.textContent = JSON.stringify({pwned: document.body.getAttribute("data-pwned") || "none",
      search: document.querySelectorAll("#amb-search-list option").length,
      layers: document.querySelectorAll(".leaflet-control-layers-overlays label").length});
    document.body.appendChild(pre);
  }, 1500);
}());</script>"""


@pytest.fixture(scope="module")
def hostile_project():
    from ambmap.analysis.recommend import recommend_for_project
    from ambmap.project import Project

    project = Project.default()
    fields = {"qpv": ["nom_qp", "lib_com"], "poles": ["name", "address", "phone"],
              "resources": ["name", "address", "source"], "ambassadors": ["display_name", "address"]}
    for kind, names in fields.items():
        layer = project.layer(kind)
        data = layer.data.copy()
        for name in names:
            data.loc[0, name] = tag_payload(f"{kind}.{name}")
            data.loc[1, name] = script_payload(f"{kind}.{name}")
        layer.data = data
    for layer in project.ordered_layers():
        layer.title = tag_payload(f"titre {layer.kind}")
        layer.provenance["attribution"] = tag_payload(f"attribution {layer.kind}")
        layer.provenance["source"] = script_payload(f"source {layer.kind}")
        layer.set_style(color=f'#fff">{tag_payload(f"couleur {layer.kind}")}<b x="')
    project.territory["name"] = tag_payload("territoire") + script_payload("territoire")
    recommendation = recommend_for_project(project, k=3, candidates="en formation", time_limit=10)
    return project, recommendation


@pytest.mark.parametrize("level", ["public", "interne"])
def test_hostile_text_is_inert_in_the_interactive_map(hostile_project, tmp_path, level):
    project, recommendation = hostile_project
    page = export(project, "html", tmp_path / "carte.html", level=level, map_options=MapOptions(basemap="none"),
                  recommendation=recommendation)
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
                          "--virtual-time-budget=15000", "--dump-dom", probed.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom)
    assert found, "la page ne s'est pas dessinée : " + dom[-1500:]
    probe = json.loads(html.unescape(found.group(1)))
    assert probe["pwned"] == "none"
    assert probe["search"] >= 8 + 5 + 170 and probe["layers"] >= 6  # search box and layer control still work
