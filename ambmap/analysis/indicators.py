"""The per-QPV coverage indicators: one column, one French label, one unit and one way to write each.

Read by the coverage panel, the map's QPV popups, the XLSX/CSV tables and the PDF table, so that
« Population couverte » is the same figure everywhere: a head-count of inhabitants, beside « Part de
la population couverte », a percentage. It lives in ``analysis`` because the figures are the analysis's
(``CoverageResult.per_qpv`` columns) and because every floor that shows them (render, export, ui) may
import it; the formatting is ``ambmap.text``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ambmap import text


def _plain(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _yes_no(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else ("oui" if value else "non")


@dataclass(frozen=True)
class Indicator:
    """One per-QPV figure.

    ``unit`` is written after the figure where it stands alone (a popup line), not in a table cell under
    its header; « % » marks a share in [0, 1]. ``decimals`` is what tables keep (None: as is); ``short``
    is the header of narrow tables (the panel).
    """

    column: str
    label: str
    unit: str = ""
    format: Callable[[Any], str] = _plain
    decimals: int | None = None
    short: str = ""

    @property
    def header(self) -> str:
        return self.short or self.label

    @property
    def is_share(self) -> bool:
        return self.unit == "%"

    def show(self, value: Any, unit: bool = False) -> str:
        """``value`` written in French, with its unit if ``unit`` (and it has a word for one); '' if missing."""
        shown = self.format(value)
        return f"{shown}{text.NBSP}{self.unit}" if unit and shown and self.unit and not self.is_share else shown


def _count(value: Any) -> str:
    return text.number(value)


def _share(value: Any) -> str:
    return text.percent(value)


#: In display order.
INDICATORS: dict[str, Indicator] = {
    i.column: i
    for i in (
        Indicator("code_qp", "Code QPV"),
        Indicator("nom_qp", "Quartier", short="QPV"),
        Indicator("lib_com", "Commune"),
        Indicator("population", "Population", "habitants", _count, short="Habitants"),
        Indicator("covered_population", "Population couverte", "habitants", _count, 0),
        Indicator("covered_share", "Part de la population couverte", "%", _share, 4),
        Indicator("covered_share_circle", "Part couverte à vol d'oiseau", "%", _share, 4, short="À vol d'oiseau"),
        Indicator("covered_share_walk", "Part couverte à pied", "%", _share, 4, short="À pied"),
        Indicator("covered_area_share", "Part de la surface couverte", "%", _share, 4),
        Indicator("ambassadors_living", "Ambassadeurs·rices y résidant", "", _count),
        Indicator(
            "ambassadors_covering", "Ambassadeurs·rices couvrant le quartier", "", _count, short="Ambassadeurs·rices"
        ),
        Indicator("languages", "Langues parlées", short="Langues"),
        Indicator("pole_within_reach", "Pôle Ressources Santé à proximité", "", _yes_no, short="Pôle à proximité"),
        Indicator(
            "resources_inside", "Ressources de santé dans le quartier", "", _count, short="Ressources dans le QPV"
        ),
        Indicator("resources_500m", "Ressources de santé à moins de 500 m", "", _count),
        Indicator("resources_per_1000", "Ressources pour 1 000 habitants", "", lambda v: text.number(v, 1), 2),
        Indicator("status", "Couverture"),
    )
}


def indicators(*columns: str) -> list[Indicator]:
    """The indicators of ``columns``, in that order."""
    return [INDICATORS[c] for c in columns]


# -- coverage classes against the project's target -------------------------------------------------
#: The target share used when the project names none (project option ``target``, checked in project.py).
DEFAULT_TARGET = 0.8
#: Class keys, worst first (the same strings as ``ambmap.render.symbology``'s, which holds their colours).
CLASS_NONE, CLASS_LOW, CLASS_MID, CLASS_TARGET = (
    "non couvert",
    "moins de 50 %",
    "de 50 % à l'objectif",
    "objectif atteint",
)
COVERAGE_CLASS_KEYS = (CLASS_NONE, CLASS_LOW, CLASS_MID, CLASS_TARGET)
#: Below this share a QPV shows « 0 % »: it is « non couvert ».
NONE_BELOW = 0.005


def project_target(project) -> float:
    """The project's coverage target T in (0, 1] (option ``target``), else :data:`DEFAULT_TARGET`."""
    value = (getattr(project, "options", None) or {}).get("target")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1:
        return float(value)
    return DEFAULT_TARGET


def coverage_class(share: Any, target: float = DEFAULT_TARGET) -> str | None:
    """The coverage class of a QPV covered at ``share`` (0–1) against the target ``target``: « non couvert »
    (0 %), « moins de 50 % », « de 50 % à l'objectif », « objectif atteint » (≥ target); None if unknown.

    The one place the classes are computed: map, paper, legend and tables read its answer."""
    try:
        share = float(share) if not isinstance(share, str) else float("nan")
    except (TypeError, ValueError):  # None, pd.NA: no class
        return None
    if share != share:
        return None
    if share < NONE_BELOW:
        return CLASS_NONE
    if share >= target:
        return CLASS_TARGET
    return CLASS_LOW if share < 0.5 else CLASS_MID


def class_labels(target: float = DEFAULT_TARGET, short: bool = False) -> dict[str, str]:
    """The words of each class at ``target``: the legend's (« 80 % ou plus (objectif) ») or, ``short``,
    a map label's (« ≥ 80 % »), written where a public map withholds the share itself."""
    t, half = text.percent(target), text.percent(min(0.5, target))
    if short:
        return {CLASS_NONE: "0 %", CLASS_LOW: f"< {half}", CLASS_MID: f"{half} – {t}", CLASS_TARGET: f"≥ {t}"}
    return {
        CLASS_NONE: "Non couvert (0 %)",
        CLASS_LOW: f"Moins de {half}",
        CLASS_MID: f"De {half} à moins de {t}",
        CLASS_TARGET: f"{t} ou plus (objectif)",
    }


def coverage_classes(per_qpv, target: float = DEFAULT_TARGET):
    """The class of each row of a per-QPV table (index kept): its ``coverage_class`` column when the table has
    one (a public table, where the share itself may be withheld), else computed from ``covered_share``."""
    import pandas as pd

    if "coverage_class" in per_qpv:
        return per_qpv["coverage_class"]
    shares = per_qpv["covered_share"] if "covered_share" in per_qpv else pd.Series(float("nan"), index=per_qpv.index)
    return shares.map(lambda s: coverage_class(s, target))


def qpv_label(name: Any, share: Any, cls: str | None, target: float) -> str:
    """A QPV's map label: « Fives 75 % »; its class (« Fives ≥ 80 % ») where the share is withheld; the name
    alone before coverage. Plain text (the caller escapes it)."""
    name = "" if name is None else str(name)
    shown = text.percent(share)
    if shown:
        return f"{name} {shown}"
    return f"{name} {class_labels(target, short=True)[cls]}" if cls else name
