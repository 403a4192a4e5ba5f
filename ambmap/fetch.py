"""Orchestration: build a project from the official sources, import a user's file into a layer.

This is where ``sources`` (remote data), ``io`` (local files) and ``layers`` (validation) meet. Every
function works on new objects and only hands them back (or swaps a project's layer at the very end),
so a failure or a cancellation leaves the project as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from ambmap.config import Settings
from ambmap.errors import AmbmapError, ImportFileError, Problem, SourceError, ValidationError
from ambmap.io import coords
from ambmap.io.mapping import guess_mapping, targets
from ambmap.io.text import REMOVED
from ambmap.io.tables import GEO_SUFFIXES, TABLE_SUFFIXES, read_geofile, read_table
from ambmap.layers import AMBASSADORS, POLES, QPV, RESOURCES, SCHEMAS, TERRITORY, Layer, validate
from ambmap.layers.base import WGS84
from ambmap.project import Project
from ambmap.sources import communes, geocoding, qpv
from ambmap.sources.health import fetch_health_resources
from ambmap.sources.http import HttpClient, provenance

Progress = Callable[[int, int, str], None] | None
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


def _step(progress: Progress, done: int, total: int, message: str) -> None:
    if progress:
        progress(done, total, message)


# -- official sources ---------------------------------------------------------------------------------
def build_project(settings: Settings, *, commune: str | None = None, epci: str | None = None,
                  progress: Progress = None, client: HttpClient | None = None) -> Project:
    """A new project for a commune (INSEE code) or an EPCI (SIREN) from the official sources.

    Territory and QPVs are required; health resources are added when at least one of OSM and FINESS
    answers (a notice says when one is missing). Pôles and ambassadors start empty: import them.
    """
    client = client or _client(settings, progress)
    _step(progress, 0, 3, "Contour du territoire…")
    outlines, territory, fetched = communes.territory_outlines(settings, commune=commune, epci=epci, client=client)
    territory_layer = Layer(TERRITORY, outlines, provenance=_territory_provenance(fetched))
    _step(progress, 1, 3, f"Quartiers prioritaires de {territory['name']}…")
    qpv_data, qpv_prov = qpv.fetch_qpv(settings, outlines, client, progress)
    qpv_layer = Layer(QPV, qpv_data, provenance=qpv_prov)
    _step(progress, 2, 3, "Ressources de santé (OpenStreetMap, FINESS)…")
    layers = [territory_layer, qpv_layer]
    try:
        layers.append(_resources_layer(settings, outlines, client, progress))
    except SourceError as e:
        client.notice(f"Les ressources de santé n'ont pas pu être chargées : {e.message} "
                      "Relancez plus tard « ambmap fetch resources ».")
    _step(progress, 3, 3, f"Projet {territory['name']} prêt.")
    options = {"coverage_radius_m": settings.coverage_radius_m, "pole_radius_m": settings.pole_radius_m}
    return Project(territory, layers, options)


def _territory_provenance(fetched) -> dict:
    return provenance(fetched, "IGN / INSEE (geo.api.gouv.fr)", communes.LICENCE, "Contours : IGN, INSEE")


def _resources_layer(settings: Settings, outlines: gpd.GeoDataFrame, client: HttpClient,
                     progress: Progress, keep: gpd.GeoDataFrame | None = None) -> Layer:
    data, prov = fetch_health_resources(settings, outlines, client, progress)
    data = data.assign(geocode_score=np.nan, a_verifier=False)
    if keep is not None and len(keep):
        data = pd.concat([keep[~keep["resource_id"].isin(data["resource_id"])], data], ignore_index=True)
        data = gpd.GeoDataFrame(data, geometry="geometry", crs="EPSG:4326")
    return Layer(RESOURCES, data, provenance=prov)


def _territory_code(project: Project) -> dict[str, str]:
    """``{"commune": code}`` or ``{"epci": siren}`` for :func:`communes.territory_outlines`."""
    kind, code = project.territory.get("kind"), project.territory.get("code")
    if not code:
        raise AmbmapError("Le projet n'a pas de territoire : créez-le avec « ambmap new --commune CODE ».")
    return {"epci" if kind == "epci" else "commune": code}


def _project_outlines(project: Project, settings: Settings, client: HttpClient) -> gpd.GeoDataFrame:
    """The project's territory outlines, downloaded when the project has none yet."""
    layer = project.layers.get("territory")
    if layer is not None and len(layer):
        return layer.data
    return communes.territory_outlines(settings, client=client, **_territory_code(project))[0]


_OFFICIAL = ["OpenStreetMap", "FINESS", "Démonstration"]
#: (what was looked for, how the existing rows are counted) for :func:`_refuse_empty`.
_EMPTY = {"territory": ("aucun contour de commune trouvé", "commune(s)"), "qpv": ("aucun QPV trouvé", "QPV"),
          "resources": ("aucune ressource de santé trouvée (OpenStreetMap, FINESS)", "ressource(s)")}


def fetch_layer(project: Project, what: str, settings: Settings, *, progress: Progress = None,
                client: HttpClient | None = None) -> Layer:
    """A new layer for ``what`` (« territory », « qpv » or « resources ») from the official sources.

    The project is not touched (the window swaps the layer through its undo stack). Resources the
    user added by hand or imported (other sources than OSM/FINESS/demo) are carried over. A source
    that finds nothing where the project has data is refused (:func:`_refuse_empty`).
    """
    client = client or _client(settings, progress)
    if what == "territory":
        outlines, _, fetched = communes.territory_outlines(settings, client=client, **_territory_code(project))
        _refuse_empty(project, what, len(outlines), len(project.layers.get(what) or ()))
        return Layer(TERRITORY, outlines, provenance=_territory_provenance(fetched))
    if what == "qpv":
        data, prov = qpv.fetch_qpv(settings, _project_outlines(project, settings, client), client, progress)
        _refuse_empty(project, what, len(data), len(project.layers.get(what) or ()))
        return Layer(QPV, data, provenance=prov)
    if what == "resources":
        current = project.layer("resources").data
        official = current["source"].isin(_OFFICIAL)
        layer = _resources_layer(settings, _project_outlines(project, settings, client), client, progress,
                                 keep=current[~official])
        _refuse_empty(project, what, int(layer.data["source"].isin(_OFFICIAL).sum()), int(official.sum()))
        return layer
    raise AmbmapError(f"« {what} » : choisissez territory, qpv ou resources.")


def _refuse_empty(project: Project, what: str, found: int, existing: int) -> None:
    """A source answering « nothing here » for a territory that had data is broken or mismatched (a
    moved file, a wrong mirror, a filter gone wrong): never let it empty a layer silently."""
    if found == 0 and existing > 0:
        nothing, unit = _EMPTY[what]
        raise SourceError(f"{nothing} pour {project.name or 'le territoire'} ; la couche existante "
                          f"({existing} {unit}) est conservée. Vérifiez l'adresse de la source dans les réglages, "
                          "ou réessayez plus tard.")


def refresh(project: Project, what: str, settings: Settings, *, progress: Progress = None,
            client: HttpClient | None = None) -> Layer:
    """:func:`fetch_layer`, then swap the new layer into the project (only once it is complete)."""
    layer = fetch_layer(project, what, settings, progress=progress, client=client)
    project.set_layer(layer)
    return layer


# -- user files ---------------------------------------------------------------------------------------
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
        out = [f"Import de « {self.file} » dans « {SCHEMAS[self.kind].title} » : {len(self.data)} ligne(s) "
               f"importée(s), {refused} refusée(s), {len(self.doubtful)} à vérifier."]
        out += self.notes
        if self.rejected:
            out.append("Lignes refusées :")
            out += [f"  - {_describe(p)}" for p in self.rejected]
        if self.doubtful:
            out.append("Lignes à vérifier :")
            out += [f"  - {_describe(p)}" for p in self.doubtful]
        if self.corrected:
            out.append("Valeurs corrigées :")
            out += [f"  - {_describe(p)}" for p in self.corrected]
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
    schema = IMPORTABLE[kind]
    name = path.name
    suffix = path.suffix.lower()
    _step(progress, 0, 0, f"Lecture de « {name} »…")
    if suffix in GEO_SUFFIXES:
        frame = read_geofile(path)
        geometry = frame.geometry
        table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        table.attrs.update(frame.attrs)  # the cells cleaned by the reader, for the report
    elif suffix in TABLE_SUFFIXES or suffix in (".xls", ".ods"):
        table, geometry = read_table(path), None
    else:
        raise ImportFileError(f"« {name} » : format {suffix or 'sans extension'} non reconnu. Formats acceptés : "
                              "CSV, XLSX, GeoJSON, GeoPackage (.gpkg), Shapefile (.shp ou .zip).")
    if table.empty:
        raise ImportFileError(f"« {name} » ne contient aucune ligne de données (seulement l'en-tête) : "
                              "rien à importer.")
    mapping = dict(mapping) if mapping is not None else guess_mapping(list(table.columns), kind)
    unknown = {t: c for t, c in mapping.items() if c not in table.columns or t not in targets(kind)}
    if unknown:
        raise ImportFileError(f"« {name} » : association de colonnes invalide ({', '.join(f'{t} ← {c}' for t, c in unknown.items())}).")
    builder = _RowsBuilder(kind, schema, name, table, mapping, geometry)
    builder.columns()
    builder.coordinates()
    if kind == "ambassadors" and geocode:
        builder.notes.append(PERSONAL_DATA_NOTICE)
    builder.geocode(settings, client, progress, enabled=geocode)
    builder.outside(territory)
    return builder.finish()


class _RowsBuilder:
    """The steps of one import, sharing the row table and the problems found so far."""

    def __init__(self, kind, schema, file, table, mapping, geometry):
        self.kind, self.schema, self.file, self.table, self.mapping = kind, schema, file, table, mapping
        self.geometry = geometry
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
        self.geocoded = False
        self.geocoder_down = False
        self.generated_ids = False
        position = {int(line): pos for pos, line in enumerate(self.lines)}
        self.broken: set[int] = set()  # misshapen lines: their cells are shifted, one message is enough
        for line, reason in table.attrs.get("bad_lines", {}).items():
            if line in position:
                self.reject(position[line], None, reason)
                self.broken.add(position[line])
        self.corrected = [Problem(self.schema.title, line, column, REMOVED, file)
                          for line, column in table.attrs.get("controls", [])]
        if self.corrected:
            self.notes.append(f"{len(self.corrected)} valeur(s) contenaient des caractères de contrôle (tabulation "
                              "verticale, NUL…) : ils ont été retirés.")
        if table.attrs.get("legacy_lines"):
            self.notes.append(f"Fichier en UTF-8 dont {len(table.attrs['legacy_lines'])} ligne(s) sont en "
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

    def column_label(self, target: str) -> str:
        return self.mapping.get(target) or (self.schema.field(target).label if target in self.schema.names else target)

    # -- steps --------------------------------------------------------------------------------
    def columns(self) -> None:
        missing = []
        for f in self.schema.fields:
            if f.name in self.mapping:
                self.out[f.name] = self.table[self.mapping[f.name]].to_numpy()
            elif f.name == self.schema.id_field:
                prefix = _ID_PREFIX[self.kind]
                self.out[f.name] = [f"{prefix}-{i + 1:04d}" for i in range(self.n)]
                self.notes.append(f"Pas de colonne identifiant : identifiants {prefix}-0001… attribués.")
                self.generated_ids = True
            elif (self.kind, f.name) in _DEFAULTS:
                value = _DEFAULTS[(self.kind, f.name)]
                self.out[f.name] = value
                self.notes.append(f"Pas de colonne « {f.label} » : valeur « {value} » pour toutes les lignes.")
            elif f.required and f.kind != "bool":
                missing.append(f.label)
        if missing:
            # a file without a title line: its first row of values was read as column names
            headerless = any(re.fullmatch(r"-?\d+(?:[.,]\d+)?", str(c).strip()) for c in self.table.columns)
            raise ImportFileError(
                f"« {self.file} » : colonne(s) {', '.join(f'« {m} »' for m in missing)} introuvable(s). "
                f"Colonnes présentes : {', '.join(map(str, self.table.columns))}. "
                + ("La première ligne ressemble à des données, pas à des titres de colonnes : ajoutez en tête "
                   "une ligne de titres (par exemple Nom ; Adresse ; lon ; lat). " if headerless else "")
                + "Renommez la colonne dans le fichier ou associez-la à la main à l'étape « Colonnes ».")
        address = self.out["address"].astype(str) if "address" in self.out else pd.Series("", index=self.out.index)
        extra = [self.table[self.mapping[t]].astype(str).to_numpy() for t in ("postcode", "city") if t in self.mapping]
        if extra:
            joined = []
            for row in zip(address.to_numpy(), *extra):
                town = " ".join(p.strip() for p in row[1:] if p.strip())
                joined.append(", ".join(p for p in (str(row[0]).strip(), town) if p))
            self.out["address"] = joined
        self._duplicates()

    def _duplicates(self) -> None:
        id_field = self.schema.id_field
        ids = self.out[id_field].astype(str).str.strip()
        first: dict[str, int] = {}
        for pos, value in enumerate(ids):
            if not value:
                continue
            if value in first:
                self.reject(pos, self.column_label(id_field),
                            f"identifiant « {value} » en double (déjà ligne {self.lines[first[value]]}) : ligne ignorée")
            else:
                first[value] = pos

    def coordinates(self) -> None:
        if self.geometry is not None:
            self._from_geometry()
            return
        for a, b, projected in (("lon", "lat", False), ("x", "y", True)):
            if a in self.mapping and b in self.mapping:
                break
        else:
            return
        raw_a, raw_b = self.table[self.mapping[a]], self.table[self.mapping[b]]
        first, second = coords.to_number(raw_a), coords.to_number(raw_b)
        verdict = coords.classify(first, second, projected=projected)
        self.lon, self.lat = coords.to_lon_lat(first, second, verdict)
        columns = f"{self.mapping[a]}/{self.mapping[b]}"

        def values(pos: int) -> str:
            return f"{self.mapping[a]} « {raw_a.iat[pos]} », {self.mapping[b]} « {raw_b.iat[pos]} »"

        unreadable = (np.isnan(first) & (raw_a.str.strip() != "").to_numpy()) | (
            np.isnan(second) & (raw_b.str.strip() != "").to_numpy())
        for pos in np.flatnonzero(unreadable):
            self.lon[pos] = self.lat[pos] = np.nan
            self.doubt_or_reject(pos, columns, f"coordonnées illisibles ({values(pos)})")
        for pos in np.flatnonzero((verdict == coords.INVALID) & ~unreadable):
            self.doubt_or_reject(pos, columns, f"coordonnées hors de France ou incohérentes ({values(pos)})")
        for pos in np.flatnonzero(verdict == coords.OUTSIDE):
            self.doubt(pos, columns, f"position hors de France métropolitaine ({values(pos)}) : à vérifier")
        for pos in np.flatnonzero(verdict == coords.SWAPPED):
            self.doubt(pos, columns, "latitude et longitude inversées dans le fichier : corrigé, position à vérifier")
        l93 = np.isin(verdict, [coords.LAMBERT93, coords.LAMBERT93_SWAPPED])
        if l93.any():
            self.notes.append(f"{int(l93.sum())} ligne(s) en coordonnées Lambert-93 (mètres) converties en "
                              "latitude/longitude.")

    def doubt_or_reject(self, pos: int, column: str, reason: str) -> None:
        """Bad coordinates: geocode the address instead when there is one, else refuse the row."""
        address = str(self.out.at[pos, "address"]) if "address" in self.out else ""
        if address.strip():
            self.doubt(pos, column, f"{reason} : position recherchée à partir de l'adresse")
        else:
            self.reject(pos, column, f"{reason} et pas d'adresse : impossible de placer ce point")

    def _from_geometry(self) -> None:
        geometry = self.geometry
        points = geometry[geometry.notna() & ~geometry.is_empty & (geometry.geom_type == "Point")]
        if geometry.crs is None or geometry.crs.is_geographic:
            # metres from a GIS in a file that declares no system (Shapefile without .prj, GeoJSON):
            # degrees can never reach these values, so the numbers themselves say Lambert-93
            if len(points) and (coords.classify(points.x.to_numpy(), points.y.to_numpy(), projected=True)
                                == coords.LAMBERT93).all():
                self.notes.append("Le fichier ne dit pas son système de coordonnées, mais ses valeurs sont des "
                                  "mètres en Lambert-93 : converties en latitude/longitude (vérifiez les "
                                  "positions sur la carte).")
                geometry = geometry.set_crs("EPSG:2154", allow_override=True)
        elif geometry.crs.is_projected:
            # the opposite slip: a system in metres declared, degrees written (a wrong .prj or "crs")
            if len(points) and ((points.x.abs() <= 180) & (points.y.abs() <= 90)).all():
                self.notes.append(f"Le fichier annonce des coordonnées en mètres ({geometry.crs.name}), mais ses "
                                  "valeurs sont des degrés : lues comme longitude/latitude (vérifiez les positions "
                                  "sur la carte).")
                geometry = geometry.set_crs("EPSG:4326", allow_override=True)
        if geometry.crs is None:
            self.notes.append("Le fichier ne dit pas son système de coordonnées : WGS84 (latitude/longitude) supposé.")
            geometry = geometry.set_crs("EPSG:4326")
        geometry = geometry.to_crs("EPSG:4326")
        for pos, geom in enumerate(geometry):
            if geom is None or geom.is_empty:
                continue
            if geom.geom_type != "Point":
                self.reject(pos, "géométrie", f"géométrie de type {geom.geom_type} : un point est attendu")
                continue
            self.lon[pos], self.lat[pos] = geom.x, geom.y
        verdict = coords.classify(np.asarray(self.lon, dtype=float), np.asarray(self.lat, dtype=float))
        for pos in np.flatnonzero(np.isin(verdict, [coords.OUTSIDE, coords.SWAPPED])):
            self.doubt(pos, "géométrie", f"position hors de France métropolitaine (longitude {self.lon[pos]:.5f}, "
                                         f"latitude {self.lat[pos]:.5f}) : à vérifier")

    def geocode(self, settings: Settings, client: HttpClient | None, progress: Progress, enabled: bool) -> None:
        address = self.out["address"].astype(str).str.strip().to_numpy() if "address" in self.out \
            else np.full(self.n, "", dtype=object)
        todo = [pos for pos in range(self.n) if np.isnan(self.lon[pos]) and pos not in self.rejected]
        column = self.column_label("address")
        for pos in [p for p in todo if not address[p]]:
            self.reject(pos, column, "ni coordonnées ni adresse : impossible de placer ce point")
        todo = [p for p in todo if address[p]]
        if not todo:
            return
        if not enabled:
            for pos in todo:
                self.reject(pos, column, "pas de coordonnées et géocodage désactivé : ajoutez latitude/longitude")
            return
        _step(progress, 0, len(todo), f"Géocodage de {len(todo)} adresse(s)…")
        try:
            answers = geocoding.geocode_many([address[p] for p in todo], settings, client or _client(settings, progress),
                                             progress)
        except SourceError as e:
            self.notes.append(f"Géocodage impossible : {e.message}")
            self.geocoder_down = True
            for pos in todo:
                self.reject(pos, column, "adresse non géocodée (service de géocodage indisponible)")
            return
        self.geocoded = True
        for pos, answer in zip(todo, answers):
            if answer is None:
                self.reject(pos, column, f"adresse « {address[pos]} » introuvable : corrigez-la ou ajoutez "
                                         "latitude/longitude")
                continue
            self.lon[pos], self.lat[pos], self.score[pos] = answer.lon, answer.lat, answer.score
            if answer.score < settings.geocode_min_score:
                self.doubt(pos, column, f"adresse trouvée avec un score faible ({answer.score:.2f}, « {answer.label} ») : "
                                        "position à vérifier")

    def outside(self, territory: gpd.GeoDataFrame | None) -> None:
        """Flag placed points far outside the project's territory: a wrong column, a homonym street
        found by the geocoder or a wrong declared system all land there, whatever the file said."""
        if territory is None or not len(territory) or self.n == 0:
            return
        placed = ~np.isnan(self.lon) & ~np.isnan(self.lat) & ~self.flag
        placed &= np.array([pos not in self.rejected for pos in range(self.n)], dtype=bool)
        if not placed.any():
            return
        outline = territory.to_crs(WGS84).geometry.union_all()
        centre = outline.centroid
        local = f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m"  # true distances near it
        shape = gpd.GeoSeries([outline], crs=WGS84).to_crs(local).iloc[0]
        points = gpd.GeoSeries(gpd.points_from_xy(self.lon[placed], self.lat[placed]), crs=WGS84).to_crs(local)
        distance = points.distance(shape).to_numpy()
        for pos, metres in zip(np.flatnonzero(placed), distance):
            if metres > OUTSIDE_MARGIN_M:
                self.doubt(pos, "coordonnées", f"position à {metres / 1000:.0f} km du territoire du projet "
                                               f"(longitude {self.lon[pos]:.5f}, latitude {self.lat[pos]:.5f}) : "
                                               "à vérifier")

    def finish(self) -> ImportResult:
        keep = np.array([pos not in self.rejected for pos in range(self.n)], dtype=bool)
        out = self.out.assign(geocode_score=self.score, a_verifier=self.flag)
        if "geocode_score" in self.mapping:  # a score already in the file wins when not geocoded now
            given = coords.to_number(self.table[self.mapping["geocode_score"]])
            out["geocode_score"] = np.where(np.isnan(self.score), given, self.score)
        gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(self.lon, self.lat), crs="EPSG:4326")
        positions = np.flatnonzero(keep)
        data = gdf.iloc[positions].reset_index(drop=True)
        try:
            valid = validate(self.schema, data, self.schema.title, file=self.file, first_row=0)
        except ValidationError as e:
            bad = set()
            for p in e.problems:
                if p.row is None:
                    raise ImportFileError(f"« {self.file} » : {p.describe()}") from e
                pos = int(positions[p.row])
                bad.add(p.row)
                self.reject(pos, self.column_label(p.field) if p.field != "geometry" else "coordonnées", p.reason)
            positions = np.array([pos for i, pos in enumerate(positions) if i not in bad], dtype=int)
            valid = validate(self.schema, gdf.iloc[positions].reset_index(drop=True), self.schema.title,
                             file=self.file, first_row=0)
        rejected = [p for pos in sorted(self.rejected) for p in self.rejected[pos]]
        kept = set(positions.tolist())
        doubtful = [p for pos, p in self.doubtful if pos in kept]
        prov = {"source": f"Fichier importé « {self.file} »", "url": "", "date": dt.date.today().isoformat(),
                "licence": "Données de la ville (usage interne)", "attribution": ""}
        if self.geocoded:
            prov.update(geocoding=geocoding.ATTRIBUTION, licence=f"{prov['licence']} ; {geocoding.LICENCE}")
        corrected = [p for p in self.corrected if p.row in {int(self.lines[pos]) for pos in kept}]
        return ImportResult(self.kind, self.file, valid, rejected, doubtful, self.mapping, self.notes, prov,
                            [int(self.lines[p]) for p in positions], self.generated_ids, self.geocoder_down, corrected)


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
        data = gpd.GeoDataFrame(pd.concat([old, new], ignore_index=True), geometry="geometry", crs="EPSG:4326")
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
