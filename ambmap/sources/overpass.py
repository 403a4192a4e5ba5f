"""Health resources from OpenStreetMap through the Overpass API, mapped to ambmap's categories.

One query per territory (its bounding box), then a local cut to the exact outline: this works the
same for a commune and for an intercommunality of eighty communes.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon

from ambmap.config import Settings
from ambmap.crs import WGS84
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
    (
        r"CeGIDD|planning familial|planification familiale|sant[ée] sexuelle",
        "santé sexuelle (CeGIDD, planning familial)",
    ),
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
        rows.append(
            {
                "resource_id": f"osm-{el['type'][0]}{el['id']}",
                "name": tags.get("name") or tags.get("operator") or f"{category} (sans nom)",
                "category": category,
                "address": _address(tags),
                "source": "OpenStreetMap",
                "geometry": Point(float(lon), float(lat)),
            }
        )
    columns = ["resource_id", "name", "category", "address", "source", "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry", crs=WGS84)


def fetch_osm_resources(
    settings: Settings, territory: gpd.GeoDataFrame, client: HttpClient | None = None, progress: Progress = None
) -> tuple[gpd.GeoDataFrame, dict]:
    """Health resources inside the territory's outline, and their provenance."""
    client = client or HttpClient(settings)
    query = build_query(tuple(territory.total_bounds))
    fetched = client.fetch(
        settings.overpass_url,
        service=SERVICE,
        method="POST",
        data={"data": query},
        parse=parse_elements,
        max_age_days=30,
        progress=progress,
        read_timeout=max(settings.read_timeout, QUERY_TIMEOUT_S + 30),
    )
    frame = elements_to_frame(fetched.value)
    inside = frame.within(territory.union_all()) if len(frame) else pd.Series([], dtype=bool)
    frame = frame[inside.to_numpy()].drop_duplicates("resource_id").reset_index(drop=True)
    return frame, provenance(fetched, SOURCE, LICENCE, ATTRIBUTION)


# -- the basemap: streets, water, railways, parks ------------------------------------------------------
BASEMAP_SOURCE = "OpenStreetMap (API Overpass) : rues, eau, voies ferrées, parcs"
_BASEMAP_QUERY = """[out:json][timeout:{timeout}][bbox:{s:.5f},{w:.5f},{n:.5f},{e:.5f}];
(
  way["highway"];
  way["waterway"~"^(river|canal)$"];
  nwr["natural"="water"];
  way["railway"="rail"];
  nwr["leisure"="park"];
);
out geom;"""
#: The tags kept with each way: what the streets' class, name and walkability are read from.
_KEPT_TAGS = ("highway", "name", "foot", "access", "waterway", "natural", "railway", "leisure", "area")


def build_basemap_query(bounds: tuple[float, float, float, float]) -> str:
    """The Overpass QL query of the basemap ways for a (west, south, east, north) box (``out geom``:
    coordinates inline, no second request for the nodes)."""
    w, s, e, n = bounds
    return _BASEMAP_QUERY.format(s=s, w=w, n=n, e=e, timeout=QUERY_TIMEOUT_S)


def _way_line(geom: list | None) -> LineString | None:
    coords = [(float(p["lon"]), float(p["lat"])) for p in geom or () if p and "lon" in p and "lat" in p]
    return LineString(coords) if len(coords) >= 2 else None


def _closed_polygon(line: LineString | None) -> Polygon | None:
    if line is None or len(line.coords) < 4 or line.coords[0] != line.coords[-1]:
        return None
    polygon = Polygon(line.coords)
    return polygon if polygon.is_valid else polygon.buffer(0)


def _relation_polygon(el: dict):
    """A multipolygon relation's area: its member ways polygonised (outers minus inners)."""
    outers = [_way_line(m.get("geometry")) for m in el.get("members") or () if m.get("role") != "inner"]
    inners = [_way_line(m.get("geometry")) for m in el.get("members") or () if m.get("role") == "inner"]
    area = (
        shapely.union_all(list(shapely.polygonize([g for g in outers if g is not None]).geoms)) if any(outers) else None
    )
    if area is None or area.is_empty:
        return None
    holes = [g for g in inners if g is not None]
    if holes:
        area = area.difference(shapely.union_all(list(shapely.polygonize(holes).geoms)))
    return area


def basemap_elements(elements: list[dict]) -> dict[str, gpd.GeoDataFrame]:
    """Overpass ``out geom`` elements sorted into the basemap themes, in WGS 84.

    « streets », « railways »: lines; « water_lines »: river and canal centre lines (with ``waterway``);
    « water », « parks »: areas (closed ways and multipolygon relations). Each frame has ``osm_id``,
    ``name``, ``tags`` (the kept tags, a dict) and ``geometry``; classifying is the caller's business.
    """
    rows: dict[str, list] = {t: [] for t in ("streets", "railways", "water_lines", "water", "parks")}
    for el in elements:
        kind = el.get("type")
        tags = {k: str(v) for k, v in (el.get("tags") or {}).items() if k in _KEPT_TAGS}
        if kind == "way":
            line = _way_line(el.get("geometry"))
            if line is None:
                continue
            geometry, area = line, _closed_polygon(line)
        elif kind == "relation":
            geometry = area = _relation_polygon(el)
            if area is None:
                continue
        else:
            continue  # a lone node has no extent
        if tags.get("highway") and kind == "way" and tags.get("area") != "yes":
            theme = "streets"
        elif tags.get("railway") == "rail" and kind == "way":
            theme = "railways"
        elif tags.get("waterway") in ("river", "canal") and kind == "way":
            theme = "water_lines"
        elif tags.get("natural") == "water" and area is not None:
            theme, geometry = "water", area
        elif tags.get("leisure") == "park" and area is not None:
            theme, geometry = "parks", area
        else:
            continue
        rows[theme].append(
            {
                "osm_id": f"osm-{kind[0]}{el.get('id')}",
                "name": tags.get("name") or None,
                "tags": tags,
                "geometry": geometry,
            }
        )
    return {
        theme: gpd.GeoDataFrame(
            pd.DataFrame(r, columns=["osm_id", "name", "tags", "geometry"]), geometry="geometry", crs=WGS84
        )
        for theme, r in rows.items()
    }


def fetch_osm_basemap(
    settings: Settings,
    bounds: tuple[float, float, float, float],
    client: HttpClient | None = None,
    progress: Progress = None,
) -> tuple[dict[str, gpd.GeoDataFrame], dict]:
    """The basemap ways of a (west, south, east, north) box, by theme (:func:`basemap_elements`), and
    their provenance. One request, cached like every download (a city: 10–25k ways, a few MB)."""
    client = client or HttpClient(settings)
    fetched = client.fetch(
        settings.overpass_url,
        service=SERVICE,
        method="POST",
        data={"data": build_basemap_query(bounds)},
        parse=parse_elements,
        max_age_days=90,
        progress=progress,
        read_timeout=max(settings.read_timeout, QUERY_TIMEOUT_S + 30),
    )
    return basemap_elements(fetched.value), provenance(fetched, BASEMAP_SOURCE, LICENCE, ATTRIBUTION)
