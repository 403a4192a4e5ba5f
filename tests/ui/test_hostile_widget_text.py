"""Hostile data text in the widgets added with the « à placer » rows and the slides panel: shown as typed
(never as Qt rich text: an ``<img>`` in a tooltip would be drawn), and a 1 MB cell cut short so sizing
the table to its contents cannot freeze the window (issue 9 point 1)."""

from __future__ import annotations

import pandas as pd
from PySide6.QtGui import QTextDocument

from ambmap.session import Session
from ambmap.ui.data_text import CELL_CHARS, plain_tip
from ambmap.ui.to_place_panel import ToPlacePanel

IMG = '<img src="file:///etc/passwd" onerror="alert(1)"><b>gras</b>'
HOSTILE = (IMG, '=HYPERLINK("http://x","clic")', "{{7*7}} {% raw %}", "\u202egnp.exe", "é" * 1_000_000)


def _shown(tip: str) -> str:
    """What Qt draws for a tooltip it reads as rich text."""
    document = QTextDocument()
    document.setHtml(tip)
    return document.toPlainText()


def test_plain_tip_shows_the_text_as_typed():
    for value in HOSTILE[:4]:
        assert _shown(plain_tip(value)) == value
    assert plain_tip("") == ""


def test_to_place_panel_shows_hostile_cells_as_text(qtbot, demo_project):
    rows = [
        {"kind": "ambassadors", "amb_id": f"AMB-{i}", "display_name": v, "address": v, "motif": v}
        for i, v in enumerate(HOSTILE)
    ]
    demo_project.set_to_place(pd.DataFrame(rows))
    panel = ToPlacePanel(Session(demo_project))
    qtbot.addWidget(panel)
    table = panel.table
    assert table.rowCount() == len(HOSTILE)
    for row, value in enumerate(HOSTILE):
        item = table.item(row, 2)  # « Adresse »
        assert len(item.text()) <= CELL_CHARS
        assert item.text() == value or (len(value) > CELL_CHARS and item.text().endswith("…"))
    assert _shown(table.item(0, 2).toolTip()) == IMG  # the markup is shown, not drawn


def test_to_place_panel_is_not_resized_to_its_contents_cell_by_cell(qtbot, demo_project):
    """ResizeToContents measured every row each time a cell was set: 2,000 rows « à placer » (an offline
    import) froze the window 4 minutes at each refresh. The columns are sized once, after filling."""
    from PySide6.QtWidgets import QHeaderView

    rows = [
        {"kind": "ambassadors", "amb_id": f"AMB-{i}", "display_name": f"Nom {i}", "motif": "?"} for i in range(2000)
    ]
    demo_project.set_to_place(pd.DataFrame(rows))
    panel = ToPlacePanel(Session(demo_project))
    qtbot.addWidget(panel)
    panel.show()
    panel.refresh()
    header = panel.table.horizontalHeader()
    modes = {header.sectionResizeMode(c) for c in range(panel.table.columnCount())}
    assert QHeaderView.ResizeMode.ResizeToContents not in modes and panel.table.rowCount() == 2000
    assert header.sectionSize(0) >= panel.table.fontMetrics().horizontalAdvance("Nom 0 (AMB-0)")  # sized to its text


def test_no_panel_table_resizes_to_contents_beside_a_stretched_column(qtbot):
    """That pair re-measures every row at each cell set (quadratic: 200 sites refilled 3.5 s, 1,000 rows
    84 s); a panel listing data sizes its columns once, after filling."""
    from PySide6.QtWidgets import QHeaderView

    from ambmap.ui.recommend_panel import RecommendationPanel

    panel = RecommendationPanel()
    qtbot.addWidget(panel)
    header = panel.table.horizontalHeader()
    modes = [header.sectionResizeMode(c) for c in range(panel.table.columnCount())]
    assert QHeaderView.ResizeMode.Stretch in modes and QHeaderView.ResizeMode.ResizeToContents not in modes
