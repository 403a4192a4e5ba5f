"""One symbology: the colours, symbols and line styles of every layer kind and class, as plain data.

The screen map (``render/map.py``), the print layout (``export/layout.py``), both legends, the layer
panel's swatches, the HTML export and the presentation all read this module, so a pôle is the same
blue everywhere. It imports neither folium nor Qt: the UI floor may read it.

A layer kind names its symbol key in the layer-kind registry (``ambmap.layers.registry``); a key
that is drawn by class (ambassadors by status, resources by category) lists one :class:`Symbol` per
class value. Colours are CSS ``#rrggbb`` strings, which matplotlib and Qt read as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ambmap.layers import CATEGORIES, STATUSES

# the per-QPV coverage classes against the project's target (ambmap.analysis.indicators.coverage_class
# computes them; render sits above analysis but this module must stay importable from the lowest floor
# that draws, so the keys are repeated here and checked equal there)
NONE, LOW, MID, TARGET = "non couvert", "moins de 50 %", "de 50 % à l'objectif", "objectif atteint"


@dataclass(frozen=True)
class Symbol:
    """How one layer, or one class of a layer, looks on screen, on paper and in the legends.

    ``color`` is THE colour of the layer or class: a marker's fill, an area's outline; ``fill`` and
    ``fill_opacity`` an area's inside (None: not filled); ``width`` the outline in screen pixels
    (paper: ×0.6 pt); ``dash`` the dash pattern (None: solid); ``shape`` a marker's shape (circle,
    square, pin, number: a disc holding its rank); ``text`` the short sign written in a screen icon;
    ``size`` its side in pixels;
    ``edge`` a marker's outline; ``paper_fill`` an area's fill on paper, where no basemap is printed (None: as on
    screen); ``paper_size`` a marker's diameter on paper, in points.
    """

    color: str
    fill: str | None = None
    fill_opacity: float = 0.0
    width: float = 1.0
    dash: tuple[float, ...] | None = None
    shape: str = "circle"
    text: str = ""
    size: int = 14
    edge: str = "#ffffff"
    paper_fill: str | None = None
    paper_size: float = 4.0


@dataclass(frozen=True)
class Style:
    """The symbol of a layer kind (its swatch in the layer panel) and, if drawn by class, one per class."""

    symbol: Symbol
    classes: dict[str, Symbol] = field(default_factory=dict)

    def of(self, value) -> Symbol:
        """The symbol of class ``value`` (the layer's own for an unknown or absent value)."""
        return self.classes.get(value, self.symbol) if isinstance(value, str) else self.symbol


INK = "#1f2430"
HIGHLIGHT = "#ffd600"

#: Health resource categories: colour and the short sign drawn in the icon.
_CATEGORY = {
    "médecin généraliste": ("#1565c0", "M"),
    "pharmacie": ("#7cb342", "+"),  # light green: the dark green is the active ambassadors'
    "centre de santé": ("#00838f", "CS"),
    "hôpital/clinique": ("#c62828", "H"),
    "dentiste": ("#6a1b9a", "D"),
    "PMI": ("#d81b60", "PMI"),
    "santé mentale (CMP)": ("#4527a0", "Ψ"),
    "santé sexuelle (CeGIDD, planning familial)": ("#ad1457", "SX"),
    "accès aux droits (CPAM, CCAS)": ("#5d4037", "€"),
    "laboratoire": ("#37474f", "L"),
    "autre": ("#757575", "•"),
}
assert set(_CATEGORY) == set(CATEGORIES)
_STATUS = {"actif": "#2e7d32", "en formation": "#ef6c00", "inactif": "#9e9e9e"}
assert set(_STATUS) == set(STATUSES)

#: Per-QPV coverage classes, worst first: the QPV's fill on screen and paper and its legend swatch.
#: ColorBrewer BrBG (brown → teal): no red (the hospitals'), no green of the ambassadors, and the four
#: stay apart for deuteranopes, protanopes and tritanopes (tests/render/test_symbology.py simulates them).
COVERAGE_CLASSES = {NONE: "#a6611a", LOW: "#dfc27d", MID: "#80cdc1", TARGET: "#018571"}
#: The pale tint of table rows, same hues.
CLASS_TINTS = {NONE: "#e9cfb3", LOW: "#f4e9cf", MID: "#d5efeb", TARGET: "#b0dad4"}
#: How opaque a class fill is (screen and paper): the basemap's streets still show through.
CLASS_OPACITY = 0.6

#: Population grid: one colour per quintile, light to dark.
POPULATION_RAMP = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#e6550d", "#a63603")

_QPV = Symbol("#6a1b9a", fill="#ab47bc", fill_opacity=0.18, width=2)

#: The basemap (issue 11): light and neutral, under everything; streets wider by class (screen pixels).
_STREET = {
    "principale": ("#9a9a9a", 4.0, None),
    "secondaire": ("#a8a8a8", 3.0, None),
    "desserte": ("#b4b4b4", 1.8, None),
    "piétonne/chemin": ("#b9b9b9", 1.0, (3.0, 2.0)),
    "escalier": ("#a0a0a0", 1.2, (1.0, 1.5)),
}

#: Every symbol key: the layer kinds' (see the registry) and the analysis overlays'.
STYLES: dict[str, Style] = {
    "parks": Style(Symbol("#b5d3a7", fill="#d6ead0", fill_opacity=1.0, width=0)),
    "water": Style(Symbol("#8fb8d8", fill="#b7d5ec", fill_opacity=1.0, width=0)),
    "streets": Style(
        Symbol("#b4b4b4", width=1.8), {c: Symbol(color, width=w, dash=dash) for c, (color, w, dash) in _STREET.items()}
    ),
    "railways": Style(Symbol("#8a8a8a", width=1.5, dash=(6.0, 3.0))),
    "territory": Style(Symbol("#37474f", width=2.5, dash=(8, 5), paper_fill="#f6f3ec")),
    "population": Style(
        Symbol(POPULATION_RAMP[2], fill=POPULATION_RAMP[2], fill_opacity=0.55, width=0),
        {str(i): Symbol(c, fill=c, fill_opacity=0.55, width=0) for i, c in enumerate(POPULATION_RAMP)},
    ),
    "qpv": Style(
        _QPV,
        {cls: Symbol(_QPV.color, fill=c, fill_opacity=CLASS_OPACITY, width=2) for cls, c in COVERAGE_CLASSES.items()},
    ),
    "resources": Style(
        Symbol("#546e7a", shape="square", size=20, paper_size=3),
        {c: Symbol(color, shape="square", text=sign, size=20, paper_size=3) for c, (color, sign) in _CATEGORY.items()},
    ),
    "poles": Style(Symbol("#0d47a1", shape="pin", text="P", size=26, paper_size=9)),
    "ambassadors": Style(Symbol(_STATUS["actif"]), {s: Symbol(c) for s, c in _STATUS.items()}),
    # ONE merged area, outlined only: a fill over the class colours would mix into new ones (khaki)
    "coverage": Style(Symbol(INK, width=2, dash=(7, 4))),
    "ambassador_zones": Style(Symbol("#2e7d32", width=0.8)),  # one disc per ambassador: internal, hidden
    "pole_coverage": Style(Symbol("#0d47a1", fill="#42a5f5", fill_opacity=0.08, width=1.5, dash=(6, 4))),
    # a grey veil: the class already says « not covered »; red is the hospitals'
    "gaps": Style(Symbol("#424242", fill="#424242", fill_opacity=0.18, width=0.8, dash=(3, 3))),
    # large numbered discs (the number is written in them), each with the zone it would add
    "recommendation": Style(Symbol("#ffd600", shape="number", size=30, edge=INK, paper_size=17)),
    "recommendation_zones": Style(Symbol("#b8860b", fill="#ffd600", fill_opacity=0.15, width=2.5, dash=(2, 3))),
}


def style(key: str) -> Style:
    """The style of symbol key ``key`` (a neutral grey for a key nobody declared)."""
    return STYLES.get(key) or Style(Symbol("#777777"))


def color(key: str, value=None) -> str:
    """THE colour of layer (or class ``value`` of) symbol key ``key``."""
    return style(key).of(value).color


def grid_classes(values) -> tuple[np.ndarray, np.ndarray]:
    """(4 quintile edges, class 0–4 of each value) of population-grid values: same classes on screen and paper."""
    values = np.asarray(values, dtype=float)
    edges = np.quantile(values, [0.2, 0.4, 0.6, 0.8]) if len(values) else np.array([])
    return edges, np.searchsorted(edges, values, side="right")
