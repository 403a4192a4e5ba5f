"""Characters no text value may carry: C0/C1 control characters (NUL, vertical tab…), bidirectional
overrides, and the code points XML forbids. One pasted vertical tab would otherwise break every XLSX export (openpyxl
refuses it) and a NUL truncates text in many tools. Tab, newline and carriage return stay: they are
ordinary in a multi-line address.
"""

from __future__ import annotations

import re

import pandas as pd

#: with the bidirectional overrides and isolates (U+202A to U+202E, U+2066 to U+2069): one pasted U+202E reverses
#: the rest of a name, a table row or a spreadsheet cell; right-to-left names need none of them
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
REMOVED = "caractère de contrôle retiré"


def strip_controls(text: str) -> str:
    """``text`` without control characters."""
    return CONTROL.sub("", text)


def clean_column(values: pd.Series) -> tuple[pd.Series, list]:
    """``values`` with control characters removed from its text cells, and the index labels of the
    cells that had some (vectorised: one regex scan per column)."""
    if not pd.api.types.is_string_dtype(values.dtype):  # object, or pandas' own string dtype
        return values, []
    try:  # the common case, all clean: one scan of the column's text joined (not one search per cell)
        if not CONTROL.search("".join(values.dropna())):
            return values, []
    except TypeError:  # not only text: cell by cell below
        pass
    try:
        hit = values.str.contains(CONTROL, na=False).astype(bool)
    except AttributeError:  # no text in this column (numbers, booleans)
        return values, []
    if not hit.any():
        return values, []
    cleaned = values.copy()
    cleaned[hit] = values[hit].map(strip_controls)
    return cleaned, list(values.index[hit])
