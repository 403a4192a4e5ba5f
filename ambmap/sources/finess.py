"""Health establishments from FINESS (geolocated extract on data.gouv.fr), converted to WGS84.

The extract is one ``;``-separated Windows-1252 file without a header row, holding two record types:
``structureet`` (32 fields: number, names, address, commune, category...) and ``geolocalisation``
(number, x, y, coordinate source, date). Coordinates are Lambert-93 (EPSG:2154) in mainland France;
overseas rows name their UTM zone in ``sourcecoordet`` and are converted with it.

``settings.finess_url`` may point at the CSV itself or at the data.gouv.fr dataset API page
(JSON), from which the geolocated resource (« cs1100507 ») is picked: its dated URL changes with
every monthly release.
"""

from __future__ import annotations

import csv
import io
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from ambmap.config import Settings
from ambmap.crs import LAMBERT93, WGS84, epsg
from ambmap.sources.http import HttpClient, Progress, provenance

SERVICE = "data.gouv.fr (FINESS)"
SOURCE = "FINESS, extraction des établissements géolocalisés (data.gouv.fr)"
LICENCE = "Licence Ouverte 2.0 (DREES, FINESS)"
ATTRIBUTION = "FINESS : DREES"
#: FINESS département codes for overseas départements -> INSEE prefix.
_OVERSEAS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976"}
#: FINESS category (categetab) -> ambmap category; other categories (EHPAD, IME...) are left out.
CATEGORY_CODES = {
    "620": "pharmacie",
    "101": "hôpital/clinique",
    "106": "hôpital/clinique",
    "355": "hôpital/clinique",
    "128": "hôpital/clinique",
    "129": "hôpital/clinique",
    "131": "hôpital/clinique",
    "365": "hôpital/clinique",
    "122": "hôpital/clinique",
    "124": "centre de santé",
    "603": "centre de santé",
    "156": "santé mentale (CMP)",
    "292": "santé mentale (CMP)",
    "425": "santé mentale (CMP)",
    "223": "PMI",
    "228": "santé sexuelle (CeGIDD, planning familial)",
    "636": "santé sexuelle (CeGIDD, planning familial)",
    "610": "laboratoire",
    "611": "laboratoire",
}
_KEYWORDS = (
    (r"officine|pharmacie", "pharmacie"),
    (r"m[ée]dico[- ]psycho|sant[ée] mentale|psychiatr", "santé mentale (CMP)"),
    (r"protection maternelle|\bP\.?M\.?I\b", "PMI"),
    (r"planification|CeGIDD|d[ée]pistage", "santé sexuelle (CeGIDD, planning familial)"),
    (r"centre de sant[ée]|maison de sant[ée]", "centre de santé"),
    (r"laboratoire", "laboratoire"),
    (r"dentaire", "dentiste"),
    (r"centre hospitalier|h[ôo]pital|clinique|soins", "hôpital/clinique"),
)
_UTM = re.compile(r"UTM[^0-9]*(\d{1,2})\s*([NS])?", re.IGNORECASE)


def category_for(code: str, label: str) -> str | None:
    """ambmap category of a FINESS establishment category, None when it is not a health resource."""
    if code in CATEGORY_CODES:
        return CATEGORY_CODES[code]
    for pattern, category in _KEYWORDS:
        if re.search(pattern, label or "", re.IGNORECASE):
            return category
    return None


def insee_code(departement: str, commune: str) -> str:
    """INSEE commune code from FINESS's two-part code (département + 3-character commune)."""
    departement, commune = departement.strip().upper(), commune.strip()
    if departement in _OVERSEAS:
        return _OVERSEAS[departement] + commune[-2:]
    return departement.zfill(2) + commune.zfill(3)


def parse_extract(body: bytes) -> pd.DataFrame:
    """Establishments joined with their coordinates (columns finess, name, category code/label,
    address, insee, x, y, crs_source). Raises ValueError when the file has neither record type."""
    text = body.decode("cp1252", errors="replace")
    structures, coordinates = [], {}
    for fields in csv.reader(io.StringIO(text), delimiter=";"):
        if not fields:
            continue
        if fields[0] == "structureet" and len(fields) >= 22:
            structures.append(fields)
        elif fields[0] == "geolocalisation" and len(fields) >= 5:
            coordinates[fields[1]] = fields[2:5]
    if not structures:
        raise ValueError("aucune ligne « structureet » : ce n'est pas une extraction FINESS")
    rows = []
    for f in structures:
        x, y, crs_source = coordinates.get(f[1], ("", "", ""))
        street = " ".join(p.strip() for p in (f[7], f[8], f[9]) if p.strip())
        rows.append(
            {
                "finess": f[1],
                "name": (f[4] or f[3]).strip(),
                "categetab": f[18].strip(),
                "libcategetab": f[19].strip(),
                "address": ", ".join(p for p in (street, f[15].strip()) if p),
                "insee": insee_code(f[13], f[12]),
                "x": x,
                "y": y,
                "crs_source": crs_source,
            }
        )
    return pd.DataFrame(rows)


def _crs_for(crs_source: str) -> str | None:
    """The CRS of a ``sourcecoordet`` value: Lambert-93 unless a UTM zone (WGS 84) is named; None for a zone
    that does not exist (1 to 60): the file's text never picks another system (61 N would be EPSG:32661)."""
    match = _UTM.search(crs_source or "")
    if not match:
        return LAMBERT93
    zone, hemisphere = int(match[1]), (match[2] or "N").upper()
    return epsg((32700 if hemisphere == "S" else 32600) + zone) if 1 <= zone <= 60 else None


def to_wgs84(table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Convert the x/y columns to WGS84 points, grouping rows by their source coordinate system."""
    x = pd.to_numeric(table["x"].astype(str).str.replace(",", "."), errors="coerce").to_numpy()
    y = pd.to_numeric(table["y"].astype(str).str.replace(",", "."), errors="coerce").to_numpy()
    lon, lat = np.full(len(table), np.nan), np.full(len(table), np.nan)
    systems = table["crs_source"].map(_crs_for).to_numpy() if len(table) else np.array([], dtype=object)
    for system in set(systems.tolist()) - {None}:  # an unknown system: no position, like no coordinates
        mask = (systems == system) & ~np.isnan(x) & ~np.isnan(y)
        if mask.any():
            transformer = Transformer.from_crs(system, WGS84, always_xy=True)
            lon[mask], lat[mask] = transformer.transform(x[mask], y[mask])
    points = gpd.points_from_xy(lon, lat, crs=WGS84)
    return gpd.GeoDataFrame(table.drop(columns=["x", "y"]), geometry=points, crs=WGS84)


def _resource_url(body: bytes) -> str:
    resources = json.loads(body.decode("utf-8")).get("resources", [])
    for resource in resources:  # the current monthly CSV, not the zipped history
        url = resource.get("url", "")
        if "cs1100507" in url and url.lower().endswith(".csv"):
            return url
    for resource in resources:
        if "géolocalis" in resource.get("title", "").lower() and resource.get("url", "").lower().endswith(".csv"):
            return resource["url"]
    raise ValueError("aucune ressource « établissements géolocalisés » dans le jeu de données FINESS")


def fetch_finess_resources(
    settings: Settings, commune_codes: set[str], client: HttpClient | None = None, progress: Progress = None
) -> tuple[gpd.GeoDataFrame, dict]:
    """FINESS health establishments of the given communes as resources rows, and their provenance."""
    client = client or HttpClient(settings)
    url = settings.finess_url
    if "/api/" in url:
        url = client.fetch(url, service=SERVICE, parse=_resource_url, max_age_days=30).value
    fetched = client.fetch(url, service=SERVICE, parse=parse_extract, max_age_days=30, progress=progress)
    table = fetched.value
    table = table[table["insee"].isin(commune_codes)].copy()
    table["category"] = [
        category_for(c, label) for c, label in zip(table["categetab"], table["libcategetab"], strict=True)
    ]
    table = table[table["category"].notna()]
    gdf = to_wgs84(table)
    gdf = gdf[~gdf.geometry.is_empty & gdf.geometry.x.notna()]
    result = gpd.GeoDataFrame(
        {
            "resource_id": "finess-" + gdf["finess"],
            "name": gdf["name"],
            "category": gdf["category"],
            "address": gdf["address"],
            "source": "FINESS",
        },
        geometry=gdf.geometry,
        crs=WGS84,
    ).reset_index(drop=True)
    return result, provenance(fetched, SOURCE, LICENCE, ATTRIBUTION)
