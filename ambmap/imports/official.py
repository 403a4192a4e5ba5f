"""Official layers from files on disk: territory outlines, QPV perimeters (kept whole, with their
communes), INSEE 200 m squares; and a new project built from them, offline."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ambmap.config import Settings
from ambmap.crs import INSEE_GRID_MAINLAND, LAMBERT93, OVERSEAS, WGS84, epsg, metric_crs
from ambmap.errors import ImportFileError
from ambmap.geometry import polygonal
from ambmap.io.tables import GEO_SUFFIXES, TABLE_SUFFIXES, decode, detect_separator, read_geofile
from ambmap.layers import (
    POPULATION_GRID,
    SCHEMAS,
    TERRITORY,
    Layer,
    validate,
)
from ambmap.project import Project
from ambmap.sources import qpv as qpv_source
from ambmap.sources.http import Progress
from ambmap.text import number as text_number

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
    size = pd.to_numeric(parts[1], errors="coerce")
    grids = {INSEE_GRID_MAINLAND, *(system for _, system in OVERSEAS.values())}
    # only INSEE's grids and a plausible size: the file's text never picks another system (nor a 200° square)
    parts.loc[~parts[0].map(lambda code: epsg(code) in grids) | ~size.between(1, 10_000), 0] = np.nan
    known = parts[0].notna().to_numpy()
    if not known.any():
        raise ImportFileError(
            f"« {file} » : les identifiants de carreaux ne sont pas au format INSEE "
            "(« CRS3035RES200mN2961400E3831000 ») et le fichier n'a pas de géométrie."
        )
    out = np.full(len(ids), None, dtype=object)
    for code in parts[0].dropna().unique():
        rows = (parts[0] == code).to_numpy()
        size = parts[1][rows].astype(float).to_numpy()
        north, east = parts[2][rows].astype(float).to_numpy(), parts[3][rows].astype(float).to_numpy()
        west, south, east_, north_ = bounds
        corners = (
            gpd.GeoSeries(gpd.points_from_xy([west, west, east_, east_], [south, north_, south, north_]), crs=WGS84)
            .to_crs(epsg(code))
            .total_bounds
        )
        near = (east + size >= corners[0]) & (east <= corners[2]) & (north + size >= corners[1]) & (north <= corners[3])
        squares = shapely.box(east[near], north[near], east[near] + size[near], north[near] + size[near])
        index = np.flatnonzero(rows)[near]
        out[index] = gpd.GeoSeries(squares, crs=epsg(code)).to_crs(WGS84).to_numpy()
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
