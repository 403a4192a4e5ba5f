"""QPV 2024 perimeters (ANCT, national file) filtered to a territory, with INSEE population figures.

The national file (a ZIP holding one GeoJSON in EPSG:4326, ~10 MB) is downloaded once and cached;
every territory is then cut from that copy. A QPV is kept when its ``insee_com`` lists one of the
territory's communes, or when a large part of it lies inside the territory (codes can lag behind
commune mergers, and one QPV may span several communes).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile

import geopandas as gpd
import pandas as pd
import pyogrio
from shapely.geometry import box

from ambmap.config import Settings
from ambmap.crs import WGS84, metric_crs
from ambmap.errors import SourceError
from ambmap.geometry import polygonal
from ambmap.sources.http import HttpClient, Progress, provenance

log = logging.getLogger(__name__)
SERVICE = "data.gouv.fr (périmètres des QPV 2024)"
SOURCE = "ANCT, quartiers prioritaires de la politique de la ville 2024 (data.gouv.fr)"
LICENCE = "Licence Ouverte 2.0 (ANCT)"
ATTRIBUTION = "QPV 2024 : ANCT"
POPULATION_SERVICE = "insee.fr (population des QPV)"
#: Share of a QPV's area inside the territory above which it is kept even without a code match.
MIN_SHARE_INSIDE = 0.2
_QPV_CODE = re.compile(r"^Q[A-Z0-9]{7,9}$")


def parse_national_file(body: bytes) -> gpd.GeoDataFrame:
    """The national QPV GeoDataFrame from the ZIP (or a bare GeoJSON served by a mirror)."""
    if body[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".geojson")]
                if not names:
                    raise ValueError("aucun fichier GeoJSON dans l'archive des QPV")
                name = next((n for n in names if "wgs84" in n.lower()), names[0])
                body = archive.read(name)
        except (zipfile.BadZipFile, EOFError) as e:
            raise ValueError(f"archive ZIP des QPV abîmée ({e})") from e
    try:
        gdf = pyogrio.read_dataframe(io.BytesIO(body))
    except Exception as e:  # pyogrio raises several types for a malformed file
        raise ValueError(f"GeoJSON des QPV illisible ({e})") from e
    missing = {"code_qp", "lib_qp", "insee_com"} - set(gdf.columns)
    if missing:
        raise ValueError(f"colonnes absentes du fichier des QPV : {', '.join(sorted(missing))}")
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    return gdf.to_crs(WGS84)


def filter_to_territory(national: gpd.GeoDataFrame, territory: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """QPVs of the territory (``territory`` = commune outlines with a ``code`` column).

    Both sides are repaired first (:func:`polygonal`): one self-intersecting outline in the national
    file would otherwise make the overlay fail or give a wrong share.
    """
    national = national.set_geometry(polygonal(national.geometry))
    national = national[national.geometry.notna() & ~national.geometry.is_empty]
    territory = territory.set_geometry(polygonal(territory.geometry))
    codes = set(territory["code"].astype(str))
    listed = (
        national["insee_com"]
        .fillna("")
        .astype(str)
        .map(lambda value: bool(codes & {c.strip() for c in re.split(r"[,;\s]+", value) if c.strip()}))
    )
    crs = metric_crs(territory)
    outline = territory.to_crs(crs).union_all()
    # only the QPVs near the territory are projected: the others may lie far outside its projection's zone
    near = national.sindex.query(box(*territory.to_crs(national.crs).total_bounds), predicate="intersects")
    metric = national.iloc[near].to_crs(crs)
    candidates = metric.sindex.query(outline, predicate="intersects")
    share = pd.Series(0.0, index=national.index)
    if len(candidates):
        part = metric.iloc[candidates]
        share.iloc[near[candidates]] = (
            (part.intersection(outline).area / part.area.where(part.area > 0)).fillna(0).to_numpy()
        )
    kept = national[listed | (share >= MIN_SHARE_INSIDE)].copy()
    lib_com = kept["lib_com"] if "lib_com" in kept else pd.Series("", index=kept.index)
    result = gpd.GeoDataFrame(
        {
            "code_qp": kept["code_qp"].astype(str).str.strip(),
            "nom_qp": kept["lib_qp"].astype(str).str.strip(),
            "insee_com": kept["insee_com"].astype(str).str.strip(),
            "lib_com": lib_com.fillna("").astype(str).str.strip(),
            "population": pd.Series(pd.NA, index=kept.index, dtype="Int64"),
        },
        geometry=kept.geometry,
        crs=WGS84,
    )
    return result.sort_values("code_qp").reset_index(drop=True)


def parse_population(body: bytes) -> dict[str, int]:
    """QPV code -> residents from INSEE's CSV (bare or zipped), tolerant to its separator, encoding and
    column names."""
    if body[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                name = next((n for n in archive.namelist() if n.lower().endswith(".csv")), None)
                if name is None:
                    raise ValueError("aucun fichier CSV dans l'archive de population des QPV")
                body = archive.read(name)
        except zipfile.BadZipFile as e:
            raise ValueError(f"archive de population des QPV abîmée ({e})") from e
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = body.decode("cp1252", errors="replace")
    sep = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
    table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str)
    code_col = next(
        (c for c in table.columns if table[c].dropna().astype(str).str.strip().str.match(_QPV_CODE).mean() > 0.8), None
    )
    # INSEE's 2024 file: codeQPV, libQPV, …, popMuniQPV, partPop15_24, … (shares are not head counts)
    candidates = [
        c
        for c in table.columns
        if "pop" in c.lower() and c != code_col and not c.lower().startswith(("part", "indice", "taux", "pct"))
    ]
    pop_col = next((c for c in candidates if c.lower().startswith("pop")), candidates[0] if candidates else None)
    if code_col is None or pop_col is None:
        raise ValueError("colonnes « code du quartier » et « population » introuvables")
    numbers = pd.to_numeric(
        table[pop_col].astype(str).str.replace(r"[\s\u202f]", "", regex=True).str.replace(",", "."), errors="coerce"
    )
    return {str(code).strip(): int(round(n)) for code, n in zip(table[code_col], numbers, strict=True) if pd.notna(n)}


def fetch_qpv(
    settings: Settings, territory: gpd.GeoDataFrame, client: HttpClient | None = None, progress: Progress = None
) -> tuple[gpd.GeoDataFrame, dict]:
    """QPV perimeters of the territory, with population when INSEE's figures are reachable.

    Returns the GeoDataFrame (QPV layer columns) and its provenance.
    """
    client = client or HttpClient(settings)
    fetched = client.fetch(
        settings.qpv_url, service=SERVICE, parse=parse_national_file, max_age_days=90, progress=progress
    )
    qpv = filter_to_territory(fetched.value, territory)
    prov = provenance(fetched, SOURCE, LICENCE, ATTRIBUTION)
    if len(qpv) and settings.qpv_population_url:
        try:
            population = client.fetch(
                settings.qpv_population_url, service=POPULATION_SERVICE, parse=parse_population, max_age_days=90
            ).value
        except SourceError as e:
            client.notice(f"Population des QPV non disponible : {e.message}")
        else:
            qpv["population"] = pd.array([population.get(c) for c in qpv["code_qp"]], dtype="Int64")
            prov["population_source"] = "INSEE, population municipale des QPV 2024 (Licence Ouverte)"
    return qpv, prov
