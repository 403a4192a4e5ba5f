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


def test_public_print_of_the_current_view_is_not_centred_on_a_home(demo_project):
    # selecting an ambassador in the table centres the map on the exact home; « vue actuelle » then
    # hands that view to the print layout
    import shapely

    from ambmap.export.common import prepare
    from ambmap.export.layout import target_bounds

    home = demo_project.layer("ambassadors").data.geometry.iloc[0]
    view = (home.x - 0.004, home.y - 0.0025, home.x + 0.004, home.y + 0.0025)
    exact = demo_project.layer("ambassadors").data.to_crs("EPSG:2154").geometry.iloc[0]
    for level, expected_far in (("public", True), ("interne", False)):
        prepared = prepare(demo_project, level, with_coverage=False)
        minx, miny, maxx, maxy = target_bounds(prepared, view)[0]
        centre = shapely.Point((minx + maxx) / 2, (miny + maxy) / 2)
        assert (centre.distance(exact) > 1) is expected_far, level
        assert centre.distance(exact) < 150
        if level == "public":
            assert minx % 200 == miny % 200 == maxx % 200 == maxy % 200 == 0
