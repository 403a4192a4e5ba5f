"""Address geocoding with the national address service (BAN, Géoplateforme): single and batch.

Only the address text is ever sent (ambassadors' addresses are personal data): the batch CSV has a
single ``adresse`` column and the service returns rows in the same order. The match score is kept;
below ``settings.geocode_min_score`` a result is flagged « à vérifier » by the caller. Answers are
kept in memory only (``private`` fetch) unless ``settings.keep_geocoding_cache``: once the application
closes, no address is left in the download cache.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass

from ambmap.config import Settings
from ambmap.sources.http import HttpClient, Progress, multipart_body

SERVICE = "Géoplateforme (géocodage des adresses)"
LICENCE = "Licence Ouverte 2.0 (Base Adresse Nationale, Géoplateforme IGN)"
ATTRIBUTION = "Géocodage : Base Adresse Nationale (IGN)"
BATCH_SIZE = 2000
#: Fixed multipart boundary: the same list of addresses gives the same request, hence a cache hit.
_BOUNDARY = "ambmap-adresses-csv"


@dataclass(frozen=True)
class Geocoded:
    """One geocoding answer: the point, the service's own label and its match score (0-1)."""

    lon: float
    lat: float
    score: float
    label: str
    citycode: str = ""


def _answer(lon, lat, score, label: str, citycode: str) -> Geocoded | None:
    """One answer checked, whatever the service sent (its text is hostile): coordinates that are not numbers,
    infinite or off the globe are « not found » (one of them would make the layer refuse the whole batch),
    and a score that is not a number between 0 and 1 counts as 0 (the point is placed « à vérifier »). The
    label is printed and quoted: no control or format character (a terminal escape, a U+202E) is kept."""
    lon, lat, score = float(lon), float(lat), float(score)
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    label, citycode = ("".join(c for c in text if c.isprintable()) for text in (label, citycode))
    return Geocoded(lon, lat, score if 0 <= score <= 1 else 0.0, label, citycode)


def _parse_search(body: bytes) -> Geocoded | None:
    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, dict) or "features" not in data:
        raise ValueError("réponse de géocodage sans « features »")
    if not data["features"]:
        return None
    feature = data["features"][0]
    lon, lat = feature["geometry"]["coordinates"][:2]
    props = feature.get("properties", {})
    return _answer(lon, lat, props.get("score", 0), str(props.get("label", "")), str(props.get("citycode", "")))


def geocode_one(address: str, settings: Settings, client: HttpClient | None = None) -> Geocoded | None:
    """The best match for one address, or None when the service finds nothing."""
    if not (address or "").strip():
        return None
    client = client or HttpClient(settings)
    url = f"{settings.geocoder_url.rstrip('/')}/search"
    return client.fetch(
        url,
        service=SERVICE,
        parse=_parse_search,
        max_age_days=365,
        private=True,
        params={"q": address.strip(), "limit": "1"},
    ).value


def _batch_parser(expected: int):
    def parse(body: bytes) -> list[Geocoded | None]:
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        if len(rows) != expected:
            raise ValueError(f"{len(rows)} ligne(s) reçue(s) au lieu de {expected}")
        if rows and not {"latitude", "longitude", "result_score"} <= set(rows[0]):
            raise ValueError("colonnes latitude, longitude ou result_score absentes")
        return [_batch_row(row) for row in rows]

    return parse


def _batch_row(row: dict) -> Geocoded | None:
    try:
        return _answer(
            row["longitude"],
            row["latitude"],
            row.get("result_score") or 0,
            row.get("result_label") or "",
            row.get("result_citycode") or "",
        )
    except (TypeError, ValueError):
        return None


def geocode_many(
    addresses: list[str], settings: Settings, client: HttpClient | None = None, progress: Progress = None
) -> list[Geocoded | None]:
    """Geocode a list through the batch CSV endpoint, in chunks; one answer per address, in order."""
    client = client or HttpClient(settings)
    url = f"{settings.geocoder_url.rstrip('/')}/search/csv"
    results: list[Geocoded | None] = [None] * len(addresses)
    todo = [i for i, a in enumerate(addresses) if (a or "").strip()]
    for start in range(0, len(todo), BATCH_SIZE):
        chunk = todo[start : start + BATCH_SIZE]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["adresse"])
        writer.writerows([[" ".join(addresses[i].split())] for i in chunk])
        body, content_type = multipart_body(
            [("data", ("adresses.csv", out.getvalue().encode("utf-8"), "text/csv")), ("columns", "adresse")],
            boundary=_BOUNDARY,
        )
        answers = client.fetch(
            url,
            service=SERVICE,
            method="POST",
            data=body,
            max_age_days=365,
            private=True,
            headers={"Content-Type": content_type},
            parse=_batch_parser(len(chunk)),
        ).value
        for i, answer in zip(chunk, answers, strict=True):
            results[i] = answer
        if progress:
            progress(min(start + BATCH_SIZE, len(todo)), len(todo), "Géocodage des adresses…")
    return results


def forget_geocoding_cache(settings: Settings) -> int:
    """Delete the geocoding answers a previous run kept on disk, unless the user wants them kept."""
    if settings.keep_geocoding_cache:
        return 0
    return HttpClient(settings).forget(settings.geocoder_url.rstrip("/"))
