"""The only module that talks HTTP: one session, bounded retries, an on-disk cache, French errors.

Town-hall networks are slow or filtered and meeting rooms have none, so every successful and complete
response is kept in an on-disk cache (requests-cache's SQLite backend, in the user cache directory).
When a service fails, the last cached copy is used and a notice says so with its date; in offline
mode the network is never touched. A response is cached only after the caller's ``parse`` accepted
it, so a truncated download never replaces good data. Private answers (geocoded addresses) are kept
in memory only, for the life of the client, unless the user asks to keep them.

Every download has a total deadline (``download_deadline``, retries included: requests' read timeout is
per read, so a server dripping one byte a second would never trip it) and a size cap per service
(``max_mb_*``); a large body is spooled to disk while it arrives, not held in memory twice.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import email.utils
import logging
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import requests_cache
import urllib3

from ambmap.config import Settings
from ambmap.errors import SourceError

log = logging.getLogger(__name__)

#: Statuses worth retrying: rate limit and server-side failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CACHE_NAME = "http_cache"
SPOOL_BYTES = 4 << 20  # bodies larger than this wait on disk, not in memory
WAIT_TICK = 1.0  # seconds between two « en attente de … » progress calls
Progress = Callable[[int, int, str], None] | None


@dataclass(frozen=True)
class Fetched:
    """A parsed response and where it came from (for provenance and notices)."""

    value: Any
    url: str
    date: dt.datetime  # when the data was downloaded (UTC)
    from_cache: bool


class _Failure(Exception):
    """Internal: one failed attempt, with a French reason and whether a retry may help."""

    def __init__(
        self, reason: str, retry: bool, wait: float | None = None, partial: bytes = b"", what: str | None = None
    ):
        super().__init__(reason)
        self.reason, self.retry, self.wait, self.partial = reason, retry, wait, partial
        self.what = what or f"ne répond pas ({reason})"  # the end of « Le service X … »


def _date_fr(when: dt.datetime) -> str:
    return when.astimezone().strftime("%d/%m/%Y")


class HttpClient:
    """One requests session plus the on-disk cache, shared by every source of one task.

    ``notices`` collects the French messages the user should see even when the task succeeds (data
    served from the cache because a service failed, cache rebuilt...).
    """

    def __init__(self, settings: Settings, on_notice: Callable[[str], None] | None = None):
        self.settings = settings
        self.notices: list[str] = []
        self._on_notice = on_notice
        self.session = requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        self._cache: requests_cache.SQLiteCache | None = None
        self._memory = requests_cache.BaseCache()  # private answers: gone with the client

    # -- cache ------------------------------------------------------------------------------------
    @property
    def cache_path(self):
        return self.settings.cache_dir / f"{CACHE_NAME}.sqlite"

    def _open_cache(self) -> requests_cache.SQLiteCache:
        if self._cache is None:
            self.settings.cache_dir.mkdir(parents=True, exist_ok=True)
            self._cache = requests_cache.SQLiteCache(self.cache_path, serializer="pickle")
        return self._cache

    def _cache_call(self, func: Callable[[Any], Any], default: Any = None, private: bool = False) -> Any:
        """Run a cache operation; a damaged cache file is set aside and rebuilt, never fatal.

        ``private``: on the in-memory cache instead (a plain BaseCache, hence ``func`` typed on Any), unless the
        user keeps geocoding answers on disk.
        """
        if private and not self.settings.keep_geocoding_cache:
            return func(self._memory)
        errors = (sqlite3.DatabaseError, OSError, EOFError, TypeError, ValueError, AttributeError)
        try:
            return func(self._open_cache())
        except errors as e:
            log.warning("cache HTTP abîmé : %s", e, exc_info=True)
            self._reset_cache()
        try:
            return func(self._open_cache())
        except errors as e:
            log.warning("cache HTTP inutilisable : %s", e, exc_info=True)
            return default

    def _reset_cache(self) -> None:
        if self._cache is not None:
            try:
                self._cache.close()
            except sqlite3.Error:
                pass
        self._cache = None
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = self.cache_path.with_name(self.cache_path.name + suffix)
            if path.exists():
                path.replace(path.with_name(f"{path.name}.abime-{stamp}"))
        self.notice(
            "Le cache des téléchargements était abîmé : il a été mis de côté "
            f"({self.cache_path.parent}) et sera reconstruit."
        )

    def forget(self, url_prefix: str) -> int:
        """Delete every on-disk cached answer whose URL starts with ``url_prefix``; the file is compacted
        so that no byte of them is left in it. Returns how many were deleted."""
        if not self.cache_path.exists():
            return 0

        def purge(cache: requests_cache.SQLiteCache) -> int:
            keys = [key for key, response in cache.responses.items() if response.url.startswith(url_prefix)]
            if keys:
                cache.delete(*keys, vacuum=True)
            return len(keys)

        return self._cache_call(purge, default=0)

    def notice(self, message: str) -> None:
        log.info(message)
        self.notices.append(message)
        if self._on_notice:
            self._on_notice(message)

    # -- fetching ---------------------------------------------------------------------------------
    def fetch(
        self,
        url: str,
        *,
        service: str,
        parse: Callable[[bytes], Any],
        params: dict | None = None,
        method: str = "GET",
        data: bytes | dict | None = None,
        headers: dict | None = None,
        max_age_days: float = 30.0,
        read_timeout: float | None = None,
        progress: Progress = None,
        private: bool = False,
    ) -> Fetched:
        """Return ``parse(body)`` for ``url``, from the network or the cache.

        ``service`` is the French name shown to the user (« Géoplateforme (géocodage des adresses) »).
        ``parse`` must raise ``ValueError`` (or a subclass) when the body is incomplete or not in the
        expected format; such a body is never cached. A cached copy younger than ``max_age_days`` is
        used without asking the network. ``read_timeout`` lengthens the settings' one for slow services.
        ``private``: the answer holds personal data (an address): kept in memory only (see the module doc).
        """
        prepared = self.session.prepare_request(
            requests.Request(method, url, params=params, data=data, headers=headers)
        )
        key = self._cache_call(lambda c: c.create_key(prepared), private=private)
        cached = self._cache_call(lambda c: c.get_response(key), private=private) if key else None
        cached_value = _MISSING
        if cached is not None:
            try:
                cached_value = _checked(parse, cached.content)
            except ValueError:
                log.warning("réponse en cache illisible pour %s", prepared.url)
                self._cache_call(lambda c: c.delete(key), private=private)
                cached = None
        # when the cached copy was downloaded (read only when there is one)
        when = cached.created_at.replace(tzinfo=dt.UTC) if cached is not None else dt.datetime.min
        where = str(prepared.url)
        if self.settings.offline:
            if cached is None:
                raise SourceError(
                    f"Mode hors ligne : les données du service {service} ne sont pas dans le cache. "
                    "Connectez-vous une première fois au réseau pour les télécharger, "
                    "ou désactivez le mode hors ligne (Fichier › Réglages…)."
                )
            return Fetched(cached_value, where, when, True)
        if cached is not None and dt.datetime.now(dt.UTC) - when < dt.timedelta(days=max_age_days):
            return Fetched(cached_value, where, when, True)
        try:
            body, response = self._download(prepared, service, progress, read_timeout)
            value = _checked(parse, body)
        except (_Failure, ValueError) as e:
            if cached is None:
                what = e.what if isinstance(e, _Failure) else f"a envoyé une réponse incomplète ou illisible ({e})"
                raise SourceError(
                    f"Le service {service} {what} et aucune donnée n'est en cache. Vérifiez la "
                    "connexion à Internet (ou le proxy) et réessayez plus tard ; rien n'a été "
                    "modifié dans le projet."
                ) from e
            what = e.what if isinstance(e, _Failure) and e.reason.startswith("réponse de plus") else "ne répond pas"
            self.notice(f"Le service {service} {what} ; les données en cache du {_date_fr(when)} sont utilisées.")
            return Fetched(cached_value, where, when, True)
        now = dt.datetime.now(dt.UTC)
        if key:
            self._cache_call(
                lambda c: c.save_response(requests_cache.CachedResponse.from_response(response), key), private=private
            )
        return Fetched(value, where, now, False)

    def max_bytes(self, url: str) -> int:
        """The size cap of the service at ``url`` (``max_mb_*`` settings, matched on the base URLs)."""
        s = self.settings
        for base, cap in (
            (s.qpv_url, s.max_mb_qpv),
            (s.qpv_population_url, s.max_mb_qpv),
            (s.overpass_url, s.max_mb_overpass),
            (s.geocoder_url, s.max_mb_geocoding),
        ):
            if url.startswith(base.rstrip("/")):
                return int(cap * 1e6)
        return int(s.max_mb_other * 1e6)

    def _download(
        self, prepared: requests.PreparedRequest, service: str, progress: Progress, read_timeout: float | None = None
    ):
        """Send with bounded retries (429/5xx/connection errors), honouring Retry-After, all within the
        settings' total deadline.

        A download cut in the middle resumes where it stopped (HTTP Range) when the server allows it.
        """
        s = self.settings
        # a service known to be slow (its own ``read_timeout``, e.g. Overpass) gets at least that long
        seconds = (
            s.download_deadline if read_timeout is None else max(s.download_deadline, read_timeout + s.connect_timeout)
        )
        deadline = (time.monotonic() + seconds, seconds)
        attempts = max(1, s.max_retries + 1)
        partial = b""
        for attempt in range(attempts):
            try:
                return self._send_once(prepared, service, progress, partial, read_timeout or s.read_timeout, deadline)
            except _Failure as failure:
                partial = failure.partial
                if not failure.retry or attempt == attempts - 1:
                    raise
                wait = failure.wait if failure.wait is not None else s.backoff_factor * 2**attempt
                wait = min(max(wait, 0.0), s.max_retry_wait)
                if time.monotonic() + wait >= deadline[0]:
                    raise _deadline_failure(deadline) from failure
                log.info("%s : %s, nouvel essai dans %.1f s", service, failure.reason, wait)
                if progress:
                    progress(0, 0, f"{service} : {failure.reason}, nouvel essai dans {wait:.0f} s…")
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _send(
        self,
        prepared: requests.PreparedRequest,
        service: str,
        progress: Progress,
        read_timeout: float,
        deadline: tuple[float, float],
    ) -> requests.Response:
        """The response headers, waited for in a helper thread so that the wait shows in the progress
        line and ends at the deadline.

        The helper is a daemon thread: its timeouts bound each wait for a byte, not the whole answer,
        so a server dripping its headers keeps it reading past the deadline, and the threads of a
        ThreadPoolExecutor are joined at exit (the program could not end while such a server went on).
        """
        end = deadline[0]
        remaining = max(0.1, end - time.monotonic())
        timeout = (min(self.settings.connect_timeout, remaining), min(read_timeout, remaining))
        future: concurrent.futures.Future = concurrent.futures.Future()

        def send() -> None:
            try:
                future.set_result(self.session.send(prepared, timeout=timeout, stream=True))
            except BaseException as e:  # noqa: BLE001 - handed to the waiting thread
                future.set_exception(e)

        threading.Thread(target=send, name="ambmap-http", daemon=True).start()
        started = time.monotonic()
        while True:
            try:
                return future.result(timeout=min(WAIT_TICK, max(0.0, end - time.monotonic())))
            except concurrent.futures.TimeoutError:
                if time.monotonic() >= end:
                    future.add_done_callback(lambda f: f.exception() is None and f.result().close())
                    raise _deadline_failure(deadline) from None
                if progress:
                    progress(0, 0, f"Téléchargement : en attente de {service} ({time.monotonic() - started:.0f} s)…")

    def _send_once(
        self,
        prepared: requests.PreparedRequest,
        service: str,
        progress: Progress,
        partial: bytes,
        read_timeout: float,
        deadline: tuple[float, float],
    ):
        """One attempt; ``deadline`` is (monotonic end, its length in seconds) for the whole download."""
        if partial:
            prepared = prepared.copy()
            prepared.headers["Range"] = f"bytes={len(partial)}-"
        try:
            response = self._send(prepared, service, progress, read_timeout, deadline)
        except requests.Timeout as e:
            if time.monotonic() >= deadline[0] - 0.2:
                raise _deadline_failure(deadline) from e
            raise _Failure("délai d'attente dépassé", retry=True, partial=partial) from e
        except requests.ConnectionError as e:
            raise _Failure("connexion impossible", retry=True, partial=partial) from e
        with response:
            resumed = _resumed(response, partial)
            cap = self.max_bytes(str(prepared.url))
            offset = len(partial) if resumed else 0
            total = offset + int(response.headers.get("Content-Length") or 0)  # bytes on the wire
            if total > cap:
                raise _too_big(cap)
            # bytes on the wire are the body itself only without Content-Encoding: only then resume
            resumable = response.headers.get("Content-Encoding", "identity") == "identity"
            with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
                if resumed:
                    spool.write(partial)
                try:
                    while chunk := response.raw.read1(1 << 16, decode_content=True):  # what has arrived
                        spool.write(chunk)
                        if spool.tell() > cap:
                            raise _too_big(cap)
                        if time.monotonic() > deadline[0]:
                            raise _deadline_failure(deadline)
                        if progress:
                            done = offset + response.raw.tell()
                            progress(done, total, f"Téléchargement : {done / 1e6:.1f} Mo")
                except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as e:
                    raise _Failure(
                        "téléchargement interrompu", retry=True, partial=_contents(spool) if resumable else b""
                    ) from e
                body = _contents(spool)
            if offset + response.raw.tell() < total:
                raise _Failure("téléchargement incomplet", retry=True, partial=body if resumable else b"")
            # the cache keeps the whole body as one plain answer, even when it came in two parts
            response._content, response._content_consumed, response.status_code = body, True, 200
            return body, response


def _contents(spool) -> bytes:
    spool.seek(0)
    return spool.read()


def _deadline_failure(deadline: tuple[float, float]) -> _Failure:
    return _Failure(f"aucune réponse complète en {deadline[1]:g} s, délai maximal des téléchargements", retry=False)


def _too_big(cap: int) -> _Failure:
    reason = f"réponse de plus de {cap / 1e6:g} Mo, la taille maximale admise pour ce service"
    return _Failure(
        reason,
        retry=False,
        what=f"a envoyé une {reason} : téléchargement arrêté (réglage « max_mb_… » de config.toml pour l'augmenter)",
    )


_MISSING = object()


def _checked(parse: Callable[[bytes], Any], body: bytes) -> Any:
    """``parse(body)``, where a body of the wrong shape (missing key, wrong type) is a ValueError too."""
    try:
        return parse(body)
    except (KeyError, TypeError, IndexError, AttributeError) as e:
        raise ValueError(f"format inattendu ({type(e).__name__}: {e})") from e


def _resumed(response: requests.Response, partial: bytes) -> bool:
    """True when the server sends the rest of ``partial``; a retryable or refusing status raises."""
    if response.status_code in RETRY_STATUSES:
        raise _Failure(
            f"erreur HTTP {response.status_code}",
            retry=True,
            partial=partial,
            wait=_retry_after(response.headers.get("Retry-After")),
        )
    resumed = (
        bool(partial)
        and response.status_code == 206
        and response.headers.get("Content-Range", "").startswith(f"bytes {len(partial)}-")
    )
    if response.status_code != 200 and not resumed:
        raise _Failure(f"requête refusée, HTTP {response.status_code}", retry=False)
    return resumed


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date); None when absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def multipart_body(fields: list, boundary: str) -> tuple[bytes, str]:
    """A multipart/form-data body with a fixed boundary, so that equal requests share a cache entry."""
    return urllib3.encode_multipart_formdata(fields, boundary=boundary)


def provenance(fetched: Fetched, source: str, licence: str, attribution: str) -> dict:
    """The provenance record every layer keeps (source, URL, download date, licence, attribution)."""
    return {
        "source": source,
        "url": fetched.url,
        "date": fetched.date.date().isoformat(),
        "licence": licence,
        "attribution": attribution,
    }
