"""Text typed by people (titles, quarter names) is printed as typed on the maps, "$" included."""

from __future__ import annotations

import subprocess

from ambmap.export import export
from ambmap.export.layout import LayoutOptions


def test_dollar_signs_in_names_and_title_are_printed_as_typed(demo_project, tmp_path):
    qpv = demo_project.layer("qpv")
    data = qpv.data.copy()
    data.loc[0, "nom_qp"] = r"Quartier $\frac{1$ Nord"  # mathtext would fail on it
    qpv.data = data
    title = r"Budget $\alpha$ 2025"
    path = export(demo_project, "pdf", tmp_path / "carte.pdf", layout=LayoutOptions(title=title, table=True))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert title in text and r"Quartier $\frac{1$ Nord" in text
