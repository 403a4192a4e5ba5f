"""French numbers, shares, dates and durations, written one way everywhere.

The user reads the same figure in the panel, on the map, on paper and in a spreadsheet: « 1 234 »,
« 99,1 % », « 3 min », « 28/11/2026 ». Thousands are grouped with a narrow no-break space (U+202F) and
units are kept on the line with a no-break space, as the Imprimerie nationale's rules ask. Missing
values (None, NaN) are written as an empty string so that callers never print « nan ».
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

NNBSP = "\u202f"  #: narrow no-break space: thousands separator and before « % »
NBSP = "\u00a0"  #: no-break space: between a number and its unit


def _finite(value: Any) -> float | None:
    """``value`` as a finite float, or None for None, NaN, infinities and non-numbers."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def number(value: Any, decimals: int = 0) -> str:
    """« 1 234 », « 3,5 » (``decimals`` places, trailing zeros kept); '' when missing.

    Parameters
    ----------
    value
        Any number (int, float, numpy scalar) or None/NaN.
    decimals
        Digits after the decimal comma.
    """
    x = _finite(value)
    if x is None:
        return ""
    text = f"{x:,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # no « -0 »
    return text.replace(",", NNBSP).replace(".", ",")


def percent(share: Any, decimals: int = 0) -> str:
    """A share in [0, 1] as « 99 % » (or « 99,1 % » with ``decimals=1``); '' when missing."""
    x = _finite(share)
    return "" if x is None else f"{number(100 * x, decimals)}{NNBSP}%"


def quantity(value: Any, singular: str, plural: str | None = None, decimals: int = 0) -> str:
    """« 1 habitant », « 1 234 habitants », « 0 site » (French: singular below 2); '' when missing."""
    x = _finite(value)
    if x is None:
        return ""
    word = singular if abs(round(x, decimals)) < 2 else (plural or singular + "s")
    return f"{number(x, decimals)}{NBSP}{word}"


def people(value: Any) -> str:
    """« 1 234 habitants », or « population inconnue » when missing."""
    return quantity(value, "habitant") or "population inconnue"


def distance(metres: Any) -> str:
    """« 500 m », « 1,2 km », « 2 km »."""
    x = _finite(metres)
    if x is None:
        return ""
    if abs(x) < 1000:
        return f"{number(x)}{NBSP}m"
    km = x / 1000
    return f"{number(km, 0 if km.is_integer() else 1)}{NBSP}km"


def duration(seconds: Any) -> str:
    """« 45 s », « 3 min », « 1 h 05 » — rounded to what a person reads."""
    x = _finite(seconds)
    if x is None:
        return ""
    if x < 60:
        return f"{number(x, 1 if x < 10 and not float(x).is_integer() else 0)}{NBSP}s"
    minutes = round(x / 60)
    if minutes < 60:
        return f"{minutes}{NBSP}min"
    return f"{minutes // 60}{NBSP}h{NBSP}{minutes % 60:02d}"


def date(value: dt.date | dt.datetime | str | None) -> str:
    """« 28/11/2026 » from a date, a datetime or an ISO string; '' when missing or unreadable."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return ""
    return f"{value:%d/%m/%Y}"


def parse_number(text: Any) -> float:
    """A number typed the French way (« 1 234,5 », « 1 234,5 ») or the English way; NaN if unreadable."""
    if isinstance(text, (int, float)):
        return float(text)
    cleaned = str(text).strip()
    for space in (NNBSP, NBSP, " "):
        cleaned = cleaned.replace(space, "")
    try:
        return float(cleaned.replace(",", "."))
    except ValueError:
        return float("nan")


def file_stem(name: Any, default: str) -> str:
    """``name`` (a territory's, from data) made fit to propose as a file name: no folder separator,
    no leading dot, no control character, at most 80 characters; ``default`` when nothing is left.
    Joined to a folder, « /etc/x » or « ../x » would otherwise point elsewhere."""
    stem = " ".join(str(name or "").split())  # line breaks and tabs: one space
    stem = "".join("-" if c in '/\\:*?"<>|' or ord(c) < 32 or ord(c) == 127 else c for c in stem)
    stem = stem.strip(" .-")[:80].strip(" .-")
    return stem or default
