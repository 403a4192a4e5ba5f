"""What every export shares: the project at the chosen privacy level, its analysis, its metadata.

:func:`prepare` is the one place where the privacy level is applied. At the public level it builds
the public copy of the project (:func:`ambmap.export.privacy.public_copy`) and computes every analysis
on that copy, never on the exact homes; it also decides everything that differs between levels (marks,
legend wording, which layers exist). Writers read the :class:`Prepared` fields and never test the level.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from ambmap.analysis.indicators import coverage_classes, project_target
from ambmap.errors import UsageError
from ambmap.export.privacy import (
    GRID_SIZE_M,
    INTERNAL,
    INTERNAL_MARK,
    check_level,
    confidential,
    level_mark,
    public_copy,
    public_coverage,
    public_history,
    public_recommendation,
    snap_to_grid,
)
from ambmap.project import DEMO_LABEL, Project
from ambmap.text import date as french_date

OSM_CREDIT = "© les contributeurs d'OpenStreetMap (ODbL)"
IGN_CREDIT = "Fond de carte Plan IGN © IGN – Géoplateforme (Licence Ouverte)"


@dataclass(frozen=True)
class Prepared:
    """The project and its analyses as one export level shows them, with the level's wording.

    ``coverage`` is a CoverageResult at the internal level, a PublicCoverage (computed on the public
    copy, secret statistique applied) at the public level, None without QPV. ``ambassador_zones`` is
    the one-disc-per-ambassador layer (internal level only). ``banner`` is the mark drawn on the page
    (empty when public), ``private_place`` how placed the points of a kind with personal data
    are, ``view_step_m`` the grid a free map extent is widened to (0: as chosen),
    ``searchable`` the layer kinds the HTML search box lists.
    """

    project: Project
    level: str
    coverage: Any = None
    recommendation: Any = None
    ambassador_zones: Any = None
    banner: str = ""
    diffusion: str = ""
    #: where points of a kind with personal data are drawn: « domicile » or « à 200 m près »
    private_place: str = ""
    view_step_m: float = 0.0
    searchable: tuple[str, ...] = ()
    #: builds :attr:`history` (set by :func:`prepare`, with the level's rules inside)
    history_of: Callable[[], Any] | None = None

    @cached_property
    def history(self):
        """The coverage year by year (a HistoryResult; None without QPV), at this level: computed on the
        first read only (the workbook and the bilan need it, the other writers do not), then kept."""
        return self.history_of() if self.history_of is not None else None


def prepare(
    project: Project,
    level: str = "public",
    *,
    coverage: Any = None,
    recommendation: Any = None,
    with_coverage: bool = True,
    progress=None,
) -> Prepared:
    """The project at ``level`` plus its coverage and, when given, the recruitment recommendation.

    Internal level: the project and results as they are (``coverage`` reused when given). Public level:
    the public copy, its coverage computed on it with ``coverage``'s parameters (so moving a home inside
    its 200 m square changes nothing), the recommendation asked again of the public copy, figures
    under the secret statistique and rounded.
    """
    check_level(level)
    if level == INTERNAL:
        if coverage is None and with_coverage:
            coverage = _compute_coverage(project, None, progress)
        params = getattr(coverage, "params", None)
        return Prepared(
            project,
            level,
            coverage,
            recommendation,
            ambassador_zones=None if coverage is None else coverage.zones,
            banner=INTERNAL_MARK,
            diffusion=f"Diffusion : {INTERNAL_MARK}",
            private_place="domicile",
            view_step_m=0.0,
            searchable=_searchable(public=False),
            history_of=lambda: _compute_history(project, params),
        )
    safe = public_copy(project)
    drawn = counted_coverage = None
    if with_coverage or recommendation is not None:
        counted_coverage = _compute_coverage(safe, getattr(coverage, "params", None), progress)
    if with_coverage and counted_coverage is not None:
        # the class is decided on the public copy's share, which the public table may then withhold
        table = counted_coverage.per_qpv
        table["coverage_class"] = coverage_classes(table, project_target(project))
        drawn = public_coverage(counted_coverage)
    secret = confidential(counted_coverage.per_qpv) if counted_coverage is not None else None
    params = getattr(drawn, "params", None) or getattr(coverage, "params", None)

    def history():
        # dates are private too: counted on a copy that keeps them but has its homes in their squares,
        # then per-QPV figures resting on fewer than 3 ambassadors are withheld
        dated = public_copy(project, keep=("start_date", "end_date", "status_history"))
        return public_history(_compute_history(dated, params))

    return Prepared(
        safe,
        level,
        drawn,
        _public_recommendation(_ask_again(safe, recommendation), secret),
        diffusion="Diffusion : publique (sans données personnelles)",
        private_place="à 200 m près",
        view_step_m=GRID_SIZE_M,
        searchable=_searchable(public=True),
        history_of=history,
    )


def _searchable(public: bool) -> tuple[str, ...]:
    """The kinds the HTML search box lists: those the registry names by a field, except, in a public
    document, the kinds named by a private field (a person's name)."""
    from ambmap.layers import KINDS

    return tuple(
        k.name
        for k in KINDS.values()
        if k.search_field and k.drawing != "outline" and not (public and k.search_field in k.private_fields)
    )


def _compute_coverage(project: Project, params, progress):
    """Coverage of ``project`` (parameters from the project unless given); None when it has no QPV."""
    from ambmap.analysis.coverage import compute_coverage

    if "qpv" not in project.layers or not len(project.layers["qpv"]):
        return None
    return compute_coverage(project, params, progress=progress)


def _compute_history(project: Project, params):
    """Coverage of ``project`` year by year up to today (parameters as the coverage's); None without QPV."""
    from ambmap.analysis.history import compute_history

    if "qpv" not in project.layers or not len(project.layers["qpv"]):
        return None
    return compute_history(project, params=params)


def _ask_again(safe: Project, recommendation):
    """The recommendation's question asked of the public copy: which sites are chosen, and their gains,
    must not depend on where exactly a home lies inside its square. Candidates given as points move to
    their square too."""
    if recommendation is None:
        return None
    from ambmap.analysis.recommend import recommend_for_project

    request = dict(getattr(recommendation, "request", None) or {})
    if not request:
        raise UsageError(
            "Cette recommandation ne peut pas être publiée telle quelle : relancez « Où recruter ? » "
            "puis exportez à nouveau (ou choisissez le niveau interne)."
        )
    candidates = request.get("candidates")
    if candidates is not None and not isinstance(candidates, str):
        import geopandas as gpd

        request["candidates"] = gpd.GeoDataFrame(geometry=snap_to_grid(candidates.geometry))
    return recommend_for_project(safe, **request)


def _public_recommendation(asked, secret):
    """The recommendation asked of the public copy as a public document shows it: sites moved to their
    square, the zone each adds, and each QPV's share before → after rounded to the percent and withheld
    where 1 or 2 ambassadors live in or reach it (``secret``; None: withheld everywhere)."""
    published = public_recommendation(asked)
    if published is None:
        return None
    table = asked.per_qpv
    if {"coverage_before", "coverage_after"} <= set(table.columns):
        table = table[["nom_qp", "coverage_before", "coverage_after"]].copy()
        hidden = (
            secret.reindex(table.index, fill_value=True) if secret is not None else pd.Series(True, index=table.index)
        )
        for column in ("coverage_before", "coverage_after"):
            table[column] = table[column].astype(float).round(2).where(~hidden)
    return dataclasses.replace(published, zones=asked.zones, per_qpv=table)


def sources_lines(project: Project, basemap: str | None = None, drawn=None) -> list[str]:
    """One line per distinct source and licence of the project's layers (only the ``drawn`` kinds, when
    given), plus the credit of the tiles actually drawn (``basemap``: « plan-ign », « osm »; none for
    « streets » or « none »)."""
    lines: list[str] = []
    layers = [layer for layer in project.ordered_layers() if len(layer) and (drawn is None or layer.kind in drawn)]
    for layer in layers:
        p = layer.provenance
        text = p.get("source") or p.get("attribution") or "source non renseignée"
        if p.get("licence"):
            text = f"{text} — {p['licence']}"
        if p.get("date"):
            text = f"{text} ({french_date(p['date']) or p['date']})"  # « 02/11/2026 »; a bare year stays
        if text not in lines:
            lines.append(text)
    if any("openstreetmap" in str(layer.provenance).lower() for layer in layers) or basemap == "osm":
        lines.append(OSM_CREDIT)
    if basemap == "plan-ign":
        lines.append(IGN_CREDIT)
    return lines


def metadata(project: Project, level: str, basemap: str | None = None) -> dict[str, str]:
    """Key/value metadata recorded in every exported file (the same keys in every format).

    Each value is one line: a line break from the project file (territory name, a source) would start
    a new CSV row, which a spreadsheet reads as a formula if it begins with « = »."""
    values = {
        "ambmap_niveau": check_level(level),
        "ambmap_mention": level_mark(level),
        "ambmap_territoire": project.name,
        "ambmap_date": dt.date.today().isoformat(),
        "ambmap_demonstration": DEMO_LABEL if project.is_demo else "non",
        "ambmap_sources": " | ".join(sources_lines(project, basemap)),
        "ambmap_methode": method_line(project),
    }
    return {key: " ".join(str(value).split()) for key, value in values.items()}


def method_line(project: Project) -> str:
    """How the ambassadors' zones are drawn, in French: « Zones des ambassadeurs·rices : à pied le long des
    rues, 10 min à 4,5 km/h (750 m) », from the project's coverage settings."""
    from ambmap.analysis.coverage import CoverageParams

    return f"Zones des ambassadeurs·rices : {CoverageParams.from_project(project).describe()}"
