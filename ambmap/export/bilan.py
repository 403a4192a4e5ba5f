"""The one-page summary for the contrat de ville (``ambmap export --format pdf --bilan``): A4 portrait.

Top to bottom: title and level marks, the territory's figures (QPV, inhabitants, share covered against
the target, ambassadors counted, recruitments this year), the map (the layouts' own drawing, small) beside
the per-QPV table with the change since last year (« 75 % (+8 pts) »), the follow-up chart, the method
note. Every figure comes from :class:`ambmap.export.common.Prepared` (the coverage, its totals row and the
history at the document's level), so the bilan says what the workbook says.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from pathlib import Path
from typing import TypeGuard

import pandas as pd

from ambmap import text
from ambmap.errors import AmbmapError
from ambmap.export.common import Prepared, metadata
from ambmap.export.data import NOT_PUBLISHED, method_lines, target_share, totals
from ambmap.export.layout import (
    INK,
    MM,
    LayoutOptions,
    draw_layers,
    fit_extent,
    map_crs,
    target_bounds,
)
from ambmap.project import DEMO_LABEL

WIDTH, HEIGHT = 210.0, 297.0  # A4 portrait, mm
MARGIN = 12.0
#: The map's layers: enough to read the coverage, few enough to stay legible this small.
MAP_KINDS = ("territory", "qpv", "ambassadors", "poles")
GREY = "#4a4f5c"
WITHHELD_SIGN = "—"


def _is_figure(value) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def _share(value) -> str:
    return text.percent(value) if _is_figure(value) else WITHHELD_SIGN


def _count(value) -> str:
    if _is_figure(value):
        return text.number(value)
    return str(value) if isinstance(value, str) and value != NOT_PUBLISHED else WITHHELD_SIGN


def year_on_year(prepared: Prepared) -> tuple[pd.DataFrame, str, str | None]:
    """Per QPV (then the territory): name, inhabitants, ambassadors covering, share this period and the
    change since the one before in points (« 75 % (+8 pts) »), target reached; with the two periods' labels."""
    history = prepared.history
    table = history.table
    periods = list(dict.fromkeys(table["period"]))
    this, last = periods[-1], (periods[-2] if len(periods) > 1 else None)
    now = table[table["period"] == this].set_index("code_qp", drop=False)
    before = table[table["period"] == last].set_index("code_qp") if last else None
    target = target_share(prepared.project)
    rows = []
    for code, row in now.iterrows():
        share = row["covered_share"]
        shown = _share(share)
        previous = before["covered_share"].get(code) if before is not None else None
        if _is_figure(share) and _is_figure(previous):
            points = round(100 * share) - round(100 * previous)
            shown += f" ({points:+d} pt{'s' if abs(points) > 1 else ''})" if points else " (=)"
        reached = WITHHELD_SIGN if not _is_figure(share) else ("oui" if share >= target - 1e-9 else "non")
        rows.append(
            {
                "Quartier": str(row["nom_qp"]),
                "Habitants": _count(row["population"]),
                "Ambassadeurs·rices": _count(row["ambassadors_covering"]),
                f"Part couverte {this}" + (f" (évolution depuis {last})" if last else ""): shown,
                f"Objectif {text.percent(target)}": reached,
            }
        )
    return pd.DataFrame(rows), this, last


def key_figures(prepared: Prepared) -> list[tuple[str, str]]:
    """(figure, caption) of the territory: QPV, inhabitants, share covered, ambassadors, recruitments."""
    total = totals(prepared)
    summary = getattr(prepared.coverage, "summary", None) or {}
    history = prepared.history
    whole = history.territory.iloc[-1] if history is not None and len(history.territory) else None
    year = str(whole["period"]) if whole is not None else str(dt.date.today().year)
    n_qpv = len(prepared.project.layer("qpv"))
    return [
        (text.number(n_qpv), "quartiers prioritaires" if n_qpv > 1 else "quartier prioritaire"),
        (_count(total.get("population")), "habitants dans les QPV"),
        (
            _share(total.get("covered_share")),
            f"de la population couverte (objectif {text.percent(target_share(prepared.project))})",
        ),
        (_count(summary.get("ambassadors_counted")), "ambassadeurs·rices en activité"),
        (_count(whole["recruited"]) if whole is not None else WITHHELD_SIGN, f"recrutements en {year}"),
    ]


def write_bilan(prepared: Prepared, path: Path, options: LayoutOptions | None = None, progress=None) -> Path:
    """Write the one-page bilan to ``path`` (PDF, vector; PNG at 300 dpi)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    options = options or LayoutOptions(layout="a4-portrait")
    path = Path(path)
    if prepared.coverage is None or prepared.history is None:
        raise AmbmapError(
            "Le bilan demande des QPV dans le projet : ajoutez la couche des quartiers prioritaires "
            "(Fichier > Télécharger les données officielles), puis exportez à nouveau."
        )
    meta = metadata(prepared.project, prepared.level)
    if progress:
        progress(0, 2, "Mise en page du bilan…")
    with plt.rc_context(
        {"pdf.fonttype": 42, "font.family": "DejaVu Sans", "text.color": INK, "text.parse_math": False}
    ):
        fig = draw_bilan(prepared, options)
        title = fig.texts[0].get_text()
        try:
            if path.suffix.lower() == ".png":
                fig.savefig(
                    path,
                    dpi=300,
                    metadata={
                        "Title": title,
                        "Description": meta["ambmap_mention"],
                        "Software": "ambmap",
                        "ambmap_niveau": prepared.level,
                    },
                )
            else:
                fig.savefig(
                    path,
                    format="pdf",
                    metadata={
                        "Title": title,
                        "Subject": meta["ambmap_mention"],
                        "Creator": "ambmap",
                        "Keywords": f"ambmap; bilan; niveau={prepared.level}; {meta['ambmap_sources']}",
                    },
                )
        finally:  # a write error is told once, naming the user's file, by ambmap.export.export()
            plt.close(fig)
    if progress:
        progress(2, 2, "Bilan enregistré.")
    return path


def draw_bilan(prepared: Prepared, options: LayoutOptions):
    """The bilan page as a matplotlib Figure (A4 portrait, positions in mm from the bottom left)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    project = prepared.project
    fig = plt.figure(figsize=(WIDTH * MM, HEIGHT * MM))

    def at(x: float, y: float) -> tuple[float, float]:
        return x / WIDTH, y / HEIGHT

    def axes(left, bottom, w, h):
        return fig.add_axes((left / WIDTH, bottom / HEIGHT, w / WIDTH, h / HEIGHT))

    # header
    title = options.title or f"Bilan des ambassadeurs·rices de santé — {project.name}"
    fig.text(*at(MARGIN, HEIGHT - MARGIN), title, fontsize=15, fontweight="bold", va="top")
    subtitle = options.subtitle or (
        f"Contrat de ville — situation au {text.date(dt.date.today())} · " + prepared.diffusion
    )
    fig.text(*at(MARGIN, HEIGHT - MARGIN - 9), subtitle, fontsize=8.5, color=GREY, va="top")
    marks = ([(prepared.banner, "#b2182b")] if prepared.banner else []) + (
        [(f"« {DEMO_LABEL} »", "#8a5a00")] if project.is_demo else []
    )
    for i, (mark, color) in enumerate(marks):
        fig.text(
            *at(WIDTH - MARGIN, HEIGHT - MARGIN - 15 - 5 * i),
            mark,
            fontsize=7.5,
            fontweight="bold",
            color=color,
            ha="right",
            va="top",
        )
    fig.add_artist(
        plt.Line2D([MARGIN / WIDTH, 1 - MARGIN / WIDTH], [(HEIGHT - 36) / HEIGHT] * 2, color=INK, linewidth=1.0)
    )

    # key figures
    figures = key_figures(prepared)
    gap, top, tall = 3.0, HEIGHT - 40, 20.0
    box_w = (WIDTH - 2 * MARGIN - gap * (len(figures) - 1)) / len(figures)
    for i, (value, caption) in enumerate(figures):
        x = MARGIN + i * (box_w + gap)
        fig.add_artist(
            FancyBboxPatch(
                at(x, top - tall),
                box_w / WIDTH,
                tall / HEIGHT,
                boxstyle="round,pad=0,rounding_size=0.006",
                facecolor="#f3f0f7",
                edgecolor="#c9bfdc",
                linewidth=0.6,
                transform=fig.transFigure,
            )
        )
        fig.text(
            *at(x + box_w / 2, top - 4), value, fontsize=15, fontweight="bold", ha="center", va="top", color="#54278f"
        )
        fig.text(
            *at(x + box_w / 2, top - 12),
            textwrap.fill(caption, 22),
            fontsize=6.3,
            ha="center",
            va="top",
            color=GREY,
            linespacing=1.2,
        )

    # map (left) and per-QPV table (right)
    map_box = (MARGIN, 154.0, 80.0, 76.0)
    _draw_map(axes(*map_box), prepared, options, map_box)
    table, this, _ = year_on_year(prepared)
    _draw_table(
        fig,
        table,
        x0=MARGIN + map_box[2] + 6,
        top=map_box[1] + map_box[3] - 2,
        width=WIDTH - 2 * MARGIN - map_box[2] - 6,
    )

    # follow-up chart
    from ambmap.render.history_chart import draw_history

    chart = axes(MARGIN + 10, 78.0, 128.0, 52.0)
    draw_history(
        chart,
        prepared.history.table,
        title=f"Suivi : part de la population des QPV couverte, {prepared.history.table['period'].iloc[0]}–{this}",
        fontsize=6.5,
    )
    chart.axhline(100 * target_share(project), color="#b2182b", linewidth=0.8, linestyle=(0, (4, 3)))
    chart.text(
        0.0,
        100 * target_share(project) + 1.5,
        f"objectif {text.percent(target_share(project))}",
        transform=chart.get_yaxis_transform(),
        fontsize=6,
        color="#b2182b",
        va="bottom",
    )

    # method note
    _draw_method(fig, prepared, top=64.0)
    return fig


def _draw_map(ax, prepared: Prepared, options: LayoutOptions, box_mm) -> None:
    """The territory (or the chosen extent), its QPV, the covered zone and gaps, ambassadors as placed at
    this level, with its scale; the layouts' drawing (:func:`ambmap.export.layout.draw_layers`)."""
    crs = map_crs(prepared.project)
    bounds, _ = target_bounds(prepared, options.extent, crs)
    extent, scale = fit_extent(bounds, (box_mm[2], box_mm[3]))
    kinds = tuple(k for k in MAP_KINDS if k in prepared.project.layers)
    handles = draw_layers(
        ax, prepared, LayoutOptions(visible=kinds, extent=options.extent), extent, marker=0.6, crs=crs
    )
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
        spine.set_color(INK)
    ax.text(
        0.02,
        0.02,
        f"Échelle 1 : {text.number(scale)}",
        transform=ax.transAxes,
        fontsize=5.5,
        va="bottom",
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
    )
    shown = [h for h in handles if h.get_label() and not h.get_label().startswith("_")]
    ax.legend(
        handles=shown,
        loc="upper left",
        bbox_to_anchor=(0, -0.01),
        frameon=False,
        fontsize=5.3,
        ncols=2,
        handlelength=1.3,
        borderaxespad=0,
        columnspacing=0.8,
        labelspacing=0.3,
    )


def _draw_table(fig, table: pd.DataFrame, x0: float, top: float, width: float) -> None:
    """The per-QPV table as text in ruled rows, the territory row last in bold; widths from the longest text."""
    from matplotlib.patches import Rectangle

    headers = list(table.columns)
    wrapped = [textwrap.fill(h, 16, break_long_words=False) for h in headers]
    cells = [[str(v) for v in row] for row in table.itertuples(index=False)]
    # bold header lines are about 15 % wider than the rows' characters; 3 characters between columns
    need = [
        max([1.15 * len(line) for line in w.splitlines()] + [len(r[j]) for r in cells]) + 3
        for j, w in enumerate(wrapped)
    ]
    scale = width / sum(need)
    widths = [n * scale for n in need]
    header_h, row_h, size = 9.0, 5.6, 6.4
    fig.text(x0 / WIDTH, (top + 1.5) / HEIGHT, "Par quartier", fontsize=9, fontweight="bold", va="bottom")
    fig.add_artist(
        Rectangle(
            (x0 / WIDTH, (top - header_h) / HEIGHT),
            width / WIDTH,
            header_h / HEIGHT,
            facecolor="#ece7f2",
            edgecolor="none",
            transform=fig.transFigure,
        )
    )
    x = x0
    for j, header in enumerate(wrapped):
        ha = "left" if j == 0 else "right"
        fig.text(
            (x + 1 if j == 0 else x + widths[j] - 1) / WIDTH,
            (top - header_h / 2) / HEIGHT,
            header,
            fontsize=size - 0.6,
            fontweight="bold",
            ha=ha,
            va="center",
            linespacing=1.1,
        )
        x += widths[j]
    y = top - header_h
    for i, row in enumerate(cells):
        last = i == len(cells) - 1
        y -= row_h
        if last:
            fig.add_artist(plt_line(x0, x0 + width, y + row_h))
        x = x0
        for j, value in enumerate(row):
            fig.text(
                (x + 1 if j == 0 else x + widths[j] - 1) / WIDTH,
                (y + row_h / 2) / HEIGHT,
                textwrap.shorten(value, 30, placeholder="…"),
                fontsize=size,
                ha="left" if j == 0 else "right",
                va="center",
                fontweight="bold" if last else "normal",
            )
            x += widths[j]
        fig.add_artist(plt_line(x0, x0 + width, y, color="#dddddd", width=0.4))
    fig.text(
        x0 / WIDTH,
        (y - 2) / HEIGHT,
        textwrap.fill(
            f"{WITHHELD_SIGN} : non publié (secret statistique) ; « < 3 » : 1 ou 2. Évolution en points de "
            "pourcentage ; part mesurée au dernier jour de l'année (aujourd'hui pour l'année en cours).",
            80,
        ),
        fontsize=5.3,
        color=GREY,
        va="top",
    )


def plt_line(x0: float, x1: float, y: float, color: str = INK, width: float = 0.8):
    from matplotlib.lines import Line2D

    return Line2D([x0 / WIDTH, x1 / WIDTH], [y / HEIGHT] * 2, color=color, linewidth=width)


def _draw_method(fig, prepared: Prepared, top: float) -> None:
    """The method note, in two columns of small print, under a rule."""
    fig.add_artist(plt_line(MARGIN, WIDTH - MARGIN, top + 3, color="#999999", width=0.5))
    fig.text(MARGIN / WIDTH, (top + 1) / HEIGHT, "Méthode", fontsize=8.5, fontweight="bold", va="top")
    keep = ("Zone couverte", "Statuts comptés", "Objectif", "Population", "Secret statistique", "Suivi", "Sources", "")
    lines, heading = [], ""
    for name, line in method_lines(prepared):
        heading = name or heading
        if heading in keep:
            lines.append(f"{name} : {line}" if name else line)
    paragraphs = [textwrap.fill(line, 80, subsequent_indent="  ") for line in lines]
    half = math.ceil(len(paragraphs) / 2)
    column_w = (WIDTH - 2 * MARGIN - 6) / 2
    for i, chunk in enumerate((paragraphs[:half], paragraphs[half:])):
        fig.text(
            (MARGIN + i * (column_w + 6)) / WIDTH,
            (top - 5) / HEIGHT,
            "\n".join(chunk),
            fontsize=5.9,
            color="#3a3f4a",
            va="top",
            linespacing=1.3,
        )
