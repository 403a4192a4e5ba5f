"""One symbology: the screen map, the print layout, both legends and the layer panel draw every layer and
class in the same colour, read back from what each one really produced (the page's data block and legend,
matplotlib's artists and legend handles, the panel's swatch pixels)."""

from __future__ import annotations

import pytest

from ambmap.analysis.coverage import compute_coverage
from ambmap.export.common import Prepared
from ambmap.export.layout import LayoutOptions, draw_layers, fit_extent, map_crs, target_bounds
from ambmap.export.privacy import INTERNAL
from ambmap.layers import KINDS
from ambmap.render import symbology
from ambmap.render.map import MapOptions, map_html, page_data
from tests.render import media


@pytest.fixture(scope="module")
def drawn():
    """The demo project with every layer visible and its coverage: (project, coverage)."""
    from ambmap.project import Project

    project = Project.default()
    for layer in project.layers.values():
        layer.visible = True
    return project, compute_coverage(project)


def draw_on_paper(project, coverage, recommendation=None):
    """(axes, legend handles) of the print layout's map frame, at the internal level, every layer shown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    prepared = Prepared(project, INTERNAL, coverage, recommendation)
    options = LayoutOptions(visible=tuple(project.layers))
    crs = map_crs(project)
    bounds, _ = target_bounds(prepared, "territoire", crs)
    extent, _ = fit_extent(bounds, (200, 150))
    fig, ax = plt.subplots()
    handles = draw_layers(ax, prepared, options, extent, crs=crs)
    return fig, ax, handles


@pytest.fixture(scope="module")
def media_colours(drawn):
    import matplotlib.pyplot as plt

    project, coverage = drawn
    page = map_html(project, coverage=coverage, options=MapOptions(basemap="none"))
    data = page_data(page)
    fig, ax, handles = draw_on_paper(project, coverage)
    try:
        yield {
            "screen": media.screen(data["layers"]),
            "screen legend": media.screen_legend(data["config"]["legend"]),
            "paper": media.paper(ax),
            "paper legend": media.paper_legend(handles),
            "page": page,
        }
    finally:
        plt.close(fig)


def test_screen_print_and_legends_agree_on_every_layer_and_class(media_colours):
    screen, screen_legend = media_colours["screen"], media_colours["screen legend"]
    paper, paper_legend = media_colours["paper"], media_colours["paper legend"]
    assert media.disagreements(screen, screen_legend, paper, paper_legend) == []
    # and they do draw the same things: every class of every point layer, in all four
    for kind in ("resources", "ambassadors"):
        present = set(drawn_classes(screen, kind))
        assert present and present == set(drawn_classes(paper, kind)) == set(drawn_classes(paper_legend, kind)) == set(
            drawn_classes(screen_legend, kind)
        ), kind
    for key in [
        ("poles", "", "mark"),
        ("territory", "", "line"),
        ("coverage", "", "line"),
        ("gaps", "", "line"),
        ("population", "0", "fill"),
        ("population", "4", "fill"),
    ]:
        assert key in screen and key in paper and (key in paper_legend or key in screen_legend), key
    assert ("qpv", "", "line") in screen and ("qpv", "", "line") in paper
    # every coverage class is in both legends, and each class drawn on paper is drawn on screen in its colour
    for cls, colour in symbology.COVERAGE_CLASSES.items():
        assert (
            screen_legend["qpv", cls, "fill"]
            == paper_legend["qpv", cls, "fill"]
            == screen["qpv", cls, "fill"]
            == colour
        ), cls
        assert screen_legend["qpv", cls, "line"] == paper_legend["qpv", cls, "line"] == screen["qpv", "", "line"]
    assert any(("qpv", cls, "fill") in paper for cls in symbology.COVERAGE_CLASSES)


def test_without_coverage_the_quarters_are_filled_as_on_screen(drawn):
    import matplotlib.pyplot as plt

    project, _ = drawn
    screen = media.screen(page_data(map_html(project, options=MapOptions(basemap="none")))["layers"])
    fig, ax, handles = draw_on_paper(project, None)
    try:
        paper, legend = media.paper(ax), media.paper_legend(handles)
    finally:
        plt.close(fig)
    fill = symbology.style("qpv").symbol.fill
    assert screen["qpv", "", "fill"] == paper["qpv", "", "fill"] == legend["qpv", "", "fill"] == fill
    assert media.disagreements(screen, paper, legend) == []


def drawn_classes(colours: dict, kind: str) -> list[str]:
    return [cls for (k, cls, role) in colours if k == kind and role == "mark" and cls]


def test_colours_are_the_symbology_s(media_colours):
    screen = media_colours["screen"]
    assert screen["poles", "", "mark"] == symbology.color("poles") == "#0d47a1"
    for status in KINDS["ambassadors"].classes:
        if ("ambassadors", status, "mark") in screen:
            assert screen["ambassadors", status, "mark"] == symbology.color("ambassadors", status)
    for category in KINDS["resources"].classes:
        if ("resources", category, "mark") in media_colours["paper"]:
            assert media_colours["paper"]["resources", category, "mark"] == symbology.color("resources", category)
    for status, color in symbology.COVERAGE_CLASSES.items():
        assert screen["qpv", status, "fill"] == color
        assert media_colours["screen legend"]["qpv", status, "fill"] == color


def test_layer_panel_swatches_are_the_layers_colours(drawn, media_colours, qapp):
    from ambmap.ui.layer_panel import LayerPanel

    project, _ = drawn
    swatches = media.panel_swatches(LayerPanel(project))
    screen = media_colours["screen"]
    assert set(swatches) == set(project.layers)
    assert swatches["poles"] == screen["poles", "", "mark"] == media_colours["paper"]["poles", "", "mark"]
    assert swatches["qpv"] == screen["qpv", "", "line"] == media_colours["paper"]["qpv", "", "line"]
    assert swatches["territory"] == screen["territory", "", "line"] == media_colours["paper"]["territory", "", "line"]
    for kind in ("resources", "ambassadors"):  # drawn by class: the swatch is the layer's colour, its clusters'
        assert swatches[kind] == symbology.color(kind)
        if f"amb-cluster-{kind}" in media_colours["page"]:
            assert f"background:{swatches[kind]}" in media_colours["page"]
    assert swatches["ambassadors"] == screen["ambassadors", "actif", "mark"]  # the active ones, most of them
