"""One frozen Settings object, built once at start-up and passed down.

Every remote base URL is a setting: town halls use proxies and mirrors, and the tests point the
sources at a local server. Values come, by increasing priority, from the defaults below, the user's
``config.toml`` (in the user config directory), then ``AMBMAP_*`` environment variables.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from ambmap import __version__
from ambmap.errors import AmbmapError

APP_NAME = "ambmap"


def _user_dir(kind: str) -> Path:
    getter = {
        "cache": platformdirs.user_cache_path,
        "config": platformdirs.user_config_path,
        "data": platformdirs.user_data_path,
        "log": platformdirs.user_log_path,
    }[kind]
    return getter(APP_NAME, appauthor=False)


@dataclass(frozen=True)
class Settings:
    """Application settings; immutable, use :meth:`replace` to derive a variant."""

    territory_code: str = "59350"
    territory_kind: str = "commune"  # "commune" or "epci"
    cache_dir: Path = field(default_factory=lambda: _user_dir("cache"))
    data_dir: Path = field(default_factory=lambda: _user_dir("data"))
    config_dir: Path = field(default_factory=lambda: _user_dir("config"))
    log_dir: Path = field(default_factory=lambda: _user_dir("log"))
    offline: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_retries: int = 3
    backoff_factor: float = 0.5
    max_retry_wait: float = 30.0
    download_deadline: float = 120.0  # seconds for a whole download, retries included
    # largest answer accepted per service, in MB (the national QPV zip is ~30 MB)
    max_mb_qpv: float = 100.0
    max_mb_overpass: float = 200.0
    max_mb_geocoding: float = 20.0
    max_mb_other: float = 300.0  # FINESS extract, communes, tiles…
    keep_geocoding_cache: bool = False  # addresses are personal: geocoding answers stay in memory only
    user_agent: str = f"ambmap/{__version__} (cartographie santé QPV; https://github.com/ambmap/ambmap)"
    qpv_url: str = "https://www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119"
    qpv_population_url: str = "https://www.insee.fr/fr/statistiques/fichier/8210600/pop_QPV24.csv"
    geo_api_url: str = "https://geo.api.gouv.fr"
    geocoder_url: str = "https://data.geopf.fr/geocodage"
    overpass_url: str = "https://overpass-api.de/api/interpreter"
    # the dataset's API page: the geolocated extract's own URL changes with each monthly release
    finess_url: str = "https://www.data.gouv.fr/api/1/datasets/finess-extraction-du-fichier-des-etablissements/"
    wmts_url: str = "https://data.geopf.fr/wmts"
    osm_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    geocode_min_score: float = 0.6
    basemap: str = "plan-ign"  # "plan-ign", "osm", "streets" (the project's own streets, tiles off) or "none"
    coverage_radius_m: float = 500.0
    pole_radius_m: float = 500.0
    include_in_training: bool = False  # count « en formation » ambassadors as covering
    autosave_minutes: float = 3.0

    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def load(cls, env: dict[str, str] | None = None, config_file: Path | None = None) -> Settings:
        """Defaults, then the config file, then ``AMBMAP_<FIELD>`` environment variables."""
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {}
        path = config_file or Path(env.get("AMBMAP_CONFIG", _user_dir("config") / "config.toml"))
        if path.exists():
            try:
                values.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
                raise AmbmapError(
                    f"Le fichier de réglages « {path} » est illisible ({e}). "
                    "Corrigez-le ou supprimez-le pour revenir aux réglages par défaut."
                ) from e
        for f in dataclasses.fields(cls):
            key = f"AMBMAP_{f.name.upper()}"
            if key in env:
                values[f.name] = env[key]
        return cls(**{name: _coerce(name, value) for name, value in values.items() if name in _FIELD_TYPES})


_FIELD_TYPES = {f.name: f.type for f in dataclasses.fields(Settings)}
#: limits that make every download fail at once when zero or negative
_POSITIVE = {
    "download_deadline",
    "connect_timeout",
    "read_timeout",
    "max_mb_qpv",
    "max_mb_overpass",
    "max_mb_geocoding",
    "max_mb_other",
}


def _coerce(name: str, value: Any) -> Any:
    kind = _FIELD_TYPES[name]
    try:
        if kind == "Path":
            return Path(str(value)).expanduser()
        if kind == "bool":
            return value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "oui", "yes", "on"}
        if kind == "float":
            number = float(value)
            if name in _POSITIVE and not 0 < number < float("inf"):
                raise ValueError("nombre positif attendu")
            return number
        if kind == "int":
            return int(value)
    except (TypeError, ValueError) as e:
        expected = "nombre positif" if name in _POSITIVE else kind
        raise AmbmapError(f"Réglage « {name} » : valeur « {value} » invalide ({expected} attendu).") from e
    return str(value)
