"""Imported rows into a project: what is added, updated or set aside « à placer » (:func:`plan_import`),
ids on the project's pattern, and the rows « à placer » placed later by a click or by geocoding.

Rows « à placer » live in ``project.to_place`` (a text table, not a layer): no analysis, map or export
reads them until they are placed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from ambmap.config import Settings
from ambmap.crs import WGS84
from ambmap.errors import ImportFileError, Problem, UsageError, ValidationError
from ambmap.imports.points import (
    _ID_PREFIX,
    _NOT_KEPT_ASIDE,
    ID_WIDTH,
    IMPORTABLE,
    OUTSIDE_MARGIN_M,
    ImportResult,
    _client,
    _distances,
)
from ambmap.io.text import strip_controls
from ambmap.layers import Layer, validate
from ambmap.project import Project
from ambmap.sources import geocoding
from ambmap.sources.http import HttpClient, Progress

_COUNTER_DIGITS = 18  # a longer run of digits is no counter (and int() refuses more than 4,300)


def _counter(value) -> tuple[str, str] | None:
    """(prefix, digits) of an id ending with a number, « AMB-001 » → (« AMB- », « 001 »); None otherwise.
    Linear in the id's length: the regex ``(.*?)(\\d+)`` took minutes on one hostile id of 100,000 « 1 »
    then « x » (quadratic backtracking), and froze every import numbering ids."""
    text = str(value).strip()
    prefix = text.rstrip("0123456789")
    digits = text[len(prefix) :]
    return (prefix, digits) if 0 < len(digits) <= _COUNTER_DIGITS else None


def id_pattern(ids, default_prefix: str) -> tuple[str, int]:
    """(prefix, digits) of the ids a project already uses: « AMB-001 » → (« AMB- », 3); the commonest
    prefix wins; (``default_prefix``, :data:`ID_WIDTH`) when no id ends with a number."""
    found = [c for c in map(_counter, ids) if c]
    if not found:
        return default_prefix, ID_WIDTH
    prefixes = pd.Series([p for p, _ in found]).value_counts()
    prefix = default_prefix if prefixes.get(default_prefix, 0) == prefixes.iloc[0] else prefixes.index[0]
    widths = pd.Series([len(n) for p, n in found if p == prefix]).value_counts()
    return prefix, int(widths.index[0])


def _waiting(project: Project, kind: str) -> pd.DataFrame:
    pending = project.to_place
    return pending[pending["kind"] == kind] if len(pending) else pending


def _placed_ids(project: Project, kind: str) -> set[str]:
    layer = project.layer(kind)
    return set(layer.data[layer.schema.id_field].astype(str))


def _ids_in_use(project: Project, kind: str) -> list[str]:
    """The ids of ``kind`` placed on the map or waiting « à placer »: a new id is none of them."""
    id_field = project.layer(kind).schema.id_field
    return [*_placed_ids(project, kind), *_waiting(project, kind).get(id_field, [])]


def next_id(project: Project, kind: str, default_prefix: str) -> str:
    """The id a point added by hand gets: the project's pattern (:func:`id_pattern`, else
    ``default_prefix``), one above every number in use, placed or waiting — an import's numbering."""
    taken = _ids_in_use(project, kind)
    prefix, width = id_pattern(taken, default_prefix)
    return _renumber([""], set(taken), prefix, width)[0]


def _renumber(ids: list[str], taken: set[str], prefix: str, width: int) -> list[str]:
    """New ids ``prefix`` + number, after the largest one ``taken`` with that prefix, never a taken one (one
    too long to read as a counter, « AMB- » + 19 digits, is stepped over: it was handed out again)."""
    numbers = [int(digits) for p, digits in filter(None, map(_counter, taken)) if p == prefix]
    n, out = max(numbers, default=0) + 1, list[str]()
    while len(out) < len(ids):
        if (candidate := f"{prefix}{n:0{width}d}") not in taken:
            out.append(candidate)
        n += 1
    return out


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
    replaced_waiting: int = 0  # rows « à placer » of an earlier import of this layer dropped by « remplacer »
    renumbered: dict[str, str] = field(default_factory=dict)  # id numbered by the import -> id in the project

    @property
    def layer_changes(self) -> bool:
        """The layer itself changes (rows added, updated or replaced), not only the rows « à placer »."""
        return bool(self.added or self.updated or self.updated_in_place or self.replaced)

    @property
    def changes(self) -> bool:
        return self.layer_changes or bool(self.aside or self.replaced_waiting)

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
        if self.replaced_waiting:
            out.append(f"  - {self.replaced_waiting} ligne(s) « à placer » d'un import précédent remplacée(s)")
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
    waiting = _waiting(project, result.kind)
    new, aside = result.data.copy(), result.to_place.copy()
    renumbered: dict[str, str] = {}
    if result.generated_ids:
        kept = [] if replace else _ids_in_use(project, result.kind)
        prefix, width = id_pattern(kept, _ID_PREFIX[result.kind])
        old = sorted([*new[id_field], *aside.get(id_field, [])], key=lambda i: int(i[len(_ID_PREFIX[result.kind]) :]))
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
    replaced_waiting = len(waiting) if replace else 0
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
        replaced_waiting=replaced_waiting,
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
    project: Project,
    positions: dict[int, tuple[float, float, float | None]],
    *,
    min_score: float = 0.0,
    reasons: dict[int, str] | None = None,
) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]:
    """(new data of each layer concerned, new « à placer » table) with the waiting rows at ``positions``
    (row of ``project.to_place`` -> (longitude, latitude, geocoding score or None for a click)) placed;
    a score below ``min_score`` flags the row « à vérifier ». ``reasons`` (row -> why it still waits,
    :func:`geocode_to_place`) replace the « motif » of the rows left, so the panel never says
    « pas encore cherchée » of an address just searched.

    Nothing is changed: the caller swaps the frames in (one undo step). Raises ImportFileError when a
    row's id was placed meanwhile (by hand).
    """
    pending = project.to_place
    if refused := _refused(pending, list(positions)):
        raise ImportFileError(
            "\n".join(f"{to_place_label(pending.loc[i])} : refusée par la couche ({why})" for i, why in refused.items())
        )
    frames: dict[str, gpd.GeoDataFrame] = {}
    for kind, group in pd.DataFrame(pending.loc[list(positions)]).groupby("kind", sort=False):
        schema = IMPORTABLE[str(kind)]
        layer = project.layer(str(kind))
        taken = _placed_ids(project, str(kind))
        clash = sorted(set(group[schema.id_field].astype(str).str.strip()) & taken)  # as the layer stores it
        if clash:
            raise ImportFileError(
                f"« {', '.join(clash)} » existe déjà dans « {layer.title} » : changez l'identifiant de l'une "
                "des deux lignes (table attributaire) avant de placer celle-ci."
            )
        fields = [f for f in schema.names if f in group.columns]
        where = [positions[i] for i in group.index]
        far = _far(project, where)
        rows = group[fields].assign(
            geocode_score=[np.nan if score is None else score for _, _, score in where],
            a_verifier=[
                score is not None and (score < min_score or f) for (_, _, score), f in zip(where, far, strict=True)
            ],
        )
        points = gpd.points_from_xy([x for x, _, _ in where], [y for _, y, _ in where])
        rows = gpd.GeoDataFrame(rows.reset_index(drop=True), geometry=points, crs=WGS84)
        data = pd.concat([layer.data, rows], ignore_index=True) if len(layer) else rows
        frames[str(kind)] = validate(schema, gpd.GeoDataFrame(data, geometry="geometry", crs=WGS84), layer.title)
    rest = pending.drop(index=list(positions))
    if reasons:
        rest = rest.copy()
        for i, reason in reasons.items():
            rest.at[i, "motif"] = reason
    return frames, rest.reset_index(drop=True)


def _far(project: Project, where: list[tuple[float, float, float | None]]) -> list[bool]:
    """Which positions are farther than :data:`OUTSIDE_MARGIN_M` from the project's territory (as an import
    flags them: a homonym street found by the geocoder lands there)."""
    territory = project.layers["territory"].data if "territory" in project.layers else None
    if territory is None or not len(territory) or not where:
        return [False] * len(where)
    metres = _distances(territory, np.array([x for x, _, _ in where]), np.array([y for _, y, _ in where]))
    return [bool(m > OUTSIDE_MARGIN_M) for m in metres]


def _refused(pending: pd.DataFrame, rows: list[int], fields: tuple[str, ...] = ()) -> dict[int, str]:
    """What the layer would refuse in each waiting row of ``rows`` (a hand-edited project file, a name
    emptied): « « Statut » : valeur « pirate » non reconnue », by row; rows the layer takes are not in it.
    Checked by the layer's own rule (:func:`validate`) at a stand-in position, one kind at a time; only
    the problems of ``fields`` when given."""
    why: dict[int, list[str]] = {}
    for kind, group in pd.DataFrame(pending.loc[rows]).groupby("kind", sort=False):
        schema = IMPORTABLE[str(kind)]
        kept = [f for f in schema.names if f in group.columns and f not in ("geocode_score", "a_verifier")]
        frame = gpd.GeoDataFrame(group[kept], geometry=[Point(0, 0)] * len(group), crs=WGS84)
        try:
            validate(schema, frame.reset_index(drop=True), first_row=0)
        except ValidationError as e:
            for problem in e.problems:
                if problem.row is not None and (problem.field in fields or not fields):
                    label = problem.label or problem.field
                    why.setdefault(int(group.index[problem.row]), []).append(f"« {label} » : {problem.reason}")
    return {i: " ; ".join(reasons) for i, reasons in why.items()}


#: Why a waiting row without an address waits (the « Pourquoi » column, ``ambmap geocode``).
NO_ADDRESS = "pas d'adresse : placez-la d'un clic sur la carte, ou ajoutez-en une (« Modifier… »)"
#: Why a waiting row whose id or address was just edited waits.
EDITED = "modifiée : adresse pas encore cherchée (« Chercher les adresses »)"


def _not_found(address: str = "") -> str:
    """Why a row whose address was searched waits: the address quoted in a message, not in the panel's
    « Pourquoi » column (its « Adresse » column is beside it)."""
    quoted = f" « {address} »" if address else ""
    return f"adresse{quoted} introuvable : corrigez-la (« Modifier… ») ou placez-la d'un clic sur la carte"


def _cannot_place(project: Project, rows: list[int]) -> dict[int, str]:
    """Why each waiting row of ``rows`` cannot be placed from its address: none, no id, or its id (read as
    the layer will store it: stripped) placed meanwhile in its layer or shared with an earlier row of
    ``rows`` (placing it would duplicate the id, and the layer would refuse the whole batch). Rows that
    can be placed are not in the answer."""
    pending = project.to_place
    placed = {kind: _placed_ids(project, str(kind)) for kind in set(pending.loc[rows, "kind"])} if rows else {}
    why: dict[int, str] = {}
    seen: set[tuple[str, str]] = set()
    for i in rows:
        kind = str(pending.at[i, "kind"])
        id_value = str(pending.at[i, IMPORTABLE[kind].id_field]).strip()
        if not str(pending.at[i, "address"] if "address" in pending else "").strip():
            why[i] = NO_ADDRESS
        elif not id_value:
            why[i] = "pas d'identifiant, donnez-lui-en un (« Modifier… ») avant de la placer"
        elif (kind, id_value) in seen:
            why[i] = (
                f"l'identifiant « {id_value} » est aussi celui d'une autre ligne « à placer » : "
                "changez-le (« Modifier… ») avant de la placer"
            )
        elif id_value in placed[kind]:
            why[i] = (
                f"l'identifiant « {id_value} » existe déjà dans « {project.layer(kind).title} » : "
                "changez-le (« Modifier… ») avant de la placer"
            )
        else:
            seen.add((kind, id_value))
    for i, reasons in _refused(pending, [i for i in rows if i not in why]).items():
        why[i] = f"refusée par la couche ({reasons}) : corrigez-la (« Modifier… ») ou supprimez-la et réimportez-la"
    return why


def geocode_to_place(
    project: Project,
    settings: Settings,
    rows: list[int] | None = None,
    *,
    progress: Progress = None,
    client: HttpClient | None = None,
) -> tuple[dict[int, tuple[float, float, float | None]], list[str], dict[int, str]]:
    """Look up the address of the waiting ``rows`` (all when None): (positions found, for
    :func:`place_rows`; French lines for those still « à placer » and why; the same reasons by row, as
    the « Pourquoi » column says them, for :func:`place_rows`'s ``reasons``). A low score is placed and
    flagged « à vérifier » by the caller. Raises SourceError when the service cannot be reached."""
    pending = project.to_place
    rows = list(pending.index) if rows is None else rows
    why = _cannot_place(project, rows)
    missing = [f"{to_place_label(pending.loc[i])} : {reason}" for i, reason in why.items()]
    with_address = [i for i in rows if i not in why]
    if not with_address:
        return {}, missing, why
    answers = geocoding.geocode_many(
        [str(pending.at[i, "address"]) for i in with_address], settings, client or _client(settings, progress), progress
    )
    found: dict[int, tuple[float, float, float | None]] = {}
    still = missing
    for i, answer in zip(with_address, answers, strict=True):
        if answer is None:
            still.append(f"{to_place_label(pending.loc[i])} : {_not_found(str(pending.at[i, 'address']))}")
            why[i] = _not_found()  # the panel's « Adresse » column is beside it: not quoted again
        else:
            found[i] = (answer.lon, answer.lat, answer.score)
    return found, still, why


def geocode_waiting(
    project: Project, kind: str, settings: Settings, *, progress: Progress = None, client: HttpClient | None = None
) -> tuple[list[str], list[str], list[str]]:
    """Place the rows « à placer » of ``kind`` whose address is found, by the window's rules
    (:func:`geocode_to_place` then :func:`place_rows`: a low score is placed and flagged « à vérifier »).
    Returns (ids placed, ids of those flagged, French lines for the rows still waiting and why). The
    project changes at the end only; raises SourceError (offline, service down) before any change."""
    pending = project.to_place
    rows = list(_waiting(project, kind).index)
    if not rows:
        return [], [], []
    found, still, reasons = geocode_to_place(project, settings, rows, progress=progress, client=client)
    frames, rest = place_rows(project, found, min_score=settings.geocode_min_score, reasons=reasons)
    if kind in frames:
        project.layer(kind).data = frames[kind]
    project.set_to_place(rest)
    if kind not in frames:
        return [], [], still
    ids = [str(pending.at[i, IMPORTABLE[kind].id_field]).strip() for i in found]
    flagged = set(frames[kind].loc[frames[kind]["a_verifier"], IMPORTABLE[kind].id_field])  # low score or far away
    return ids, [i for i in ids if i in flagged], still


def name_field(kind: str) -> str:
    """The field naming a row of ``kind`` (« display_name » for an ambassador, « name » otherwise)."""
    return "display_name" if "display_name" in IMPORTABLE[kind].names else "name"


def _looks(id_value) -> str:
    """An id as a reader sees it: compatibility forms folded (full-width letters), invisible characters
    (zero-width space, word joiner) and surrounding spaces (no-break ones too) left out."""
    text = unicodedata.normalize("NFKC", str(id_value))
    return "".join(c for c in text if unicodedata.category(c) != "Cf").strip()


def edit_to_place(project: Project, row: int, id_value: str, name: str, address: str) -> pd.DataFrame:
    """The « à placer » table with the waiting ``row``'s id, name and address replaced (its other columns
    kept). Nothing is changed: the caller swaps the table in (one undo step). Raises UsageError when
    the id is empty or already used by its layer or by another waiting row of that layer."""
    pending = project.to_place
    kind = str(pending.at[row, "kind"])
    layer, id_field = project.layer(kind), IMPORTABLE[kind].id_field
    id_value, name, address = (strip_controls(str(v)).strip() for v in (id_value, name, address))
    if not id_value:
        raise UsageError("L'identifiant est obligatoire : indiquez-en un (par exemple celui du fichier importé).")
    others = _waiting(project, kind).drop(index=row).get(id_field, [])
    for ids, where in (
        (_placed_ids(project, kind), f"existe déjà dans « {layer.title} »"),
        (others, "est déjà celui d'une autre ligne « à placer »"),
    ):
        if same := {_looks(i): i for i in ids}.get(_looks(id_value)):
            read = "" if same == id_value else f" (qui se lit « {same} »)"
            raise UsageError(f"L'identifiant « {id_value} »{read} {where} : choisissez-en un autre.")
    rows = pending.copy()
    if (id_value, address) != (str(pending.at[row, id_field]), str(pending.get("address", {}).get(row, ""))):
        if "motif" not in rows:
            rows["motif"] = ""
        rows.at[row, "motif"] = EDITED if address else NO_ADDRESS  # the old reason no longer holds
    for column, value in ((id_field, id_value), (name_field(kind), name), ("address", address)):
        if column not in rows:
            rows[column] = ""
        rows.at[row, column] = value
    if refused := _refused(rows, [row], (id_field, name_field(kind), "address")):
        raise UsageError(f"La couche « {layer.title} » refuserait cette ligne : {refused[row]}. Corrigez-la.")
    return rows


def drop_to_place(project: Project, rows: list[int]) -> pd.DataFrame:
    """The « à placer » table without the waiting ``rows`` (nothing changed: the caller swaps it in)."""
    return project.to_place.drop(index=rows).reset_index(drop=True)


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
