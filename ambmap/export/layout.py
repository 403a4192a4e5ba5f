"""Print layouts (PDF, vector; PNG, 300 dpi) for the contrat de ville and its annual reports.

Drawn with matplotlib in the territory's metric CRS (Lambert-93 in mainland France, the local UTM
projection overseas: :func:`ambmap.crs.metric_crs`), so north is up and the scale bar and the printed
scale are true: the extent is widened until the scale is a round number (1 : 25 000 rather than
1 : 24 613). A page has a title band, the map frame (scale bar, north arrow, marks), a side (landscape)
or bottom (portrait) panel with the legend of the visible layers, the sources and licences, the date and
the privacy level; the PDF may carry the per-QPV indicator table on page 2 (a QPV's map carries that
QPV's figures under it instead; the atlas, :mod:`ambmap.export.atlas`, is one such page per QPV). The
method note (zones, distance, statuses counted, target) and the data's dates are on every map. No tiles
are printed: the basemap is the project's own streets, water, railways and parks, drawn as vectors (crisp at any scale),
with the street names on a quarter's map.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from ambmap.analysis.indicators import INDICATORS, Indicator, class_labels, coverage_classes, project_target
from ambmap.crs import LAMBERT93, WGS84, crs_label, metric_crs
from ambmap.errors import AmbmapError, UsageError
from ambmap.export.common import Prepared, metadata, sources_lines
from ambmap.export.data import QPV_COLUMNS, french_table
from ambmap.layers import KINDS
from ambmap.project import DEMO_LABEL
from ambmap.render import symbology
from ambmap.text import date, distance, number, percent

if TYPE_CHECKING:
    from matplotlib.artist import Artist

MM = 1 / 25.4  # inches per millimetre
PAGES_MM = {"a4": (210.0, 297.0), "a3": (297.0, 420.0)}
LAYOUTS = ("a4-paysage", "a4-portrait", "a3-paysage", "a3-portrait")
DPI = 300
NICE_STEPS = (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 10)

INK = symbology.INK


@dataclass(frozen=True)
class LayoutOptions:
    """What the user chooses for a printed map.

    ``extent`` is "territoire", a QPV code, or a (west, south, east, north) box in degrees.
    ``visible`` lists the layer kinds to draw (None: the project's visible layers).
    """

    layout: str = "a4-paysage"
    title: str | None = None
    subtitle: str | None = None
    extent: str | tuple[float, float, float, float] = "territoire"
    visible: tuple[str, ...] | None = None
    logo: Path | None = None
    table: bool = False
    #: the one-page summary for the contrat de ville instead of the map (:mod:`ambmap.export.bilan`)
    bilan: bool = False
    #: PDF: a cover map, one page per QPV with its figures, then the table (:mod:`ambmap.export.atlas`)
    atlas: bool = False


def page_size_mm(layout: str) -> tuple[float, float]:
    """(width, height) in millimetres of a layout name such as « a4-paysage »."""
    if layout not in LAYOUTS:
        raise AmbmapError(f"Mise en page « {layout} » inconnue : choisissez parmi {', '.join(LAYOUTS)}.")
    paper, orientation = layout.split("-")
    short, long = PAGES_MM[paper]
    return (long, short) if orientation == "paysage" else (short, long)


def nice_scale(denominator: float) -> int:
    """The smallest round scale denominator (1, 1.25, 1.5, 2, 2.5… × 10^n) not below ``denominator``."""
    power = 10 ** math.floor(math.log10(denominator))
    return int(next(step * power for step in NICE_STEPS if step * power >= denominator - 1e-6))


def map_crs(project) -> str:
    """The metric CRS the map of ``project`` is drawn in: that of its territory (else of its QPV)."""
    for kind in ("territory", "qpv"):
        if kind in project.layers and len(project.layers[kind]):
            return metric_crs(project.layers[kind].data)
    return LAMBERT93


def target_bounds(
    prepared: Prepared, extent, crs: str | None = None
) -> tuple[tuple[float, float, float, float], str | None]:
    """Bounds in ``crs`` (default :func:`map_crs`) of the chosen extent and, for one QPV, its name."""
    project = prepared.project
    crs = crs or map_crs(project)
    if isinstance(extent, (tuple, list)):
        frame = gpd.GeoSeries([box(*extent)], crs=WGS84).to_crs(crs)
        bounds = frame.total_bounds
        if step := prepared.view_step_m:
            # the map's current view is often centred on the ambassador just selected (exact home):
            # widened to 200 m steps, the printed centre says no more than a public 200 m square
            bounds = np.concatenate([np.floor(bounds[:2] / step), np.ceil(bounds[2:] / step)]) * step
        west, south, east, north = (float(v) for v in bounds)
        return (west, south, east, north), None
    if extent == "territoire":
        for kind in ("territory", "qpv"):
            if kind in project.layers and len(project.layers[kind]):
                return tuple(project.layers[kind].data.to_crs(crs).total_bounds), None
        raise AmbmapError("Le projet n'a ni territoire ni QPV : choisissez une emprise (QPV ou rectangle).")
    qpv = project.layer("qpv").data
    row = qpv[qpv["code_qp"] == extent]
    if row.empty:
        codes = ", ".join(qpv["code_qp"]) or "aucun"
        raise UsageError(f"QPV « {extent} » introuvable dans le projet (codes disponibles : {codes}).")
    return tuple(row.to_crs(crs).buffer(250).total_bounds), str(row.iloc[0]["nom_qp"])


def fit_extent(bounds, frame_mm: tuple[float, float]) -> tuple[tuple[float, float, float, float], int]:
    """Widen ``bounds`` (metres) around its centre to fill the frame at a round scale."""
    minx, miny, maxx, maxy = bounds
    pad = 0.04 * max(maxx - minx, maxy - miny, 200)
    width, height = maxx - minx + 2 * pad, maxy - miny + 2 * pad
    scale = nice_scale(max(width / (frame_mm[0] / 1000), height / (frame_mm[1] / 1000)))
    half_w, half_h = frame_mm[0] / 1000 * scale / 2, frame_mm[1] / 1000 * scale / 2
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h), scale


def write_print(prepared: Prepared, path: Path, options: LayoutOptions | None = None, progress=None) -> Path:
    """Write the layout to ``path``: PDF (vector, optional table page) or PNG (300 dpi, page 1)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    options = options or LayoutOptions()
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".pdf", ".png"):
        raise AmbmapError(f"Format « {path.suffix} » non géré pour une carte imprimable : utilisez .pdf ou .png.")
    if options.bilan:
        from ambmap.export.bilan import write_bilan

        return write_bilan(prepared, path, options, progress)
    if options.atlas:
        from ambmap.export.atlas import write_atlas

        return write_atlas(prepared, path, options, progress)
    meta = metadata(prepared.project, prepared.level)
    # text.parse_math off: a name or title with "$" is printed as typed (mathtext would misdraw or fail)
    with plt.rc_context(
        {"pdf.fonttype": 42, "font.family": "DejaVu Sans", "text.color": INK, "text.parse_math": False}
    ):
        if progress:
            progress(0, 3, "Mise en page de la carte…")
        page = draw_map_page(prepared, options)
        title = page.texts[0].get_text() if page.texts else "Carte"
        if progress:
            progress(1, 3, "Écriture du fichier…")
        try:
            if suffix == ".png":
                page.savefig(
                    path,
                    dpi=DPI,
                    metadata={
                        "Title": title,
                        "Description": meta["ambmap_mention"],
                        "Source": meta["ambmap_sources"],
                        "Software": "ambmap",
                        "ambmap_niveau": prepared.level,
                    },
                )
            else:
                with PdfPages(path, metadata=pdf_info(prepared, title)) as pdf:
                    pdf.savefig(page)
                    if options.table and not is_qpv_extent(options.extent):  # one QPV: its figures are on page 1
                        table_page = draw_table_page(prepared, options, meta)
                        pdf.savefig(table_page)
                        plt.close(table_page)
        finally:  # a write error is told once, naming the user's file, by ambmap.export.export()
            plt.close(page)
    if progress:
        progress(3, 3, "Carte enregistrée.")
    return path


def pdf_info(prepared: Prepared, title: str) -> dict[str, str]:
    """The PDF document properties: title, level mark, sources (every print PDF records its level)."""
    meta = metadata(prepared.project, prepared.level)
    return {
        "Title": title,
        "Subject": meta["ambmap_mention"],
        "Creator": "ambmap",
        "Keywords": f"ambmap; niveau={prepared.level}; {meta['ambmap_sources']}",
    }


def is_qpv_extent(extent) -> bool:
    """True when the chosen extent is one QPV (its code), not the territory nor a box."""
    return isinstance(extent, str) and extent != "territoire"


def _frames(width: float, height: float, band: float = 0.0):
    """Rectangles (left, bottom, width, height, in mm) of header, map and panel for the page shape; with
    ``band``, the map leaves that many mm under it for one QPV's figures (:func:`_band_box`)."""
    margin, header = 10.0, 24.0
    if width > height:
        panel_w = 68.0 if width < 400 else 90.0
        map_w, map_h = width - 2 * margin - panel_w - 6, height - 2 * margin - header
        map_box = (margin, margin + band, map_w, map_h - band)
        panel = (width - margin - panel_w, margin, panel_w, height - 2 * margin - header)
    else:
        panel_h = 70.0 if height < 400 else 90.0
        bottom = margin + panel_h + 4
        map_box = (margin, bottom + band, width - 2 * margin, height - margin - header - bottom - band)
        panel = (margin, margin, width - 2 * margin, panel_h)
    head = (margin, height - margin - header, width - 2 * margin, header)
    return head, map_box, panel


def _band_box(width: float, height: float, band: float):
    """The rectangle (mm) of one QPV's figures: under its map, as wide as it, ``band`` mm high with the gap."""
    _, map_box, _ = _frames(width, height, band)
    return (map_box[0], map_box[1] - band, map_box[2], band - 4)


def draw_map_page(prepared: Prepared, options: LayoutOptions):
    """The first page as a matplotlib Figure; one QPV's map carries that QPV's figures in its panel
    (:func:`ambmap.export.atlas.qpv_figures`), the same page as in the atlas."""
    import matplotlib.pyplot as plt

    project = prepared.project
    width, height = page_size_mm(options.layout)
    big = width >= 400 or height >= 400
    crs = map_crs(project)
    bounds, qpv_name = target_bounds(prepared, options.extent, crs)  # an unknown QPV is refused here
    figures: list[tuple[str, str]] = []
    if qpv_name:
        from ambmap.export.atlas import qpv_figures

        figures = qpv_figures(prepared, str(options.extent))
    grow = 1.3 if big else 1.0  # A3: everything a little larger, read from further away
    strip_w = width - 26 - (68.0 if width < 400 else 90.0) if width > height else width - 20
    columns = _figure_columns(figures, strip_w / grow)
    # a line of 7.3 pt at 1.45 spacing is 3.8 mm; the heading takes 8 mm
    band = (12 + 3.8 * max(len(c.splitlines()) for c in columns)) * grow if columns else 0.0
    head, map_box, panel = _frames(width, height, band)
    fig = plt.figure(figsize=(width * MM, height * MM))

    def axes(rect):
        left, bottom, w, h = rect
        return fig.add_axes((left / width, bottom / height, w / width, h / height))

    extent, scale = fit_extent(bounds, (map_box[2], map_box[3]))
    title = options.title or f"Ambassadeurs·rices de santé — {project.name}"
    subtitle = options.subtitle or (
        f"Quartier prioritaire {qpv_name}"
        if qpv_name
        else "Quartiers prioritaires de la politique de la ville, pôles et ressources de santé"
    )
    fig.text(
        head[0] / width,
        (head[1] + head[3] - 2) / height,
        title,
        fontsize=22 if big else 17,
        fontweight="bold",
        va="top",
    )
    fig.text(head[0] / width, (head[1] + 6) / height, subtitle, fontsize=13 if big else 10.5, color="#4a4f5c")
    fig.add_artist(
        plt.Line2D([head[0] / width, (head[0] + head[2]) / width], [head[1] / height] * 2, color=INK, linewidth=1.2)
    )
    if options.logo:
        _draw_logo(fig, options.logo, head, width, height)

    ax = axes(map_box)
    handles = draw_layers(ax, prepared, options, extent, marker=(2.2 if scale <= 20_000 else 1.0) * grow, crs=crs)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(1.0)
        spine.set_color(INK)
    _scale_bar(ax, extent, scale)
    _north_arrow(ax, extent, crs)
    marks = []
    if prepared.banner:
        marks.append((prepared.banner, "#b2182b"))
    if project.is_demo:
        marks.append((f"« {DEMO_LABEL} »", "#8a5a00"))
    for i, (text, color) in enumerate(marks):
        ax.text(
            0.5,
            0.985 - i * 0.045,
            text,
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=11,
            fontweight="bold",
            color=color,
            zorder=20,
            bbox={"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": color, "linewidth": 1.2},
        )
    # names last: they keep off the scale bar, the north arrow and the marks drawn above
    if "qpv" in _visible(prepared, options) and len(prepared.project.layer("qpv")):
        qpv = prepared.project.layer("qpv").data.to_crs(crs)
        marker = (2.2 if scale <= 20_000 else 1.0) * grow
        _labels(
            ax,
            _with_labels(qpv[qpv.intersects(box(*extent))], prepared),
            box(*extent),
            8.5 * grow,
            avoid=_site_boxes(ax, prepared, crs, marker)
            + _pole_boxes(ax, prepared, options, crs, marker)
            + _decoration_boxes(ax),
        )
    if qpv_name and "streets" in _visible(prepared, options) and len(project.layers.get("streets") or ()):
        streets = project.layers["streets"].data.to_crs(crs)
        _street_labels(ax, streets[streets.intersects(box(*extent))], box(*extent), 5.5 * grow)

    if columns:
        _draw_figures(axes(_band_box(width, height, band)), columns, grow)
        # this QPV's sites and before → after are in its figures: the legend keeps the symbols only
        handles = [handle for handle in handles if handle.get_gid()]
    side = axes(panel)
    side.set_axis_off()
    _panel(side, prepared, handles, scale, width > height, grow, crs)
    return fig


def _figure_columns(figures: Sequence[tuple[str, str]], width_mm: float) -> list[str]:
    """One QPV's « label : value » lines wrapped into two columns of about equal height (empty: none)."""
    if not figures:
        return []
    wrap = int((width_mm / 2 - 4) / 1.45)  # DejaVu Sans at 7.3 pt: about 1.45 mm a character
    blocks = [textwrap.fill(f"{label} : {value}", wrap, subsequent_indent="   ") for label, value in figures]
    heights = np.cumsum([len(block.splitlines()) for block in blocks])
    split = int(np.searchsorted(heights, heights[-1] / 2)) + 1
    return ["\n".join(blocks[:split]), "\n".join(blocks[split:])]


def _draw_figures(ax, columns: list[str], grow: float) -> None:
    """The band under a QPV's map: a heading, then its figures in two columns."""
    ax.set_axis_off()
    ax.text(0, 1, "Le quartier en chiffres", transform=ax.transAxes, va="top", fontsize=10 * grow, weight="bold")
    for i, column in enumerate(columns):
        ax.text(
            0.5 * i,
            1 - 8 / (ax.get_window_extent().height / ax.figure.dpi * 25.4),  # 8 mm under the heading's top
            column,
            transform=ax.transAxes,
            va="top",
            fontsize=7.3 * grow,
            linespacing=1.45,
            color=INK,
        )


#: A logo is a few hundred pixels wide; beyond this its decoding would take the memory of the machine.
MAX_LOGO_PIXELS = 25_000_000


def _draw_logo(fig, logo: Path, head, width, height) -> None:
    import matplotlib.image as mpimg
    from PIL import Image

    try:
        if not Path(logo).is_file():  # a folder, a pipe (/dev/stdin) would block the export forever
            raise OSError("ce n'est pas un fichier")
        with Image.open(logo) as probe:  # the header only: its size before any decoding
            if probe.width * probe.height > MAX_LOGO_PIXELS:
                raise ValueError(f"{probe.width} × {probe.height} pixels, c'est trop grand")
        image = mpimg.imread(str(logo))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        # from None: an OSError cause would make the export say « impossible d'écrire » the output file
        raise AmbmapError(f"Logo « {logo} » illisible ({e}) : choisissez une image PNG ou JPEG.") from None
    h_mm = head[3] - 4
    w_mm = h_mm * image.shape[1] / image.shape[0]
    ax = fig.add_axes(((head[0] + head[2] - w_mm) / width, (head[1] + 2) / height, w_mm / width, h_mm / height))
    ax.imshow(image)
    ax.set_axis_off()


def _visible(prepared: Prepared, options: LayoutOptions) -> set[str]:
    """The kinds chosen, else the project's visible layers but, as on screen, not the resources over a
    coverage map (``render.map.HIDDEN_WITH_COVERAGE``)."""
    from ambmap.render.map import HIDDEN_WITH_COVERAGE

    if options.visible is not None:
        return set(options.visible)
    shown = {layer.kind for layer in prepared.project.ordered_layers() if layer.visible}
    return shown - HIDDEN_WITH_COVERAGE if prepared.coverage is not None else shown


def draw_layers(
    ax, prepared: Prepared, options: LayoutOptions, extent, marker: float = 1.0, crs: str | None = None
) -> list:
    """Draw the visible layers (bottom first) in ``crs`` (default :func:`map_crs`) and return their legend
    handles.

    Each registered kind is drawn by the function :data:`PAPER` gives for its ``drawing``, in the colours
    of ``ambmap.render.symbology`` (those of the screen map); every artist and handle carries the symbol
    key (and class) it was drawn with as its ``gid``. ``marker`` enlarges point symbols on large-scale
    maps (one quarter).
    """
    project, coverage = prepared.project, prepared.coverage
    crs = crs or map_crs(project)
    visible = _visible(prepared, options)
    window = box(*extent)
    handles: list = []

    def data(kind):
        if kind not in visible or kind not in project.layers or not len(project.layers[kind]):
            return None
        frame = project.layers[kind].data.to_crs(crs)
        return frame[frame.intersects(window)]

    ax.set_facecolor("#e8eef2")
    overlays = False
    for position, kind in enumerate(KINDS.values()):
        if kind.is_point and not overlays:
            handles += _paper_coverage(ax, coverage, crs) if coverage is not None and "qpv" in visible else []
            overlays = True
        if (frame := data(kind.name)) is not None:
            layer = project.layers[kind.name]
            handles += PAPER[kind.drawing](ax, kind, layer, frame, prepared, marker, position)
    if not overlays and coverage is not None and "qpv" in visible:
        handles += _paper_coverage(ax, coverage, crs)
    recommendation = prepared.recommendation
    sites = getattr(recommendation, "sites", None)
    zones = getattr(recommendation, "zones", None)
    seen = any(part is not None and part.to_crs(crs).intersects(window).any() for part in (sites, zones))
    drawn = _paper_recommendation(ax, recommendation, crs, marker)
    handles += drawn if seen else []  # a QPV's map far from every site: no legend for what it does not show
    return handles


def _paper_recommendation(ax, recommendation, crs, marker: float = 1.0) -> list:
    """Large numbered discs (the number is the site's rank, as on screen), each with the zone it would add."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    sites = getattr(recommendation, "sites", None)
    if sites is None or not len(sites):
        return []
    handles: list[Artist] = []
    zones = getattr(recommendation, "zones", None)
    if zones is not None and len(zones):
        look = symbology.style("recommendation_zones").symbol
        zones.to_crs(crs).plot(
            ax=ax,
            facecolor=look.fill,
            alpha=look.fill_opacity,
            edgecolor="none",
            zorder=4.3,
            gid="recommendation_zones",
        )
        zones.to_crs(crs).boundary.plot(
            ax=ax,
            color=look.color,
            linewidth=0.6 * look.width,
            linestyle=_dash(look),
            zorder=4.4,
            gid="recommendation_zones",
        )
        handles.append(
            Patch(
                facecolor=look.fill,
                alpha=0.5,
                edgecolor=look.color,
                linestyle=_dash(look),
                label="Zone ajoutée par le site proposé",
                gid="recommendation_zones",
            )
        )
    site = symbology.style("recommendation").symbol
    sites = sites.to_crs(crs)
    ax.scatter(
        sites.geometry.x,
        sites.geometry.y,
        s=(site.paper_size**2) * marker,
        color=site.color,
        edgecolors=site.edge,
        linewidths=1.2,
        marker="o",
        zorder=9.5,
        gid="recommendation",
    )
    for row in sites.itertuples():
        ax.text(
            row.geometry.x,
            row.geometry.y,
            str(row.rank),
            ha="center",
            va="center_baseline",
            fontsize=9 * min(marker, 1.5),
            fontweight="bold",
            color=site.edge,
            zorder=9.6,
            clip_on=True,
        )
    handles.append(
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            markersize=10,
            markerfacecolor=site.color,
            markeredgecolor=site.edge,
            label="Où recruter : site proposé (n° de priorité)",
            gid="recommendation",
        )
    )
    unit = "hab." if getattr(recommendation, "unit", "") == "habitants" else getattr(recommendation, "unit", "")
    for row in sites.itertuples():  # the numbers of the map, listed
        handles.append(Line2D([], [], linestyle="none", label=f"{row.rank}. {row.label} (+{number(row.gain)} {unit})"))
    from ambmap.analysis.recommend import before_after

    if lines := before_after(recommendation):
        handles.append(Line2D([], [], linestyle="none", label="Part couverte, avant → après :"))
        handles += [Line2D([], [], linestyle="none", label=f"   {line}") for line in lines]
    return handles


def _dash(symbol):
    """A symbology dash pattern as a matplotlib line style."""
    return (0, symbol.dash) if symbol.dash else "solid"


def _paper_outline(ax, kind, layer, frame, prepared, marker, position) -> list:
    """An outline (the territory) on the paper's background fill; its line goes above the QPV fill."""
    from matplotlib.patches import Patch

    look = symbology.style(kind.symbol).symbol
    edge = _user_color(layer, look.color)
    fill = look.paper_fill or look.fill or "none"
    frame.plot(ax=ax, facecolor=fill, edgecolor="none", zorder=1, gid=kind.symbol)
    frame.boundary.plot(ax=ax, color=edge, linewidth=0.9, linestyle=_dash(look), zorder=4.2, gid=kind.symbol)
    return [Patch(facecolor=fill, edgecolor=edge, linestyle=_dash(look), label=kind.legend_label, gid=kind.symbol)]


def _paper_grid(ax, kind, layer, frame, prepared, marker, position) -> list:
    """Grid squares in the population quintiles of the screen map (same classes, same ramp)."""
    from matplotlib.patches import Patch

    if not len(frame):
        return []
    look = symbology.style(kind.symbol)
    values = frame["population"].to_numpy(dtype=float)
    edges, classes = symbology.grid_classes(values)
    bounds = [values.min(), *edges, values.max()]
    handles = []
    for i in range(len(edges) + 1):
        symbol = look.of(str(i))
        if not (classes == i).any():
            continue
        frame[classes == i].plot(
            ax=ax,
            facecolor=symbol.fill,
            alpha=symbol.fill_opacity,
            edgecolor="none",
            zorder=2,
            gid=f"{kind.symbol}:{i}",
        )
        label = f"{number(bounds[i])} à {number(bounds[i + 1])} hab. / carreau 200 m"
        handles.append(
            Patch(
                facecolor=symbol.fill,
                alpha=symbol.fill_opacity,
                edgecolor="#bbbbbb",
                linewidth=0.4,
                label=label,
                gid=f"{kind.symbol}:{i}",
            )
        )
    return handles


def _paper_quarters(ax, kind, layer, frame, prepared, marker, position) -> list:
    """Quarters: a strong outline (the user's colour, if chosen) on a light fill, or, once coverage is
    computed, on the fill of their coverage class against the project's target, as on screen."""
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Patch

    style = symbology.style(kind.symbol)
    look = style.symbol
    color = _user_color(layer, look.color)
    per_qpv = getattr(prepared.coverage, "per_qpv", None)
    if per_qpv is not None:  # a class colour says a class: the user's colour never changes it
        target = project_target(prepared.project)
        classes = coverage_classes(per_qpv, target).reindex(frame["code_qp"]).to_numpy()
        handles = [
            Patch(facecolor="none", edgecolor="none", label="QPV : part de la population couverte", gid=kind.symbol)
        ]  # a heading
        for cls, label in class_labels(target).items():
            symbol = style.of(cls)
            part = frame[classes == cls]
            if len(part):
                part.plot(
                    ax=ax,
                    facecolor=symbol.fill,
                    alpha=symbol.fill_opacity,
                    edgecolor="none",
                    zorder=2.5,
                    gid=f"{kind.symbol}:{cls}",
                )
            handles.append(
                Patch(
                    facecolor=to_rgba(symbol.fill or "none", symbol.fill_opacity),
                    edgecolor=color,
                    linewidth=0.8 * look.width,
                    label=label,
                    gid=f"{kind.symbol}:{cls}",
                )
            )
        frame.boundary.plot(ax=ax, color=color, linewidth=0.8 * look.width, zorder=4.1, gid=kind.symbol)
        return handles
    fill = _user_color(layer, look.fill)
    frame.plot(ax=ax, facecolor=fill, alpha=look.fill_opacity, edgecolor="none", zorder=4, gid=kind.symbol)
    frame.boundary.plot(ax=ax, color=color, linewidth=0.8 * look.width, zorder=4.1, gid=kind.symbol)
    return [
        Patch(
            facecolor=to_rgba(fill, look.fill_opacity),
            edgecolor=color,
            linewidth=0.8 * look.width,
            label=kind.legend_label,
            gid=kind.symbol,
        )
    ]


_MARKERS = {"circle": "o", "square": "s", "pin": "s", "number": "o"}


def _paper_points(ax, kind, layer, frame, prepared, marker, position) -> list:
    """Markers, one per class of ``kind.class_field`` (under a heading naming the layer) or one for the
    layer; a kind with personal data is said to be placed « à 200 m près » in a public print."""
    from matplotlib.lines import Line2D

    look = symbology.style(kind.symbol)
    title = f"{kind.singular} ({prepared.private_place})" if kind.private_fields else kind.legend_label
    zorder = 6 + 0.1 * position + (2 if kind.z else 0)
    if kind.class_field and look.classes:
        groups = [(value, frame[frame[kind.class_field] == value]) for value in kind.classes]
        handles = [Line2D([], [], linestyle="none", label=title, gid=kind.symbol)]  # a heading, no mark
    else:
        groups, handles = [("", frame)], []
    for value, part in groups:
        if not len(part):
            continue
        symbol = look.of(value) if value else look.symbol
        color = symbol.color if value else _user_color(layer, symbol.color)
        shape, gid = _MARKERS.get(symbol.shape, "o"), f"{kind.symbol}:{value}" if value else kind.symbol
        ax.scatter(
            part.geometry.x,
            part.geometry.y,
            s=symbol.paper_size**2 * marker,
            color=color,
            edgecolors=symbol.edge,
            linewidths=symbol.paper_size / 10,
            marker=shape,
            zorder=zorder,
            gid=gid,
        )
        handles.append(
            Line2D(
                [],
                [],
                marker=shape,
                linestyle="none",
                markersize=3 + symbol.paper_size / 2,
                markerfacecolor=color,
                markeredgecolor=symbol.edge,
                label=value[0].upper() + value[1:] if value else title,
                gid=gid,
            )
        )
    return handles if len(handles) > 1 or not kind.class_field else []  # a heading alone says nothing


#: zorder of the basemap kinds: above the territory's paper fill (1), under the population grid (2)
_BASE_Z = {"parks": 1.2, "water": 1.3, "streets": 1.4, "railways": 1.6}


def _paper_areas(ax, kind, layer, frame, prepared, marker, position) -> list:
    """Basemap areas (water, parks): a flat fill, no outline."""
    from matplotlib.patches import Patch

    look = symbology.style(kind.symbol).symbol
    fill = _user_color(layer, look.fill or look.color)
    if len(frame):
        frame.plot(ax=ax, facecolor=fill, edgecolor="none", zorder=_BASE_Z.get(kind.name, 1.2), gid=kind.symbol)
    return [Patch(facecolor=fill, edgecolor="none", label=kind.legend_label, gid=kind.symbol)] if len(frame) else []


def _paper_lines(ax, kind, layer, frame, prepared, marker, position) -> list:
    """Basemap lines (streets by class, railways) as vector line collections: crisp at any scale; thinner
    on a territory map than on a quarter's (``marker`` grows at large scales)."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    if not len(frame):
        return []
    look = symbology.style(kind.symbol)
    factor = 0.45 if marker >= 2 else 0.22  # points per screen pixel of the symbology
    keys = frame[kind.class_field] if kind.class_field else pd.Series("", index=frame.index)
    z = _BASE_Z.get(kind.name, 1.4)
    for i, value in enumerate(reversed(kind.classes or ("",))):  # narrow classes first, main streets on top
        part = frame[(keys == value).to_numpy()] if value else frame
        if not len(part):
            continue
        symbol = look.of(value) if value else look.symbol
        segments = [np.asarray(line.coords) for geom in part.geometry for line in getattr(geom, "geoms", [geom])]
        ax.add_collection(
            LineCollection(
                segments,
                colors=_user_color(layer, symbol.color),
                linewidths=symbol.width * factor,
                linestyles=_dash(symbol),
                capstyle="round",
                joinstyle="round",
                zorder=z + 0.01 * i,
                gid=f"{kind.symbol}:{value}" if value else kind.symbol,
            )
        )
    return [
        Line2D(
            [],
            [],
            color=look.symbol.color,
            linewidth=1.2,
            linestyle=_dash(look.symbol),
            label=kind.legend_label,
            gid=kind.symbol,
        )
    ]


def _street_labels(ax, streets: gpd.GeoDataFrame, window, fontsize: float) -> int:
    """Street names along the streets of a quarter's map: one label per name, the longest streets first,
    each at the middle of its longest part in the frame and turned along it; a label that would not fit
    along its street or would overlap another is left out. Returns how many were written."""
    import matplotlib.patheffects as pe

    named = streets[streets["name"].notna() & (streets["name"].astype(str).str.strip() != "")]
    if not len(named):
        return 0
    inner = window.buffer(-0.03 * (window.bounds[2] - window.bounds[0]))
    clipped = named.geometry.intersection(inner)
    parts = gpd.GeoDataFrame(
        {"name": named["name"].astype(str).str.strip().to_numpy()}, geometry=clipped.to_numpy(), crs=streets.crs
    ).explode(index_parts=False)
    parts = parts[(parts.geom_type == "LineString").to_numpy() & ~parts.is_empty.to_numpy()]
    parts = parts.assign(length=parts.length).sort_values("length", ascending=False).drop_duplicates("name")
    halo = [pe.withStroke(linewidth=2.2, foreground="white")]
    renderer = ax.figure.canvas.get_renderer()
    to_px = ax.transData.transform
    px_per_m = float(to_px((1.0, 0.0))[0] - to_px((0.0, 0.0))[0])
    placed = _decoration_boxes(ax)  # the QPV names, scale bar, north arrow and marks, already drawn
    written = 0
    for row in parts.itertuples():
        line = row.geometry
        width = fontsize * 0.5 * len(row.name) * ax.figure.dpi / 72  # the name's length, in pixels
        if line.length * px_per_m < width * 0.9:
            continue
        for fraction in (0.5, 0.3, 0.7, 0.15, 0.85):  # the middle, else further along the street
            extent = _street_label(ax, line, fraction, row.name, fontsize, halo, renderer, to_px, placed)
            if extent is not None:
                placed.append(extent)
                written += 1
                break
    return written


def _street_label(ax, line, fraction: float, name: str, fontsize: float, halo, renderer, to_px, placed):
    """Write ``name`` at ``fraction`` of ``line``, turned along it; its extent, or None (and nothing
    written) where it would overlap a label in ``placed``."""
    at = line.length * fraction
    mid = line.interpolate(at)
    ahead = line.interpolate(min(line.length, at + line.length * 0.1))
    behind = line.interpolate(max(0.0, at - line.length * 0.1))
    (x0, y0), (x1, y1) = to_px([(behind.x, behind.y), (ahead.x, ahead.y)])
    angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
    angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
    # the halo is a second, outlined copy underneath: a path effect on the name itself would print it as
    # curves, and the PDF would lose the text (search, copy, screen readers)
    texts = [
        ax.text(
            mid.x,
            mid.y,
            name,
            fontsize=fontsize,
            color=color,
            rotation=angle,
            rotation_mode="anchor",
            ha="center",
            va="center",
            path_effects=effects,
            zorder=z,
            clip_on=True,
            gid="streets:name",
        )
        for color, effects, z in (("white", halo, 5), ("#3c3c3c", None, 5.01))
    ]
    extent = texts[1].get_window_extent(renderer)
    if any(extent.overlaps(other) for other in placed):
        for text in texts:
            text.remove()
        return None
    return extent


#: How each registered ``drawing`` is printed (the screen map has its own table, ``render.map.DRAWERS``).
PAPER = {
    "areas": _paper_areas,
    "lines": _paper_lines,
    "outline": _paper_outline,
    "grid": _paper_grid,
    "quarters": _paper_quarters,
    "points": _paper_points,
}


def _paper_coverage(ax, coverage, crs) -> list:
    """The one merged zone the ambassadors cover (outlined: a fill would mix with the class colours) and,
    hatched, the parts of QPV they do not."""
    from matplotlib.patches import Patch

    covered_look, gaps_look = symbology.style("coverage").symbol, symbology.style("gaps").symbol
    covered = coverage.covered_area.to_crs(crs)
    covered.boundary.plot(
        ax=ax,
        color=covered_look.color,
        linewidth=0.6 * covered_look.width,
        linestyle=_dash(covered_look),
        zorder=4.15,
        gid="coverage",
    )
    handles = [
        Patch(
            facecolor="none",
            edgecolor=covered_look.color,
            linestyle=_dash(covered_look),
            label="Limite de la zone couverte",
            gid="coverage",
        )
    ]
    gaps = coverage.gaps.to_crs(crs)
    if len(gaps):
        gaps.plot(
            ax=ax, facecolor="none", edgecolor=gaps_look.color, hatch="////", linewidth=0.0, zorder=3.5, gid="gaps"
        )
        handles.append(
            Patch(
                facecolor="none",
                edgecolor=gaps_look.color,
                hatch="////",
                label="Partie de QPV non couverte",
                gid="gaps",
            )
        )
    return handles


def _user_color(layer, default):
    """The colour the user chose for ``layer`` (layer panel), if it is one, else ``default``."""
    from matplotlib.colors import is_color_like

    chosen = layer.style.get("color")
    return chosen if isinstance(chosen, str) and is_color_like(chosen) else default


def _with_labels(qpv: gpd.GeoDataFrame, prepared: Prepared) -> gpd.GeoDataFrame:
    """The QPV with their map label: « Fives 75 % » once coverage is computed (as on screen), else the name."""
    from ambmap.analysis.indicators import qpv_label

    per_qpv, target = getattr(prepared.coverage, "per_qpv", None), project_target(prepared.project)
    if per_qpv is None:
        return qpv.assign(label=qpv["nom_qp"])
    classes = coverage_classes(per_qpv, target)
    shares = per_qpv["covered_share"] if "covered_share" in per_qpv else pd.Series(dtype=float)
    return qpv.assign(
        label=[
            qpv_label(name, shares.get(code), classes.get(code), target)
            for code, name in zip(qpv["code_qp"], qpv["nom_qp"], strict=True)
        ]
    )


def _site_boxes(ax, prepared: Prepared, crs: str, marker: float = 1.0) -> list:
    """Where the numbered recommendation markers are on the page (display boxes): no QPV name goes there."""
    from matplotlib.transforms import Bbox

    sites = getattr(prepared.recommendation, "sites", None)
    if sites is None or not len(sites):
        return []
    xy = ax.transData.transform(np.column_stack([sites.to_crs(crs).geometry.x, sites.to_crs(crs).geometry.y]))
    # a little more than the disc's radius (its area grows with ``marker``, as in _paper_recommendation)
    half = 0.6 * symbology.style("recommendation").symbol.paper_size * math.sqrt(marker) * ax.figure.dpi / 72
    return [Bbox([[x - half, y - half], [x + half, y + half]]) for x, y in xy]


def _decoration_boxes(ax) -> list:
    """Where the scale bar, the north arrow, the marks and the site numbers are (display boxes)."""
    renderer = ax.figure.canvas.get_renderer()
    boxes = [patch.get_window_extent(renderer) for patch in ax.patches]
    for text in ax.texts:
        boxes.append(text.get_window_extent(renderer))
        for part in (text.get_bbox_patch(), getattr(text, "arrow_patch", None)):
            if part is not None:
                boxes.append(part.get_window_extent(renderer))
    return boxes


def _pole_boxes(ax, prepared: Prepared, options: LayoutOptions, crs: str, marker: float = 1.0) -> list:
    """Where the pôles' squares are on the page (display boxes): a QPV name goes beside them, not over them."""
    from matplotlib.transforms import Bbox

    poles = prepared.project.layers.get("poles")
    if "poles" not in _visible(prepared, options) or poles is None or not len(poles):
        return []
    points = poles.data.to_crs(crs).geometry
    xy = ax.transData.transform(np.column_stack([points.x, points.y]))
    half = 0.5 * symbology.style("poles").symbol.paper_size * math.sqrt(marker) * ax.figure.dpi / 72
    return [Bbox([[x - half, y - half], [x + half, y + half]]) for x, y in xy]


def _labels(ax, frame: gpd.GeoDataFrame, window, fontsize: float, avoid: Sequence = ()) -> None:
    """QPV names: inside the quarter, else above, below, right or left of it, else at a corner; first
    where the name covers no other quarter (it would be read as that one's), else anywhere free; a name
    that would overlap another everywhere or leave the frame is left out."""
    import matplotlib.patheffects as pe

    halo = [pe.withStroke(linewidth=3, foreground="white")]
    renderer = ax.figure.canvas.get_renderer()
    gap = (window.bounds[3] - window.bounds[1]) * 0.008
    placed: list = list(avoid)
    frame_box = ax.get_window_extent(renderer)
    to_data = ax.transData.inverted().transform
    for row in frame.sort_values("population", ascending=False, na_position="last").itertuples():
        inside = row.geometry.intersection(window)
        if inside.is_empty:
            continue
        others = frame.geometry[frame.index != row.Index]
        for size, (x, y, ha, va), alone in _label_places(inside, fontsize, gap):
            text = ax.text(
                x,
                y,
                row.label,
                ha=ha,
                va=va,
                fontsize=size,
                fontweight="bold",
                color=symbology.color("qpv"),
                path_effects=halo,
                zorder=9,
                clip_on=True,
            )
            extent = text.get_window_extent(renderer)
            spot = extent.expanded(1.1, 1.8)
            fits = frame_box.contains(spot.x0, spot.y0) and frame_box.contains(spot.x1, spot.y1)
            if fits and alone:
                fits = not others.intersects(box(*to_data(extent.p0), *to_data(extent.p1))).any()
            if fits and not any(spot.overlaps(other) for other in placed):
                placed.append(spot)
                break
            text.remove()


def _label_places(inside, fontsize: float, gap: float) -> list:
    """Where a QPV's name may go, best first, as (size, (x, y, ha, va), off other quarters only)."""
    point = inside.representative_point()
    minx, miny, maxx, maxy = inside.bounds
    sides = [
        (point.x, point.y, "center", "center"),
        (point.x, (point.y + maxy) / 2, "center", "center"),  # inside still, clear of a pôle at its centre
        (point.x, (point.y + miny) / 2, "center", "center"),
        (point.x, maxy + gap, "center", "bottom"),
        (point.x, miny - gap, "center", "top"),
        (maxx + gap, point.y, "left", "center"),
        (minx - gap, point.y, "right", "center"),
    ]
    corners = [
        (maxx, maxy + gap, "left", "bottom"),
        (minx, maxy + gap, "right", "bottom"),
        (maxx, miny - gap, "left", "top"),
        (minx, miny - gap, "right", "top"),
    ]
    # the sides at the full size, then a little smaller, before the corners (further from the quarter)
    return [
        (size, place, alone)
        for alone in (True, False)
        for group in (sides, corners)
        for size in (fontsize, 0.8 * fontsize)
        for place in group
    ]


def _scale_bar(ax, extent, scale: int) -> None:
    """A two-segment bar about a fifth of the frame wide, bottom left, with its length in m or km."""
    from matplotlib.patches import Rectangle

    span = extent[2] - extent[0]
    power = 10 ** math.floor(math.log10(span / 5))
    length = max(step * power for step in (1, 2, 5) if step * power <= span / 4)
    x0 = extent[0] + span * 0.03
    y0 = extent[1] + (extent[3] - extent[1]) * 0.04
    bar_h = span * 0.006
    ax.add_patch(
        Rectangle(
            (x0 - span * 0.012, y0 - bar_h * 4.5),
            length + span * 0.05,
            bar_h * 10.5,
            facecolor="white",
            edgecolor="#999999",
            linewidth=0.4,
            alpha=0.9,
            zorder=10,
        )
    )
    half = length / 2
    for i, color in enumerate((INK, "white")):
        ax.add_patch(
            Rectangle((x0 + i * half, y0), half, bar_h, facecolor=color, edgecolor=INK, linewidth=0.6, zorder=11)
        )

    def fmt(metres: float) -> str:
        return distance(metres)

    for x, text in ((0, "0"), (half, fmt(half)), (length, fmt(length))):
        ax.text(x0 + x, y0 + bar_h * 1.6, text, ha="center", va="bottom", fontsize=6.5, zorder=12)
    ax.text(x0, y0 - bar_h * 1.2, f"Échelle 1 : {number(scale)}", ha="left", va="top", fontsize=7, zorder=12)


def _north_arrow(ax, extent, crs: str) -> None:
    """A north arrow, top right, turned by the meridian convergence of ``crs`` at the map centre."""
    from pyproj import Proj, Transformer

    cx, cy = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
    lon, lat = Transformer.from_crs(crs, WGS84, always_xy=True).transform(cx, cy)
    angle = math.radians(Proj(crs).get_factors(lon, lat).meridian_convergence)
    # in map units (drawn at equal aspect): the arrow keeps its angle whatever the frame's proportions
    size = 0.07 * (extent[3] - extent[1])
    dx, dy = -math.sin(angle) * size, math.cos(angle) * size
    x, y = extent[0] + 0.95 * (extent[2] - extent[0]), extent[1] + 0.83 * (extent[3] - extent[1])
    ax.annotate(
        "",
        xy=(x + dx / 2, y + dy / 2),
        xytext=(x - dx / 2, y - dy / 2),
        xycoords="data",
        arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=1.0", "color": INK, "linewidth": 1.6},
        zorder=12,
    )
    ax.text(
        x + dx / 2 * 1.45, y + dy / 2 * 1.45, "N", ha="center", va="center", fontsize=12, fontweight="bold", zorder=12
    )


def _drawn_kinds(handles: list) -> set[str]:
    """The layer kinds whose symbols were drawn (their legend handles' gid): the credits follow them."""
    keys = {str(h.get_gid() or "").split(":")[0] for h in handles}
    return {k.name for k in KINDS.values() if k.symbol in keys} | {"territory", "qpv"}


def method_note(prepared: Prepared) -> list[str]:
    """The method in two sentences, as page 1 states it: how each zone is drawn (strategy and distance),
    which statuses count, and the target a QPV is « couvert » at."""
    from ambmap.analysis.coverage import CoverageParams

    params = getattr(prepared.coverage, "params", None) or CoverageParams.from_project(prepared.project)
    counted = " et ".join(f"« {status} »" for status in params.statuses)
    target = percent(project_target(prepared.project))
    return [
        f"Méthode : zone de chaque ambassadeur·rice {params.describe()} autour de son domicile, "
        f"{distance(params.pole_radius_m)} autour des pôles ; statuts comptés : {counted}.",
        f"Objectif : {target} des habitants de chaque QPV dans une zone (« objectif atteint »).",
    ]


def _panel(side, prepared: Prepared, handles: list, scale: int, landscape: bool, grow: float, crs: str) -> None:
    """Legend, then (bottom) method, sources with their dates, scale, date and privacy level."""
    project = prepared.project
    lines = sources_lines(project, drawn=_drawn_kinds(handles))
    wrap = 62 if landscape else 72
    footer = method_note(prepared)
    footer += ["Sources et licences (date des données) :"] + ["• " + line for line in lines]
    footer.append(f"Projection {crs_label(crs)}, échelle 1 : {number(scale)} à l'impression")
    footer.append(f"Carte réalisée le {date(dt.date.today())} avec ambmap")
    footer.append(prepared.diffusion)
    if project.is_demo:
        footer.append(f"{DEMO_LABEL} : tracés approximatifs, personnes et lieux fictifs.")
    legend = side.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0, 1),
        frameon=False,
        title="Légende",
        title_fontproperties={"weight": "bold", "size": 10 * grow},
        fontsize=7.5 * grow,
        alignment="left",
        ncols=1 if landscape else 2,
        handlelength=1.6,
        borderaxespad=0,
        labelspacing=0.5,
    )
    footer_xy = (0.0, 0.0)  # under the legend; in portrait beside its two columns, however wide they are
    if not landscape:
        renderer = side.figure.canvas.get_renderer()
        right = side.transAxes.inverted().transform(legend.get_window_extent(renderer).p1)[0]
        footer_xy = (max(0.55, float(right) + 0.03), 0.0)
        panel_mm = side.get_window_extent(renderer).width / side.figure.dpi * 25.4
        wrap = min(wrap, int((1 - footer_xy[0]) * panel_mm / (1.25 * grow)))  # 6.3 pt: about 1.25 mm a character
    text = "\n".join(textwrap.fill(line, wrap, subsequent_indent="  ") for line in footer)
    side.text(
        *footer_xy,
        text,
        transform=side.transAxes,
        ha="left",
        va="bottom",
        fontsize=6.3 * grow,
        color="#3a3f4a",
        linespacing=1.35,
    )


def draw_table_page(prepared: Prepared, options: LayoutOptions, meta: dict):
    """Page 2: the per-QPV indicator table, French headers and number formats."""
    import matplotlib.pyplot as plt

    width, height = page_size_mm(options.layout)
    fig = plt.figure(figsize=(width * MM, height * MM))
    table = french_table(prepared).drop(columns=[QPV_COLUMNS["languages"]], errors="ignore")
    if prepared.coverage is not None and QPV_COLUMNS["status"] in table:
        # the class against the project's target, as on the map (not « partiellement couvert » at 99 %)
        target = project_target(prepared.project)
        classes = coverage_classes(prepared.coverage.per_qpv, target)
        words = class_labels(target)
        table[QPV_COLUMNS["status"]] = [words.get(classes.get(code), "—") for code in table[QPV_COLUMNS["code_qp"]]]
    by_label = {indicator.label: indicator for indicator in INDICATORS.values()}
    cells = [
        [_cell(v, by_label.get(h)) for h, v in zip(table.columns, row, strict=True)]
        for row in table.itertuples(index=False)
    ]
    fig.text(
        10 / width, 1 - 12 / height, "Indicateurs par quartier prioritaire", fontsize=16, fontweight="bold", va="top"
    )
    fig.text(
        10 / width,
        1 - 20 / height,
        f"{prepared.project.name} — {meta['ambmap_mention']}",
        fontsize=9,
        color="#4a4f5c",
        va="top",
    )
    ax = fig.add_axes((10 / width, 20 / height, 1 - 20 / width, 1 - 50 / height))
    ax.set_axis_off()
    headers = [textwrap.fill(h, 14, break_long_words=False) for h in table.columns]
    shown = ax.table(cellText=cells, colLabels=headers, loc="upper center", cellLoc="center")
    shown.auto_set_font_size(False)
    shown.set_fontsize(7)
    shown.scale(1, 1.6)
    for (row, _), cell in shown.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        if row == 0:
            cell.set_height(cell.get_height() * 2.6)
            cell.set_facecolor("#ece7f2")
            cell.get_text().set_fontweight("bold")
    # columns as wide as their longest text; a smaller font when the whole table would not fit the page
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # an Agg canvas (typed as the base class)
    need = np.zeros(len(headers))
    for (_, col), cell in shown.get_celld().items():
        need[col] = max(need[col], cell.get_text().get_window_extent(renderer).width)
    need += 8 * fig.dpi / 72  # 8 pt of padding per column
    shown.set_fontsize(7 * min(1.0, ax.get_window_extent(renderer).width / need.sum()))
    for (_, col), cell in shown.get_celld().items():
        cell.set_width(need[col] / need.sum())
    footer = f"Sources : {meta['ambmap_sources']}"
    fig.text(10 / width, 10 / height, textwrap.fill(footer, 160), fontsize=6.3, color="#3a3f4a", va="bottom")
    return fig


def _cell(value, indicator: Indicator | None = None) -> str:
    """A table cell: the indicator's own French writing of ``value`` (« 19 800 », « 99 % »)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, str):
        return textwrap.shorten(value, 40, placeholder="…")
    if indicator is not None:
        return indicator.show(value)
    if isinstance(value, float):
        return number(value, 0 if value.is_integer() or abs(value) >= 100 else 1)
    return number(value)
