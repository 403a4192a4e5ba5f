"""Data exports: GeoPackage/GeoJSON of the layers and analysis results, XLSX/CSV of per-QPV indicators.

The level (public/interne) is recorded in each file: GeoPackage dataset metadata (``gpkg_metadata``,
shown by ``ogrinfo``), a top-level ``ambmap`` member in GeoJSON, the XLSX document properties plus an
« À propos » sheet, and the first line of the CSV (``# ambmap | niveau=public | …``, one cell in Excel; skip it with
``skiprows=1``).

Data text is hostile: a cell whose text starts like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) is
written as text (an XLSX string cell with a quote prefix; a leading ``'`` in the CSV), and control
characters, which XML forbids, are removed from every exported text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ambmap.analysis.indicators import INDICATORS
from ambmap.errors import UsageError
from ambmap.export.common import Prepared, metadata
from ambmap.export.styles import write_styles

#: Analysis results exported as layers, beside the project's own layers.
ANALYSIS_LAYERS = {
    "zone_couverte": "Zone couverte par les ambassadeurs·rices (fusionnée)",
    "manques": "Parties de QPV non couvertes",
    "zones_ambassadeurs": "Zone de chaque ambassadeur·rice (document interne)",
    "recrutement_propose": "Sites proposés pour recruter",
}

#: French column headers of the per-QPV table, in display order (the labels of ``INDICATORS``).
QPV_COLUMNS = {column: indicator.label for column, indicator in INDICATORS.items()}
SHARE_COLUMNS = {column for column, indicator in INDICATORS.items() if indicator.is_share}
#: Characters XML 1.0 forbids (all C0 controls but tab, LF, CR; DEL; U+FFFE/U+FFFF): removed from exported text.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
#: How a text that a spreadsheet would read as a formula begins (OWASP « CSV injection »).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Decimals kept in tables: whole inhabitants, shares to 0.01 %, resources per 1,000 to 0.01.
ROUNDING = {column: i.decimals for column, i in INDICATORS.items() if i.decimals is not None}


def clean_text(value):
    """``value`` without the control characters XML forbids (other values unchanged)."""
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


def is_formula_like(value) -> bool:
    """True for a text a spreadsheet would run as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _clean_frame(frame: pd.DataFrame, uniform: bool = True) -> pd.DataFrame:
    """Text columns cleaned of control characters; with ``uniform`` (one type per field: GeoPackage), a
    column mixing numbers and texts (« < 3 ») all as text."""
    frame = frame.copy()
    for column in frame.columns:
        kind = frame[column].dtype
        if column == getattr(frame, "_geometry_column_name", None) or not (kind == object or kind == "string"):
            continue
        values = frame[column]
        texts = values.map(lambda v: isinstance(v, str))
        if uniform and texts.any() and not texts[values.notna()].all():
            values = values.map(lambda v: v if v is None or isinstance(v, str) or pd.isna(v) else str(v))
        frame[column] = values.map(clean_text)
    return frame


def layer_frames(prepared: Prepared) -> dict[str, gpd.GeoDataFrame]:
    """Every exportable layer by name: the project's layers, the QPV with their indicators, the analysis."""
    frames = {layer.kind: layer.data for layer in prepared.project.ordered_layers() if len(layer)}
    cov = prepared.coverage
    if "qpv" in frames:
        frames["qpv"] = frames["qpv"].merge(qpv_indicators(prepared).drop(columns=["nom_qp", "lib_com", "population"]),
                                            on="code_qp", how="left")
    if cov is not None:
        frames["zone_couverte"] = cov.covered_area
        frames["manques"] = cov.gaps
    if prepared.ambassador_zones is not None:
        frames["zones_ambassadeurs"] = prepared.ambassador_zones
    if prepared.recommendation is not None and len(prepared.recommendation.sites):
        frames["recrutement_propose"] = prepared.recommendation.sites
    return {name: _clean_frame(frame) for name, frame in frames.items()}


def qpv_indicators(prepared: Prepared) -> pd.DataFrame:
    """One row per QPV with its coverage indicators (none when the project has no QPV to analyse)."""
    project = prepared.project
    qpv = project.layer("qpv").data
    table = pd.DataFrame(qpv[["code_qp", "nom_qp", "lib_com", "population"]])
    if prepared.coverage is not None:
        per_qpv = prepared.coverage.per_qpv
        per_qpv = per_qpv.drop(columns=[c for c in per_qpv.columns if c in table.columns])
        table = table.merge(per_qpv, left_on="code_qp", right_index=True, how="left")
    return table.reset_index(drop=True)


def write_layers(prepared: Prepared, path: Path, *, layer: str | None = None) -> Path:
    """Write a GeoPackage (every layer) or a GeoJSON file (one ``layer``, by default the QPV)."""
    path = Path(path)
    frames = layer_frames(prepared)
    meta = {key: clean_text(value) for key, value in metadata(prepared.project, prepared.level).items()}
    if path.suffix.lower() in (".geojson", ".json"):
        name = layer or "qpv"
        if name not in frames:
            raise UsageError(f"Couche « {name} » absente ou vide : choisissez parmi {', '.join(frames)}.")
        collection = json.loads(frames[name].to_crs("EPSG:4326").to_json(drop_id=True, na="null"))
        collection = {"type": "FeatureCollection", "name": name, "ambmap": meta, "features": collection["features"]}
        path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
        return path
    if layer and layer not in frames:
        raise UsageError(f"Couche « {layer} » absente ou vide : choisissez parmi {', '.join(frames)}.")
    path.unlink(missing_ok=True)
    names = [layer] if layer else list(frames)
    for i, name in enumerate(names):
        frame = frames[name].to_crs("EPSG:4326")
        title = clean_text(ANALYSIS_LAYERS.get(name) or prepared.project.layer(name).title)
        areas = frame.geom_type.isin(["Polygon", "MultiPolygon"]).any()
        try:
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", promote_to_multi=bool(areas),
                                    layer_metadata={"DESCRIPTION": title},
                                    dataset_options={"VERSION": "1.2"} if i == 0 else None,
                                    dataset_metadata=meta if i == 0 else None)
        except pyogrio.errors.DataSourceError as e:  # GDAL's write failures (a full disk…) are no OSError
            raise OSError(f"écriture refusée : {e}") from e
    write_styles(path, {name: frames[name] for name in names})
    return path


def french_table(prepared: Prepared) -> pd.DataFrame:
    """The per-QPV table with French headers, in display order, rounded as people read it."""
    table = qpv_indicators(prepared)
    columns = [c for c in QPV_COLUMNS if c in table.columns]
    table = table[columns].copy()
    for column, decimals in ROUNDING.items():
        if column in table:
            rounded = table[column].astype(float).round(decimals)
            table[column] = rounded.astype("Int64") if decimals == 0 else rounded
    for column in columns:
        if table[column].dtype == bool:
            table[column] = table[column].map({True: "oui", False: "non"})
    return _clean_frame(table, uniform=False).rename(columns=QPV_COLUMNS)


def _csv_cell(value):
    """A CSV cell a spreadsheet shows as typed: formula-like text behind a leading « ' »."""
    return "'" + value if is_formula_like(value) else value


def write_csv(prepared: Prepared, path: Path) -> Path:
    """CSV for French Excel: UTF-8 with BOM, ';' separator, decimal comma, metadata on the first line."""
    path = Path(path)
    meta = {key: clean_text(value) for key, value in metadata(prepared.project, prepared.level).items()}
    table = french_table(prepared)
    table = table.apply(lambda column: column if pd.api.types.is_numeric_dtype(column) else column.map(_csv_cell))
    first = "# ambmap | " + " | ".join(f"{k.removeprefix('ambmap_')}={v}".replace(";", ",") for k, v in meta.items())
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        f.write(first.replace("\n", " ") + "\r\n")
        table.to_csv(f, sep=";", decimal=",", index=False, lineterminator="\r\n")
    return path


def write_xlsx(prepared: Prepared, path: Path) -> Path:
    """XLSX with French headers, French number formats, and the level in properties and « À propos »."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    meta = {key: clean_text(value) for key, value in metadata(prepared.project, prepared.level).items()}
    table = french_table(prepared)
    wb = Workbook()
    ws = wb.active
    ws.title = "Indicateurs par QPV"
    ws.append(list(table.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.itertuples(index=False):
        ws.append([None if pd.isna(v) else v for v in row])
    labels = {v: k for k, v in QPV_COLUMNS.items()}
    for j, header in enumerate(table.columns, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(12, min(40, len(header) * 0.9))
        name = labels[header]
        fmt = "0.0 %" if name in SHARE_COLUMNS else "# ##0.0" if table[header].dtype.kind == "f" else "# ##0"
        if table[header].dtype.kind in "iuf" or name in SHARE_COLUMNS:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = fmt
    ws.freeze_panes = "C2"
    ws.oddHeader.center.text = meta["ambmap_mention"]
    about = wb.create_sheet("À propos")
    for key, value in meta.items():
        about.append([key.removeprefix("ambmap_").capitalize(), value])
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 100
    for sheet in (ws, about):
        _as_text(sheet)
    props = wb.properties
    props.title = f"Indicateurs par QPV — {meta['ambmap_territoire']}"
    props.subject = meta["ambmap_mention"]
    props.keywords = f"ambmap; niveau={prepared.level}"
    props.description = meta["ambmap_sources"]
    props.creator = "ambmap"
    props.language = "fr-FR"
    wb.save(path)
    return path


def _as_text(sheet) -> None:
    """Formula-like text cells stored as text (a string cell shown with Excel's quote prefix)."""
    for row in sheet.iter_rows():
        for cell in row:
            if is_formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
