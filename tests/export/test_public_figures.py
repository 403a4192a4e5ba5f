"""Public figures are computed from the public copy (homes at their 200 m square centre), never from
the exact homes, then pass the secret statistique and rounding; the internal level keeps exact figures."""

import pandas as pd

from ambmap.analysis.coverage import compute_coverage
from ambmap.analysis.indicators import coverage_classes
from ambmap.export.common import prepare
from ambmap.export.privacy import public_copy, public_table


def test_public_figures_come_from_the_public_copy_not_the_homes(demo_project):
    internal = prepare(demo_project, "interne")
    public = prepare(demo_project, "public")
    from_squares = compute_coverage(public_copy(demo_project, keep=("languages",)))
    # the class is decided on the exact share of the public copy, before the secret statistique withholds it
    classed = from_squares.per_qpv.assign(coverage_class=coverage_classes(from_squares.per_qpv, 0.8))
    pd.testing.assert_frame_equal(public.coverage.per_qpv, public_table(classed))
    exact = compute_coverage(demo_project)
    pd.testing.assert_frame_equal(internal.coverage.per_qpv, exact.per_qpv)
    assert not public.coverage.per_qpv["covered_population"].equals(internal.coverage.per_qpv["covered_population"])
    # what is drawn comes from the points moved to their 200 m square, never from the homes
    exact_area = internal.coverage.covered_area.geometry.union_all()
    drawn_area = public.coverage.covered_area.geometry.union_all()
    assert not drawn_area.equals(exact_area)
    assert drawn_area.equals(from_squares.covered_area.geometry.union_all())
    assert set(public.project.layer("ambassadors").data.display_name) == set(
        demo_project.layer("ambassadors").data.amb_id
    )


def test_only_the_internal_level_has_one_zone_per_ambassador(demo_project):
    assert prepare(demo_project, "public").ambassador_zones is None
    assert len(prepare(demo_project, "public").coverage.zones) == 1
    internal = prepare(demo_project, "interne")
    assert len(internal.ambassador_zones) == len(internal.coverage.zones) > 1


def test_public_ambassador_rows_keep_no_quasi_identifier(demo_project):
    public = prepare(demo_project, "public", with_coverage=False).project.layer("ambassadors").data
    assert (public.address == "").all() and (public.languages == "").all() and (public.start_date == "").all()
    assert set(public.status) <= {"actif", "en formation", "inactif"}  # what the map needs stays
