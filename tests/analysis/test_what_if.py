"""« Et si ? » gives the same gain as the recommendation for the same single site."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from ambmap.analysis.coverage import CoverageParams
from ambmap.analysis.recommend import recommend_for_project
from ambmap.analysis.what_if import WhatIf, gain_of_site


def _recommend_gain(project, params, lon, lat) -> tuple[float, str | None]:
    site = gpd.GeoDataFrame({"nom": ["ici"]}, geometry=[Point(lon, lat)], crs="EPSG:4326")
    result = recommend_for_project(project, k=1, params=params, candidates=site, time_limit=20)
    if result.sites.empty:  # the site would add nobody
        return 0.0, None
    return float(result.sites["gain"].iloc[0]), result.sites["code_qp"].iloc[0]


@pytest.mark.parametrize("radius", [400.0])
def test_gain_equals_recommend_gain_on_the_demo(demo_project, radius):
    params = CoverageParams.from_project(demo_project).replace(radius_m=radius)
    qpv = demo_project.layer("qpv").data
    spots = [Point(x, y) for g in qpv.geometry for x, y in g.envelope.exterior.coords[:4]]
    spots += [g.representative_point() for g in qpv.geometry]
    positive = 0
    for spot in spots:
        expected, code = _recommend_gain(demo_project, params, spot.x, spot.y)
        gain = gain_of_site(demo_project, params, spot.x, spot.y)
        assert gain.total == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert gain.per_qpv["gain"].sum() == pytest.approx(gain.total) and gain.unit == "habitants"
        assert gain.zone.contains(spot)
        if expected > 0:
            positive += 1
            if code:  # the site stands in a QPV: that QPV gains
                row = gain.per_qpv.loc[code]
                assert row.share_after > row.share_before
    assert positive >= 3


def test_a_spot_already_covered_adds_nobody(square_project):
    params = CoverageParams.from_project(square_project).replace(radius_m=300.0)
    corner = square_project.layer("ambassadors").data.geometry.iloc[0]  # the active ambassador's home
    what_if = WhatIf(square_project, params)
    assert what_if.gain(corner.x, corner.y).total == 0
    far = what_if.gain(corner.x + 1, corner.y + 1)  # about 100 km away: reaches no QPV
    assert far.total == 0 and far.per_qpv.empty
