"""Health resources of a territory from OpenStreetMap and FINESS, without double entries.

The same pharmacy is often in both: a FINESS row and an OSM row of the same category less than 50 m
apart with similar names are one place; the FINESS row (official register) is kept.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import geopandas as gpd
import pandas as pd

from ambmap.config import Settings
from ambmap.crs import WGS84, metric_crs
from ambmap.errors import SourceError
from ambmap.sources.finess import fetch_finess_resources
from ambmap.sources.http import HttpClient, Progress
from ambmap.sources.overpass import fetch_osm_resources

DUPLICATE_DISTANCE_M = 50.0
MIN_NAME_SIMILARITY = 0.5
_STOPWORDS = {
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "l",
    "d",
    "et",
    "pharmacie",
    "centre",
    "cabinet",
    "sas",
    "selarl",
    "snc",
    "eurl",
}


def _normalise(name: str) -> str:
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    return " ".join(w for w in re.findall(r"[a-z0-9]+", text) if w not in _STOPWORDS)


def similar_names(a: str, b: str) -> bool:
    """True when two establishment names very likely name the same place."""
    na, nb = _normalise(a), _normalise(b)
    if not na or not nb:
        return not na and not nb  # two names made only of generic words (« Pharmacie »)
    if na in nb or nb in na:
        return True
    return difflib.SequenceMatcher(None, na, nb).ratio() >= MIN_NAME_SIMILARITY


def merge_resources(finess: gpd.GeoDataFrame, osm: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """FINESS rows plus the OSM rows that are not the same place; returns (merged, duplicates dropped)."""
    if finess.empty or osm.empty:
        merged = pd.concat([f for f in (finess, osm) if not f.empty] or [finess], ignore_index=True)
        return gpd.GeoDataFrame(merged, geometry="geometry", crs=WGS84), 0
    crs = metric_crs(pd.concat([finess.geometry, osm.geometry]))
    f_metric, o_metric = finess.to_crs(crs), osm.to_crs(crs)
    o_idx, f_idx = f_metric.sindex.query(o_metric.geometry, predicate="dwithin", distance=DUPLICATE_DISTANCE_M)
    duplicate = set()
    for o, f in zip(o_idx, f_idx, strict=True):
        if osm["category"].iat[o] == finess["category"].iat[f] and similar_names(
            osm["name"].iat[o], finess["name"].iat[f]
        ):
            duplicate.add(o)
    kept = osm.iloc[[i for i in range(len(osm)) if i not in duplicate]]
    merged = pd.concat([finess, kept], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=WGS84), len(duplicate)


def fetch_health_resources(
    settings: Settings, territory: gpd.GeoDataFrame, client: HttpClient | None = None, progress: Progress = None
) -> tuple[gpd.GeoDataFrame, dict]:
    """Resources of the territory from both sources; one failing source leaves the other usable."""
    client = client or HttpClient(settings)
    frames: list[gpd.GeoDataFrame | None] = []
    sources, errors = [], []
    for label, fetch in (
        ("FINESS", lambda: fetch_finess_resources(settings, set(territory["code"].astype(str)), client, progress)),
        ("OpenStreetMap", lambda: fetch_osm_resources(settings, territory, client, progress)),
    ):
        if progress:
            progress(0, 0, f"Ressources de santé : {label}…")
        try:
            frame, prov = fetch()
        except SourceError as e:
            errors.append(e)
            client.notice(f"Ressources {label} non disponibles : {e.message}")
            frames.append(None)
            continue
        frames.append(frame)
        sources.append(prov)
    if not sources:
        raise SourceError(
            "Aucune source de ressources de santé n'a répondu :\n" + "\n".join(e.message for e in errors)
        ) from errors[-1]
    empty = gpd.GeoDataFrame(
        {"resource_id": [], "name": [], "category": [], "address": [], "source": []},
        geometry=gpd.GeoSeries([], crs=WGS84),
        crs=WGS84,
    )
    finess, osm = (f if f is not None else empty for f in frames)
    merged, dropped = merge_resources(finess, osm)
    prov = {
        "source": " + ".join(p["source"] for p in sources),
        "url": " ; ".join(p["url"] for p in sources),
        "date": max(p["date"] for p in sources),
        "licence": " ; ".join(p["licence"] for p in sources),
        "attribution": " ; ".join(p["attribution"] for p in sources),
        "duplicates_removed": dropped,
        "sources": sources,
    }
    return merged, prov
