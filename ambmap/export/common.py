"""What every export shares: the project at the chosen privacy level, its analysis, its metadata.

Public exports are always built from :func:`ambmap.export.privacy.public_copy`, and their coverage is
computed on that copy, so nothing personal can reach a public file by mistake.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ambmap.export.privacy import (INTERNAL, PublicFigures, check_level, level_mark, public_copy,
                                   public_recommendation)
from ambmap.project import DEMO_LABEL, Project

OSM_CREDIT = "© les contributeurs d'OpenStreetMap (ODbL)"
IGN_CREDIT = "Fond de carte Plan IGN © IGN – Géoplateforme (Licence Ouverte)"


@dataclass
class Prepared:
    """The project to draw for one export level, with its coverage analysis (None without QPV)."""

    project: Project
    level: str
    coverage: Any = None
    recommendation: Any = None


def prepare(project: Project, level: str = "public", *, coverage: Any = None, recommendation: Any = None,
            with_coverage: bool = True, progress=None) -> Prepared:
    """The project at ``level`` plus its coverage and, when given, the recruitment recommendation.

    At the public level the coverage *drawn* is recomputed on the public copy with the same parameters
    (its zones would otherwise follow the exact home points) while the per-QPV *figures* stay those of
    the exact data (counts per QPV are not personal, and the contrat de ville must quote one set of
    numbers whatever the level); the recommended sites are moved to their 200 m square (a candidate
    may be the home of an ambassador in training).
    """
    check_level(level)
    if level == INTERNAL:
        if coverage is None and with_coverage:
            coverage = _compute_coverage(project, None, progress)
        return Prepared(project, level, coverage, recommendation)
    safe = public_copy(project)
    if not with_coverage:
        return Prepared(safe, level, None, public_recommendation(recommendation))
    params = getattr(coverage, "params", None)
    exact = coverage if coverage is not None else _compute_coverage(project, None, progress)
    drawn = _compute_coverage(safe, params, progress)
    return Prepared(safe, level, None if drawn is None else PublicFigures(drawn, exact),
                    public_recommendation(recommendation))


def _compute_coverage(project: Project, params, progress):
    """Coverage of ``project`` (parameters from the project unless given); None when it has no QPV."""
    from ambmap.analysis.coverage import compute_coverage

    if "qpv" not in project.layers or not len(project.layers["qpv"]):
        return None
    return compute_coverage(project, params, progress=progress)


def sources_lines(project: Project, basemap: str | None = None) -> list[str]:
    """One line per distinct source and licence of the project's layers, plus the basemap credit."""
    lines: list[str] = []
    for layer in project.ordered_layers():
        if not len(layer):
            continue
        p = layer.provenance
        text = p.get("source") or p.get("attribution") or "source non renseignée"
        if p.get("licence"):
            text = f"{text} — {p['licence']}"
        if p.get("date"):
            text = f"{text} ({p['date']})"
        if text not in lines:
            lines.append(text)
    if any("openstreetmap" in str(layer.provenance).lower() for layer in project.layers.values()) \
            or basemap == "osm":
        lines.append(OSM_CREDIT)
    if basemap == "plan-ign":
        lines.append(IGN_CREDIT)
    return lines


def metadata(project: Project, level: str, basemap: str | None = None) -> dict[str, str]:
    """Key/value metadata recorded in every exported file (the same keys in every format)."""
    return {
        "ambmap_niveau": check_level(level),
        "ambmap_mention": level_mark(level),
        "ambmap_territoire": project.name,
        "ambmap_date": dt.date.today().isoformat(),
        "ambmap_demonstration": DEMO_LABEL if project.is_demo else "non",
        "ambmap_sources": " | ".join(sources_lines(project, basemap)),
    }
