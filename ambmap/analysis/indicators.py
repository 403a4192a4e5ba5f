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
INDICATORS: dict[str, Indicator] = {i.column: i for i in (
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
    Indicator("ambassadors_covering", "Ambassadeurs·rices couvrant le quartier", "", _count,
              short="Ambassadeurs·rices"),
    Indicator("languages", "Langues parlées", short="Langues"),
    Indicator("pole_within_reach", "Pôle Ressources Santé à proximité", "", _yes_no, short="Pôle à proximité"),
    Indicator("resources_inside", "Ressources de santé dans le quartier", "", _count,
              short="Ressources dans le QPV"),
    Indicator("resources_500m", "Ressources de santé à moins de 500 m", "", _count),
    Indicator("resources_per_1000", "Ressources pour 1 000 habitants", "", lambda v: text.number(v, 1), 2),
    Indicator("status", "Couverture"),
)}


def indicators(*columns: str) -> list[Indicator]:
    """The indicators of ``columns``, in that order."""
    return [INDICATORS[c] for c in columns]
