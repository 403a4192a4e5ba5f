"""The atlas (``ambmap export --format pdf --atlas``): a cover map of the territory, one page per QPV, the table.

Each QPV's page is the single-QPV print of :mod:`ambmap.export.layout` (its map at a round scale, with
the streets and their names when the project has streets), that QPV's figures (:func:`qpv_figures`) in a
band under the map, the legend, method note and sources beside it. Every figure is read from the
:class:`ambmap.export.common.Prepared` of the chosen level: at the public level the per-QPV table has
already passed the secret statistique (« < 3 », shares withheld) and carries no languages, so this module
never tests the level.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from pathlib import Path

import numpy as np

from ambmap import text
from ambmap.analysis.indicators import INDICATORS, class_labels, coverage_classes, project_target
from ambmap.errors import UsageError
from ambmap.export.common import Prepared, metadata
from ambmap.export.layout import INK, LayoutOptions, draw_map_page, draw_table_page, pdf_info

#: What a figure withheld under the secret statistique reads in the atlas.
WITHHELD = "non publiée (secret statistique)"


def _figure(value) -> bool:
    """A number to print (numpy's included), not a withheld NaN nor a « < 3 »."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and not math.isnan(value)


def _count(value) -> str:
    """A count as printed: « 12 », or what the public table put instead (« < 3 »)."""
    return text.number(value) if _figure(value) else str(value) if isinstance(value, str) and value else "—"


def qpv_figures(prepared: Prepared, code: str) -> list[tuple[str, str]]:
    """(label, value) of one QPV's figures at the document's level: class and share against the target,
    inhabitants covered, ambassadors covering and living there, languages (only where the table has them:
    never in a public one), the pôle nearby, resources by category, the recommended sites inside."""
    project = prepared.project
    qpv = project.layer("qpv").data.set_index("code_qp")
    figures = [("Code", code), ("Habitants", _count(qpv.at[code, "population"]) if "population" in qpv else "—")]
    coverage = prepared.coverage
    if coverage is None or code not in coverage.per_qpv.index:
        return figures
    table = coverage.per_qpv
    row = table.loc[code]
    target = project_target(project)
    cls = coverage_classes(table, target).get(code)
    share = row.get("covered_share")
    figures.append(("Couverture", class_labels(target).get(cls, "—")))
    shown = f"{text.percent(share)} (objectif {text.percent(target)})" if _figure(share) else WITHHELD
    figures.append(("Part de la population couverte", shown))
    covered, known = row.get("covered_population"), _figure(row.get("population"))
    unknown = WITHHELD if known else "—"  # without inhabitants' figures there is nothing to withhold
    figures.append(("Population couverte", f"{_count(covered)} habitants" if _figure(covered) else unknown))
    for column in ("ambassadors_covering", "ambassadors_living"):
        figures.append((INDICATORS[column].label, _count(row.get(column))))
    if "languages" in table and table["languages"].fillna("").astype(str).str.strip().ne("").any():
        figures.append((INDICATORS["languages"].label, str(row.get("languages") or "") or "aucune"))
    if "pole_within_reach" in row:
        figures.append(
            (INDICATORS["pole_within_reach"].label, INDICATORS["pole_within_reach"].show(row.get("pole_within_reach")))
        )
    figures.append(("Ressources de santé dans le quartier", _resources(coverage, code, row)))
    figures += _sites(prepared, code)
    return figures


def _resources(coverage, code: str, row) -> str:
    """« 8 — médecin généraliste 3, pharmacie 2… » (categories present, most first)."""
    total = _count(row.get("resources_inside"))
    by_category = getattr(coverage, "resources_inside_by_category", None)
    if by_category is None or code not in getattr(by_category, "index", ()):
        return total
    counts = by_category.loc[code]
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
    return f"{total} — " + ", ".join(f"{name} {text.number(n)}" for name, n in counts.items()) if len(counts) else total


def _sites(prepared: Prepared, code: str) -> list[tuple[str, str]]:
    """The recommended sites inside the QPV with their map number and gain, and its share before → after."""
    recommendation = prepared.recommendation
    sites = getattr(recommendation, "sites", None)
    if sites is None or not len(sites) or "code_qp" not in sites:
        return []
    inside = sites[sites["code_qp"] == code]
    unit = "hab." if getattr(recommendation, "unit", "") == "habitants" else getattr(recommendation, "unit", "")
    if not len(inside):
        return [("Où recruter", "aucun site proposé dans le quartier")]
    out = [
        (
            "Où recruter",
            "; ".join(f"{_site_name(row)} (+{text.number(row.gain)} {unit})" for row in inside.itertuples()),
        )
    ]
    per_qpv = getattr(recommendation, "per_qpv", None)
    if per_qpv is not None and code in per_qpv.index and {"coverage_before", "coverage_after"} <= set(per_qpv):
        before, after = per_qpv.at[code, "coverage_before"], per_qpv.at[code, "coverage_after"]
        if _figure(before) and _figure(after):
            out.append(("Part couverte avant → après", f"{text.percent(before)} → {text.percent(after)}"))
    return out


def _site_name(row) -> str:
    """« site n° 3, Fives, est »; a label that already names the number (a public one) as it is."""
    return str(row.label) if f"n° {row.rank}" in str(row.label) else f"site n° {row.rank}, {row.label}"


def qpv_codes(prepared: Prepared) -> list[str]:
    """The QPV of the atlas, in the order of the project's layer (that of the closing table)."""
    qpv = prepared.project.layers.get("qpv")
    if qpv is None or not len(qpv):
        raise UsageError("L'atlas fait une page par QPV : ce projet n'a aucun QPV. Importez les QPV du territoire.")
    return [str(code) for code in qpv.data["code_qp"]]


def write_atlas(prepared: Prepared, path: Path, options: LayoutOptions, progress=None) -> Path:
    """Write the atlas PDF: cover (the territory), one page per QPV, the per-QPV table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise UsageError("L'atlas est un document de plusieurs pages : choisissez le format PDF.")
    codes = qpv_codes(prepared)
    names = prepared.project.layer("qpv").data.set_index("code_qp")["nom_qp"]
    title = options.title or f"Atlas des quartiers prioritaires — {prepared.project.name}"
    steps = len(codes) + 2
    pages = [
        dataclasses.replace(
            options,
            atlas=False,
            extent="territoire",
            title=title,
            subtitle=options.subtitle
            or f"Couverture par les ambassadeurs·rices de santé : {len(codes)} quartiers, une page par quartier",
        )
    ]
    pages += [
        dataclasses.replace(
            options,
            atlas=False,
            extent=code,
            title=title,
            subtitle=f"Quartier prioritaire {names.get(code, code)} — page {i + 2} / {steps}",
        )
        for i, code in enumerate(codes)
    ]
    with (
        plt.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans", "text.color": INK, "text.parse_math": False}),
        PdfPages(path, metadata=pdf_info(prepared, title)) as pdf,
    ):
        for i, page_options in enumerate(pages):
            if progress:
                progress(i, steps, f"Atlas : page {i + 1} sur {steps}…")
            page = draw_map_page(prepared, page_options)
            try:
                pdf.savefig(page)
            finally:
                plt.close(page)
        page = draw_table_page(prepared, options, metadata(prepared.project, prepared.level))
        try:
            pdf.savefig(page)
        finally:
            plt.close(page)
    if progress:
        progress(steps, steps, "Atlas enregistré.")
    return path
