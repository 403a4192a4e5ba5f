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
from ambmap.crs import WGS84
from ambmap.errors import ImportFileError, Problem, SourceError, ValidationError
from ambmap.io import coords
from ambmap.io.mapping import guess_mapping, targets
from ambmap.io.tables import GEO_SUFFIXES, TABLE_SUFFIXES, read_geofile, read_table
from ambmap.io.text import REMOVED
from ambmap.layers import AMBASSADORS, POLES, RESOURCES, SCHEMAS, Layer, LayerSchema, validate
from ambmap.project import Project
from ambmap.sources import geocoding
from ambmap.sources.http import HttpClient, Progress

IMPORTABLE = {"poles": POLES, "ambassadors": AMBASSADORS, "resources": RESOURCES}
_ID_PREFIX = {"poles": "PRS", "ambassadors": "AMB", "resources": "RES"}
#: Defaults for required choice fields a file may lack entirely (told to the user in ``notes``).
_DEFAULTS = {("resources", "category"): "autre", ("ambassadors", "status"): "actif"}
#: Distance beyond the territory's outline at which an imported point is flagged « à vérifier »: wider
#: than the neighbouring communes a pôle or a resource may legitimately sit in, far narrower than a
#: homonym street in another town or a shifted column.
OUTSIDE_MARGIN_M = 5_000.0
PERSONAL_DATA_NOTICE = ("Les adresses des ambassadeurs·rices sont des données personnelles : seule la colonne "
                        "adresse est envoyée au service national de géocodage (Géoplateforme), sans nom.")


def _client(settings: Settings, progress: Progress) -> HttpClient:
    return HttpClient(settings, on_notice=(lambda m: progress(0, 0, m)) if progress else None)


@dataclass
class ImportResult:
    """What an import produced: valid rows for the layer, and every row refused or to check.

    ``rejected`` rows are not in ``data`` (one Problem per wrong value: a line may have several);
    ``doubtful`` rows are, flagged ``a_verifier``.
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
    geocoder_down: bool = False  # rows were refused only because the geocoding service did not answer
    corrected: list[Problem] = field(default_factory=list)  # values cleaned on the way in (control characters)

    def report(self) -> str:
        """The French report shown after an import (and printed by ``ambmap import``)."""
        refused = len({p.row for p in self.rejected})
        out = [(f"Import de « {self.file} » dans « {SCHEMAS[self.kind].title} » : {len(self.data)} ligne(s) "
                f"importée(s), {refused} refusée(s), {len(self.doubtful)} à vérifier.")]
        out += self.notes
        for title, problems in (("Lignes refusées :", self.rejected), ("Lignes à vérifier :", self.doubtful),
                                ("Valeurs corrigées :", self.corrected)):
            if problems:
                out.append(title)
                out += [f"  - {_describe(p)}" for p in problems]
        return "\n".join(out)


def _describe(p: Problem) -> str:
    where = f"ligne {p.row}" if p.row is not None else "fichier"
    column = f", colonne « {p.field} »" if p.field else ""
    return f"{p.file}, {where}{column} : {p.reason}"


def import_file(path: Path | str, kind: str, settings: Settings, *, mapping: dict[str, str] | None = None,
                geocode: bool = True, progress: Progress = None, client: HttpClient | None = None,
                territory: gpd.GeoDataFrame | None = None) -> ImportResult:
    """Read ``path`` into rows valid for the ``kind`` layer (« poles », « ambassadors », « resources »).

    Coordinates come from lat/lon or x/y columns (WGS84, swapped or Lambert-93 detected row by row),
    from the file's geometry (GeoJSON, GeoPackage, Shapefile), or from geocoding the address. Points
    farther than :data:`OUTSIDE_MARGIN_M` from the ``territory`` outlines (the project's, when given)
    are flagged « à vérifier ». Nothing is written to any project: see :func:`apply_import`.
    """
    if kind not in IMPORTABLE:
        raise ImportFileError(f"On ne peut importer que des pôles, des ambassadeurs ou des ressources (pas « {kind} »).")
    path = Path(path)
    if progress:
        progress(0, 0, f"Lecture de « {path.name} »…")
    table, geometry = _read(path)
    mapping = dict(mapping) if mapping is not None else guess_mapping(list(table.columns), kind)
    unknown = {t: c for t, c in mapping.items() if c not in table.columns or t not in targets(kind)}
    if unknown:
        raise ImportFileError(f"« {path.name} » : association de colonnes invalide "
                              f"({', '.join(f'{t} ← {c}' for t, c in unknown.items())}).")
    rows = _Rows(kind, IMPORTABLE[kind], path.name, table, mapping)
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
        raise ImportFileError(f"« {path.name} » : format {suffix or 'sans extension'} non reconnu. Formats acceptés : "
                              "CSV, XLSX, GeoJSON, GeoPackage (.gpkg), Shapefile (.shp ou .zip).")
    if table.empty:
        raise ImportFileError(f"« {path.name} » ne contient aucune ligne de données (seulement l'en-tête) : "
                              "rien à importer.")
    return table, geometry


class _Rows:
    """One import's row table and what was found so far: positions placed, refused, to check."""

    def __init__(self, kind: str, schema: LayerSchema, file: str, table: pd.DataFrame, mapping: dict[str, str]):
        self.kind, self.schema, self.file, self.table, self.mapping = kind, schema, file, table, mapping
        self.lines = table.index.to_numpy()
        self.n = len(table)
        self.rejected: dict[int, list[Problem]] = {}
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
        self.corrected = [Problem(self.schema.title, line, column, REMOVED, self.file)
                          for line, column in self.table.attrs.get("controls", [])]
        if self.corrected:
            self.notes.append(f"{len(self.corrected)} valeur(s) contenaient des caractères de contrôle (tabulation "
                              "verticale, NUL…) : ils ont été retirés.")
        if self.table.attrs.get("legacy_lines"):
            self.notes.append(f"Fichier en UTF-8 dont {len(self.table.attrs['legacy_lines'])} ligne(s) sont en "
                              "Windows-1252 (fichier modifié par un autre logiciel) : chaque ligne a été lue dans "
                              "son propre encodage.")

    def problem(self, pos: int, column: str | None, reason: str) -> Problem:
        return Problem(self.schema.title, int(self.lines[pos]), column, reason, self.file)

    def reject(self, pos: int, column: str | None, reason: str) -> None:
        if pos not in self.broken:
            self.rejected.setdefault(pos, []).append(self.problem(pos, column, reason))

    def doubt(self, pos: int, column: str | None, reason: str) -> None:
        self.flag[pos] = True
        self.doubtful.append((pos, self.problem(pos, column, reason)))

    def doubt_or_reject(self, pos: int, column: str, reason: str) -> None:
        """Bad coordinates: geocode the address instead when there is one, else refuse the row."""
        address = str(self.out.at[pos, "address"]) if "address" in self.out else ""
        if address.strip():
            self.doubt(pos, column, f"{reason} : position recherchée à partir de l'adresse")
        else:
            self.reject(pos, column, f"{reason} et pas d'adresse : impossible de placer ce point")

    def column_label(self, target: str) -> str:
        return self.mapping.get(target) or (self.schema.field(target).label if target in self.schema.names else target)

    def kept(self) -> np.ndarray:
        """Positions not refused so far, as a mask."""
        return np.array([pos not in self.rejected for pos in range(self.n)], dtype=bool)


# -- steps -------------------------------------------------------------------------------------------
def _fill_columns(rows: _Rows) -> None:
    """The layer's fields from the mapped columns: numbered ids and defaults where the file has none."""
    missing = []
    for f in rows.schema.fields:
        if f.name in rows.mapping:
            rows.out[f.name] = rows.table[rows.mapping[f.name]].to_numpy()
        elif f.name == rows.schema.id_field:
            prefix = _ID_PREFIX[rows.kind]
            rows.out[f.name] = [f"{prefix}-{i + 1:04d}" for i in range(rows.n)]
            rows.notes.append(f"Pas de colonne identifiant : identifiants {prefix}-0001… attribués.")
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
        + ("La première ligne ressemble à des données, pas à des titres de colonnes : ajoutez en tête "
           "une ligne de titres (par exemple Nom ; Adresse ; lon ; lat). " if headerless else "")
        + "Renommez la colonne dans le fichier ou associez-la à la main à l'étape « Colonnes ».")


def _join_address(rows: _Rows) -> None:
    """Postcode and city columns appended to the address: « 1 rue X, 59000 Lille »."""
    extra = [rows.table[rows.mapping[t]].astype(str).to_numpy() for t in ("postcode", "city") if t in rows.mapping]
    if not extra:
        return
    address = rows.out["address"].astype(str) if "address" in rows.out else pd.Series("", index=rows.out.index)
    joined = []
    for row in zip(address.to_numpy(), *extra):
        town = " ".join(p.strip() for p in row[1:] if p.strip())
        joined.append(", ".join(p for p in (str(row[0]).strip(), town) if p))
    rows.out["address"] = joined


def _reject_duplicate_ids(rows: _Rows) -> None:
    id_field = rows.schema.id_field
    ids = rows.out[id_field].astype(str).str.strip()
    first: dict[str, int] = {}
    for pos, value in enumerate(ids):
        if not value:
            continue
        if value in first:
            rows.reject(pos, rows.column_label(id_field),
                        f"identifiant « {value} » en double (déjà ligne {rows.lines[first[value]]}) : ligne ignorée")
        else:
            first[value] = pos


def _place_from_columns(rows: _Rows) -> None:
    """Points from lon/lat or x/y columns, each row's system recognised on its own."""
    pair = next(((a, b, projected) for a, b, projected in (("lon", "lat", False), ("x", "y", True))
                 if a in rows.mapping and b in rows.mapping), None)
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
        np.isnan(second) & (raw_b.str.strip() != "").to_numpy())
    for pos in np.flatnonzero(unreadable):
        rows.lon[pos] = rows.lat[pos] = np.nan
        rows.doubt_or_reject(pos, columns, f"coordonnées illisibles ({values(pos)})")
    for pos in np.flatnonzero((verdict == coords.INVALID) & ~unreadable):
        rows.doubt_or_reject(pos, columns, f"coordonnées hors de France ou incohérentes ({values(pos)})")
    for pos in np.flatnonzero(verdict == coords.OUTSIDE):
        rows.doubt(pos, columns, f"position hors de France métropolitaine ({values(pos)}) : à vérifier")
    for pos in np.flatnonzero(verdict == coords.SWAPPED):
        rows.doubt(pos, columns, "latitude et longitude inversées dans le fichier : corrigé, position à vérifier")
    l93 = np.isin(verdict, [coords.LAMBERT93, coords.LAMBERT93_SWAPPED])
    if l93.any():
        rows.notes.append(f"{int(l93.sum())} ligne(s) en coordonnées Lambert-93 (mètres) converties en "
                          "latitude/longitude.")


def _place_from_geometry(rows: _Rows, geometry: gpd.GeoSeries) -> None:
    """Points from a geographic file, in the system its numbers are really in (:func:`coords.settle_crs`)."""
    geometry, note = coords.settle_crs(geometry)
    if note:
        rows.notes.append(note)
    for pos, geom in enumerate(geometry.to_crs(WGS84)):
        if geom is None or geom.is_empty:
            continue
        if geom.geom_type != "Point":
            rows.reject(pos, "géométrie", f"géométrie de type {geom.geom_type} : un point est attendu")
            continue
        rows.lon[pos], rows.lat[pos] = geom.x, geom.y
    verdict = coords.classify(np.asarray(rows.lon, dtype=float), np.asarray(rows.lat, dtype=float))
    for pos in np.flatnonzero(np.isin(verdict, [coords.OUTSIDE, coords.SWAPPED])):
        rows.doubt(pos, "géométrie", f"position hors de France métropolitaine (longitude {rows.lon[pos]:.5f}, "
                                     f"latitude {rows.lat[pos]:.5f}) : à vérifier")


def _geocode(rows: _Rows, settings: Settings, client: HttpClient | None, progress: Progress, enabled: bool) -> None:
    """Place the rows still without a point from their address (only the address is sent)."""
    address = rows.out["address"].astype(str).str.strip().to_numpy() if "address" in rows.out \
        else np.full(rows.n, "", dtype=object)
    todo = [pos for pos in range(rows.n) if np.isnan(rows.lon[pos]) and pos not in rows.rejected]
    column = rows.column_label("address")
    for pos in [p for p in todo if not address[p]]:
        rows.reject(pos, column, "ni coordonnées ni adresse : impossible de placer ce point")
    todo = [p for p in todo if address[p]]
    if not todo:
        return
    if not enabled:
        for pos in todo:
            rows.reject(pos, column, "pas de coordonnées et géocodage désactivé : ajoutez latitude/longitude")
        return
    if progress:
        progress(0, len(todo), f"Géocodage de {len(todo)} adresse(s)…")
    try:
        answers = geocoding.geocode_many([address[p] for p in todo], settings, client or _client(settings, progress),
                                         progress)
    except SourceError as e:
        rows.notes.append(f"Géocodage impossible : {e.message}")
        rows.geocoder_down = True
        for pos in todo:
            rows.reject(pos, column, "adresse non géocodée (service de géocodage indisponible)")
        return
    rows.geocoded = True
    _place_answers(rows, todo, answers, address, column, settings.geocode_min_score)


def _place_answers(rows: _Rows, todo: list[int], answers: list, address: np.ndarray, column: str,
                   min_score: float) -> None:
    for pos, answer in zip(todo, answers):
        if answer is None:
            rows.reject(pos, column, f"adresse « {address[pos]} » introuvable : corrigez-la ou ajoutez "
                                     "latitude/longitude")
            continue
        rows.lon[pos], rows.lat[pos], rows.score[pos] = answer.lon, answer.lat, answer.score
        if answer.score < min_score:
            rows.doubt(pos, column, f"adresse trouvée avec un score faible ({answer.score:.2f}, « {answer.label} ») : "
                                    "position à vérifier")


def _flag_outside(rows: _Rows, territory: gpd.GeoDataFrame | None) -> None:
    """Flag placed points far outside the project's territory: a wrong column, a homonym street
    found by the geocoder or a wrong declared system all land there, whatever the file said."""
    if territory is None or not len(territory) or rows.n == 0:
        return
    placed = ~np.isnan(rows.lon) & ~np.isnan(rows.lat) & ~rows.flag & rows.kept()
    if not placed.any():
        return
    for pos, metres in zip(np.flatnonzero(placed), _distances(territory, rows.lon[placed], rows.lat[placed])):
        if metres > OUTSIDE_MARGIN_M:
            rows.doubt(pos, "coordonnées", f"position à {metres / 1000:.0f} km du territoire du projet "
                                           f"(longitude {rows.lon[pos]:.5f}, latitude {rows.lat[pos]:.5f}) : "
                                           "à vérifier")


def _distances(territory: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Metres from each point to the territory's outline (0 inside)."""
    outline = territory.to_crs(WGS84).geometry.union_all()
    centre = outline.centroid
    local = f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m"  # true distances near it
    shape = gpd.GeoSeries([outline], crs=WGS84).to_crs(local).iloc[0]
    return gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=WGS84).to_crs(local).distance(shape).to_numpy()


def _finish(rows: _Rows) -> ImportResult:
    """The rows kept, validated against the layer schema (a row with a wrong value is refused)."""
    out = rows.out.assign(geocode_score=rows.score, a_verifier=rows.flag)
    if "geocode_score" in rows.mapping:  # a score already in the file wins when not geocoded now
        given = coords.to_number(rows.table[rows.mapping["geocode_score"]])
        out["geocode_score"] = np.where(np.isnan(rows.score), given, rows.score)
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(rows.lon, rows.lat), crs=WGS84)
    valid, positions = _validate(rows, gdf, np.flatnonzero(rows.kept()))
    rejected = [p for pos in sorted(rows.rejected) for p in rows.rejected[pos]]
    kept = set(positions.tolist())
    doubtful = [p for pos, p in rows.doubtful if pos in kept]
    corrected = [p for p in rows.corrected if p.row in {int(rows.lines[pos]) for pos in kept}]
    return ImportResult(rows.kind, rows.file, valid, rejected, doubtful, rows.mapping, rows.notes,
                        _provenance(rows.file, rows.geocoded), [int(rows.lines[p]) for p in positions],
                        rows.generated_ids, rows.geocoder_down, corrected)


def _validate(rows: _Rows, gdf: gpd.GeoDataFrame, positions: np.ndarray) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """(valid rows, their positions): the rows at ``positions`` less those the schema refuses."""
    schema, file = rows.schema, rows.file
    try:
        return validate(schema, gdf.iloc[positions].reset_index(drop=True), schema.title, file=file,
                        first_row=0), positions
    except ValidationError as e:
        bad = set()
        for p in e.problems:
            if p.row is None:
                raise ImportFileError(f"« {file} » : {p.describe()}") from e
            bad.add(p.row)
            rows.reject(int(positions[p.row]), rows.column_label(p.field) if p.field != "geometry" else "coordonnées",
                        p.reason)
    positions = np.array([pos for i, pos in enumerate(positions) if i not in bad], dtype=int)
    return validate(schema, gdf.iloc[positions].reset_index(drop=True), schema.title, file=file,
                    first_row=0), positions


def _provenance(file: str, geocoded: bool) -> dict:
    prov = {"source": f"Fichier importé « {file} »", "url": "", "date": dt.date.today().isoformat(),
            "licence": "Données de la ville (usage interne)", "attribution": ""}
    if geocoded:
        prov.update(geocoding=geocoding.ATTRIBUTION, licence=f"{prov['licence']} ; {geocoding.LICENCE}")
    return prov


# -- into the project --------------------------------------------------------------------------------
def apply_import(project: Project, result: ImportResult, *, replace: bool = False) -> Layer:
    """Put imported rows into the project: rows with an id already there are updated, others added
    (or the whole layer replaced). One swap at the end: nothing changes if validation fails."""
    current = project.layer(result.kind)
    id_field = current.schema.id_field
    new = result.data
    if result.generated_ids and not replace and len(current):  # numbered ids: continue after the layer's
        taken, prefix = set(current.data[id_field]), _ID_PREFIX[result.kind]
        free = (f"{prefix}-{n:04d}" for n in range(1, len(taken) + len(new) + 2) if f"{prefix}-{n:04d}" not in taken)
        new = new.assign(**{id_field: [next(free) for _ in range(len(new))]})
    if replace or not len(current):
        data = new
    else:
        old = current.data[~current.data[id_field].isin(new[id_field])]
        data = gpd.GeoDataFrame(pd.concat([old, new], ignore_index=True), geometry="geometry", crs=WGS84)
    prov = dict(result.provenance)
    if not replace and len(current) and current.provenance:
        prov["previous"] = current.provenance
    layer = Layer(current.schema, data, title=current.title, visible=current.visible, style=current.style,
                  provenance=prov)
    project.set_layer(layer)
    return layer


def geocode_layer(project: Project, kind: str, settings: Settings, *, only_flagged: bool = True,
                  progress: Progress = None, client: HttpClient | None = None) -> tuple[int, list[Problem]]:
    """Place again, from their address, the rows of a layer (those « à vérifier », or all).

    Returns (rows moved, rows still to check). The layer is swapped only at the end.
    """
    layer = project.layer(kind)
    data = layer.data.copy()
    rows = data.index[data["a_verifier"]] if only_flagged else data.index
    rows = [i for i in rows if str(data.at[i, "address"]).strip()]
    if not rows:
        return 0, []
    answers = geocoding.geocode_many([str(data.at[i, "address"]) for i in rows], settings,
                                     client or _client(settings, progress), progress)
    doubtful, moved = [], 0
    for i, answer in zip(rows, answers):
        if answer is None:
            doubtful.append(Problem(layer.title, i + 1, "address", "adresse introuvable"))
            continue
        data.at[i, "geometry"] = Point(answer.lon, answer.lat)
        data.at[i, "geocode_score"] = answer.score
        low = answer.score < settings.geocode_min_score
        data.at[i, "a_verifier"] = low
        moved += 1
        if low:
            doubtful.append(Problem(layer.title, i + 1, "address",
                                    f"score faible ({answer.score:.2f}, « {answer.label} ») : position à vérifier"))
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
_NOT_WALKED = {"highway", "autoroute", "motorway", "motorway_link", "trunk", "trunk_link", "construction",
               "proposed"}


def _column(table: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], path: Path, what: str) -> str | None:
    lowered = {str(c).lower(): c for c in table.columns}
    if wanted:
        if wanted in table.columns or wanted.lower() in lowered:
            return wanted if wanted in table.columns else lowered[wanted.lower()]
        raise ImportFileError(f"« {path.name} » n'a pas de colonne « {wanted} » ({what}). Colonnes présentes : "
                              f"{', '.join(map(str, table.columns)) or 'aucune'}.")
    return next((lowered[c] for c in candidates if c in lowered), None)


def import_streets(path: Path | str, *, class_field: str | None = None, name_field: str | None = None,
                   default_class: str = "desserte", source: str | None = None, licence: str = "",
                   attribution: str = "") -> tuple[Layer, list[str]]:
    """A streets layer from a line file (GeoJSON, GeoPackage, Shapefile), and notes for the user.

    The class is read from ``class_field`` (else the first of :data:`STREET_CLASS_COLUMNS` present) and
    mapped by :data:`ambmap.layers.streets.CLASS_ALIASES` (OSM ``highway`` values, ``roadClass``
    highway/major/minor, French words); an unknown or absent value becomes ``default_class`` (counted in
    the notes). Motorways are not walkable. Non-line features are skipped (counted).
    """
    from ambmap.layers.streets import STREET_CLASSES, STREETS, street_class

    path = Path(path)
    if default_class not in STREET_CLASSES:
        raise ImportFileError(f"Classe par défaut « {default_class} » inconnue : choisissez parmi "
                              f"{', '.join(STREET_CLASSES)}.")
    if path.suffix.lower() not in GEO_SUFFIXES:
        raise ImportFileError(f"« {path.name} » : les rues s'importent d'un fichier de lignes GeoJSON, GeoPackage "
                              "ou Shapefile (.shp ou .zip).")
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
    class_col = _column(table, class_field, STREET_CLASS_COLUMNS, path, "classe des rues")
    name_col = _column(table, name_field, STREET_NAME_COLUMNS, path, "nom des rues")
    id_col = _column(table, None, STREET_ID_COLUMNS, path, "identifiant")
    raw = table[class_col].fillna("").astype(str).str.strip().str.lower() if class_col else \
        pd.Series("", index=table.index)
    mapped = raw.map(lambda v: street_class(v) if v else None)
    unknown = mapped.isna()
    if unknown.any():
        values = sorted(set(raw[unknown]) - {""})[:8]
        shown = f" (valeurs : {', '.join(values)})" if values else ""
        notes.append(f"{int(unknown.sum())} rue(s) sans classe reconnue{shown} : classées « {default_class} ».")
    ids = table[id_col].fillna("").astype(str) if id_col else pd.Series("", index=table.index)
    numbered = [f"{path.stem}-{i}" for i in range(1, len(table) + 1)]
    ids = [v if v and v not in seen else n for v, n, seen in _first_seen(ids.tolist(), numbered)]
    data = gpd.GeoDataFrame({"street_id": ids,
                             "name": table[name_col].where(table[name_col].astype(str).str.strip() != "")
                             if name_col else None,
                             "street_class": mapped.fillna(default_class).to_numpy(),
                             "walkable": ~raw.isin(_NOT_WALKED).to_numpy()},
                            geometry=frame.geometry.values, crs=WGS84)
    prov = {"source": source or f"Fichier {path.name}", "date": dt.date.today().isoformat(), "licence": licence,
            "attribution": attribution}
    return Layer(STREETS, data, provenance=prov), notes


def _first_seen(values: list[str], fallbacks: list[str]):
    """(value, fallback, values seen before) for each value: a repeated identifier gets its line number."""
    seen: set[str] = set()
    for value, fallback in zip(values, fallbacks):
        yield value, fallback, seen
        seen.add(value)
