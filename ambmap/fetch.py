"""Official downloads: build a project from the official sources, download one of its layers again.

This is where ``sources`` (remote data) and ``layers`` (validation) meet. Every function works on new
objects and only hands them back (or swaps a project's layer at the very end), so a failure or a
cancellation leaves the project as it was. A user's own files are imported by :mod:`ambmap.imports`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ambmap.config import Settings
from ambmap.crs import WGS84, metric_crs
from ambmap.errors import AmbmapError, SourceError
from ambmap.layers import PARKS, QPV, RAILWAYS, RESOURCES, STREETS, TERRITORY, WATER, Layer
from ambmap.layers.streets import WATERWAY_WIDTH_M, is_walkable, street_class
from ambmap.project import Project
from ambmap.sources import communes, overpass, qpv
from ambmap.sources.health import fetch_health_resources
from ambmap.sources.http import HttpClient, Progress, provenance


def _client(settings: Settings, progress: Progress) -> HttpClient:
    return HttpClient(settings, on_notice=(lambda m: progress(0, 0, m)) if progress else None)


def _step(progress: Progress, done: int, total: int, message: str) -> None:
    if progress:
        progress(done, total, message)


# -- official sources ---------------------------------------------------------------------------------
def build_project(
    settings: Settings,
    *,
    commune: str | None = None,
    epci: str | None = None,
    progress: Progress = None,
    client: HttpClient | None = None,
) -> Project:
    """A new project for a commune (INSEE code) or an EPCI (SIREN) from the official sources.

    Territory and QPVs are required; health resources are added when at least one of OSM and FINESS
    answers (a notice says when one is missing). Pôles and ambassadors start empty: import them.

    Parameters
    ----------
    settings
        The user's settings (service addresses, cache, limits, offline mode).
    commune
        INSEE code of a commune; exactly one of ``commune`` and ``epci``.
    epci
        SIREN of an EPCI (all its member communes).
    progress
        Called with (step, steps, French message).
    client
        The HTTP client (tests give one pointing at a local server).

    Returns
    -------
    Project
        A new, unsaved project.

    Raises
    ------
    SourceError
        A required source (territory, QPV) did not answer and nothing is cached.
    """
    client = client or _client(settings, progress)
    _step(progress, 0, 3, "Contour du territoire…")
    outlines, territory, fetched = communes.territory_outlines(settings, commune=commune, epci=epci, client=client)
    territory_layer = Layer(TERRITORY, outlines, provenance=_territory_provenance(fetched))
    _step(progress, 1, 3, f"Quartiers prioritaires de {territory['name']}…")
    qpv_data, qpv_prov = qpv.fetch_qpv(settings, outlines, client, progress)
    qpv_layer = Layer(QPV, qpv_data, provenance=qpv_prov)
    _step(progress, 2, 3, "Ressources de santé (OpenStreetMap, FINESS)…")
    layers = [territory_layer, qpv_layer]
    try:
        layers.append(_resources_layer(settings, outlines, client, progress))
    except SourceError as e:
        client.notice(
            f"Les ressources de santé n'ont pas pu être chargées : {e.message} "
            "Relancez plus tard « ambmap fetch resources »."
        )
    _step(progress, 3, 3, f"Projet {territory['name']} prêt.")
    options = {"coverage_radius_m": settings.coverage_radius_m, "pole_radius_m": settings.pole_radius_m}
    return Project(territory, layers, options)


def _territory_provenance(fetched) -> dict:
    return provenance(fetched, "IGN / INSEE (geo.api.gouv.fr)", communes.LICENCE, "Contours : IGN, INSEE")


def _resources_layer(
    settings: Settings,
    outlines: gpd.GeoDataFrame,
    client: HttpClient,
    progress: Progress,
    keep: gpd.GeoDataFrame | None = None,
) -> Layer:
    data, prov = fetch_health_resources(settings, outlines, client, progress)
    data = data.assign(geocode_score=np.nan, a_verifier=False)
    if keep is not None and len(keep):
        data = pd.concat([keep[~keep["resource_id"].isin(data["resource_id"])], data], ignore_index=True)
        data = gpd.GeoDataFrame(data, geometry="geometry", crs=WGS84)
    return Layer(RESOURCES, data, provenance=prov)


def _territory_code(project: Project) -> dict[str, str]:
    """``{"commune": code}`` or ``{"epci": siren}`` for :func:`communes.territory_outlines`."""
    kind, code = project.territory.get("kind"), project.territory.get("code")
    if not code:
        raise AmbmapError("Le projet n'a pas de territoire : créez-le avec « ambmap new --commune CODE ».")
    return {"epci" if kind == "epci" else "commune": code}


def _project_outlines(project: Project, settings: Settings, client: HttpClient) -> gpd.GeoDataFrame:
    """The project's territory outlines, downloaded when the project has none yet."""
    layer = project.layers.get("territory")
    if layer is not None and len(layer):
        return layer.data
    return communes.territory_outlines(settings, client=client, **_territory_code(project))[0]


_OFFICIAL = ["OpenStreetMap", "FINESS", "Démonstration"]
#: (what was looked for, how the existing rows are counted) for :func:`_refuse_empty`.
_EMPTY = {
    "territory": ("aucun contour de commune trouvé", "commune(s)"),
    "qpv": ("aucun QPV trouvé", "QPV"),
    "resources": ("aucune ressource de santé trouvée (OpenStreetMap, FINESS)", "ressource(s)"),
    "streets": ("aucune rue trouvée (OpenStreetMap)", "rue(s)"),
}


def fetch_layer(
    project: Project, what: str, settings: Settings, *, progress: Progress = None, client: HttpClient | None = None
) -> Layer:
    """A new layer for ``what`` (« territory », « qpv » or « resources ») from the official sources.

    The project is not touched (the window swaps the layer through its undo stack). Resources the
    user added by hand or imported (other sources than OSM/FINESS/demo) are carried over. A source
    that finds nothing where the project has data is refused (:func:`_refuse_empty`).
    """
    client = client or _client(settings, progress)
    if what == "territory":
        outlines, _, fetched = communes.territory_outlines(settings, client=client, **_territory_code(project))
        _refuse_empty(project, what, len(outlines), len(project.layers.get(what) or ()))
        return Layer(TERRITORY, outlines, provenance=_territory_provenance(fetched))
    if what == "qpv":
        data, prov = qpv.fetch_qpv(settings, _project_outlines(project, settings, client), client, progress)
        _refuse_empty(project, what, len(data), len(project.layers.get(what) or ()))
        return Layer(QPV, data, provenance=prov)
    if what == "resources":
        current = project.layer("resources").data
        official = current["source"].isin(_OFFICIAL)
        layer = _resources_layer(
            settings, _project_outlines(project, settings, client), client, progress, keep=current[~official]
        )
        _refuse_empty(project, what, int(layer.data["source"].isin(_OFFICIAL).sum()), int(official.sum()))
        return layer
    raise AmbmapError(f"« {what} » : choisissez territory, qpv ou resources.")


def _refuse_empty(project: Project, what: str, found: int, existing: int) -> None:
    """A source answering « nothing here » for a territory that had data is broken or mismatched (a
    moved file, a wrong mirror, a filter gone wrong): never let it empty a layer silently."""
    if found == 0 and existing > 0:
        nothing, unit = _EMPTY[what]
        raise SourceError(
            f"{nothing} pour {project.name or 'le territoire'} ; la couche existante "
            f"({existing} {unit}) est conservée. Vérifiez l'adresse de la source dans les réglages, "
            "ou réessayez plus tard."
        )


def refresh(
    project: Project, what: str, settings: Settings, *, progress: Progress = None, client: HttpClient | None = None
) -> Layer:
    """:func:`fetch_layer` (« streets »: :func:`fetch_basemap`, four layers), then swap the new layers into
    the project (only once they are all complete); returns the (main) new layer."""
    if what == "streets":
        layers = fetch_basemap(project, settings, progress=progress, client=client)
    else:
        layers = [fetch_layer(project, what, settings, progress=progress, client=client)]
    for layer in layers:
        project.set_layer(layer)
    return layers[0]


# -- the basemap (streets, water, railways, parks) --------------------------------------------------------
BASEMAP_MARGIN_M = 1_000.0  # around the territory: the streets just across its edge frame every map


def basemap_bounds(outlines: gpd.GeoDataFrame, margin_m: float = BASEMAP_MARGIN_M) -> tuple[float, float, float, float]:
    """The (west, south, east, north) box in degrees of the territory plus ``margin_m``."""
    metric = outlines.to_crs(metric_crs(outlines))
    west, south, east, north = (float(v) for v in metric.buffer(margin_m).to_crs(WGS84).total_bounds)
    return west, south, east, north


def fetch_basemap(
    project: Project, settings: Settings, *, progress: Progress = None, client: HttpClient | None = None
) -> list[Layer]:
    """New streets, water, railways and parks layers for the project's territory plus a margin, from
    OpenStreetMap (one Overpass request). The project is not touched; an empty answer where the project
    has streets is refused (:func:`_refuse_empty`)."""
    client = client or _client(settings, progress)
    outlines = _project_outlines(project, settings, client)
    _step(progress, 0, 2, "Rues, eau, voies ferrées et parcs (OpenStreetMap)…")
    themes, prov = overpass.fetch_osm_basemap(settings, basemap_bounds(outlines), client, progress)
    _refuse_empty(project, "streets", len(themes["streets"]), len(project.layers.get("streets") or ()))
    _step(progress, 1, 2, "Mise en forme des rues…")
    layers = basemap_layers(themes, prov)
    _step(progress, 2, 2, f"{len(layers[0])} rues enregistrées.")
    return layers


def basemap_layers(themes: dict[str, gpd.GeoDataFrame], prov: dict) -> list[Layer]:
    """The four basemap layers from :func:`ambmap.sources.overpass.basemap_elements` themes: streets
    classified and flagged walkable by the OSM rules of :mod:`ambmap.layers.streets`, river and canal
    lines buffered to their typical width and merged into the water areas."""
    streets = themes["streets"]
    tags = streets["tags"].tolist()
    classes = [street_class(t.get("highway")) or "desserte" for t in tags]
    street_data = gpd.GeoDataFrame(
        {
            "street_id": streets["osm_id"],
            "name": streets["name"],
            "street_class": classes,
            "walkable": [is_walkable(t) for t in tags],
        },
        geometry=streets.geometry.values,
        crs=WGS84,
    )
    water = themes["water"]
    lines = themes["water_lines"]
    if len(lines):
        metric = metric_crs(lines)
        widths = np.array([WATERWAY_WIDTH_M.get(t.get("waterway"), 10.0) for t in lines["tags"]])
        bands = lines.to_crs(metric).buffer(widths / 2, cap_style="flat").to_crs(WGS84)
        water = pd.concat([water, lines.set_geometry(bands.values)], ignore_index=True)
    water = water[water.geometry.notna() & ~water.geometry.is_empty]
    water_data = gpd.GeoDataFrame(
        {"water_id": water["osm_id"], "name": water["name"]}, geometry=water.geometry.values, crs=WGS84
    )
    parks, rails = themes["parks"], themes["railways"]
    park_data = gpd.GeoDataFrame(
        {"park_id": parks["osm_id"], "name": parks["name"]}, geometry=parks.geometry.values, crs=WGS84
    )
    rail_data = gpd.GeoDataFrame(
        {"rail_id": rails["osm_id"], "name": rails["name"]}, geometry=rails.geometry.values, crs=WGS84
    )
    return [
        Layer(STREETS, street_data, provenance=prov),
        Layer(WATER, water_data, provenance=prov),
        Layer(RAILWAYS, rail_data, provenance=prov),
        Layer(PARKS, park_data, provenance=prov),
    ]
