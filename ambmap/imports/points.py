"""A user's file of points (CSV, XLSX, GeoJSON, GeoPackage, Shapefile) read into rows for the pôles,
ambassadors or resources layer: placed from coordinates or addresses, or kept « à placer ».

``io`` reads the file and recognises its columns (joined ones too) and coordinate systems,
``sources.geocoding`` places rows that have only an address, ``layers`` validates. Nothing is written to
a project here: see :mod:`ambmap.imports.into_project`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from ambmap.config import Settings
from ambmap.crs import WGS84
from ambmap.errors import ImportFileError, Problem, SourceError, ValidationError
from ambmap.io import coords
from ambmap.io.mapping import combine, guess_combined, resolve, targets
from ambmap.io.tables import GEO_SUFFIXES, TABLE_SUFFIXES, read_geofile, read_table
from ambmap.io.text import REMOVED
from ambmap.layers import (
    AMBASSADORS,
    POLES,
    RESOURCES,
    SCHEMAS,
    LayerSchema,
    validate,
)
from ambmap.sources import geocoding
from ambmap.sources.http import HttpClient, Progress

if TYPE_CHECKING:
    from ambmap.imports.into_project import ImportPlan

IMPORTABLE = {"poles": POLES, "ambassadors": AMBASSADORS, "resources": RESOURCES}
_ID_PREFIX = {"poles": "PRS-", "ambassadors": "AMB-", "resources": "RES-"}
ID_WIDTH = 3  # AMB-001: the width of a project without ids of its own
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
            rows.set_aside(pos, column, "pas de coordonnées ; adresse pas encore cherchée")
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
