"""« Et si ? » : the population one new ambassador at a given spot would add, per QPV.

The same demand (the 100 m pieces of :func:`ambmap.analysis.recommend.demand_points`), the same reach
(:func:`ambmap.analysis.reach.reach_for`) and the same « already covered » mask as the recommendation,
so the figure equals the gain ``recommend`` gives the same single site. :class:`WhatIf` builds the
demand once: asking about another spot (the mouse moving over the map) is then one reach query.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ambmap.analysis.coverage import CoverageParams, active_ambassadors, points_xy, project_layers, qpv_in_metric_crs
from ambmap.analysis.reach import reach_for
from ambmap.analysis.recommend import demand_points
from ambmap.crs import WGS84


@dataclass
class SiteGain:
    """What a site would add: ``total`` (in ``unit``) and ``per_qpv`` (index code_qp; nom_qp, gain,
    share_before, share_after), only the QPVs it reaches; ``zone`` its reach in EPSG:4326."""

    total: float
    unit: str
    per_qpv: pd.DataFrame
    zone: object


class WhatIf:
    """The demand and what the current ambassadors already reach, ready for many spots."""

    def __init__(self, project, params: CoverageParams | None = None):
        self.params = params or CoverageParams.from_project(project)
        self.qpv, self.crs, qgeom = qpv_in_metric_crs(project, "avant de simuler une recrue")
        self.demand, _ = demand_points(project, qgeom, self.crs)
        self.reach = reach_for(self.params, self.crs, project_layers(project))
        amb = active_ambassadors(project, self.params)
        before = self.reach.covered(points_xy(amb, self.crs), self.demand.xy, self.params.ambassador_radii(amb))
        self.weight = np.where(before, 0.0, self.demand.weight)  # what is left to reach
        n = len(qgeom)
        self.total_q = np.bincount(self.demand.qpv, weights=self.demand.weight, minlength=n)
        self.before_q = np.bincount(self.demand.qpv, weights=self.demand.weight * before, minlength=n)

    def gain(self, lon: float, lat: float) -> SiteGain:
        site = points_xy(gpd.GeoDataFrame(geometry=[shapely.Point(lon, lat)], crs=WGS84), self.crs)
        reached = (
            np.asarray(self.reach.reach_matrix(site, self.demand.xy, self.params.radius_m).sum(axis=1)).ravel() > 0
        )
        gain_q = np.bincount(self.demand.qpv, weights=self.weight * reached, minlength=len(self.total_q))
        touched = np.flatnonzero(np.bincount(self.demand.qpv[reached], minlength=len(self.total_q)) > 0)
        share = np.divide(1.0, self.total_q, out=np.full(len(self.total_q), np.nan), where=self.total_q > 0)
        per_qpv = pd.DataFrame(
            {
                "nom_qp": self.qpv["nom_qp"].to_numpy(dtype=object)[touched],
                "gain": gain_q[touched],
                "share_before": (self.before_q * share)[touched],
                "share_after": ((self.before_q + gain_q) * share)[touched],
            },
            index=pd.Index(self.qpv["code_qp"].to_numpy(dtype=object)[touched], name="code_qp"),
        )
        per_qpv = per_qpv.sort_values("gain", ascending=False, kind="stable")
        zone = gpd.GeoSeries(self.reach.zones(site, self.params.radius_m), crs=self.crs).to_crs(WGS84).iloc[0]
        return SiteGain(float(gain_q.sum()), self.demand.unit, per_qpv, zone)


def gain_of_site(project, params: CoverageParams | None, lon: float, lat: float) -> SiteGain:
    """What one new ambassador at (lon, lat) would add, per QPV and in total (see :class:`WhatIf`)."""
    return WhatIf(project, params).gain(lon, lat)


__all__ = ["SiteGain", "WhatIf", "gain_of_site"]
