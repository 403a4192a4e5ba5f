"""The contrat de ville quotes one set of figures: public and internal exports share the per-QPV table."""

import pandas as pd

from ambmap.export.common import prepare


def test_public_figures_are_the_exact_ones_and_only_shapes_move(demo_project):
    internal = prepare(demo_project, "interne")
    public = prepare(demo_project, "public")
    pd.testing.assert_frame_equal(public.coverage.per_qpv, internal.coverage.per_qpv)
    assert public.coverage.summary == internal.coverage.summary
    # what is drawn comes from the points moved to their 200 m square, never from the homes
    exact_area = internal.coverage.covered_area.geometry.union_all()
    drawn_area = public.coverage.covered_area.geometry.union_all()
    assert not drawn_area.equals(exact_area)
    assert set(public.project.layer("ambassadors").data.display_name) == \
        set(demo_project.layer("ambassadors").data.amb_id)


def test_public_ambassador_rows_keep_no_quasi_identifier(demo_project):
    public = prepare(demo_project, "public", with_coverage=False).project.layer("ambassadors").data
    assert (public.address == "").all() and (public.languages == "").all() and (public.start_date == "").all()
    assert set(public.status) <= {"actif", "en formation", "inactif"}  # what the map needs stays
