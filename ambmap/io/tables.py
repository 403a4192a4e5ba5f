"""Read the user's tables (CSV as French Excel writes them, XLSX) and geographic files.

Every reader returns text cells (no guessing of types here: the layer schema does that) and keeps
the line each row comes from, as the user sees it in a spreadsheet (header = line 1), as the
index, so every message can point at it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ambmap.crs import WGS84
from ambmap.errors import ImportFileError
from ambmap.io.text import clean_column, strip_controls

TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}
GEO_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip"}
_SEPARATORS = ";,\t|"


def decode(raw: bytes) -> tuple[str, str, list[int]]:
    """The text of a CSV file, its encoding as told to the user, and the physical lines (from 1) read
    as Windows-1252 in a UTF-8 file.

    UTF-16 when its byte-order mark says so (Excel's « texte Unicode »). Otherwise each line is decoded
    on its own: UTF-8 where it is valid, else Windows-1252 (French Excel's CSV). A file saved as UTF-8
    then edited by a tool writing Windows-1252 mixes both; decoding it whole one way or the other
    garbles one part (« Ã© ») or glues the UTF-8 byte-order mark to the first column name.
    """
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16", errors="replace"), "UTF-16", []
    bom = raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:] if bom else raw
    try:
        return body.decode("utf-8"), "UTF-8", []
    except UnicodeDecodeError:
        pass
    parts, legacy = [], []
    for number, line in enumerate(body.splitlines(keepends=True), start=1):  # \n is one byte in both
        try:
            parts.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            parts.append(line.decode("cp1252", errors="replace"))
            legacy.append(number)
    skipped = set(legacy)
    if bom or any(not part.isascii() for n, part in enumerate(parts, start=1) if n not in skipped):
        return "".join(parts), "UTF-8 et Windows-1252 mélangés", legacy
    return "".join(parts), "Windows-1252", []


def detect_separator(text: str) -> str:
    """The column separator: the candidate that splits the first lines into the same number of cells."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ";"
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=_SEPARATORS).delimiter
    except csv.Error:  # e.g. a title line above the table: count over every sampled line
        counts = {sep: sum(line.count(sep) for line in lines) for sep in _SEPARATORS}
        best = max(counts, key=lambda sep: counts[sep])
        return best if counts[best] else ";"


def read_table(path: Path | str) -> pd.DataFrame:
    """A CSV or XLSX file as a DataFrame of strings ("" for empty cells), blank rows dropped.

    The index is the line number the user sees in a spreadsheet (header = line 1); ``df.attrs`` holds
    the detected ``encoding`` and ``separator`` for a CSV, and ``bad_lines`` ({line: French reason})
    for rows with more cells than the header (their extra cells are dropped).
    """
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"Le fichier « {path} » n'existe pas.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame = _read_xlsx(path)
    elif suffix in (".xls", ".ods"):
        raise ImportFileError(
            f"« {path.name} » : format {suffix} non pris en charge. Dans le tableur, "
            "choisissez Enregistrer sous > Classeur Excel (.xlsx) ou CSV."
        )
    else:
        frame = _read_csv(path)
    frame.columns = [_clean_header(c, i) for i, c in enumerate(frame.columns)]
    if len(set(frame.columns)) != len(frame.columns):
        frame.columns = _deduplicate(list(frame.columns))
    return _remove_controls(frame)


def _remove_controls(frame: pd.DataFrame, skip: str | None = None) -> pd.DataFrame:
    """``frame`` without control characters in its cells; ``attrs["controls"]`` lists the
    (line, column) of each cell cleaned, for the import report."""
    found, cleaned = [], {}
    for column in frame.columns:
        if column != skip:
            values, lines = clean_column(frame[column])
            if lines:
                cleaned[column] = values
                found += [(int(line), column) for line in lines]
    if cleaned:
        frame = frame.assign(**cleaned)
    frame.attrs["controls"] = sorted(found)
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    if not raw.strip():
        raise ImportFileError(f"Le fichier « {path.name} » est vide : rien à importer.")
    if raw[:4] == b"PK\x03\x04":
        raise ImportFileError(
            f"« {path.name} » est un classeur Excel renommé en .csv : "
            "renommez-le en .xlsx ou enregistrez-le au format CSV."
        )
    raw = _utf16_without_mark(raw)
    text, encoding, legacy = decode(raw)
    _refuse_junk(text, path.name)
    first_line = 1
    if text.lstrip("\ufeff")[:4].lower() == "sep=":  # Excel's hint line « sep=; »
        hint, _, text = text.lstrip("\ufeff").partition("\n")
        separator, first_line = (hint.strip()[4:5] or ";"), 2
    else:
        separator = detect_separator(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    except csv.Error as e:
        raise ImportFileError(f"« {path.name} » n'est pas un tableau CSV lisible ({e}).") from e
    if not records:
        raise ImportFileError(f"Le fichier « {path.name} » est vide : rien à importer.")
    top = header_index(records)
    header, width = records[top], len(records[top])
    rows, lines, bad = [], [], {}
    for line, row in enumerate(records[top + 1 :], start=first_line + top + 1):  # as numbered in a spreadsheet
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > width:
            if any(cell.strip() for cell in row[width:]):
                bad[line] = (
                    f"{len(row)} cellules au lieu de {width} : une valeur contient sans doute le "
                    f"séparateur « {separator} » ; mettez-la entre guillemets"
                )
            del row[width:]
        elif len(row) < width:
            row.extend([""] * (width - len(row)))
        rows.append(row)
        lines.append(line)
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="ligne"), dtype=object)
    frame.attrs.update(encoding=encoding, separator=separator, bad_lines=bad, legacy_lines=legacy)
    return frame


def _utf16_without_mark(raw: bytes) -> bytes:
    """A UTF-16 file saved without its byte-order mark (one NUL byte beside each Latin letter) gets one."""
    head = raw[:4096]
    if len(head) < 4 or head.count(0) < len(head) // 3:
        return raw
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 0.8 * len(head) // 2:
        return b"\xff\xfe" + raw  # little-endian: « I\0d\0 »
    if even > 0.8 * len(head) // 2:
        return b"\xfe\xff" + raw
    return raw


#: Share of unreadable characters (controls, replacement marks, non-ASCII signs that are not letters, CJK
#: or private-use code points: a French table never holds this much of them) above which a « CSV » is
#: refused before its columns are looked at.
JUNK_SHARE = 0.2


def _refuse_junk(text: str, name: str) -> None:
    """A binary file renamed .csv (an image, a database, a text in an unknown encoding) is said so, in
    French, naming the file, instead of reaching column matching with garbled names."""
    sample = text[:4000]
    if not sample:
        return
    odd = sum(
        1
        for ch in sample
        if (ch < " " and ch not in "\t\r\n")
        or (ch > "\x7e" and not ch.isalpha())
        or "\u2e80" <= ch <= "\ufaff"
        or ch >= "\ue000"
    )
    if odd > JUNK_SHARE * len(sample):
        raise ImportFileError(
            f"« {name} » n'est pas un tableau lisible : son contenu est binaire ou dans un encodage inconnu "
            f"({odd} caractères illisibles sur les {len(sample)} premiers). Ouvrez-le dans le tableur et "
            "enregistrez-le au format « CSV UTF-8 (délimité par des points-virgules) » ou en .xlsx."
        )


def header_index(rows: list[list]) -> int:
    """Index of the header row: sheets often start with a title line or two above the table.

    The header is the first of the first ten rows filled at least half as much as the fullest one.
    """
    filled = [sum(1 for cell in row if str(cell).strip()) for row in rows[:10]]
    fullest = max(filled, default=0)
    if fullest < 2:
        return 0
    return next(i for i, n in enumerate(filled) if n >= max(2, (fullest + 1) // 2))


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_excel(path, dtype=object, engine="openpyxl", header=None)
    except Exception as e:  # openpyxl/zipfile: a renamed CSV, a password, a damaged file -> not a workbook
        raise ImportFileError(
            f"Le classeur « {path.name} » est illisible ou abîmé : ouvrez-le dans Excel ou "
            "LibreOffice et enregistrez-le à nouveau au format .xlsx."
        ) from e
    if raw.empty:
        raise ImportFileError(f"Le classeur « {path.name} » est vide : rien à importer.")
    cells = raw.map(_cell_text)
    top = header_index(cells.head(10).to_numpy().tolist())
    frame = cells.iloc[top + 1 :].set_axis(list(cells.iloc[top]), axis=1)
    frame.index = pd.RangeIndex(top + 2, top + 2 + len(frame), name="ligne")  # sheet row numbers
    return frame[frame.ne("").any(axis=1)]


def _cell_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value).strip()


def _clean_header(name, position: int) -> str:
    text = strip_controls(str(name)).strip().lstrip("\ufeff")
    if not text or text.startswith("Unnamed:"):
        return f"colonne {position + 1}"
    return text


def _deduplicate(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def read_geofile(path: Path | str, bbox: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
    """A GeoJSON, GeoPackage or Shapefile (or a ZIP holding one) as a GeoDataFrame, features numbered from 1.

    ``bbox`` (longitude/latitude): only the features that touch it, read through the file's spatial
    index (a national file of millions of INSEE squares for one town).
    """
    import pyogrio

    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"Le fichier « {path} » n'existe pas.")
    if path.stat().st_size == 0:
        raise ImportFileError(f"Le fichier « {path.name} » est vide : rien à importer.")
    target = _zip_member(path) if path.suffix.lower() == ".zip" else path
    try:
        if bbox is not None:
            crs = pyogrio.read_info(target).get("crs")
            if crs:
                west, south, east, north = bbox
                corners = gpd.points_from_xy([west, west, east, east], [south, north, south, north])
                bbox = tuple(gpd.GeoSeries(corners, crs=WGS84).to_crs(crs).total_bounds)
        frame = pyogrio.read_dataframe(target, bbox=bbox)
    except Exception as e:  # pyogrio raises several error types for one cause: an unreadable file
        hint = (
            " Un Shapefile doit être accompagné de ses fichiers .shx et .dbf (et .prj)."
            if path.suffix.lower() == ".shp"
            else ""
        )
        raise ImportFileError(
            f"Le fichier « {path.name} » est illisible : ce n'est pas un GeoJSON, un GeoPackage ou "
            f"un Shapefile valide.{hint}"
        ) from e
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="ligne")
    if "fid" in frame.columns:
        frame = frame.drop(columns="fid")
    for column in frame.columns:
        if column != frame.geometry.name:
            frame[column] = frame[column].map(_cell_text)
    return _remove_controls(frame, skip=frame.geometry.name)


def _zip_member(path: Path) -> str:
    """GDAL's path to the dataset inside a ZIP: the national QPV archive holds its GeoJSON in a folder
    (the WGS84 one is preferred), beside other formats."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as e:
        raise ImportFileError(f"L'archive « {path.name} » est illisible ou abîmée : téléchargez-la à nouveau.") from e
    for suffix in (".geojson", ".gpkg", ".shp"):
        found = sorted((n for n in names if n.lower().endswith(suffix)), key=lambda n: "wgs84" not in n.lower())
        if found:
            return f"/vsizip/{path}/{found[0]}"
    raise ImportFileError(f"L'archive « {path.name} » ne contient ni GeoJSON, ni GeoPackage, ni Shapefile.")
