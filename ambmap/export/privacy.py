"""Privacy levels of exports: what may leave the service.

Ambassadors are volunteers; their names and home addresses are personal data (RGPD). Every export has
a *public* level (the default), built from :func:`public_copy`, and an *internal* level that keeps
everything but carries :data:`INTERNAL_MARK` visibly and in the file's metadata.

At the public level every figure is computed from the public copy (homes moved to the centre of their
INSEE 200 m square), then :func:`public_coverage` applies statistical confidentiality (*secret
statistique*) and rounds the figures to the precision they are read at.
"""

from __future__ import annotations

import copy as copy_module
import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ambmap.crs import grid_crs
from ambmap.errors import AmbmapError
from ambmap.project import Project

PUBLIC, INTERNAL = "public", "interne"
LEVELS = (PUBLIC, INTERNAL)
INTERNAL_MARK = "Document interne — données personnelles"
PUBLIC_MARK = "Document public — sans données personnelles"
#: Side of INSEE's squares (carreaux Filosofi); their CRS is :func:`ambmap.crs.grid_crs`.
GRID_SIZE_M = 200.0
#: Secret statistique: a figure resting on fewer ambassadors than this is not published.
SECRET_MIN = 3
WITHHELD = "< 3"
#: What a public document says instead of the name of a file the city imported.
CITY_FILE = "fichier de la ville"
_IMPORTED = re.compile(r"^Fichier importé\b.*", re.DOTALL)
#: Columns of the per-QPV table that rest on the ambassadors (withheld under the secret statistique).
AMBASSADOR_FIGURES = (
    "covered_area_ha",
    "covered_area_share",
    "covered_population",
    "covered_share",
    "covered_share_circle",
    "covered_share_walk",
    "uncovered_population",
)


def check_level(level: str) -> str:
    """The level, or a French error naming the allowed values."""
    if level not in LEVELS:
        raise AmbmapError(f"Niveau de diffusion « {level} » inconnu : choisissez « public » ou « interne ».")
    return level


def level_mark(level: str) -> str:
    """The sentence shown on, and recorded in, an export of ``level``."""
    return INTERNAL_MARK if check_level(level) == INTERNAL else PUBLIC_MARK


def snap_to_grid(points):
    """Move points (GeoSeries, any CRS) to the centre of their INSEE 200 m square (ETRS89-LAEA in mainland
    France, the local projection overseas); same CRS back."""
    grid = grid_crs(points)
    xy = shapely.get_coordinates(points.to_crs(grid).to_numpy())
    centres = np.floor(xy / GRID_SIZE_M) * GRID_SIZE_M + GRID_SIZE_M / 2
    return gpd.GeoSeries(shapely.points(centres), crs=grid, index=points.index).to_crs(points.crs)


def public_provenance(provenance: dict) -> dict:
    """A layer's provenance without the name of an imported file (nor the earlier imports it kept)."""
    out = {key: value for key, value in provenance.items() if key != "previous"}
    for key in ("source", "attribution"):
        if isinstance(out.get(key), str) and _IMPORTED.match(out[key]):
            out[key] = CITY_FILE
    return out


def public_copy(project: Project, keep: tuple[str, ...] = ()) -> Project:
    """A copy of ``project`` safe to publish: no ambassador name, address or exact point.

    Private fields become the row's pseudonymous identifier when required, empty otherwise (except
    the ``keep`` ones, for a copy that is only counted, never written), and the points of any layer with private fields move to the centre of their 200 m
    square. Imported file names leave the provenance, saved views and slides the options. The original
    project is left untouched.
    """
    layers = []
    for layer in project.ordered_layers():
        copy = layer.copy()
        copy.provenance = public_provenance(copy.provenance)
        private = [name for name in copy.schema.private_fields if name not in keep]
        if copy.schema.private_fields and len(copy):
            data = copy.data.copy()
            id_field = copy.schema.id_field
            for name in private:
                field = copy.schema.field(name)
                data[name] = data[id_field] if field.required else np.nan if field.kind in ("int", "float") else ""
            data = data.set_geometry(snap_to_grid(data.geometry))
            copy.data = data
        layers.append(copy)
    # saved views and slides are often centred on a home: no writer needs them
    options = {key: value for key, value in project.options.items() if key not in ("views", "slides")}
    return Project(project.territory, layers, copy_module.deepcopy(options))


def _withheld_count(counts: pd.Series) -> pd.Series:
    """Counts of 1 or 2 ambassadors as « < 3 »; 0 and 3 or more as they are."""
    small = (counts > 0) & (counts < SECRET_MIN)
    return counts.astype(object).where(~small, WITHHELD)


def confidential(per_qpv: pd.DataFrame) -> pd.Series:
    """QPVs where 1 or 2 ambassadors live or reach: their ambassador figures are withheld."""
    flags = pd.Series(False, index=per_qpv.index)
    for column in ("ambassadors_living", "ambassadors_covering"):
        flags |= (per_qpv[column] > 0) & (per_qpv[column] < SECRET_MIN)
    return flags


def public_table(per_qpv: pd.DataFrame) -> pd.DataFrame:
    """The per-QPV table as a public document prints it: secret statistique, then rounding.

    Where 1 or 2 ambassadors live in or reach a QPV, their count reads « < 3 », the covered shares,
    areas and populations are withheld (the coverage class ``status`` alone remains). Languages are never
    published per QPV: two QPV whose reaching ambassadors differ by one person, or one QPV at two radii,
    give that person's languages by difference, whatever the threshold. Inhabitants are rounded to the ten, shares to the percent, areas to the hectare.
    """
    table = per_qpv.copy()
    secret = confidential(per_qpv)
    rounding = {
        "area_ha": 0,
        "covered_area_ha": 0,
        "covered_area_share": 2,
        "covered_share": 2,
        "covered_share_circle": 2,
        "covered_share_walk": 2,
        "covered_population": -1,
        "uncovered_population": -1,
        "resources_per_1000": 1,
    }
    for column, decimals in rounding.items():
        if column in table:
            table[column] = table[column].astype(float).round(decimals)
    for column in AMBASSADOR_FIGURES:
        if column in table:
            table[column] = table[column].where(~secret, np.nan)
    if "languages" in table:  # never per QPV: exports at two radii isolate one person's languages by difference
        table["languages"] = ""
    for column in ("ambassadors_living", "ambassadors_covering"):
        table[column] = _withheld_count(per_qpv[column])
    return table


def public_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """Territory totals rounded like the table (inhabitants to the ten, shares to the percent)."""
    out = dict(summary)
    for key, decimals in (
        ("population", -1),
        ("covered_population", -1),
        ("covered_share", 2),
        ("covered_area_share", 2),
    ):
        if out.get(key) is not None:
            out[key] = round(float(out[key]), decimals)
    if 0 < out.get("ambassadors_counted", 0) < SECRET_MIN:
        out["ambassadors_counted"] = WITHHELD
    return out


@dataclass(frozen=True)
class PublicCoverage:
    """A coverage computed on the public copy, as a public document shows it.

    ``zones`` is the one dissolved covered area (no disc per ambassador), ``per_qpv`` and ``summary``
    pass :func:`public_table` and :func:`public_summary`, and the gaps carry rounded (or withheld)
    uncovered populations.
    """

    per_qpv: pd.DataFrame
    summary: dict
    population_method: str
    params: Any
    covered_area: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    pole_zones: gpd.GeoDataFrame
    resources_inside_by_category: pd.DataFrame
    resources_500m_by_category: pd.DataFrame


def public_coverage(coverage) -> PublicCoverage | None:
    """``coverage`` (computed on the public copy) as a public document shows it; None stays None."""
    if coverage is None:
        return None
    table = public_table(coverage.per_qpv)
    gaps = coverage.gaps.copy()
    gaps["uncovered_population"] = table["uncovered_population"].reindex(gaps["code_qp"]).to_numpy()
    return PublicCoverage(
        per_qpv=table,
        summary=public_summary(coverage.summary),
        population_method=coverage.population_method,
        params=coverage.params,
        covered_area=coverage.covered_area,
        zones=coverage.covered_area.assign(amb_id="zone couverte")[["amb_id", "geometry"]],
        gaps=gaps,
        pole_zones=coverage.pole_zones,
        resources_inside_by_category=coverage.resources_inside_by_category,
        resources_500m_by_category=coverage.resources_500m_by_category,
    )


@dataclass(frozen=True)
class PublicRecommendation:
    """Recommended sites (computed on the public copy) moved to their 200 m square centre, named after
    their QPV (a candidate may be the home of an ambassador in training), gains to the ten."""

    sites: gpd.GeoDataFrame
    optimal: bool
    question: str
    unit: str
    #: the zone each site would add, and each QPV's share before → after (filled by export.common.prepare)
    zones: gpd.GeoDataFrame | None = None
    per_qpv: pd.DataFrame | None = None


def public_recommendation(recommendation) -> PublicRecommendation | None:
    """``recommendation`` (computed on the public copy) as a public document shows it; None stays None."""
    if recommendation is None:
        return None
    sites = recommendation.sites.copy()
    sites["label"] = [
        f"{nom or 'hors QPV'}, site n° {rank}" for nom, rank in zip(sites["nom_qp"], sites["rank"], strict=True)
    ]
    unit = getattr(recommendation, "unit", "")
    sites["gain"] = sites["gain"].astype(float).round(-1 if unit == "habitants" else 0)
    sites = sites.set_geometry(snap_to_grid(sites.geometry))
    return PublicRecommendation(sites, bool(recommendation.optimal), getattr(recommendation, "question", ""), unit)


def public_history(history):
    """The coverage year by year (computed on a copy with the homes in their squares) as a public
    document shows it; None stays None.

    Per QPV and period, the counts of 1 or 2 ambassadors (covering, living, recruited, departed) read
    « < 3 » and, where 1 or 2 ambassadors live in or reach the QPV, the covered population and share are
    withheld. The territory row keeps its figures, except its covered population and share when exactly
    one QPV of the period is withheld (they would give it by subtraction) and its residents' count when
    any is (it is their sum). Inhabitants are rounded to the ten, shares to the percent.
    """
    if history is None:
        return None
    table = history.table.copy()
    qpv = table["code_qp"] != ""
    secret = qpv & confidential(table)
    for column, decimals in (("population", -1), ("covered_population", -1), ("covered_share", 2)):
        table[column] = table[column].astype(float).round(decimals)
    alone = secret.groupby(table["period"]).transform("sum") == 1
    for column in ("covered_population", "covered_share"):
        table[column] = table[column].where(~(secret | (~qpv & alone)), np.nan)
    living_withheld = qpv & (table["ambassadors_living"] > 0) & (table["ambassadors_living"] < SECRET_MIN)
    any_living = living_withheld.groupby(table["period"]).transform("any")
    for column in ("ambassadors_covering", "ambassadors_living", "recruited", "departed"):
        table[column] = _withheld_count(table[column])
    table["ambassadors_living"] = table["ambassadors_living"].where(~(~qpv & any_living), None)
    return dataclasses.replace(history, table=table)
