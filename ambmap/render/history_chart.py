"""The follow-up chart: share of each QPV's population covered, period after period, plus the territory.

Drawn on a bare :class:`matplotlib.figure.Figure` (no pyplot, no global state), so the « Suivi » panel
shows it in a Qt canvas and exports can save it to PDF or PNG as is.

Public level (for exports): a QPV line resting on fewer than 3 ambassadors can single a volunteer out
together with the dates; at the public level such per-QPV figures must be withheld before the table
reaches this function (``ambmap.export.privacy``); the territory line always stays.
"""

from __future__ import annotations

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

TERRITORY_COLOR = "#1b1f2a"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def history_figure(
    table: pd.DataFrame, title: str = "Part de la population des QPV couverte", size: tuple[float, float] = (8.0, 4.5)
) -> Figure:
    """One thin line per QPV and a thick one for the territory (rows with an empty ``code_qp``).

    ``table`` is :attr:`ambmap.analysis.history.HistoryResult.table`. Names come from data: drawn as
    plain text, never as mathtext.
    """
    with matplotlib.rc_context({"text.parse_math": False, "font.family": "DejaVu Sans"}):
        fig = Figure(figsize=size, layout="constrained")
        draw_history(fig.add_subplot(), table, title)
    return fig


def draw_history(
    ax, table: pd.DataFrame, title: str = "Part de la population des QPV couverte", fontsize: float | None = None
) -> None:
    """The chart of :func:`history_figure` on ``ax`` (a page's axes: the bilan draws it, vector, on its
    page); ``fontsize`` shrinks every text for a small chart."""
    with matplotlib.rc_context({"text.parse_math": False}):
        labels = list(dict.fromkeys(table["period"]))
        x = {label: i for i, label in enumerate(labels)}
        qpv = table[table["code_qp"] != ""]
        for i, (_code, rows) in enumerate(qpv.groupby("code_qp", sort=False)):
            ax.plot(
                [x[p] for p in rows["period"]],
                rows["covered_share"].astype(float) * 100,
                marker="o",
                markersize=3,
                linewidth=1.3,
                color=PALETTE[i % len(PALETTE)],
                label=str(rows["nom_qp"].iat[0]),
            )
        whole = table[table["code_qp"] == ""]
        if len(whole):
            ax.plot(
                [x[p] for p in whole["period"]],
                whole["covered_share"].astype(float) * 100,
                marker="o",
                markersize=5,
                linewidth=3.2,
                color=TERRITORY_COLOR,
                label=str(whole["nom_qp"].iat[0]),
                zorder=5,
            )
        ax.set_xticks(range(len(labels)), _tick_labels(labels))
        ax.set_xlim(-0.3, max(len(labels) - 1, 1) + 0.3)
        ax.set_ylim(-1.5, 102)  # a QPV at 0 % stays visible above the axis
        ax.set_ylabel("Population couverte (%)", fontsize=fontsize)
        if fontsize:
            ax.tick_params(labelsize=fontsize)
        ax.set_title(title, loc="left", fontsize=fontsize * 1.4 if fontsize else 12, fontweight="bold")
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)
        ax.spines[["top", "right"]].set_visible(False)
        if len(table):
            ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=fontsize or 8.5)


def _tick_labels(labels: list[str]) -> list[str]:
    """Years as they are; many quarters: the year under each first quarter (and the very first), else blank."""
    if len(labels) <= 8 or not any("-T" in label for label in labels):
        return labels
    out = []
    for i, label in enumerate(labels):
        year, _, quarter = label.partition("-T")
        out.append(year if quarter == "1" else (label if i == 0 else ""))
    return out


__all__ = ["draw_history", "history_figure"]
