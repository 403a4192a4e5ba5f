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
from ambmap.crs import WGS84
from ambmap.errors import AmbmapError, SourceError
from ambmap.layers import QPV, RESOURCES, TERRITORY, Layer
from ambmap.project import Project
from ambmap.sources import communes, qpv
from ambmap.sources.health import fetch_health_resources
from ambmap.sources.http import HttpClient, Progress, provenance


def _client(settings: Settings, progress: Progress) -> HttpClient:
    return HttpClient(settings, on_notice=(lambda m: progress(0, 0, m)) if progress else None)


def _step(progress: Progress, done: int, total: int, message: str) -> None:
    if progress:
        progress(done, total, message)


# -- official sources ---------------------------------------------------------------------------------
def build_project(settings: Settings, *, commune: str | None = None, epci: str | None = None,
                  progress: Progress = None, client: HttpClient | None = None) -> Project:
    """A new project for a commune (INSEE code) or an EPCI (SIREN) from the official sources.

    Territory and QPVs are required; health resources are added when at least one of OSM and FINESS
    answers (a notice says when one is missing). Pôles and ambassadors start empty: import them.
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
        client.notice(f"Les ressources de santé n'ont pas pu être chargées : {e.message} "
                      "Relancez plus tard « ambmap fetch resources ».")
    _step(progress, 3, 3, f"Projet {territory['name']} prêt.")
    options = {"coverage_radius_m": settings.coverage_radius_m, "pole_radius_m": settings.pole_radius_m}
    return Project(territory, layers, options)


def _territory_provenance(fetched) -> dict:
    return provenance(fetched, "IGN / INSEE (geo.api.gouv.fr)", communes.LICENCE, "Contours : IGN, INSEE")


def _resources_layer(settings: Settings, outlines: gpd.GeoDataFrame, client: HttpClient,
                     progress: Progress, keep: gpd.GeoDataFrame | None = None) -> Layer:
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
_EMPTY = {"territory": ("aucun contour de commune trouvé", "commune(s)"), "qpv": ("aucun QPV trouvé", "QPV"),
          "resources": ("aucune ressource de santé trouvée (OpenStreetMap, FINESS)", "ressource(s)")}


def fetch_layer(project: Project, what: str, settings: Settings, *, progress: Progress = None,
                client: HttpClient | None = None) -> Layer:
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
        layer = _resources_layer(settings, _project_outlines(project, settings, client), client, progress,
                                 keep=current[~official])
        _refuse_empty(project, what, int(layer.data["source"].isin(_OFFICIAL).sum()), int(official.sum()))
        return layer
    raise AmbmapError(f"« {what} » : choisissez territory, qpv ou resources.")


def _refuse_empty(project: Project, what: str, found: int, existing: int) -> None:
    """A source answering « nothing here » for a territory that had data is broken or mismatched (a
    moved file, a wrong mirror, a filter gone wrong): never let it empty a layer silently."""
    if found == 0 and existing > 0:
        nothing, unit = _EMPTY[what]
        raise SourceError(f"{nothing} pour {project.name or 'le territoire'} ; la couche existante "
                          f"({existing} {unit}) est conservée. Vérifiez l'adresse de la source dans les réglages, "
                          "ou réessayez plus tard.")


def refresh(project: Project, what: str, settings: Settings, *, progress: Progress = None,
            client: HttpClient | None = None) -> Layer:
    """:func:`fetch_layer`, then swap the new layer into the project (only once it is complete)."""
    layer = fetch_layer(project, what, settings, progress=progress, client=client)
    project.set_layer(layer)
    return layer
