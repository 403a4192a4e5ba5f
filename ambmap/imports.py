"""Import a user's file (CSV, XLSX, GeoJSON, GeoPackage, Shapefile) into a pôles, ambassadors or
resources layer, and place rows again from their address.

``io`` reads the file and recognises its columns and coordinate systems, ``sources.geocoding`` places
rows that have only an address, ``layers`` validates. Every function works on new objects and hands
them back (or swaps a project's layer at the very end), so a failure leaves the project as it was.
Official downloads live in :mod:`ambmap.fetch`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from ambmap.config import Settings
from ambmap.crs import LAMBERT93, WGS84, metric_crs
from ambmap.errors import ImportFileError, Problem, SourceError, ValidationError
from ambmap.geometry import polygonal
from ambmap.io import coords
from ambmap.io.mapping import combine, guess_combined, resolve, targets
from ambmap.io.tables import GEO_SUFFIXES, TABLE_SUFFIXES, decode, detect_separator, read_geofile, read_table
from ambmap.io.text import REMOVED
from ambmap.layers import (
    AMBASSADORS,
    POLES,
    POPULATION_GRID,
    RESOURCES,
    SCHEMAS,
    TERRITORY,
    Layer,
    LayerSchema,
    validate,
)
from ambmap.layers.streets import NOT_WALKABLE_HIGHWAYS
from ambmap.project import Project
from ambmap.sources import geocoding
from ambmap.sources import qpv as qpv_source
from ambmap.sources.http import HttpClient, Progress
from ambmap.text import number as text_number

IMPORTABLE = {"poles": POLES, "ambassadors": AMBASSADORS, "resources": RESOURCES}
_ID_PREFIX = {"poles": "PRS-", "ambassadors": "AMB-", "resources": "RES-"}
ID_WIDTH = 3  # AMB-001: the width of a project without ids of its own
#: Columns of the project's « à placer » table besides the layer's fields (all cells are text).
TO_PLACE_META = ("kind", "motif", "fichier", "ligne")
_NOT_KEPT_ASIDE = ("geocode_score", "a_verifier")  # a row placed later gets its own
#: Defaults for required choice fields a file may lack entirely (told to the user in ``notes``).
_DEFAULTS = {("resources", "category"): "autre", ("ambassadors", "status"): "actif"}
#: Distance beyond the territory's outline at which an imported point is flagged « à vérifier »: wider
#: than the neighbouring communes a pôle or a resource may legitimately sit in, far narrower than a
#: homonym street in another town or a shifted column.
OUTSIDE_MARGIN_M = 5_000.0
PERSONAL_DATA_NOTICE = (
    "Les adresses des ambassadeurs·rices sont des données personnelles : seule la colonne "
    "adresse est envoyée au service national de géocodage (Géoplateforme), sans nom."
)


def _client(settings: Settings, progress: Progress) -> HttpClient:
    return HttpClient(settings, on_notice=(lambda m: progress(0, 0, m)) if progress else None)


@dataclass
class ImportResult:
    """What an import produced: rows placed, rows kept « à placer », and every row refused or to check.

    ``rejected`` rows are neither in ``data`` nor in ``to_place`` (one Problem per wrong value: a line may
    have several); ``doubtful`` rows are in ``data``, flagged ``a_verifier``; ``aside`` says why each row of
    ``to_place`` has no position (no coordinates, address not found, geocoder offline…).
    Each Problem names the file, the line as seen in a spreadsheet (header = line 1), the column and
    the reason, in French.
    """

    kind: str
    file: str
    data: gpd.GeoDataFrame
    rejected: list[Problem] = field(default_factory=list)
    doubtful: list[Problem] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)  # source line of each row of ``data``
    generated_ids: bool = False  # the file had no id column: ids were numbered by the import
    geocoder_down: bool = False  # rows were set aside only because the geocoding service did not answer
    corrected: list[Problem] = field(default_factory=list)  # values cleaned on the way in (control characters)
    to_place: pd.DataFrame = field(default_factory=pd.DataFrame)  # rows « à placer », as the project keeps them
    aside: list[Problem] = field(default_factory=list)  # why each row of ``to_place`` has no position

    @property
    def kept(self) -> int:
        """Rows the project will hold: placed or « à placer »."""
        return len(self.data) + len(self.to_place)

    def report(self, plan: ImportPlan | None = None) -> str:
        """The French report shown after an import (and printed by ``ambmap import``); with ``plan``,
        also which rows are added, updated or set aside in the project."""
        refused = len({p.row for p in self.rejected})
        out = [
            f"Import de « {self.file} » dans « {SCHEMAS[self.kind].title} » : {len(self.data)} ligne(s) placée(s) "
            f"sur la carte, {len(self.to_place)} « à placer » (gardée(s) sans position), {refused} refusée(s), "
            f"{len(self.doubtful)} à vérifier."
        ]
        if plan is not None:
            out += plan.lines()
        elif not self.kept:
            out.append("Aucune ligne n'a pu être gardée : le projet n'est pas modifié.")
        out += self.notes
        for title, problems in (
            ("Lignes « à placer » (placez-les d'un clic sur la carte ou géocodez-les plus tard) :", self.aside),
            ("Lignes refusées :", self.rejected),
            ("Lignes à vérifier :", self.doubtful),
            ("Valeurs corrigées :", self.corrected),
        ):
            if problems:
                out.append(title)
                out += [f"  - {_describe(p)}" for p in problems]
        return "\n".join(out)


def _describe(p: Problem) -> str:
    where = f"ligne {p.row}" if p.row is not None else "fichier"
    column = f", colonne « {p.field} »" if p.field else ""
    return f"{p.file}, {where}{column} : {p.reason}"


def import_file(
    path: Path | str,
    kind: str,
    settings: Settings,
    *,
    mapping: dict[str, str | list[str]] | None = None,
    overrides: dict[str, str | list[str]] | None = None,
    geocode: bool = True,
    progress: Progress = None,
    client: HttpClient | None = None,
    territory: gpd.GeoDataFrame | None = None,
) -> ImportResult:
    """Read ``path`` into rows valid for the ``kind`` layer (« poles », « ambassadors », « resources »).

    Coordinates come from lat/lon or x/y columns (WGS84, swapped or Lambert-93 detected row by row),
    from the file's geometry (GeoJSON, GeoPackage, Shapefile), or from geocoding the address. Points
    farther than :data:`OUTSIDE_MARGIN_M` from the ``territory`` outlines (the project's, when given)
    are flagged « à vérifier ». Nothing is written to any project: see :func:`apply_import`.

    Parameters
    ----------
    path
        CSV/TXT, XLSX, GeoJSON, GeoPackage or (zipped) Shapefile.
    kind
        The layer kind the rows are for.
    settings
        The user's settings (geocoder address, cache, limits).
    mapping
        Layer field -> file column, or columns joined by a space (« Prénom » + « Nom »); None to guess
        it from the column names (:func:`ambmap.io.mapping.guess_combined`).
    overrides
        Layer field -> column(s) put over the guessed mapping (``ambmap import --column``).
    geocode
        Geocode rows that have an address but no coordinates.
    progress
        Called with (step, steps, French message).
    client
        The HTTP client to geocode with (tests give a local one).
    territory
        The project's territory outlines, to flag points far outside it.

    Returns
    -------
    ImportResult
        The rows placed, the rows kept « à placer » (no usable coordinates, address not found,
        geocoding off or unreachable: never dropped), the refused and doubtful ones with their reasons,
        and notes for the user.

    Raises
    ------
    ImportFileError
        The file cannot be read or has none of the columns needed.
    """
    if kind not in IMPORTABLE:
        raise ImportFileError(
            f"On ne peut importer que des pôles, des ambassadeurs ou des ressources (pas « {kind} »)."
        )
    path = Path(path)
    if progress:
        progress(0, 0, f"Lecture de « {path.name} »…")
    table, geometry = _read(path)
    table, columns = combine(table, _mapping(path.name, table, kind, mapping, overrides))
    rows = _Rows(kind, IMPORTABLE[kind], path.name, table, columns)
    _fill_columns(rows)
    if geometry is not None:
        _place_from_geometry(rows, geometry)
    else:
        _place_from_columns(rows)
    if kind == "ambassadors" and geocode:
        rows.notes.append(PERSONAL_DATA_NOTICE)
    _geocode(rows, settings, client, progress, enabled=geocode)
    _flag_outside(rows, territory)
    return _finish(rows)


def _mapping(file: str, table: pd.DataFrame, kind: str, mapping, overrides) -> dict[str, str | list[str]]:
    """The mapping asked for (or guessed), the overrides put over it; refused when a column is absent."""
    chosen = dict(mapping) if mapping is not None else guess_combined(list(table.columns), kind)
    if overrides:
        columns = [str(c) for c in table.columns]
        overrides = {
            t: [f or c for f, c in zip(resolve(columns, _parts(p)), _parts(p), strict=True)]
            for t, p in overrides.items()
        }
        taken = {c for parts in overrides.values() for c in _parts(parts)}
        chosen = {t: c for t, c in chosen.items() if t not in overrides and not taken & set(_parts(c))}
        chosen.update(overrides)
    unknown = {
        t: " + ".join(_parts(c))
        for t, c in chosen.items()
        if t not in targets(kind) or not _parts(c) or any(part not in table.columns for part in _parts(c))
    }
    if unknown:
        raise ImportFileError(
            f"« {file} » : association de colonnes invalide "
            f"({', '.join(f'{t} ← {c}' for t, c in unknown.items())}). "
            f"Colonnes présentes : {', '.join(map(str, table.columns))}."
        )
    return chosen


def _parts(columns: str | list[str]) -> list[str]:
    return [columns] if isinstance(columns, str) else list(columns)


def _read(path: Path) -> tuple[pd.DataFrame, gpd.GeoSeries | None]:
    """The file's text cells (index: line numbers) and, for a geographic file, its geometry."""
    suffix = path.suffix.lower()
    if suffix in GEO_SUFFIXES:
        frame = read_geofile(path)
        geometry = frame.geometry
        table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        table.attrs.update(frame.attrs)  # the cells cleaned by the reader, for the report
    elif suffix in TABLE_SUFFIXES or suffix in (".xls", ".ods"):
        table, geometry = read_table(path), None
    else:
        raise ImportFileError(
            f"« {path.name} » : format {suffix or 'sans extension'} non reconnu. Formats acceptés : "
            "CSV, XLSX, GeoJSON, GeoPackage (.gpkg), Shapefile (.shp ou .zip)."
        )
    if table.empty:
        raise ImportFileError(
            f"« {path.name} » ne contient aucune ligne de données (seulement l'en-tête) : rien à importer."
        )
    return table, geometry


class _Rows:
    """One import's row table and what was found so far: positions placed, refused, to check."""

    def __init__(self, kind: str, schema: LayerSchema, file: str, table: pd.DataFrame, mapping: dict[str, str]):
        self.kind, self.schema, self.file, self.table, self.mapping = kind, schema, file, table, mapping
        self.lines = table.index.to_numpy()
        self.n = len(table)
        self.rejected: dict[int, list[Problem]] = {}
        self.aside: dict[int, Problem] = {}  # rows kept « à placer »: why they have no position
        self.doubtful: list[tuple[int, Problem]] = []
        self.notes: list[str] = []
        self.out = pd.DataFrame(index=range(self.n))
        self.lon = np.full(self.n, np.nan)
        self.lat = np.full(self.n, np.nan)
        self.flag = np.zeros(self.n, dtype=bool)
        self.score = np.full(self.n, np.nan)
        self.geocoded = self.geocoder_down = self.generated_ids = False
        self.broken: set[int] = set()  # misshapen lines: their cells are shifted, one message is enough
        self.corrected: list[Problem] = []
        self._note_reading()

    def _note_reading(self) -> None:
        """What the reader found: shifted lines (refused), cells cleaned, lines in another encoding."""
        position = {int(line): pos for pos, line in enumerate(self.lines)}
        for line, reason in self.table.attrs.get("bad_lines", {}).items():
            if line in position:
                self.reject(position[line], None, reason)
                self.broken.add(position[line])
        self.corrected = [
            Problem(self.schema.title, line, column, REMOVED, self.file)
            for line, column in self.table.attrs.get("controls", [])
        ]
        if self.corrected:
            self.notes.append(
                f"{len(self.corrected)} valeur(s) contenaient des caractères de contrôle (tabulation "
                "verticale, NUL…) : ils ont été retirés."
            )
        if self.table.attrs.get("legacy_lines"):
            self.notes.append(
                f"Fichier en UTF-8 dont {len(self.table.attrs['legacy_lines'])} ligne(s) sont en "
                "Windows-1252 (fichier modifié par un autre logiciel) : chaque ligne a été lue dans "
                "son propre encodage."
            )

    def problem(self, pos: int, column: str | None, reason: str) -> Problem:
        return Problem(self.schema.title, int(self.lines[pos]), column, reason, self.file)

    def reject(self, pos: int, column: str | None, reason: str) -> None:
        if pos not in self.broken:
            self.rejected.setdefault(pos, []).append(self.problem(pos, column, reason))

    def doubt(self, pos: int, column: str | None, reason: str) -> None:
        self.flag[pos] = True
        self.doubtful.append((pos, self.problem(pos, column, reason)))

    def set_aside(self, pos: int, column: str | None, reason: str) -> None:
        """Keep the row without a position, « à placer » later (by a click, or geocoded once online)."""
        self.aside.setdefault(pos, self.problem(pos, column, reason))
        self.lon[pos] = self.lat[pos] = np.nan

    def doubt_or_aside(self, pos: int, column: str, reason: str) -> None:
        """Bad coordinates: geocode the address instead when there is one, else keep the row « à placer »."""
        self.lon[pos] = self.lat[pos] = np.nan
        address = str(self.out.at[pos, "address"]) if "address" in self.out else ""
        if address.strip():
            self.doubt(pos, column, f"{reason} : position recherchée à partir de l'adresse")
        else:
            self.set_aside(pos, column, f"{reason} et pas d'adresse")

    def column_label(self, target: str) -> str:
        return self.mapping.get(target) or (self.schema.field(target).label if target in self.schema.names else target)

    def kept(self) -> np.ndarray:
        """Positions neither refused nor set aside so far, as a mask: the rows to place."""
        return np.array([pos not in self.rejected and pos not in self.aside for pos in range(self.n)], dtype=bool)


# -- steps -------------------------------------------------------------------------------------------
def _fill_columns(rows: _Rows) -> None:
    """The layer's fields from the mapped columns: numbered ids and defaults where the file has none."""
    missing = []
    for f in rows.schema.fields:
        if f.name in rows.mapping:
            rows.out[f.name] = rows.table[rows.mapping[f.name]].to_numpy()
        elif f.name == rows.schema.id_field:
            prefix = _ID_PREFIX[rows.kind]
            rows.out[f.name] = [f"{prefix}{i + 1:0{ID_WIDTH}d}" for i in range(rows.n)]
            rows.notes.append(
                "Pas de colonne identifiant : chaque ligne reçoit un identifiant numéroté à la suite de ceux "
                f"du projet, sur leur modèle ({prefix}{1:0{ID_WIDTH}d}… dans un projet vide)."
            )
            rows.generated_ids = True
        elif (rows.kind, f.name) in _DEFAULTS:
            value = _DEFAULTS[(rows.kind, f.name)]
            rows.out[f.name] = value
            rows.notes.append(f"Pas de colonne « {f.label} » : valeur « {value} » pour toutes les lignes.")
        elif f.required and f.kind != "bool":
            missing.append(f.label)
    if missing:
        raise _missing_columns(rows, missing)
    _join_address(rows)
    _reject_duplicate_ids(rows)


def _missing_columns(rows: _Rows, missing: list[str]) -> ImportFileError:
    # a file without a title line: its first row of values was read as column names
    headerless = any(re.fullmatch(r"-?\d+(?:[.,]\d+)?", str(c).strip()) for c in rows.table.columns)
    return ImportFileError(
        f"« {rows.file} » : colonne(s) {', '.join(f'« {m} »' for m in missing)} introuvable(s). "
        f"Colonnes présentes : {', '.join(map(str, rows.table.columns))}. "
        + (
            "La première ligne ressemble à des données, pas à des titres de colonnes : ajoutez en tête "
            "une ligne de titres (par exemple Nom ; Adresse ; lon ; lat). "
            if headerless
            else ""
        )
        + "Renommez la colonne dans le fichier ou associez-la à la main à l'étape « Colonnes »."
    )


def _join_address(rows: _Rows) -> None:
    """Postcode and city columns appended to the address: « 1 rue X, 59000 Lille »."""
    if "postcode" in rows.mapping or "city" in rows.mapping:
        rows.out["address"] = joined_address(rows.table, rows.mapping)


def joined_address(table: pd.DataFrame, mapping: dict[str, str]) -> list[str]:
    """The address of each row with its postcode and city (one column each, as :func:`combine` left them)."""
    address = table[mapping["address"]] if "address" in mapping else pd.Series("", index=table.index)
    extra = [table[mapping[t]].astype(str).to_numpy() for t in ("postcode", "city") if t in mapping]
    joined = []
    for row in zip(address.astype(str).to_numpy(), *extra, strict=True):
        town = " ".join(p.strip() for p in row[1:] if p.strip())
        joined.append(", ".join(p for p in (str(row[0]).strip(), town) if p))
    return joined


def preview(table: pd.DataFrame, kind: str, mapping: dict[str, str | list[str]], rows: int = 5) -> pd.DataFrame:
    """The first ``rows`` of ``table`` as the import will read them with ``mapping``: one column per field
    mapped (French label), columns joined, the postcode and city added to the address (import dialog)."""
    head, single = combine(table.head(rows), {t: c for t, c in mapping.items() if _parts(c)})
    schema = IMPORTABLE[kind]
    out = {}
    for target in targets(kind):
        if target not in single or target in ("postcode", "city"):
            continue
        label = schema.field(target).label if target in schema.names else target
        out[label] = (
            joined_address(head, single) if target == "address" else head[single[target]].astype(str).to_numpy()
        )
    if "address" not in single and ("postcode" in single or "city" in single):
        out[schema.field("address").label] = joined_address(head, single)
    return pd.DataFrame(out, index=head.index)


def _reject_duplicate_ids(rows: _Rows) -> None:
    id_field = rows.schema.id_field
    ids = rows.out[id_field].astype(str).str.strip()
    first: dict[str, int] = {}
    for pos, value in enumerate(ids):
        if not value:
            continue
        if value in first:
            rows.reject(
                pos,
                rows.column_label(id_field),
                f"identifiant « {value} » en double (déjà ligne {rows.lines[first[value]]}) : ligne ignorée",
            )
        else:
            first[value] = pos


def _place_from_columns(rows: _Rows) -> None:
    """Points from lon/lat or x/y columns, each row's system recognised on its own."""
    pair = next(
        (
            (a, b, projected)
            for a, b, projected in (("lon", "lat", False), ("x", "y", True))
            if a in rows.mapping and b in rows.mapping
        ),
        None,
    )
    if pair is None:
        return
    a, b, projected = pair
    raw_a, raw_b = rows.table[rows.mapping[a]], rows.table[rows.mapping[b]]
    first, second = coords.to_number(raw_a), coords.to_number(raw_b)
    verdict = coords.classify(first, second, projected=projected)
    rows.lon, rows.lat = coords.to_lon_lat(first, second, verdict)
    columns = f"{rows.mapping[a]}/{rows.mapping[b]}"

    def values(pos: int) -> str:
        return f"{rows.mapping[a]} « {raw_a.iat[pos]} », {rows.mapping[b]} « {raw_b.iat[pos]} »"

    unreadable = (np.isnan(first) & (raw_a.str.strip() != "").to_numpy()) | (
        np.isnan(second) & (raw_b.str.strip() != "").to_numpy()
    )
    for pos in np.flatnonzero(unreadable).tolist():
        rows.doubt_or_aside(pos, columns, f"coordonnées illisibles ({values(pos)})")
    for pos in np.flatnonzero((verdict == coords.INVALID) & ~unreadable).tolist():
        rows.doubt_or_aside(pos, columns, f"coordonnées hors de France ou incohérentes ({values(pos)})")
    for pos in np.flatnonzero(verdict == coords.OUTSIDE).tolist():
        rows.doubt(pos, columns, f"position hors de France métropolitaine ({values(pos)}) : à vérifier")
    for pos in np.flatnonzero(verdict == coords.SWAPPED).tolist():
        rows.doubt(pos, columns, "latitude et longitude inversées dans le fichier : corrigé, position à vérifier")
    l93 = np.isin(verdict, [coords.LAMBERT93, coords.LAMBERT93_SWAPPED])
    if l93.any():
        rows.notes.append(
            f"{int(l93.sum())} ligne(s) en coordonnées Lambert-93 (mètres) converties en latitude/longitude."
        )


def _place_from_geometry(rows: _Rows, geometry: gpd.GeoSeries) -> None:
    """Points from a geographic file, in the system its numbers are really in (:func:`coords.settle_crs`)."""
    geometry, note = coords.settle_crs(geometry)
    if note:
        rows.notes.append(note)
    for pos, geom in enumerate(geometry.to_crs(WGS84)):
        if geom is None or geom.is_empty:
            continue
        if geom.geom_type != "Point":
            rows.doubt_or_aside(pos, "géométrie", f"géométrie de type {geom.geom_type} au lieu d'un point")
            continue
        rows.lon[pos], rows.lat[pos] = geom.x, geom.y
    verdict = coords.classify(np.asarray(rows.lon, dtype=float), np.asarray(rows.lat, dtype=float))
    for pos in np.flatnonzero(np.isin(verdict, [coords.OUTSIDE, coords.SWAPPED])).tolist():
        rows.doubt(
            pos,
            "géométrie",
            f"position hors de France métropolitaine (longitude {rows.lon[pos]:.5f}, "
            f"latitude {rows.lat[pos]:.5f}) : à vérifier",
        )


def _geocode(rows: _Rows, settings: Settings, client: HttpClient | None, progress: Progress, enabled: bool) -> None:
    """Place the rows still without a point from their address (only the address is sent)."""
    address = (
        rows.out["address"].astype(str).str.strip().to_numpy()
        if "address" in rows.out
        else np.full(rows.n, "", dtype=object)
    )
    todo = [p for p in range(rows.n) if np.isnan(rows.lon[p]) and p not in rows.rejected and p not in rows.aside]
    column = rows.column_label("address")
    for pos in [p for p in todo if not address[p]]:
        rows.set_aside(pos, None, "ni coordonnées ni adresse")
    todo = [p for p in todo if address[p]]
    if not todo:
        return
    if not enabled:
        for pos in todo:
            rows.set_aside(pos, column, "pas de coordonnées et géocodage désactivé")
        return
    if progress:
        progress(0, len(todo), f"Géocodage de {len(todo)} adresse(s)…")
    try:
        answers = geocoding.geocode_many(
            [address[p] for p in todo], settings, client or _client(settings, progress), progress
        )
    except SourceError as e:
        why = re.sub(r"\s*;?\s*rien n'a été modifié[^.]*\.", ".", e.message)  # said of a download: rows are kept
        rows.notes.append(
            f"Géocodage impossible : {why} Les {len(todo)} ligne(s) concernée(s) sont gardées « à placer » dans le "
            "projet : géocodez-les depuis le panneau « À placer » une fois en ligne, ou placez-les d'un clic."
        )
        rows.geocoder_down = True
        for pos in todo:
            rows.set_aside(pos, column, "adresse non géocodée : service de géocodage injoignable (hors ligne ?)")
        return
    rows.geocoded = True
    _place_answers(rows, todo, answers, address, column, settings.geocode_min_score)


def _place_answers(
    rows: _Rows, todo: list[int], answers: list, address: np.ndarray, column: str, min_score: float
) -> None:
    for pos, answer in zip(todo, answers, strict=True):
        if answer is None:
            rows.set_aside(pos, column, f"adresse « {address[pos]} » introuvable")
            continue
        rows.lon[pos], rows.lat[pos], rows.score[pos] = answer.lon, answer.lat, answer.score
        if answer.score < min_score:
            rows.doubt(
                pos,
                column,
                f"adresse trouvée avec un score faible ({answer.score:.2f}, « {answer.label} ») : position à vérifier",
            )


def _flag_outside(rows: _Rows, territory: gpd.GeoDataFrame | None) -> None:
    """Flag placed points far outside the project's territory: a wrong column, a homonym street
    found by the geocoder or a wrong declared system all land there, whatever the file said."""
    if territory is None or not len(territory) or rows.n == 0:
        return
    placed = ~np.isnan(rows.lon) & ~np.isnan(rows.lat) & ~rows.flag & rows.kept()
    if not placed.any():
        return
    for pos, metres in zip(
        np.flatnonzero(placed).tolist(), _distances(territory, rows.lon[placed], rows.lat[placed]), strict=True
    ):
        if metres > OUTSIDE_MARGIN_M:
            rows.doubt(
                pos,
                "coordonnées",
                f"position à {metres / 1000:.0f} km du territoire du projet "
                f"(longitude {rows.lon[pos]:.5f}, latitude {rows.lat[pos]:.5f}) : "
                "à vérifier",
            )


def _distances(territory: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Metres from each point to the territory's outline (0 inside)."""
    outline = territory.to_crs(WGS84).geometry.union_all()
    centre = outline.centroid
    local = f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m"  # true distances near it
    shape = gpd.GeoSeries([outline], crs=WGS84).to_crs(local).iloc[0]
    return gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=WGS84).to_crs(local).distance(shape).to_numpy()


def _finish(rows: _Rows) -> ImportResult:
    """The rows kept, validated against the layer schema (a row with a wrong value is refused): those
    placed, and those « à placer » (validated at a stand-in position, so placing them later cannot fail)."""
    out = rows.out.assign(geocode_score=rows.score, a_verifier=rows.flag)
    if "geocode_score" in rows.mapping:  # a score already in the file wins when not geocoded now
        given = coords.to_number(rows.table[rows.mapping["geocode_score"]])
        out["geocode_score"] = np.where(np.isnan(rows.score), given, rows.score)
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(rows.lon, rows.lat), crs=WGS84)
    valid, positions = _validate(rows, gdf, np.flatnonzero(rows.kept()))
    aside = np.array(sorted(p for p in rows.aside if p not in rows.rejected), dtype=int)
    stand_in = gdf.assign(geometry=gpd.points_from_xy(np.zeros(rows.n), np.zeros(rows.n)), a_verifier=False)
    waiting, aside = _validate(rows, stand_in, aside)
    rejected = [p for pos in sorted(rows.rejected) for p in rows.rejected[pos]]
    kept = set(positions.tolist()) | set(aside.tolist())
    doubtful = [p for pos, p in rows.doubtful if pos in kept]
    corrected = [p for p in rows.corrected if p.row in {int(rows.lines[pos]) for pos in kept}]
    return ImportResult(
        rows.kind,
        rows.file,
        valid,
        rejected,
        doubtful,
        rows.mapping,
        rows.notes,
        _provenance(rows.file, rows.geocoded),
        [int(rows.lines[p]) for p in positions],
        rows.generated_ids,
        rows.geocoder_down,
        corrected,
        _to_place_rows(rows, waiting, aside),
        [rows.aside[pos] for pos in aside],
    )


def _to_place_rows(rows: _Rows, valid: gpd.GeoDataFrame, positions: np.ndarray) -> pd.DataFrame:
    """Validated rows without a position as the project keeps them « à placer »: their fields as text,
    with the layer kind, why (« motif »), and the file and line they come from."""
    fields = [f for f in rows.schema.names if f not in _NOT_KEPT_ASIDE]
    frame = pd.DataFrame({name: [_as_text(v) for v in valid[name]] for name in fields}, index=range(len(valid)))
    frame.insert(0, "ligne", [str(int(rows.lines[p])) for p in positions])
    frame.insert(0, "fichier", rows.file)
    frame.insert(0, "motif", [rows.aside[p].reason for p in positions])
    frame.insert(0, "kind", rows.kind)
    return frame


def _as_text(value) -> str:
    """A validated value as the text that validates back to it (« » for nothing, 300 for 300.0)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) or value is False:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _validate(rows: _Rows, gdf: gpd.GeoDataFrame, positions: np.ndarray) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """(valid rows, their positions): the rows at ``positions`` less those the schema refuses."""
    schema, file = rows.schema, rows.file
    try:
        return validate(
            schema, gdf.iloc[positions].reset_index(drop=True), schema.title, file=file, first_row=0
        ), positions
    except ValidationError as e:
        bad = set()
        for p in e.problems:
            if p.row is None:
                raise ImportFileError(f"« {file} » : {p.describe()}") from e
            bad.add(p.row)
            where = "coordonnées" if p.field is None or p.field == "geometry" else rows.column_label(p.field)
            rows.reject(int(positions[p.row]), where, p.reason)
    positions = np.array([pos for i, pos in enumerate(positions) if i not in bad], dtype=int)
    return validate(schema, gdf.iloc[positions].reset_index(drop=True), schema.title, file=file, first_row=0), positions


def _provenance(file: str, geocoded: bool) -> dict:
    prov = {
        "source": f"Fichier importé « {file} »",
        "url": "",
        "date": dt.date.today().isoformat(),
        "licence": "Données de la ville (usage interne)",
        "attribution": "",
    }
    if geocoded:
        prov.update(geocoding=geocoding.ATTRIBUTION, licence=f"{prov['licence']} ; {geocoding.LICENCE}")
    return prov


# -- into the project --------------------------------------------------------------------------------
def id_pattern(ids, default_prefix: str) -> tuple[str, int]:
    """(prefix, digits) of the ids a project already uses: « AMB-001 » → (« AMB- », 3); the commonest
    prefix wins; (``default_prefix``, :data:`ID_WIDTH`) when no id ends with a number."""
    found = [m.groups() for m in (re.fullmatch(r"(.*?)(\d+)", str(v).strip()) for v in ids) if m]
    if not found:
        return default_prefix, ID_WIDTH
    prefixes = pd.Series([p for p, _ in found]).value_counts()
    prefix = default_prefix if prefixes.get(default_prefix, 0) == prefixes.iloc[0] else prefixes.index[0]
    widths = pd.Series([len(n) for p, n in found if p == prefix]).value_counts()
    return prefix, int(widths.index[0])


def _renumber(ids: list[str], taken: set[str], prefix: str, width: int) -> list[str]:
    """New ids ``prefix`` + number, after the largest one ``taken`` with that prefix, never a taken one."""
    numbers = [int(m[1]) for m in (re.fullmatch(re.escape(prefix) + r"(\d+)", t) for t in taken) if m]
    start = max(numbers, default=0) + 1
    return [f"{prefix}{n:0{width}d}" for n in range(start, start + len(ids))]


@dataclass
class ImportPlan:
    """What an import does to a project: the layer's new rows, the project's new « à placer » table, and
    which ids are added, updated (with or without a new position) and set aside."""

    kind: str
    data: gpd.GeoDataFrame
    to_place: pd.DataFrame
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    updated_in_place: list[str] = field(default_factory=list)  # updated, no position in the file: old one kept
    aside: list[str] = field(default_factory=list)
    replaced: int = 0  # rows of the layer dropped by « remplacer »
    renumbered: dict[str, str] = field(default_factory=dict)  # id numbered by the import -> id in the project

    @property
    def layer_changes(self) -> bool:
        """The layer itself changes (rows added, updated or replaced), not only the rows « à placer »."""
        return bool(self.added or self.updated or self.updated_in_place or self.replaced)

    @property
    def changes(self) -> bool:
        return self.layer_changes or bool(self.aside)

    def lines(self) -> list[str]:
        """The French lines saying exactly what the project receives."""
        if not self.changes:
            return ["Dans le projet : aucune ligne ajoutée, mise à jour ni mise de côté ; rien n'a été modifié."]
        out = ["Dans le projet :"]
        for ids, what in (
            (self.added, "ajoutée(s) sur la carte"),
            (self.updated, "mise(s) à jour (même identifiant)"),
            (self.updated_in_place, "mise(s) à jour sans nouvelle position (la position actuelle est gardée)"),
            (self.aside, "mise(s) de côté « à placer » (panneau « À placer »)"),
        ):
            if ids:
                out.append(f"  - {len(ids)} {what} : {_id_list(ids)}")
        if self.replaced:
            out.append(f"  - {self.replaced} ligne(s) de la couche remplacée(s) par celles du fichier")
        return out


def _id_list(ids: list[str], shown: int = 12) -> str:
    return ", ".join(ids[:shown]) + (f"… (+{len(ids) - shown})" if len(ids) > shown else "")


def plan_import(project: Project, result: ImportResult, *, replace: bool = False) -> ImportPlan:
    """What :func:`apply_import` will do, without touching ``project``.

    Placed rows whose id is in the layer update it, others are added; with ``replace`` they become the
    whole layer. A row « à placer » whose id is already placed updates that row and keeps its position;
    the others join the project's « à placer » table (replacing a waiting row of the same id). Ids the
    import numbered continue the project's own (:func:`id_pattern`), after those placed or waiting.
    """
    current = project.layer(result.kind)
    id_field = current.schema.id_field
    pending = project.to_place
    others = pending[pending["kind"] != result.kind] if len(pending) else pending
    waiting = pending[pending["kind"] == result.kind] if len(pending) else pending
    new, aside = result.data.copy(), result.to_place.copy()
    renumbered: dict[str, str] = {}
    if result.generated_ids:
        kept = [] if replace else [*current.data[id_field].astype(str), *waiting.get(id_field, [])]
        prefix, width = id_pattern(kept, _ID_PREFIX[result.kind])
        old = [*new[id_field], *aside.get(id_field, [])]
        renumbered = dict(zip(old, _renumber(old, set(kept), prefix, width), strict=True))
        new[id_field] = new[id_field].map(renumbered)
        if len(aside):
            aside[id_field] = aside[id_field].map(renumbered)
    placed_ids = set() if replace else set(current.data[id_field].astype(str))
    in_place = aside[aside[id_field].isin(placed_ids)] if len(aside) else aside
    aside = aside[~aside[id_field].isin(placed_ids)] if len(aside) else aside
    new = pd.concat([new, _kept_positions(current, in_place)], ignore_index=True) if len(in_place) else new
    if replace or not len(current):
        data = new
    else:
        old_rows = current.data[~current.data[id_field].isin(new[id_field])]
        data = pd.concat([old_rows, new], ignore_index=True)
    data = gpd.GeoDataFrame(data, geometry="geometry", crs=WGS84)
    if replace:
        waiting = waiting.iloc[0:0]
    else:  # a waiting row placed or waiting again under the same id: the file's row wins
        waiting = (
            waiting[~waiting[id_field].isin({*new[id_field], *aside.get(id_field, [])})] if len(waiting) else waiting
        )
    to_place = pd.concat([f for f in (others, waiting, aside) if len(f)] or [pd.DataFrame()], ignore_index=True)
    by_file = list(result.data[id_field].map(renumbered) if renumbered else result.data[id_field])
    return ImportPlan(
        result.kind,
        data,
        to_place.fillna(""),
        added=[i for i in by_file if i not in placed_ids],
        updated=[i for i in by_file if i in placed_ids],
        updated_in_place=list(in_place[id_field]) if len(in_place) else [],
        aside=list(aside[id_field]) if len(aside) else [],
        replaced=len(current) if replace else 0,
        renumbered=renumbered,
    )


def _kept_positions(current: Layer, rows: pd.DataFrame) -> gpd.GeoDataFrame:
    """Rows « à placer » whose id is already placed: the file's values at the current row's position."""
    id_field = current.schema.id_field
    placed = current.data.set_index(current.data[id_field].astype(str))
    fields = [f for f in current.schema.names if f in rows.columns]
    frame = rows[fields].reset_index(drop=True)
    ids = frame[id_field]
    for name in _NOT_KEPT_ASIDE:
        frame[name] = placed.loc[ids, name].to_numpy()
    return gpd.GeoDataFrame(frame, geometry=placed.loc[ids].geometry.to_numpy(), crs=WGS84)


def apply_import(project: Project, result: ImportResult, *, replace: bool = False) -> Layer:
    """Put imported rows into the project (see :func:`plan_import`): the layer swapped at once, and the
    rows « à placer » kept in the project's table. Nothing changes if validation fails. Returns the layer
    as it is after the import."""
    plan = plan_import(project, result, replace=replace)
    layer = planned_layer(project, result, plan, replace=replace)
    if plan.layer_changes:  # rows only set aside: the layer (and where it comes from) stays as it was
        project.set_layer(layer)
    if not plan.to_place.equals(project.to_place):
        project.set_to_place(plan.to_place)
    return project.layer(result.kind)


def planned_layer(project: Project, result: ImportResult, plan: ImportPlan, *, replace: bool = False) -> Layer:
    """The new Layer object of ``plan`` (validated: raises ValidationError before anything changes)."""
    current = project.layer(result.kind)
    prov = dict(result.provenance)
    if not replace and len(current) and current.provenance:
        prov["previous"] = current.provenance
    return Layer(
        current.schema, plan.data, title=current.title, visible=current.visible, style=current.style, provenance=prov
    )


# -- rows « à placer » -------------------------------------------------------------------------------
def to_place_label(row: pd.Series) -> str:
    """How the « À placer » panel and the undo history name a waiting row: its name, else its id."""
    for name in ("display_name", "name"):
        if str(row.get(name, "")).strip():
            return f"{row[name]} ({row.get(IMPORTABLE[row['kind']].id_field, '')})"
    return str(row.get(IMPORTABLE[row["kind"]].id_field, ""))


def place_rows(
    project: Project, positions: dict[int, tuple[float, float, float | None]], *, min_score: float = 0.0
) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]:
    """(new data of each layer concerned, new « à placer » table) with the waiting rows at ``positions``
    (row of ``project.to_place`` -> (longitude, latitude, geocoding score or None for a click)) placed;
    a score below ``min_score`` flags the row « à vérifier ».

    Nothing is changed: the caller swaps the frames in (one undo step). Raises ImportFileError when a
    row's id was placed meanwhile (by hand).
    """
    pending = project.to_place
    frames: dict[str, gpd.GeoDataFrame] = {}
    for kind, group in pd.DataFrame(pending.loc[list(positions)]).groupby("kind", sort=False):
        schema = IMPORTABLE[str(kind)]
        layer = project.layer(str(kind))
        taken = set(layer.data[schema.id_field].astype(str))
        clash = sorted(set(group[schema.id_field]) & taken)
        if clash:
            raise ImportFileError(
                f"« {', '.join(clash)} » existe déjà dans « {layer.title} » : changez l'identifiant de l'une "
                "des deux lignes (table attributaire) avant de placer celle-ci."
            )
        fields = [f for f in schema.names if f in group.columns]
        where = [positions[i] for i in group.index]
        rows = group[fields].assign(
            geocode_score=[np.nan if score is None else score for _, _, score in where],
            a_verifier=[score is not None and score < min_score for _, _, score in where],
        )
        points = gpd.points_from_xy([x for x, _, _ in where], [y for _, y, _ in where])
        rows = gpd.GeoDataFrame(rows.reset_index(drop=True), geometry=points, crs=WGS84)
        data = pd.concat([layer.data, rows], ignore_index=True) if len(layer) else rows
        frames[str(kind)] = validate(schema, gpd.GeoDataFrame(data, geometry="geometry", crs=WGS84), layer.title)
    return frames, pending.drop(index=list(positions)).reset_index(drop=True)


def geocode_to_place(
    project: Project,
    settings: Settings,
    rows: list[int] | None = None,
    *,
    progress: Progress = None,
    client: HttpClient | None = None,
) -> tuple[dict[int, tuple[float, float, float | None]], list[str]]:
    """Look up the address of the waiting ``rows`` (all when None): (positions found, for
    :func:`place_rows`; French lines for those still « à placer » and why). A low score is placed and
    flagged « à vérifier » by the caller. Raises SourceError when the service cannot be reached."""
    pending = project.to_place
    rows = list(pending.index) if rows is None else rows
    with_address = [i for i in rows if str(pending.at[i, "address"]).strip()] if "address" in pending else []
    missing = [f"{to_place_label(pending.loc[i])} : pas d'adresse, placez-le d'un clic" for i in rows]
    missing = [m for i, m in zip(rows, missing, strict=True) if i not in with_address]
    if not with_address:
        return {}, missing
    answers = geocoding.geocode_many(
        [str(pending.at[i, "address"]) for i in with_address], settings, client or _client(settings, progress), progress
    )
    found: dict[int, tuple[float, float, float | None]] = {}
    still = missing
    for i, answer in zip(with_address, answers, strict=True):
        if answer is None:
            still.append(f"{to_place_label(pending.loc[i])} : adresse « {pending.at[i, 'address']} » introuvable")
        else:
            found[i] = (answer.lon, answer.lat, answer.score)
    return found, still


def geocode_layer(
    project: Project,
    kind: str,
    settings: Settings,
    *,
    only_flagged: bool = True,
    progress: Progress = None,
    client: HttpClient | None = None,
) -> tuple[int, list[Problem]]:
    """Place again, from their address, the rows of a layer (those « à vérifier », or all).

    Returns (rows moved, rows still to check). The layer is swapped only at the end.
    """
    layer = project.layer(kind)
    data = layer.data.copy()
    rows = data.index[data["a_verifier"]] if only_flagged else data.index
    rows = [i for i in rows if str(data.at[i, "address"]).strip()]
    if not rows:
        return 0, []
    answers = geocoding.geocode_many(
        [str(data.at[i, "address"]) for i in rows], settings, client or _client(settings, progress), progress
    )
    doubtful, moved = [], 0
    for i, answer in zip(rows, answers, strict=True):
        if answer is None:
            doubtful.append(Problem(layer.title, i + 1, "address", "adresse introuvable"))
            continue
        data.at[i, "geometry"] = Point(answer.lon, answer.lat)
        data.at[i, "geocode_score"] = answer.score
        low = answer.score < settings.geocode_min_score
        data.at[i, "a_verifier"] = low
        moved += 1
        if low:
            doubtful.append(
                Problem(
                    layer.title,
                    i + 1,
                    "address",
                    f"score faible ({answer.score:.2f}, « {answer.label} ») : position à vérifier",
                )
            )
    new = layer.copy()
    new.data = data
    project.set_layer(new)
    return moved, doubtful


# -- the streets of a line file (« filaire de voirie ») ------------------------------------------------------
#: Columns read as a street's class, name and identifier when the user names none (lower-case).
STREET_CLASS_COLUMNS = ("street_class", "classe", "highway", "roadclass", "class", "fclass", "type_voie", "nature")
STREET_NAME_COLUMNS = ("name", "nom", "nom_voie", "nom_rue", "libelle", "libelle_voie", "nom_1_gauche")
STREET_ID_COLUMNS = ("street_id", "id", "osm_id", "identifiant", "cleabs")
#: Class values of a file that name roads a pedestrian may not walk (motorways, trunks, « highway »).
_NOT_WALKED = NOT_WALKABLE_HIGHWAYS | {"highway", "autoroute"}  # the OSM rule, plus roadClass and French names


def _street_column(
    table: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], path: Path, what: str
) -> str | None:
    lowered = {str(c).lower(): c for c in table.columns}
    if wanted:
        if wanted in table.columns or wanted.lower() in lowered:
            return wanted if wanted in table.columns else lowered[wanted.lower()]
        raise ImportFileError(
            f"« {path.name} » n'a pas de colonne « {wanted} » ({what}). Colonnes présentes : "
            f"{', '.join(map(str, table.columns)) or 'aucune'}."
        )
    return next((lowered[c] for c in candidates if c in lowered), None)


def import_streets(
    path: Path | str,
    *,
    class_field: str | None = None,
    name_field: str | None = None,
    default_class: str = "desserte",
    source: str | None = None,
    licence: str = "",
    attribution: str = "",
) -> tuple[Layer, list[str]]:
    """A streets layer from a line file (GeoJSON, GeoPackage, Shapefile), and notes for the user.

    The class is read from ``class_field`` (else the first of :data:`STREET_CLASS_COLUMNS` present) and
    mapped by :data:`ambmap.layers.streets.CLASS_ALIASES` (OSM ``highway`` values, ``roadClass``
    highway/major/minor, French words); an unknown or absent value becomes ``default_class`` (counted in
    the notes). Motorways are not walkable. Non-line features are skipped (counted).
    """
    from ambmap.layers.streets import STREET_CLASSES, STREETS, street_class

    path = Path(path)
    if default_class not in STREET_CLASSES:
        raise ImportFileError(
            f"Classe par défaut « {default_class} » inconnue : choisissez parmi {', '.join(STREET_CLASSES)}."
        )
    if path.suffix.lower() not in GEO_SUFFIXES:
        raise ImportFileError(
            f"« {path.name} » : les rues s'importent d'un fichier de lignes GeoJSON, GeoPackage "
            "ou Shapefile (.shp ou .zip)."
        )
    frame = read_geofile(path)
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    frame = frame.to_crs(WGS84)
    notes: list[str] = []
    lines = frame.geometry.notna() & frame.geometry.geom_type.isin(["LineString", "MultiLineString"])
    lines &= ~frame.geometry.is_empty & (shapely.length(frame.geometry.values) > 0)
    if (~lines).any():
        notes.append(f"{int((~lines).sum())} élément(s) qui ne sont pas des lignes ignoré(s).")
    frame = frame[lines.to_numpy()]
    if not len(frame):
        raise ImportFileError(f"« {path.name} » ne contient aucune ligne (rue) : rien à importer.")
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    class_col = _street_column(table, class_field, STREET_CLASS_COLUMNS, path, "classe des rues")
    name_col = _street_column(table, name_field, STREET_NAME_COLUMNS, path, "nom des rues")
    id_col = _street_column(table, None, STREET_ID_COLUMNS, path, "identifiant")
    raw = (
        table[class_col].fillna("").astype(str).str.strip().str.lower()
        if class_col
        else pd.Series("", index=table.index)
    )
    mapped = raw.map(lambda v: street_class(v) if v else None)
    unknown = mapped.isna()
    if unknown.any():
        values = sorted(set(raw[unknown]) - {""})[:8]
        shown = f" (valeurs : {', '.join(values)})" if values else ""
        notes.append(f"{int(unknown.sum())} rue(s) sans classe reconnue{shown} : classées « {default_class} ».")
    ids = table[id_col].fillna("").astype(str) if id_col else pd.Series("", index=table.index)
    numbered = [f"{path.stem}-{i}" for i in range(1, len(table) + 1)]
    ids = [v if v and v not in seen else n for v, n, seen in _first_seen(ids.tolist(), numbered)]
    data = gpd.GeoDataFrame(
        {
            "street_id": ids,
            "name": table[name_col].where(table[name_col].astype(str).str.strip() != "") if name_col else None,
            "street_class": mapped.fillna(default_class).to_numpy(),
            "walkable": ~raw.isin(_NOT_WALKED).to_numpy(),
        },
        geometry=frame.geometry.values,
        crs=WGS84,
    )
    prov = {
        "source": source or f"Fichier {path.name}",
        "date": dt.date.today().isoformat(),
        "licence": licence,
        "attribution": attribution,
    }
    return Layer(STREETS, data, provenance=prov), notes


def _first_seen(values: list[str], fallbacks: list[str]):
    """(value, fallback, values seen before) for each value: a repeated identifier gets its line number."""
    seen: set[str] = set()
    for value, fallback in zip(values, fallbacks, strict=True):
        yield value, fallback, seen
        seen.add(value)


# -- official layers from files: territory outlines, QPV perimeters, INSEE 200 m squares -------------
#: Overlap below which a QPV is not said to lie in a commune (m²): outlines drawn at other dates and
#: scales overlap their neighbours by a few hundred m² along every border; 5,000 m² is a block.
COMMUNE_SLIVER_M2 = 5_000.0
_TERRITORY_CODES = ("insee_com", "code", "code_insee", "codgeo", "insee", "code_siren", "siren", "siren_epci")
_NAMES = ("nom", "nom_com", "libgeo", "libelle", "name", "nom_epci", "raison_sociale")
_POPULATION = ("population", "pop", "pmun", "ptot")
_QPV_CODES = ("code_qp", "codeqpv", "code_qpv", "cod_qp", "code_quartier")
_QPV_NAMES = ("lib_qp", "nom_qp", "libqpv", "lib_qpv", "nom_qpv", "nomqpv", "lib_quartier", "nom_quartier", "nom")
_QPV_COMMUNE_CODES = ("insee_com", "code_insee", "codes_insee", "code_com", "depcom")
_QPV_COMMUNE_NAMES = ("lib_com", "libcom", "communes", "nom_com", "lib_commune", "commune")
_SQUARE_IDS = ("idcar_200m", "idcar", "id_carreau", "idinspire", "id")
_SQUARE_PEOPLE = ("ind", "num_people", "population", "pop", "nbpersm")
#: INSEE square id: « CRS3035RES200mN2961400E3831000 » = system, size, then the lower-left corner.
_SQUARE_ID = re.compile(r"CRS(\d{4,5})RES(\d+)mN(\d+(?:\.\d+)?)E(\d+(?:\.\d+)?)")
_QPV_CODE = re.compile(r"^Q[A-Z0-9]{7,9}$")
_ATTRIBUTION = {
    "territory": "Contours : IGN, INSEE",
    "qpv": "QPV : ANCT",
    "population": "Population : INSEE (Filosofi)",
}


def _column(
    columns, wanted: tuple[str, ...], given: str | None, file: str, what: str, required: bool = True
) -> str | None:
    """The column holding ``what``: ``given`` (--code-field…), else a known name (any case), else a
    name starting with a known one (« code_qp_2024_by_name »; the 2024 ones first)."""
    columns = [c for c in columns if c != "geometry"]
    if given:
        if given not in columns:
            raise ImportFileError(
                f"« {file} » : pas de colonne « {given} » ({what}). Colonnes présentes : "
                f"{', '.join(map(str, columns))}."
            )
        return given
    lowered = {str(c).lower(): c for c in columns}
    found = next((lowered[w] for w in wanted if w in lowered), None)
    if found is None:
        prefixed = [c for c in columns if any(str(c).lower().startswith(w) for w in wanted if len(w) >= 6)]
        found = min(prefixed, key=lambda c: "2024" not in str(c), default=None)
    if found is None and required:
        raise ImportFileError(
            f"« {file} » : colonne « {what} » introuvable. Colonnes présentes : "
            f"{', '.join(map(str, columns))}. Indiquez-la avec --code-field ou --name-field."
        )
    return found


def _tidy_list(values: pd.Series) -> pd.Series:
    """« Lille, Faches-Thumesnil, Loos,  Lezennes » or « 13055; 13070 » as « a, b, c »."""
    return values.fillna("").astype(str).map(lambda v: ", ".join(p.strip() for p in re.split(r"[,;]", v) if p.strip()))


def _settle_area_crs(geometry: gpd.GeoSeries, file: str, notes: list[str]) -> gpd.GeoSeries:
    """A file that does not say its system (Shapefile without .prj): degrees or Lambert-93 metres by
    its values, told in a note."""
    if geometry.crs is not None:
        return geometry
    minx, miny, maxx, maxy = geometry.total_bounds
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
        crs, label = WGS84, "WGS84 (latitude/longitude)"
    elif 0 <= minx and maxx <= 1_300_000 and 6_000_000 <= miny and maxy <= 7_200_000:
        crs, label = LAMBERT93, "Lambert-93"
    else:
        raise ImportFileError(
            f"« {file} » ne dit pas son système de coordonnées et ses valeurs ne sont ni des "
            "degrés ni du Lambert-93 : enregistrez-le avec son système (fichier .prj) dans QGIS."
        )
    notes.append(f"« {file} » ne dit pas son système de coordonnées : {label} supposé d'après ses valeurs.")
    return geometry.set_crs(crs)


def _read_areas(path: Path, what: str, notes: list[str], bbox=None) -> gpd.GeoDataFrame:
    """A geographic file's polygons in WGS84, repaired (a self-intersecting QPV), rows without any
    area dropped (told in ``notes``)."""
    if path.suffix.lower() not in GEO_SUFFIXES:
        raise ImportFileError(
            f"« {path.name} » : format {path.suffix or 'sans extension'} non reconnu pour {what}. "
            "Formats acceptés : GeoJSON, GeoPackage (.gpkg), Shapefile (.shp ou .zip), ZIP."
        )
    frame = read_geofile(path, bbox=bbox)
    geometry = _settle_area_crs(frame.geometry, path.name, notes)
    geometry = polygonal(geometry.to_crs(WGS84))
    keep = (geometry.notna() & ~geometry.is_empty).to_numpy()
    if (~keep).any():
        lines = ", ".join(map(str, frame.index[~keep][:10]))
        notes.append(f"« {path.name} » : {int((~keep).sum())} élément(s) sans surface ignoré(s) (ligne(s) {lines}).")
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return gpd.GeoDataFrame(table[keep], geometry=geometry[keep].to_numpy(), crs=WGS84)


def _provenance_of(kind: str, file: str) -> dict:
    return {
        "source": f"Fichier « {file} »",
        "url": "",
        "date": dt.date.today().isoformat(),
        "licence": "selon le fichier (Licence Ouverte pour les données IGN, ANCT, INSEE)",
        "attribution": _ATTRIBUTION[kind],
    }


def read_territory_file(
    path: Path | str, *, code_field: str | None = None, name_field: str | None = None, notes: list[str] | None = None
) -> tuple[gpd.GeoDataFrame, dict]:
    """Commune or EPCI outlines (Admin Express ``INSEE_COM``/``NOM``/``POPULATION``, geo.api
    ``code``/``nom``/``population``, an EPCI's ``CODE_SIREN``) as territory rows, and the project's
    territory description (``kind``, ``code``, ``name``)."""
    path, notes = Path(path), ([] if notes is None else notes)
    frame = _read_areas(path, "un contour de territoire", notes)
    code = _column(frame.columns, _TERRITORY_CODES, code_field, path.name, "code INSEE ou SIREN")
    name = _column(frame.columns, _NAMES, name_field, path.name, "nom", required=False) or code
    people = _column(frame.columns, _POPULATION, None, path.name, "population", required=False)
    population = (
        pd.to_numeric(frame[people].str.replace(r"\s", "", regex=True), errors="coerce").round()
        if people
        else pd.Series(np.nan, index=frame.index)
    )
    data = gpd.GeoDataFrame(
        {"code": frame[code].str.strip(), "nom": frame[name].str.strip(), "population": population.astype("Int64")},
        geometry=frame.geometry,
        crs=WGS84,
    )
    data = validate(TERRITORY, data, TERRITORY.title, file=path.name)
    codes = data["code"].tolist()
    if len(data) == 1:
        kind = "epci" if re.fullmatch(r"\d{9}", codes[0]) else "commune"
        territory = {"kind": kind, "code": codes[0], "name": str(data["nom"].iloc[0])}
    else:
        names = data.sort_values("population", ascending=False, na_position="last")["nom"].tolist()
        territory = {"kind": "communes", "code": "", "name": f"{names[0]} et {len(names) - 1} autre(s) commune(s)"}
    return data, territory


def _merge_same_code(table: gpd.GeoDataFrame, file: str, notes: list[str]) -> gpd.GeoDataFrame:
    """Perimeters sharing one code are one QPV (two 2015 quarters merged into one 2024 QPV)."""
    counts = table["code_qp"].value_counts()
    if (counts <= 1).all():
        return table
    rows = []
    for code, group in table.groupby("code_qp", sort=False):
        if len(group) > 1:
            notes.append(
                f"« {file} » : {len(group)} périmètres portent le code {code} "
                f"({group['lib_qp'].iloc[0]}) : réunis en un seul quartier."
            )
        population = group["population"]
        rows.append(
            {
                "code_qp": code,
                "lib_qp": group["lib_qp"].iloc[0],
                "insee_com": _union_list(group["insee_com"]),
                "lib_com": _union_list(group["lib_com"]),
                "population": population.sum() if population.notna().all() else np.nan,
                "geometry": group.geometry.union_all(),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)


def _union_list(values: pd.Series) -> str:
    """« a, b » and « b, c » as « a, b, c »."""
    return ", ".join(dict.fromkeys(p for v in values for p in v.split(", ") if p))


def read_qpv_file(
    path: Path | str,
    territory: gpd.GeoDataFrame,
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    notes: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """The QPV of ``territory`` (territory rows) from a QPV file, each kept WHOLE, with its communes.

    Formats: the national QPV 2024 GeoJSON or its ZIP (``code_qp``, ``lib_qp``, ``insee_com``,
    ``lib_com``), any GeoPackage or Shapefile with a code and a name column (guessed, or named by
    ``code_field``/``name_field``). A QPV is kept by :func:`ambmap.sources.qpv.filter_to_territory`
    (its commune code, or its share inside the territory). Its communes are those of ``territory`` it
    overlaps by more than :data:`COMMUNE_SLIVER_M2` when the territory is made of communes and holds the
    whole QPV; else the file's own list (or, failing it, the territory's communes it overlaps).
    """
    path, notes = Path(path), ([] if notes is None else notes)
    frame = _read_areas(path, "des périmètres de QPV", notes, bbox=tuple(territory.total_bounds))
    columns = [c for c in frame.columns if c != frame.geometry.name]
    code = _column(columns, _QPV_CODES, code_field, path.name, "code du quartier", required=False)
    if code is None:  # a column whose values look like QPV codes (QN059…, QP059…)
        code = next((c for c in columns if len(frame) and frame[c].str.strip().str.match(_QPV_CODE).mean() > 0.8), None)
        code = code or _column(columns, (), None, path.name, "code du quartier")
    name = _column(columns, _QPV_NAMES, name_field, path.name, "nom du quartier")
    codes = _column(columns, _QPV_COMMUNE_CODES, None, path.name, "", required=False)
    names = _column(columns, _QPV_COMMUNE_NAMES, None, path.name, "", required=False)
    people = next((c for c in columns if str(c).lower() == "population"), None)
    empty = pd.Series("", index=frame.index)
    table = gpd.GeoDataFrame(
        {
            "code_qp": frame[code].str.strip(),
            "lib_qp": frame[name].str.strip(),
            "insee_com": _tidy_list(frame[codes] if codes else empty),
            "lib_com": _tidy_list(frame[names] if names else empty),
            "population": pd.to_numeric(frame[people], errors="coerce") if people else np.nan,
        },
        geometry=frame.geometry,
        crs=WGS84,
    )
    unnamed = table["code_qp"] == ""
    if unnamed.any():
        notes.append(
            f"« {path.name} » : {int(unnamed.sum())} périmètre(s) sans code de quartier ignoré(s) "
            f"(ligne(s) {', '.join(map(str, table.index[unnamed][:10]))})."
        )
        table = table[~unnamed]
    if table.empty:  # nothing near the territory (refused by the caller)
        return table.rename(columns={"lib_qp": "nom_qp"})
    table = _merge_same_code(table.reset_index(drop=True), path.name, notes)
    population = dict(zip(table["code_qp"], table["population"], strict=True))
    kept = qpv_source.filter_to_territory(table, territory)
    kept["population"] = pd.array(
        [None if pd.isna(population.get(c)) else round(population[c]) for c in kept["code_qp"]], dtype="Int64"
    )
    return _list_communes(kept, territory)


def _list_communes(qpv: gpd.GeoDataFrame, territory: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``lib_com``/``insee_com`` of each QPV from the territory's communes it overlaps (see
    :func:`read_qpv_file` for which source wins)."""
    if qpv.empty:
        return qpv
    crs = metric_crs(territory)
    metric_qpv, metric_territory = qpv.to_crs(crs), territory.to_crs(crs)
    communal = len(territory) > 1 and territory["code"].str.fullmatch(r"\d[\dAB]\d{3}").all()
    outline = metric_territory.union_all()
    names, codes = qpv["lib_com"].tolist(), qpv["insee_com"].tolist()
    left, right = metric_territory.sindex.query(metric_qpv.geometry, predicate="intersects")
    for i, geom in enumerate(metric_qpv.geometry):
        parts = metric_territory.iloc[right[left == i]]
        area = parts.intersection(geom).area
        parts = parts[area.to_numpy() >= COMMUNE_SLIVER_M2].assign(_area=area[area >= COMMUNE_SLIVER_M2])
        parts = parts.sort_values("_area", ascending=False)
        whole = geom.area > 0 and geom.intersection(outline).area / geom.area >= 0.99
        is_commune = parts["code"].str.fullmatch(r"\d[\dAB]\d{3}")
        if ((communal and whole) or not names[i]) and is_commune.all() and len(parts):
            names[i] = ", ".join(parts["nom"])
        if (communal and whole) or not codes[i]:
            codes[i] = ", ".join(parts["code"][is_commune]) or codes[i]
    return qpv.assign(lib_com=names, insee_com=codes)


def read_population_file(path: Path | str, area: gpd.GeoSeries, notes: list[str] | None = None) -> gpd.GeoDataFrame:
    """INSEE Filosofi 200 m squares touching ``area`` (WGS84: the territory and its whole QPV).

    A GeoPackage, GeoJSON or Shapefile with its squares, or a CSV with ``Idcar_200m``/``Ind`` (or
    ``id``/``num_people``): without square geometry, each square is rebuilt from its id
    (« CRS3035RES200mN2961400E3831000 »). Squares cut by a QPV boundary are kept whole: coverage
    shares their residents by area.
    """
    path, notes = Path(path), ([] if notes is None else notes)
    outline = gpd.GeoSeries(area, crs=WGS84).union_all()
    bounds = gpd.GeoSeries([outline], crs=WGS84).total_bounds
    if path.suffix.lower() in TABLE_SUFFIXES - {".xlsx", ".xlsm"}:
        frame, geometry = _read_square_table(path), None
    elif path.suffix.lower() in GEO_SUFFIXES:
        frame = read_geofile(path, bbox=tuple(bounds))
        geometry = frame.geometry
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    else:
        raise ImportFileError(
            f"« {path.name} » : format {path.suffix or 'sans extension'} non reconnu pour des "
            "carreaux de population. Formats acceptés : GeoPackage, GeoJSON, Shapefile, CSV."
        )
    ident = _column(frame.columns, _SQUARE_IDS, None, path.name, "identifiant du carreau (Idcar_200m)")
    people = _column(frame.columns, _SQUARE_PEOPLE, None, path.name, "population du carreau (Ind)")
    ids = frame[ident].astype(str).str.strip()
    count = pd.to_numeric(
        frame[people].astype(str).str.replace(r"\s", "", regex=True).str.replace(",", "."), errors="coerce"
    )
    if geometry is None or not geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        geometry = _squares_from_ids(ids, bounds, path.name)
    else:
        geometry = _settle_area_crs(geometry, path.name, notes).to_crs(WGS84)
    table = gpd.GeoDataFrame(
        {"idcar": ids.to_numpy(), "population": count.to_numpy()},
        geometry=np.asarray(geometry, dtype=object),
        crs=WGS84,
    )
    table = table[table.geometry.notna()]
    table = table.iloc[table.sindex.query(outline, predicate="intersects")].sort_index()
    missing = table["population"].isna()
    if missing.any():
        notes.append(f"« {path.name} » : {int(missing.sum())} carreau(x) sans population ignoré(s).")
        table = table[~missing]
    twice = table["idcar"].duplicated()
    if twice.any():
        notes.append(f"« {path.name} » : {int(twice.sum())} carreau(x) en double ignoré(s).")
        table = table[~twice]
    return validate(POPULATION_GRID, table.reset_index(drop=True), POPULATION_GRID.title, file=path.name)


def _read_square_table(path: Path) -> pd.DataFrame:
    """Two columns of INSEE's national CSV (millions of rows): read by pandas, not cell by cell."""
    if not path.exists():
        raise ImportFileError(f"Le fichier « {path} » n'existe pas.")
    with path.open("rb") as f:
        head, encoding, _ = decode(f.read(65536))
    lines = head.splitlines()
    if not lines:
        raise ImportFileError(f"Le fichier « {path.name} » est vide : rien à importer.")
    sep = detect_separator(head)
    header = [c.strip().strip('"').lstrip("\ufeff") for c in lines[0].split(sep)]
    wanted = [
        _column(header, _SQUARE_IDS, None, path.name, "identifiant du carreau (Idcar_200m)"),
        _column(header, _SQUARE_PEOPLE, None, path.name, "population du carreau (Ind)"),
    ]
    try:
        return pd.read_csv(
            path,
            sep=sep,
            usecols=lambda c: c.strip().lstrip("\ufeff") in wanted,
            dtype=str,
            encoding="utf-8-sig" if encoding.startswith("UTF-8") else "cp1252",
            encoding_errors="replace",
        ).rename(columns=lambda c: c.strip().lstrip("\ufeff"))
    except (ValueError, pd.errors.ParserError) as e:
        raise ImportFileError(f"« {path.name} » n'est pas un tableau CSV lisible ({e}).") from e


def _squares_from_ids(ids: pd.Series, bounds, file: str) -> np.ndarray:
    """WGS84 squares rebuilt from INSEE ids (None where an id is not one), those far from ``bounds``
    (longitude/latitude) left out before any geometry is made."""
    parts = ids.str.extract(_SQUARE_ID)
    known = parts[0].notna().to_numpy()
    if not known.any():
        raise ImportFileError(
            f"« {file} » : les identifiants de carreaux ne sont pas au format INSEE "
            "(« CRS3035RES200mN2961400E3831000 ») et le fichier n'a pas de géométrie."
        )
    out = np.full(len(ids), None, dtype=object)
    for epsg in parts[0].dropna().unique():
        rows = (parts[0] == epsg).to_numpy()
        size = parts[1][rows].astype(float).to_numpy()
        north, east = parts[2][rows].astype(float).to_numpy(), parts[3][rows].astype(float).to_numpy()
        west, south, east_, north_ = bounds
        corners = (
            gpd.GeoSeries(gpd.points_from_xy([west, west, east_, east_], [south, north_, south, north_]), crs=WGS84)
            .to_crs(f"EPSG:{epsg}")
            .total_bounds
        )
        near = (east + size >= corners[0]) & (east <= corners[2]) & (north + size >= corners[1]) & (north <= corners[3])
        squares = shapely.box(east[near], north[near], east[near] + size[near], north[near] + size[near])
        index = np.flatnonzero(rows)[near]
        out[index] = gpd.GeoSeries(squares, crs=f"EPSG:{epsg}").to_crs(WGS84).to_numpy()
    return out


# -- a layer from a file, a project from files ---------------------------------------------------------
LAYER_FILE_KINDS = ("territory", "qpv", "population")


@dataclass
class LayerFileResult:
    """A new territory, QPV or population layer read from a file, ready to replace the project's."""

    kind: str
    file: str
    layer: Layer
    previous: int
    notes: list[str] = field(default_factory=list)
    territory: dict = field(default_factory=dict)

    def report(self) -> str:
        """The French report printed by ``ambmap import`` and ``ambmap new``."""
        out = [
            f"« {self.file} » → « {self.layer.title} » : {len(self.layer)} élément(s)"
            + (f" (remplace {self.previous})." if self.previous else ".")
        ]
        if self.kind == "qpv":
            out += [
                f"  - {r.code_qp} {r.nom_qp}" + (f" ({r.lib_com})" if r.lib_com else "")
                for r in self.layer.data.itertuples()
            ]
        elif self.kind == "population":
            out.append(f"  {text_number(float(self.layer.data['population'].sum()))} habitant(s) dans les carreaux.")
        return "\n".join(out + self.notes)


def read_layer_file(
    project: Project, kind: str, path: Path | str, *, code_field: str | None = None, name_field: str | None = None
) -> LayerFileResult:
    """A new ``kind`` layer (« territory », « qpv », « population ») for ``project`` from a file.

    The project is not touched (see :func:`apply_layer_file`). QPV are cut from the project's territory,
    squares from its territory and QPV. A file giving nothing for the territory is refused: it would
    empty the layer (a file of another town, a wrong column).
    """
    path, notes = Path(path), list[str]()
    if kind not in LAYER_FILE_KINDS:
        raise ImportFileError(f"« {kind} » : choisissez territory, qpv ou population.")
    territory = project.layers.get("territory")
    if kind != "territory" and (territory is None or not len(territory)):
        raise ImportFileError(
            "Le projet n'a pas encore de territoire : importez d'abord son contour (ambmap import territory FICHIER)."
        )
    info: dict = {}
    if kind == "territory":
        data, info = read_territory_file(path, code_field=code_field, name_field=name_field, notes=notes)
    elif kind == "qpv":
        assert territory is not None  # refused above when missing
        data = read_qpv_file(path, territory.data, code_field=code_field, name_field=name_field, notes=notes)
    else:
        assert territory is not None  # refused above when missing
        area = [*territory.data.geometry, *(project.layers["qpv"].data.geometry if "qpv" in project.layers else [])]
        data = read_population_file(path, gpd.GeoSeries(area, crs=WGS84), notes=notes)
    previous = len(project.layers.get(kind) or ())
    if data.empty:
        where = project.name or "le territoire"
        raise ImportFileError(
            f"« {path.name} » ne contient aucun élément pour {where} (autre territoire, ou "
            "mauvaise colonne ?) : "
            + (f"la couche existante ({previous}) est conservée." if previous else "rien n'a été importé.")
        )
    layer = Layer(SCHEMAS[kind], data, provenance=_provenance_of(kind, path.name))
    return LayerFileResult(kind, path.name, layer, previous, notes, info)


def apply_layer_file(project: Project, result: LayerFileResult) -> Layer:
    """Swap the layer in (a new territory file also renames the project's territory)."""
    if result.territory:
        project.territory = {**project.territory, **result.territory}
    project.set_layer(result.layer)
    return result.layer


def build_project_from_files(
    settings: Settings,
    territory_file: Path | str,
    qpv_file: Path | str | None = None,
    population_file: Path | str | None = None,
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    progress: Progress = None,
) -> tuple[Project, list[str]]:
    """A new project from files on disk, offline: territory outlines, then QPV, then 200 m squares.

    Returns the project and the report lines. ``code_field``/``name_field`` name the QPV file's columns.
    """
    given = [
        ("territory", territory_file, None, None),
        ("qpv", qpv_file, code_field, name_field),
        ("population", population_file, None, None),
    ]
    steps = [(kind, path, code, name) for kind, path, code, name in given if path]
    options = {"coverage_radius_m": settings.coverage_radius_m, "pole_radius_m": settings.pole_radius_m}
    project, report = Project({}, [], options), []
    for done, (kind, path, code, name) in enumerate(steps):
        if progress:
            progress(done, len(steps), f"Lecture de « {Path(path).name} »…")
        result = read_layer_file(project, kind, path, code_field=code, name_field=name)
        apply_layer_file(project, result)
        report.append(result.report())
    if progress:
        progress(len(steps), len(steps), f"Projet {project.name} prêt.")
    project.modified = True
    return project, report
