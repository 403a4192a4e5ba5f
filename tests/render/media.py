"""What each medium really draws, as {(symbol key or kind, class, role): colour}, read back from its output.

role is « mark » (a point marker's fill), « line » (an area's outline) or « fill » (an area's inside);
class is '' for a layer drawn with one symbol. Colours are lower-case #rrggbb.
"""

from __future__ import annotations

import html
import re

from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ambmap.layers import KINDS

_BACKGROUND = re.compile(r"background:\s*(#[0-9a-fA-F]{6})")


def _hex(color) -> str | None:
    """``color`` as #rrggbb, None when it is transparent or absent."""
    if color is None or (isinstance(color, str) and color in ("none", "transparent")):
        return None
    try:
        if len(color) == 0:
            return None
    except TypeError:
        pass
    if hasattr(color, "ndim") and color.ndim == 2:
        color = color[0]
    if not isinstance(color, str) and len(color) == 4 and color[3] == 0:
        return None
    return to_hex(color, keep_alpha=False).lower()


def _classes(kind: str) -> tuple[str, ...]:
    return KINDS[kind].classes if kind in KINDS else ()


def screen(specs: dict[str, dict]) -> dict[tuple[str, str, str], str]:
    """Colours of the page's data block (``page_data(page)["layers"]``): icons and path styles."""
    out = {}
    for kind, spec in specs.items():
        for key, icon in spec.get("icons", {}).items():
            if key or not _classes(kind):
                out[kind, key, "mark"] = _BACKGROUND.search(icon["html"]).group(1).lower()
        for key, style in spec.get("styles", {}).items():
            if key == "" and len(spec["styles"]) > 1 and kind != "qpv":
                continue  # the default of a classed layer, not drawn as such
            if style.get("stroke", True) and style.get("color"):
                out[kind, key, "line"] = style["color"].lower()
            if style.get("fill", True) and style.get("fillColor"):
                out[kind, key, "fill"] = style["fillColor"].lower()
    return out


def screen_legend(legend_html: str) -> dict[tuple[str, str, str], str]:
    """Colours of the map's legend, by kind and class (a row's ``data-class``; cluster notes left out)."""
    out = {}
    for chunk in legend_html.split('<div class="amb-legend-kind" data-kind="')[1:]:
        kind = chunk[: chunk.index('"')]
        for row in chunk.split('<div class="row" data-class="')[1:]:
            cls, mark, _ = re.match(r'([^"]*)">(.*)<span>([^<]*)</span>', row, re.DOTALL).groups()
            cls = html.unescape(cls)
            if "amb-cluster-key" in mark:
                continue
            if 'class="key"' in mark:
                out[kind, cls, "mark"] = _BACKGROUND.search(mark).group(1).lower()
            else:
                fill = re.search(r"background:([^;]+);", mark).group(1)
                border = re.search(r"border-color:([^;]+);", mark).group(1)
                if _hex(fill):
                    out[kind, cls, "fill"] = _hex(fill)
                if border != fill:
                    out[kind, cls, "line"] = _hex(border)
    return out


def _gid(artist) -> tuple[str, str] | None:
    gid = artist.get_gid()
    if not gid:
        return None
    key, _, cls = gid.partition(":")
    return key, cls


def paper(ax) -> dict[tuple[str, str, str], str]:
    """Colours of the artists ``draw_layers`` put in ``ax`` (each tagged with its symbol key and class)."""
    out = {}
    for artist in ax.collections:
        named = _gid(artist)
        if named is None:
            continue
        if isinstance(artist, PathCollection):  # scatter: markers
            out[(*named, "mark")] = _hex(artist.get_facecolor())
        elif isinstance(artist, LineCollection):
            out[(*named, "line")] = _hex(artist.get_edgecolor())
        else:
            if (fill := _hex(artist.get_facecolor())) is not None:
                out[(*named, "fill")] = fill
            edge = artist.get_edgecolor()
            drawn = artist.get_hatch() or (len(artist.get_linewidth()) and artist.get_linewidth()[0] > 0)
            if len(edge) and drawn and (line := _hex(edge)) is not None:
                out[(*named, "line")] = line
    return {k: v for k, v in out.items() if v}


def paper_legend(handles) -> dict[tuple[str, str, str], str]:
    """Colours of the printed legend's handles."""
    out = {}
    for handle in handles:
        named = _gid(handle)
        if named is None:
            continue
        if isinstance(handle, Line2D):
            if handle.get_marker() not in (None, "None", "none", ""):
                out[(*named, "mark")] = _hex(handle.get_markerfacecolor())
        elif isinstance(handle, Patch):
            if (fill := _hex(handle.get_facecolor())) is not None:
                out[(*named, "fill")] = fill
            if handle.get_hatch() or handle.get_linewidth() > 0:
                out[(*named, "line")] = _hex(handle.get_edgecolor())
    return {k: v for k, v in out.items() if v}


def panel_swatches(panel) -> dict[str, str]:
    """{kind: colour of its swatch} in a LayerPanel."""
    from ambmap.ui.layer_panel import KIND_ROLE

    out = {}
    for row in range(panel.list.count()):
        item = panel.list.item(row)
        image = item.icon().pixmap(14, 14).toImage()
        out[item.data(KIND_ROLE)] = image.pixelColor(7, 7).name().lower()
    return out


def disagreements(*media: dict) -> list[str]:
    """Every key two media draw in different colours."""
    problems = []
    keys = set().union(*media)
    for key in sorted(keys):
        seen = {i: m[key] for i, m in enumerate(media) if key in m}
        if len(set(seen.values())) > 1:
            problems.append(f"{key}: {seen}")
    return problems
