"""One cartography tied to the target: coverage classes against T, a palette colour-blind readers can tell
apart, a user colour that never changes what a class means, and numbered recommended sites on paper."""

from __future__ import annotations

import itertools
import re
import subprocess

import numpy as np
import pandas as pd
import pytest

from ambmap.analysis.indicators import (
    CLASS_LOW,
    CLASS_MID,
    CLASS_NONE,
    CLASS_TARGET,
    class_labels,
    coverage_class,
    coverage_classes,
)
from ambmap.render import symbology
from ambmap.render.map import MapOptions, map_html, page_data
from tests.render import media


# -- classes -------------------------------------------------------------------------------------
def test_classes_are_computed_against_the_target():
    assert coverage_class(0.79, 0.8) == CLASS_MID and coverage_class(0.81, 0.8) == CLASS_TARGET
    assert coverage_class(0.79, 0.7) == coverage_class(0.81, 0.7) == CLASS_TARGET
    assert coverage_class(0.0) == coverage_class(0.004) == CLASS_NONE  # shown « 0 % »
    assert coverage_class(0.3) == CLASS_LOW and coverage_class(0.5) == CLASS_MID and coverage_class(1.0) == CLASS_TARGET
    assert coverage_class(float("nan")) is None and coverage_class(None) is None
    assert class_labels(0.7)[CLASS_TARGET] == "70\u202f% ou plus (objectif)"
    table = pd.DataFrame({"covered_share": [0.79, 0.81]}, index=["A", "B"])
    assert coverage_classes(table, 0.8).tolist() == [CLASS_MID, CLASS_TARGET]
    # a public table keeps the class decided on the exact share while the share itself is withheld
    withheld = table.assign(covered_share=np.nan, coverage_class=[CLASS_MID, CLASS_TARGET])
    assert coverage_classes(withheld, 0.5).tolist() == [CLASS_MID, CLASS_TARGET]


def test_the_project_target_moves_the_classes_on_screen_and_on_paper(demo_project):
    from ambmap.analysis.coverage import compute_coverage

    coverage = compute_coverage(demo_project)
    shares = coverage.per_qpv["covered_share"]
    fives = shares.index[coverage.per_qpv["nom_qp"] == "Fives"][0]
    assert 0.7 <= shares[fives] < 0.8  # the demo's Fives sits between the two targets below
    for target, expected in ((0.8, CLASS_MID), (0.7, CLASS_TARGET)):
        demo_project.options["target"] = target
        drawn = page_data(map_html(demo_project, coverage=coverage, options=MapOptions(basemap="none")))["layers"]
        feature = next(f for f in drawn["qpv"]["features"] if f["id"] == fives)
        assert feature["k"] == expected
        assert re.fullmatch(r"Fives \d+\u202f%", feature["t"])  # the label carries the share
        assert f"{round(target * 100)}\u202f% ou plus (objectif)" in drawn["qpv"]["classes"]
    demo_project.options.pop("target")


# -- colour-blind safety ------------------------------------------------------------------------
#: Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
CVD = {
    "deutéranopie": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "protanopie": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "tritanopie": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def _srgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def _linear(colour: str | np.ndarray) -> np.ndarray:
    c = _srgb(colour) if isinstance(colour, str) else colour
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of a linear-RGB colour."""
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ np.clip(
        linear, 0, 1
    )
    f = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(f > 0.008856, np.cbrt(f), 7.787 * f + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _on_white(colour: str, opacity: float) -> np.ndarray:
    """A fill as drawn: the class colour at its opacity over white, blended in sRGB as browsers and matplotlib
    do (linear RGB out)."""
    return _linear(opacity * _srgb(colour) + (1 - opacity))


@pytest.mark.parametrize("vision", ["normale", *CVD])
def test_the_four_class_colours_stay_apart_for_colour_blind_readers(vision):
    matrix = np.eye(3) if vision == "normale" else np.array(CVD[vision])
    for opacity, threshold in ((1.0, 20.0), (symbology.CLASS_OPACITY, 12.0)):
        labs = {cls: _lab(matrix @ _on_white(colour, opacity)) for cls, colour in symbology.COVERAGE_CLASSES.items()}
        for (a, la), (b, lb) in itertools.combinations(labs.items(), 2):
            assert np.linalg.norm(la - lb) > threshold, (vision, opacity, a, b)  # CIE76 ΔE


def test_no_colour_means_two_things():
    classes = set(symbology.COVERAGE_CLASSES.values())
    marks = {symbology.color("resources", c) for c in symbology.STYLES["resources"].classes}
    statuses = {symbology.color("ambassadors", s) for s in symbology.STYLES["ambassadors"].classes}
    assert not classes & marks and not classes & statuses and not marks & statuses

    def red(colour):  # CIE LCh: a strong chroma at a hue angle of 20° to 45° (the hospitals' #c62828: 34°)
        _, a, b = _lab(_linear(colour))
        return np.hypot(a, b) > 50 and 20 <= np.degrees(np.arctan2(b, a)) <= 45

    assert red(symbology.color("resources", "hôpital/clinique"))
    assert [c for c in classes | statuses | marks | {symbology.color("gaps")} if red(c)] == [
        symbology.color("resources", "hôpital/clinique")
    ]  # red is the hospitals' only
    assert symbology.color("resources", "pharmacie") != symbology.color("ambassadors", "actif")
    assert symbology.style("coverage").symbol.fill is None  # an outline: nothing mixes with the classes (khaki)


# -- a user colour changes an outline, never a class -----------------------------------------------
def test_a_user_colour_keeps_the_classes_on_screen_in_the_legend_and_on_paper(demo_project):
    import matplotlib.pyplot as plt

    from ambmap.analysis.coverage import compute_coverage
    from tests.render.test_symbology import draw_on_paper

    coverage = compute_coverage(demo_project)
    demo_project.layer("qpv").set_style(color="#123456")
    page = map_html(demo_project, coverage=coverage, options=MapOptions(basemap="none"))
    data = page_data(page)
    screen, legend = media.screen(data["layers"]), media.screen_legend(data["config"]["legend"])
    fig, ax, handles = draw_on_paper(demo_project, coverage)
    try:
        paper, paper_legend = media.paper(ax), media.paper_legend(handles)
    finally:
        plt.close(fig)
    for cls, colour in symbology.COVERAGE_CLASSES.items():
        assert screen["qpv", cls, "fill"] == legend["qpv", cls, "fill"] == paper_legend["qpv", cls, "fill"] == colour
        assert screen["qpv", cls, "line"] == legend["qpv", cls, "line"] == "#123456"  # the outline follows
        if ("qpv", cls, "fill") in paper:
            assert paper["qpv", cls, "fill"] == colour
    assert paper["qpv", "", "line"] == "#123456"  # and on paper too (it was ignored there)
    demo_project.layer("qpv").set_style(color=None)


# -- numbered sites on paper --------------------------------------------------------------------
@pytest.fixture(scope="module")
def recommended(tmp_path_factory):
    from ambmap.analysis.coverage import compute_coverage
    from ambmap.analysis.recommend import recommend_for_project
    from ambmap.project import Project

    project = Project.default()
    return project, compute_coverage(project), recommend_for_project(project, k=3, time_limit=30)


def _words(pdf) -> list[tuple[str, float, float]]:
    """(word, x centre, y centre from the top) of page 1, in points."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [
        (w, (float(x0) + float(x1)) / 2, (float(y0) + float(y1)) / 2)
        for x0, y0, x1, y1, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out
        )
    ]


@pytest.mark.parametrize("level", ["interne", "public"])
def test_pdf_numbers_each_site_where_it_stands_and_lists_them(recommended, tmp_path, level):
    from ambmap.export.common import prepare
    from ambmap.export.layout import (
        MM,
        LayoutOptions,
        _frames,
        fit_extent,
        map_crs,
        page_size_mm,
        target_bounds,
        write_print,
    )

    project, coverage, recommendation = recommended
    prepared = prepare(project, level, coverage=coverage, recommendation=recommendation)
    path = write_print(prepared, tmp_path / "carte.pdf", LayoutOptions())
    width, height = page_size_mm("a4-paysage")
    _, frame, _ = _frames(width, height)
    crs = map_crs(prepared.project)
    extent, _ = fit_extent(target_bounds(prepared, "territoire", crs)[0], (frame[2], frame[3]))
    words = _words(path)
    sites = prepared.recommendation.sites.to_crs(crs)
    assert list(sites["rank"]) == [1, 2, 3]
    for site in sites.itertuples():
        x_mm = frame[0] + (site.geometry.x - extent[0]) / (extent[2] - extent[0]) * frame[2]
        y_mm = frame[1] + (site.geometry.y - extent[1]) / (extent[3] - extent[1]) * frame[3]
        x, y = x_mm * MM * 72, (height - y_mm) * MM * 72  # points, y from the top of the page
        near = [w for w, wx, wy in words if w == str(site.rank) and abs(wx - x) < 6 and abs(wy - y) < 6]
        assert near, (site.rank, x, y)
    text = " ".join(w for w, _, _ in words)
    for site in sites.itertuples():  # the legend lists them: « 1. Bois-Blancs, … (+4 020 hab.) »
        assert f"{site.rank}. {site.label.split(',')[0].split()[0]}" in text
    assert "avant → après" in text.replace("\u202f", " ")


def test_public_before_after_follows_the_secret_statistique(recommended):
    from ambmap.export.common import prepare
    from ambmap.export.privacy import confidential, public_copy

    project, coverage, recommendation = recommended
    public = prepare(project, "public", coverage=coverage, recommendation=recommendation)
    table = public.recommendation.per_qpv
    from ambmap.analysis.coverage import compute_coverage

    secret = confidential(compute_coverage(public_copy(project, keep=("languages",))).per_qpv)
    assert secret.any() and (~secret).any()
    assert table.loc[secret[secret].index, ["coverage_before", "coverage_after"]].isna().all().all()
    shown = table.loc[secret[~secret].index, ["coverage_before", "coverage_after"]]
    assert shown.notna().all().all() and (shown == shown.round(2)).all().all()  # to the percent
    assert len(public.recommendation.zones) == len(public.recommendation.sites)
