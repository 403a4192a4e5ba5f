"""Data exports: GeoPackage/GeoJSON of the layers and analysis results, XLSX/CSV of per-QPV indicators.

The level (public/interne) is recorded in each file: GeoPackage dataset metadata (``gpkg_metadata``,
shown by ``ogrinfo``), a top-level ``ambmap`` member in GeoJSON, the XLSX document properties plus the
« Méthode » and « À propos » sheets, and in the CSV a last column « Diffusion » (the level's mark on every
row: the CSV starts with its header in A1, so any reader opens it as is, and a side file would part from it).

Data text is hostile: a cell whose text starts like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) is
written as text (an XLSX string cell with a quote prefix; a leading ``'`` in the CSV), and control
characters, which XML forbids, are removed from every exported text.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ambmap import text
from ambmap.analysis.indicators import INDICATORS, coverage_classes, project_target
from ambmap.crs import WGS84
from ambmap.errors import UsageError
from ambmap.export.common import Prepared, metadata, sources_lines
from ambmap.export.privacy import level_mark
from ambmap.export.styles import write_styles
from ambmap.project import DEMO_LABEL

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
#: The totals row's name, and what a total that would give a withheld figure away reads instead.
TOTAL_LABEL = "Ensemble des QPV"
NOT_PUBLISHED = "secret statistique"
DEFAULT_TARGET = 0.8
DIFFUSION_COLUMN = "Diffusion"
#: French headers of the « Suivi » sheet (``HistoryResult.table`` columns), in display order.
HISTORY_COLUMNS = {
    "period": "Année",
    "code_qp": "Code QPV",
    "nom_qp": "Quartier",
    "population": "Population",
    "covered_population": "Population couverte",
    "covered_share": "Part de la population couverte",
    "ambassadors_covering": "Ambassadeurs·rices actifs couvrant le quartier",
    "ambassadors_living": "Ambassadeurs·rices actifs y résidant",
    "recruited": "Recrutements (résidant dans le quartier)",
    "departed": "Départs (résidant dans le quartier)",
    "as_of": "Situation au",
}


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
        if column == getattr(frame, "_geometry_column_name", None) or not (
            pd.api.types.is_object_dtype(kind) or kind == "string"
        ):
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
        frames["qpv"] = frames["qpv"].merge(
            qpv_indicators(prepared).drop(columns=["nom_qp", "lib_com", "population"]), on="code_qp", how="left"
        )
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
        table["coverage_class"] = coverage_classes(table, project_target(project)).to_numpy()
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
        collection = json.loads(frames[name].to_crs(WGS84).to_json(drop_id=True, na="null"))
        collection = {"type": "FeatureCollection", "name": name, "ambmap": meta, "features": collection["features"]}
        path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
        return path
    if layer and layer not in frames:
        raise UsageError(f"Couche « {layer} » absente ou vide : choisissez parmi {', '.join(frames)}.")
    path.unlink(missing_ok=True)
    names = [layer] if layer else list(frames)
    for i, name in enumerate(names):
        frame = frames[name].to_crs(WGS84)
        title = clean_text(ANALYSIS_LAYERS.get(name) or prepared.project.layer(name).title)
        areas = frame.geom_type.isin(["Polygon", "MultiPolygon"]).any()
        try:
            pyogrio.write_dataframe(
                frame,
                path,
                layer=name,
                driver="GPKG",
                promote_to_multi=bool(areas),
                layer_metadata={"DESCRIPTION": title},
                dataset_options={"VERSION": "1.2"} if i == 0 else None,
                dataset_metadata=meta if i == 0 else None,
            )
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
    """CSV for French Excel: UTF-8 with BOM, ';' separator, decimal comma, the header in A1.

    The level's mark is the last column, « Diffusion », on every row: it travels with the data (a comment
    line would land in A1, a side file would be left behind). Sources and method: the XLSX.
    """
    path = Path(path)
    table = french_table(prepared)
    table = table.apply(lambda column: column if pd.api.types.is_numeric_dtype(column) else column.map(_csv_cell))
    table[DIFFUSION_COLUMN] = clean_text(level_mark(prepared.level))
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        table.to_csv(f, sep=";", decimal=",", index=False, lineterminator="\r\n")
    return path


def target_share(project) -> float:
    """The coverage target T of the project (option « target », a share; 80 % when unset)."""
    value = project.options.get("target")
    return float(value) if isinstance(value, (int, float)) and 0 < value <= 1 else DEFAULT_TARGET


def _missing(value) -> bool:
    return value is None or value is pd.NA or isinstance(value, str) or (isinstance(value, float) and math.isnan(value))


def totals(prepared: Prepared) -> dict[str, object]:
    """The « Ensemble des QPV » row of the per-QPV table (column -> value), as rounded as the rows.

    Sums of the rows where figures add up (inhabitants, covered inhabitants, residents, resources inside:
    QPVs do not overlap); shares recomputed from those totals, never summed; figures that do not add up
    (an ambassador covers several QPVs, a resource lies within 500 m of several) left empty.

    Secret statistique: a total over withheld rows is :data:`NOT_PUBLISHED` when one withheld row alone
    could be found back from it by subtraction (exactly one row withheld), and for counts of ambassadors
    (1 or 2 each: their sum would tell); with two or more withheld rows, the covered population is the
    territory's (computed before withholding), which tells no single QPV's.
    """
    table = qpv_indicators(prepared)
    for column, decimals in ROUNDING.items():
        if column in table:
            table[column] = table[column].map(lambda v, d=decimals: v if _missing(v) else round(float(v), d))
    summary = getattr(prepared.coverage, "summary", None) or {}
    out: dict[str, object] = {"code_qp": "Total", "nom_qp": TOTAL_LABEL, "lib_com": f"{len(table)} QPV"}

    def total(column: str, territory=None):
        if column not in table:
            return None
        values = list(table[column])
        withheld = sum(_missing(v) for v in values)
        if withheld == 0:
            whole = float(sum(float(v) for v in values))
            return int(whole) if whole.is_integer() else whole
        if withheld == len(values) and not any(isinstance(v, str) for v in values):
            return None  # no figure at all (no population data): nothing to add
        if withheld == 1 or territory is None:
            return NOT_PUBLISHED
        return int(territory) if isinstance(territory, float) and territory.is_integer() else territory

    shares = [float(v) for v in table.get("covered_share", []) if not _missing(v)]
    # as precise as the rows' shares (a public document shows them to the percent)
    digits = 2 if all(round(v, 2) == v for v in shares) else ROUNDING.get("covered_share", 4)

    def ratio(part, whole, territory=None):
        if isinstance(part, (int, float)) and isinstance(whole, (int, float)) and whole > 0:
            return round(part / whole, digits)
        return NOT_PUBLISHED if NOT_PUBLISHED in (part, whole) else territory

    out["population"] = total("population")
    out["covered_population"] = total("covered_population", summary.get("covered_population"))
    out["covered_share"] = ratio(out["covered_population"], out["population"])
    area = total("covered_area_ha", "territoire")
    out["covered_area_share"] = (
        summary.get("covered_area_share") if area == "territoire" else ratio(area, total("area_ha"))
    )
    out["ambassadors_living"] = total("ambassadors_living")
    out["resources_inside"] = total("resources_inside")
    return out


def method_lines(prepared: Prepared) -> list[tuple[str, str]]:
    """(heading, text) of the method note: reach, distance, statuses, target, population, totals, secret
    statistique, follow-up, sources, date, level. The same note in the workbook and the bilan."""
    from ambmap.analysis.reach import STRATEGIES

    project, coverage = prepared.project, prepared.coverage
    params = getattr(coverage, "params", None)
    lines = [("Territoire", project.name), ("Niveau de diffusion", prepared.diffusion.removeprefix("Diffusion : "))]
    if params is not None:
        describe = getattr(params, "describe", None)
        strategy = STRATEGIES.get(params.reach)
        reach = (
            describe()
            if callable(describe)
            else f"distance {getattr(strategy, 'label', params.reach)} : {text.distance(params.radius_m)} autour du "
            "domicile de chaque ambassadeur·rice (son propre rayon quand il est renseigné) ; "
            f"{text.distance(params.pole_radius_m)} autour des pôles Ressources Santé"
        )
        lines.append(("Zone couverte", reach))
        counted = " et ".join(f"« {s} »" for s in params.statuses)
        lines.append(("Statuts comptés", f"{counted} (à la date de mesure)"))
    chosen = "option « target » du projet" if "target" in project.options else "valeur par défaut"
    goal = f"{text.percent(target_share(project))} de la population de chaque QPV couverte ({chosen})"
    lines.append(("Objectif", goal))
    if coverage is not None:
        lines.append(("Population", coverage.population_method))
    lines += [
        (
            "Totaux",
            (
                f"Ligne « {TOTAL_LABEL} » : sommes des habitants, de la population couverte, des "
                "ambassadeurs·rices résidant et des ressources dans les quartiers ; parts recalculées à partir "
                "des totaux. Les colonnes qui ne s'additionnent pas (un·e ambassadeur·rice couvre souvent "
                "plusieurs quartiers, une ressource est à moins de 500 m de plusieurs) restent vides."
            ),
        ),
        (
            "Secret statistique",
            (
                "Documents publics : domiciles ramenés au centre de leur carreau INSEE de 200 m "
                "avant tout calcul ; là où 1 ou 2 ambassadeurs·rices vivent dans un QPV ou "
                "l'atteignent, les comptes s'affichent « < 3 » et la population et la part couvertes "
                f"ne sont pas publiées ; un total qui les ferait retrouver affiche « {NOT_PUBLISHED} ». "
                "Habitants arrondis à la dizaine, parts au pour cent."
            ),
        ),
        (
            "Suivi",
            (
                "Chaque année est mesurée à son dernier jour (aujourd'hui pour l'année en cours) avec les mêmes "
                "paramètres ; un·e ambassadeur·rice compte de sa date d'entrée à la veille de sa date de départ, "
                "avec le statut qu'il ou elle avait ce jour-là. Ligne « Ensemble des QPV » : tous les "
                "ambassadeurs·rices comptés, recrutements et départs compris hors QPV."
            ),
        ),
    ]
    history = prepared.history
    for note in history.notes if history is not None else []:
        lines.append(("", note))
    for i, source in enumerate(sources_lines(project)):
        lines.append(("Sources" if i == 0 else "", source))
    lines.append(("Date de l'export", text.date(dt.date.today())))
    if project.is_demo:
        lines.append(("Démonstration", f"{DEMO_LABEL} : personnes et lieux fictifs."))
    return [(heading, clean_text(line)) for heading, line in lines]


def history_table(prepared: Prepared) -> pd.DataFrame:
    """The follow-up table with French headers, rounded as people read it (empty without QPV)."""
    history = prepared.history
    if history is None:
        return pd.DataFrame(columns=list(HISTORY_COLUMNS.values()))
    table = history.table[list(HISTORY_COLUMNS)].copy()
    table["as_of"] = table["as_of"].map(text.date)
    table["covered_population"] = table["covered_population"].map(lambda v: v if _missing(v) else round(float(v)))
    table["covered_share"] = table["covered_share"].map(lambda v: v if _missing(v) else round(float(v), 4))
    table["population"] = table["population"].map(lambda v: v if _missing(v) else round(float(v)))
    headers = dict(HISTORY_COLUMNS)
    headers["period"] = "Année" if history.by == "annee" else "Période"
    return _clean_frame(table, uniform=False).rename(columns=headers)


def write_xlsx(prepared: Prepared, path: Path) -> Path:
    """The reporting workbook: « Indicateurs par QPV » (with a totals row), « Suivi » (year by year, with
    its chart), « Méthode », « À propos »; French headers and number formats, filters, fitted columns,
    frozen headers, values only (no formula)."""
    from openpyxl import Workbook

    path = Path(path)
    meta = {key: clean_text(value) for key, value in metadata(prepared.project, prepared.level).items()}
    table = french_table(prepared)
    wb = Workbook()
    ws = wb.active
    ws.title = "Indicateurs par QPV"
    labels = {v: k for k, v in QPV_COLUMNS.items()}
    formats = {header: _number_format(labels[header], table[header]) for header in table.columns}
    totals_row = totals(prepared)
    _write_table(ws, table, formats, totals=[totals_row.get(labels[h]) for h in table.columns])
    ws.freeze_panes = "C2"
    ws.oddHeader.center.text = meta["ambmap_mention"]

    follow = wb.create_sheet("Suivi")
    history = history_table(prepared)
    header_of = {HISTORY_COLUMNS[c]: c for c in HISTORY_COLUMNS}
    formats = {h: _number_format(header_of.get(h, "period"), history[h]) for h in history.columns}
    _write_table(follow, history, formats)
    follow.freeze_panes = "D2"
    follow.oddHeader.center.text = meta["ambmap_mention"]
    if prepared.history is not None and len(history):
        _history_chart(follow, prepared.history.table, first_row=len(history) + 4, beside=len(history.columns))

    method = wb.create_sheet("Méthode")
    method.append(["Rubrique", "Détail"])
    for heading, line in method_lines(prepared):
        method.append([heading, line])
    method["A1"].font = method["B1"].font = _bold()
    method.column_dimensions["A"].width = max(len(h) for h, _ in [("Rubrique", "")] + method_lines(prepared)) + 2
    method.column_dimensions["B"].width = 110
    for (cell,) in method.iter_rows(min_col=2, max_col=2):
        cell.alignment = _wrap()
    for (cell,) in method.iter_rows(min_col=1, max_col=1):
        cell.alignment = _wrap(wrap=False)
    method.freeze_panes = "A2"

    about = wb.create_sheet("À propos")
    for key, value in meta.items():
        about.append([key.removeprefix("ambmap_").capitalize(), value])
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 100
    for sheet in wb.worksheets:
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


def _bold():
    from openpyxl.styles import Font

    return Font(bold=True)


def _wrap(wrap: bool = True):
    from openpyxl.styles import Alignment

    return Alignment(wrap_text=wrap, vertical="top")


def _number_format(column: str, values: pd.Series) -> str | None:
    """The XLSX format of a column: « 0.0 % » for shares, « # ##0 » for counts (a space between thousands
    whatever the language of Excel), « # ##0.0 » for decimals; None for text."""
    if column in SHARE_COLUMNS:
        return "0.0 %"
    kind = values.dtype.kind
    if kind == "f":
        return "# ##0.0" if (values.dropna() % 1 != 0).any() else "# ##0"
    if kind in "iu" or (
        kind == "O" and values.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).any()
    ):
        return "# ##0"
    return None


def _write_table(ws, table: pd.DataFrame, formats: dict, totals: list | None = None) -> None:
    """Header (bold, wrapped), rows, an optional bold totals row under the filter's range, number formats,
    an auto-filter over header and rows, and columns as wide as their longest value."""
    from openpyxl.utils import get_column_letter

    ws.append(list(table.columns))
    for row in table.itertuples(index=False):
        ws.append(
            [None if _missing(v) and not isinstance(v, str) else v.item() if hasattr(v, "item") else v for v in row]
        )
    last = ws.max_row
    if totals is not None:
        ws.append(totals)
        for cell in ws[ws.max_row]:
            cell.font = _bold()
    for cell in ws[1]:
        cell.font = _bold()
        cell.alignment = _wrap()
    for j, header in enumerate(table.columns, start=1):
        if formats.get(header):
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                if isinstance(cell.value, (int, float)):
                    cell.number_format = formats[header]
    ws.auto_filter.ref = f"A1:{get_column_letter(max(1, len(table.columns)))}{last}"
    fit_columns(ws)


def shown_length(cell) -> int:
    """About how many characters a cell shows (numbers as their format writes them)."""
    value = cell.value
    if value is None:
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        fmt = cell.number_format or ""
        if "%" in fmt:
            return len(f"{value * 100:.1f} %")
        return len(f"{value:,.{1 if '0.0' in fmt else 0}f}")
    return len(str(value))


def fit_columns(ws, header_rows: int = 1) -> None:
    """Each column as wide as its longest value (plus a margin and the filter button), and at least as its
    header's longest word; wrapped headers get the height of their lines."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, float] = {}
    for row in ws.iter_rows(min_row=header_rows + 1):
        for cell in row:
            widths[cell.column] = max(widths.get(cell.column, 0), shown_length(cell))
    lines = 1
    for cell in ws[1]:
        words = str(cell.value or "").split()
        width = max([widths.get(cell.column, 0), 6, *(len(w) + 1 for w in words)]) + 3
        widths[cell.column] = width
        lines = max(lines, math.ceil(len(str(cell.value or "")) / (width - 3)))
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = max(width + 2, 8)
    ws.row_dimensions[1].height = 15 * (lines + 0.3)


def _history_chart(ws, table: pd.DataFrame, first_row: int, beside: int) -> None:
    """Under the follow-up table, the share covered per year and QPV (QPVs in columns, the territory
    last: the chart's data) and, beside the table, a native line chart of it (withheld years are gaps)."""
    from openpyxl.chart import LineChart, Reference
    from openpyxl.utils import get_column_letter

    shares = {(p, c): v for p, c, v in zip(table["period"], table["code_qp"], table["covered_share"], strict=True)}
    codes = list(dict.fromkeys(c for c in table["code_qp"] if c)) + [""]
    names = dict(zip(table["code_qp"], table["nom_qp"], strict=True))
    header_row = first_row
    for j, label in enumerate(["Année", *(clean_text(str(names[c])) for c in codes)], start=1):
        cell = ws.cell(row=header_row, column=j, value=label)
        cell.font, cell.alignment = _bold(), _wrap()
    ws.row_dimensions[header_row].height = 30
    periods = list(dict.fromkeys(table["period"]))
    for i, period in enumerate(periods, start=1):
        ws.cell(row=header_row + i, column=1, value=str(period))
        for j, code in enumerate(codes, start=2):
            value = shares.get((period, code))
            if value is not None and not _missing(value):
                ws.cell(row=header_row + i, column=j, value=round(float(value), 4)).number_format = "0 %"
    chart = LineChart()
    chart.title = "Part de la population des QPV couverte"
    chart.y_axis.title = "Population couverte"
    chart.y_axis.number_format = "0 %"
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.display_blanks = "gap"
    data = Reference(ws, min_col=2, max_col=1 + len(codes), min_row=header_row, max_row=header_row + len(periods))
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + len(periods)))
    for i, series in enumerate(chart.series):
        series.smooth = False
        series.graphicalProperties.line.width = 44000 if i == len(codes) - 1 else 19000
        if i == len(codes) - 1:
            series.graphicalProperties.line.solidFill = "1B1F2A"
    chart.width, chart.height = 20, 11
    ws.add_chart(chart, f"{get_column_letter(beside + 2)}2")


def _as_text(sheet) -> None:
    """Formula-like text cells stored as text (a string cell shown with Excel's quote prefix)."""
    for row in sheet.iter_rows():
        for cell in row:
            if is_formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
