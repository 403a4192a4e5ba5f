"""Data text (file cells, names, slide titles) shown in widgets: always as plain text, and cut short.

Qt shows a tooltip as rich text as soon as it looks like HTML (``<img src=…>``, ``<b>``), and a table
sized to its contents measures every character of a 1 MB cell: a hostile cell must neither render as
HTML nor freeze the window.
"""

from __future__ import annotations

import html

CELL_CHARS = 200  # what a table cell shows; the tooltip shows more
TIP_CHARS = 2000


def shorten(value: object, limit: int = CELL_CHARS) -> str:
    """``value`` as text, cut to ``limit`` characters with « … » when longer."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_tip(value: object) -> str:
    """A tooltip that shows ``value`` as typed: escaped inside a paragraph, so Qt never reads it as HTML."""
    text = shorten(value, TIP_CHARS)
    return f'<p style="white-space:pre-wrap">{html.escape(text)}</p>' if text else ""
