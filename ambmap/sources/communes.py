"""Commune and intercommunality (EPCI) outlines and names from geo.api.gouv.fr (IGN/INSEE data)."""

from __future__ import annotations

import json
import re

import geopandas as gpd

from ambmap.config import Settings
from ambmap.crs import WGS84
from ambmap.errors import SourceError, UsageError
from ambmap.geometry import polygonal
from ambmap.sources.http import Fetched, HttpClient

SERVICE = "geo.api.gouv.fr (communes)"
LICENCE = "Licence Ouverte 2.0 (IGN, INSEE via geo.api.gouv.fr)"
_INSEE = re.compile(r"^(\d[\dAB]\d{3})$")
_SIREN = re.compile(r"^\d{9}$")
_POSTCODE = re.compile(r"^\d{5}$")
_FIELDS = "code,nom,population"


def _json(body: bytes):
    return json.loads(body.decode("utf-8"))


def _feature_collection(body: bytes) -> dict:
    data = _json(body)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValueError("FeatureCollection GeoJSON attendue")
    return data


def search_territories(text: str, settings: Settings, client: HttpClient | None = None) -> list[dict]:
    """Communes and EPCIs matching a name, an INSEE code, a postcode or a SIREN.

    Returns dicts ``kind`` ("commune"/"epci"), ``code``, ``nom``, ``population``, communes first
    (largest first), so a search box can offer them as they are.
    """
    client = client or HttpClient(settings)
    text = (text or "").strip()
    if not text:
        return []
    base = settings.geo_api_url.rstrip("/")
    found: list[dict] = []
    if _SIREN.match(text):
        epci = client.fetch(f"{base}/epcis/{text}", service=SERVICE, parse=_json, params={"fields": _FIELDS}).value
        return [_entry("epci", epci)] if isinstance(epci, dict) and epci.get("code") else []
    if _INSEE.match(text.upper()) and not _POSTCODE.match(text):
        params = {"code": text.upper(), "fields": _FIELDS}
    elif _POSTCODE.match(text):
        by_code = client.fetch(
            f"{base}/communes", service=SERVICE, parse=_json, params={"code": text, "fields": _FIELDS}
        ).value
        by_postcode = client.fetch(
            f"{base}/communes", service=SERVICE, parse=_json, params={"codePostal": text, "fields": _FIELDS}
        ).value
        seen = set()
        for item in list(by_code or []) + list(by_postcode or []):
            if item.get("code") not in seen:
                seen.add(item.get("code"))
                found.append(_entry("commune", item))
        return found
    else:
        params = {"nom": text, "fields": _FIELDS, "boost": "population", "limit": "10"}
        epcis = client.fetch(
            f"{base}/epcis", service=SERVICE, parse=_json, params={"nom": text, "fields": _FIELDS, "limit": "5"}
        ).value
        found.extend(_entry("epci", e) for e in epcis or [])
    communes = client.fetch(f"{base}/communes", service=SERVICE, parse=_json, params=params).value
    return [_entry("commune", c) for c in communes or []] + found


def _entry(kind: str, item: dict) -> dict:
    return {
        "kind": kind,
        "code": str(item.get("code", "")),
        "nom": item.get("nom", ""),
        "population": item.get("population"),
    }


def territory_outlines(
    settings: Settings, *, commune: str | None = None, epci: str | None = None, client: HttpClient | None = None
) -> tuple[gpd.GeoDataFrame, dict, Fetched]:
    """Outline(s) of one commune or of every member commune of an EPCI.

    Returns the GeoDataFrame (``code``, ``nom``, ``population``, EPSG:4326), the territory description
    (``kind``, ``code``, ``name``) and the fetch record for provenance.
    """
    if bool(commune) == bool(epci):
        raise UsageError("Indiquez soit un code commune INSEE (5 caractères), soit un SIREN d'EPCI (9 chiffres).")
    client = client or HttpClient(settings)
    base = settings.geo_api_url.rstrip("/")
    params = {"format": "geojson", "geometry": "contour", "fields": _FIELDS}
    if commune:
        code = commune.strip().upper()
        if not _INSEE.match(code):
            raise UsageError(
                f"« {commune} » n'est pas un code commune INSEE (5 caractères, par exemple 59350 "
                "pour Lille ; ce n'est pas le code postal)."
            )
        fetched = client.fetch(
            f"{base}/communes", service=SERVICE, parse=_feature_collection, params={"code": code, **params}
        )
        territory = {"kind": "commune", "code": code}
    else:
        code = (epci or "").strip()
        if not _SIREN.match(code):
            raise UsageError(
                f"« {epci} » n'est pas un SIREN d'intercommunalité (9 chiffres, par exemple "
                "200093201 pour la Métropole Européenne de Lille)."
            )
        fetched = client.fetch(
            f"{base}/epcis/{code}/communes", service=SERVICE, parse=_feature_collection, params=params
        )
        territory = {"kind": "epci", "code": code}
    features = fetched.value.get("features") or []
    if not features:
        raise SourceError(
            f"Aucune commune trouvée pour le code {code} : vérifiez le code "
            "(code INSEE de la commune ou SIREN de l'intercommunalité)."
        )
    gdf = gpd.GeoDataFrame.from_features(features, crs=WGS84)
    for column in ("code", "nom", "population"):
        if column not in gdf:
            gdf[column] = None
    gdf = gdf[["code", "nom", "population", "geometry"]].set_geometry(polygonal(gdf.geometry))  # before any overlay
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if commune:
        territory["name"] = str(gdf["nom"].iloc[0])
    else:
        info = client.fetch(f"{base}/epcis/{code}", service=SERVICE, parse=_json, params={"fields": _FIELDS}).value
        territory["name"] = (info or {}).get("nom") or f"EPCI {code}"
    return gdf, territory, fetched
