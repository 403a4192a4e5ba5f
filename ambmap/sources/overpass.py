"""Health resources from OpenStreetMap through the Overpass API, mapped to ambmap's categories.

One query per territory (its bounding box), then a local cut to the exact outline: this works the
same for a commune and for an intercommunality of eighty communes.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from ambmap.config import Settings
from ambmap.sources.http import HttpClient, Progress, provenance

SERVICE = "Overpass (OpenStreetMap)"
SOURCE = "OpenStreetMap (API Overpass)"
LICENCE = "ODbL 1.0 (OpenStreetMap)"
ATTRIBUTION = "© les contributeurs d'OpenStreetMap"

QUERY_TIMEOUT_S = 120  # the server's own limit, in the query; the client waits a little longer
_QUERY = """[out:json][timeout:{timeout}][bbox:{s:.5f},{w:.5f},{n:.5f},{e:.5f}];
(
  nwr["amenity"~"^(doctors|pharmacy|hospital|clinic|dentist)$"];
  nwr["healthcare"];
  nwr["office"="government"]["name"~"CPAM|CCAS|Assurance Maladie|CAF",i];
  nwr["amenity"="social_facility"]["name"~"CCAS|PMI",i];
);
out center tags;"""

_NAME_RULES = (  # (regex on the name, category), checked before tags: names are more specific
    (r"\bCMPP?\b|m[ée]dico[- ]psycho|sant[ée] mentale|psychiatr", "santé mentale (CMP)"),
    (r"\bPMI\b|protection maternelle", "PMI"),
    (r"CeGIDD|planning familial|planification familiale|sant[ée] sexuelle", "santé sexuelle (CeGIDD, planning familial)"),
    (r"\bCPAM\b|\bCCAS\b|assurance maladie|\bCAF\b|point d'acc[èe]s aux droits", "accès aux droits (CPAM, CCAS)"),
    (r"centre de sant[ée]|maison de sant[ée]|\bMSP\b", "centre de santé"),
)


def build_query(bounds: tuple[float, float, float, float]) -> str:
    """The Overpass QL query for a (west, south, east, north) box."""
    w, s, e, n = bounds
    return _QUERY.format(s=s, w=w, n=n, e=e, timeout=QUERY_TIMEOUT_S)


def category_for(tags: dict) -> str:
    """Map OSM tags to one of :data:`ambmap.layers.CATEGORIES`."""
    name = tags.get("name", "")
    for pattern, category in _NAME_RULES:
        if re.search(pattern, name, re.IGNORECASE):
            return category
    amenity, healthcare = tags.get("amenity", ""), tags.get("healthcare", "")
    speciality = tags.get("healthcare:speciality", "")
    if "pharmacy" in (amenity, healthcare):
        return "pharmacie"
    if "dentist" in (amenity, healthcare):
        return "dentiste"
    if "hospital" in (amenity, healthcare) or amenity == "clinic" or healthcare == "clinic":
        return "hôpital/clinique"
    if healthcare in ("laboratory", "sample_collection", "blood_donation"):
        return "laboratoire"
    if healthcare in ("psychotherapist",) or "psychiatry" in speciality:
        return "santé mentale (CMP)"
    if healthcare == "centre":
        return "centre de santé"
    if "doctor" in (amenity, healthcare) or amenity == "doctors":
        return "médecin généraliste" if speciality in ("", "general", "general;emergency") else "autre"
    if tags.get("office") == "government":
        return "accès aux droits (CPAM, CCAS)"
    return "autre"


def _address(tags: dict) -> str:
    street = " ".join(t for t in (tags.get("addr:housenumber", ""), tags.get("addr:street", "")) if t)
    town = " ".join(t for t in (tags.get("addr:postcode", ""), tags.get("addr:city", "")) if t)
    return ", ".join(t for t in (street, town) if t)


def parse_elements(body: bytes) -> list[dict]:
    """Overpass JSON ``elements``; raises ValueError when the answer is not a complete result."""
    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, dict) or "elements" not in data:
        raise ValueError("réponse Overpass sans « elements »")
    remark = data.get("remark", "")
    if "runtime error" in remark.lower():
        raise ValueError(f"requête Overpass interrompue ({remark})")
    return data["elements"]


def elements_to_frame(elements: list[dict]) -> gpd.GeoDataFrame:
    """Resources layer rows (resource_id, name, category, address, source) from Overpass elements."""
    rows = []
    for el in elements:
        if el.get("type") == "node":
            lat, lon = el.get("lat"), el.get("lon")
        else:
            center = el.get("center") or {}
            lat, lon = center.get("lat"), center.get("lon")
        if lat is None or lon is None:
            continue
        tags = el.get("tags") or {}
        category = category_for(tags)
        rows.append({"resource_id": f"osm-{el['type'][0]}{el['id']}",
                     "name": tags.get("name") or tags.get("operator") or f"{category} (sans nom)",
                     "category": category, "address": _address(tags), "source": "OpenStreetMap",
                     "geometry": Point(float(lon), float(lat))})
    columns = ["resource_id", "name", "category", "address", "source", "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry", crs="EPSG:4326")


def fetch_osm_resources(settings: Settings, territory: gpd.GeoDataFrame, client: HttpClient | None = None,
                        progress: Progress = None) -> tuple[gpd.GeoDataFrame, dict]:
    """Health resources inside the territory's outline, and their provenance."""
    client = client or HttpClient(settings)
    query = build_query(tuple(territory.total_bounds))
    fetched = client.fetch(settings.overpass_url, service=SERVICE, method="POST", data={"data": query},
                           parse=parse_elements, max_age_days=30, progress=progress,
                           read_timeout=max(settings.read_timeout, QUERY_TIMEOUT_S + 30))
    frame = elements_to_frame(fetched.value)
    inside = frame.within(territory.union_all()) if len(frame) else pd.Series([], dtype=bool)
    frame = frame[inside.to_numpy()].drop_duplicates("resource_id").reset_index(drop=True)
    return frame, provenance(fetched, SOURCE, LICENCE, ATTRIBUTION)
