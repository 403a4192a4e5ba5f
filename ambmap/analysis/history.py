"""Coverage over time: who was active on a day, and per QPV and per year (or quarter) what they covered.

An ambassador counts on day D when ``start_date`` ≤ D (no start date: present since always, and the
result says so in its notes, never silently), D < ``end_date`` (no end date: still there), and the
status on D (:func:`ambmap.layers.ambassadors.status_on`) is counted: « actif », plus « en formation »
when the coverage parameters say so. Each period is measured on its last day (today for the period
in progress) with :func:`ambmap.analysis.coverage.compute_coverage` and the project's parameters, so a
figure for this year equals today's coverage.

Columns of :attr:`HistoryResult.table` (one row per period and QPV, then one « territoire » row per period):

``period``, ``start``, ``as_of``
    The period (« 2024 » or « 2024-T3 »), its first day, and the day measured (its last day, or today).
``code_qp``, ``nom_qp``
    The QPV; ``code_qp`` is empty on the territory row (« Ensemble des QPV »).
``population``, ``covered_population``, ``covered_share``
    As in the coverage table; on the territory row, the sums over the QPVs and their ratio.
``ambassadors_covering``, ``ambassadors_living``
    Ambassadors counted on ``as_of`` whose zone overlaps the QPV, and who live in it; on the territory
    row, every ambassador counted (in a QPV or not) and those living in any QPV.
``recruited``, ``departed``
    Ambassadors whose start (end) date falls in the period, whatever their status, living in the QPV;
    on the territory row, all of them.

Public level (for exports): a per-QPV row resting on fewer than 3 ambassadors (``ambassadors_covering``,
``recruited`` or ``departed`` between 1 and 2) can single a volunteer out with the dates: such figures
must be withheld at the public level (done in ``ambmap.export.privacy``); the territory row stays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ambmap.analysis.coverage import CoverageParams, compute_coverage, qpv_in_metric_crs
from ambmap.errors import AnalysisError
from ambmap.layers import AMBASSADORS, Layer
from ambmap.layers.ambassadors import status_on
from ambmap.layers.base import empty_frame

BY_YEAR, BY_QUARTER = "annee", "trimestre"
TERRITORY_LABEL = "Ensemble des QPV"
PUBLIC_MINIMUM = 3  # fewer ambassadors than this behind a per-QPV figure: withheld at the public level
COLUMNS = (
    "period",
    "start",
    "as_of",
    "code_qp",
    "nom_qp",
    "population",
    "covered_population",
    "covered_share",
    "ambassadors_covering",
    "ambassadors_living",
    "recruited",
    "departed",
)

Progress = Callable[[int, int, str], None] | None


def _ambassadors(project) -> pd.DataFrame:
    layer = project.layers.get("ambassadors")
    return layer.data if layer is not None else empty_frame(AMBASSADORS)


def present_on(ambassadors: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The rows present on ``day`` (whatever their status), with ``status`` set to their status that day."""
    iso = day.isoformat()
    start, end = ambassadors["start_date"].fillna(""), ambassadors["end_date"].fillna("")
    keep = ((start == "") | (start <= iso)) & ((end == "") | (iso < end))
    rows = ambassadors[keep.to_numpy()].copy()
    rows["status"] = [status_on(s, h or "", iso) for s, h in zip(rows["status"], rows["status_history"], strict=True)]
    return rows


def undated_note(ambassadors: pd.DataFrame) -> list[str]:
    """The French note owed when some ambassadors have no start date (they count as present since always)."""
    n = int((ambassadors["start_date"].fillna("") == "").sum())
    if not n:
        return []
    return [
        (
            f"{n} ambassadeur(s) sans date d'entrée : comptés comme présents depuis toujours. Renseignez la "
            "date d'entrée (table attributaire ou import) pour un suivi exact."
        )
    ]


def active_on(project, day: dt.date, include_in_training: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """« Who was active on ``day`` »: (their rows, status as on that day; notes in French)."""
    amb = _ambassadors(project)
    rows = present_on(amb, day)
    counted = ("actif", "en formation") if include_in_training else ("actif",)
    return rows[rows["status"].isin(counted)], undated_note(amb)


def periods(
    first: int, last: int, by: str = BY_YEAR, today: dt.date | None = None
) -> list[tuple[str, dt.date, dt.date]]:
    """(label, first day, day measured) from year ``first`` to ``last``, stopping at the period in progress."""
    today = today or dt.date.today()
    out: list[tuple[str, dt.date, dt.date]] = []
    for year in range(first, last + 1):
        spans = [(str(year), 1, 12)] if by == BY_YEAR else [(f"{year}-T{q}", 3 * q - 2, 3 * q) for q in range(1, 5)]
        for label, m0, m1 in spans:
            start = dt.date(year, m0, 1)
            if start > today:
                return out
            end = dt.date(year + (m1 == 12), m1 % 12 + 1, 1) - dt.timedelta(days=1)
            out.append((label, start, min(end, today)))
    return out


class _AsOf:
    """The project as it was on one day: the same layers and options, its ambassadors as they were then.

    A read-only view for :func:`compute_coverage` (no signal connected to the real layers, safe in a worker).
    """

    def __init__(self, project, ambassadors: Layer):
        self.territory, self.options, self.path = project.territory, project.options, project.path
        self.layers = {**project.layers, "ambassadors": ambassadors}

    def layer(self, kind: str) -> Layer:
        return self.layers[kind]


@dataclass
class HistoryResult:
    """The per-period table (see the module docstring), the notes owed to the reader, and the method."""

    table: pd.DataFrame
    notes: list[str]
    params: CoverageParams
    by: str
    population_method: str = ""

    @property
    def territory(self) -> pd.DataFrame:
        return self.table[self.table["code_qp"] == ""]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``ambmap history --json``)."""
        table = self.table.astype(object).where(self.table.notna(), None)
        return {
            "par": self.by,
            "radius_m": self.params.radius_m,
            "statuses": list(self.params.statuses),
            "population_method": self.population_method,
            "notes": self.notes,
            "rows": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                for row in table.to_dict(orient="records")
            ],
        }


def compute_history(
    project,
    first: int | None = None,
    last: int | None = None,
    by: str = BY_YEAR,
    params: CoverageParams | None = None,
    today: dt.date | None = None,
    progress: Progress = None,
) -> HistoryResult:
    """Coverage of each QPV at the end of each period from ``first`` to ``last`` (years; default: from the
    first start date to this year). Pure, like :func:`compute_coverage`."""
    if by not in (BY_YEAR, BY_QUARTER):
        raise AnalysisError(f"Période « {by} » inconnue : choisissez « {BY_YEAR} » ou « {BY_QUARTER} ».")
    params = params or CoverageParams.from_project(project)
    today = today or dt.date.today()
    report = progress or (lambda done, total, message: None)
    qpv, crs, qgeom = qpv_in_metric_crs(project, "du territoire avant de calculer le suivi")
    amb = _ambassadors(project)
    starts, ends = (pd.to_datetime(amb[c].where(amb[c] != ""), errors="coerce") for c in ("start_date", "end_date"))
    first = first if first is not None else (int(starts.min().year) if starts.notna().any() else today.year)
    last = last if last is not None else today.year
    if first > last:
        raise AnalysisError(f"Années à l'envers : du {first} au {last}. Indiquez --from avant --to.")
    spans = periods(first, last, by, today)
    if not spans:
        raise AnalysisError(
            f"Aucune période écoulée entre {first} et {last} : la première commence après "
            f"aujourd'hui ({today:%d/%m/%Y})."
        )

    # home QPV of each ambassador (-1: outside every QPV), for recruitments and departures per QPV
    homes = np.asarray(amb.to_crs(crs).geometry.array, dtype=object)
    home_qpv = np.full(len(amb), -1)
    q_idx, a_idx = shapely.STRtree(homes).query(qgeom, predicate="contains")
    home_qpv[a_idx] = q_idx
    codes, names = qpv["code_qp"].to_numpy(dtype=object), qpv["nom_qp"].to_numpy(dtype=object)

    rows, method = [], ""
    for i, (label, start, as_of) in enumerate(spans):
        report(i, len(spans), f"Couverture au {as_of:%d/%m/%Y}…")
        present = Layer(AMBASSADORS, present_on(amb, as_of))
        result = compute_coverage(_AsOf(project, present), params)
        method = result.population_method
        per = result.per_qpv
        end = pd.Timestamp(as_of)
        came = ((starts >= pd.Timestamp(start)) & (starts <= end)).to_numpy()
        left = ((ends >= pd.Timestamp(start)) & (ends <= end)).to_numpy()
        recruited = np.bincount(home_qpv[came & (home_qpv >= 0)], minlength=len(qpv))
        departed = np.bincount(home_qpv[left & (home_qpv >= 0)], minlength=len(qpv))
        for q in range(len(qpv)):
            rows.append(
                (
                    label,
                    start,
                    as_of,
                    codes[q],
                    names[q],
                    per["population"].iat[q],
                    per["covered_population"].iat[q],
                    per["covered_share"].iat[q],
                    int(per["ambassadors_covering"].iat[q]),
                    int(per["ambassadors_living"].iat[q]),
                    int(recruited[q]),
                    int(departed[q]),
                )
            )
        s = result.summary
        share = s["covered_share"] if s["covered_share"] is not None else s["covered_area_share"]
        rows.append(
            (
                label,
                start,
                as_of,
                "",
                TERRITORY_LABEL,
                s["population"],
                s["covered_population"],
                share,
                int(s["ambassadors_counted"]),
                int(per["ambassadors_living"].sum()),
                int(came.sum()),
                int(left.sum()),
            )
        )
    report(len(spans), len(spans), "Suivi calculé.")

    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["start"] = table["start"].map(dt.date.isoformat)
    table["as_of"] = table["as_of"].map(dt.date.isoformat)
    notes = undated_note(amb)
    if spans[-1][2] < (periods(last, last, by, dt.date.max)[-1][2]):
        notes.append(f"Période en cours ({spans[-1][0]}) : situation au {spans[-1][2]:%d/%m/%Y}.")
    return HistoryResult(table=table, notes=notes, params=params, by=by, population_method=method)


__all__ = ["HistoryResult", "active_on", "compute_history", "periods", "present_on"]
