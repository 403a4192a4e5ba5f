"""Ambassadeurs·rices de santé: volunteers, so names and home addresses are personal data (RGPD).

``display_name`` and ``address`` are marked private, and so are the languages spoken, the start and
end dates and the status history: beside a 200 m square, a rare language or a date can single a
person out (and languages hint at origins). So is the geocoding score: the geocoder scores each address
of a square differently, so the score of a home picks it out of its square. Public exports drop them,
and exact points are moved to the centre of their 200 m square (see ``ambmap.export``); per-QPV counts
stay, as aggregates (per-QPV languages only in internal documents).

Time: an ambassador is present from ``start_date`` (empty: since always) until the day before
``end_date`` (empty: still there). ``status_history`` dates the status changes, one entry
« AAAA-MM-JJ : ancien → nouveau » per change, so the status on a past day is known
(:func:`status_on`). It is a column of the layer rather than a table of its own: it is saved, reloaded,
imported, exported (privately) and undone with the rows, with no new part in the project file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pandas as pd

from ambmap.layers.base import GEOCODING_FIELDS, LIST_SEPARATOR, POINT, Field, LayerSchema, radius_problem, split_list

STATUSES = ("actif", "en formation", "inactif")
_CHANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*:\s*(.+?)\s*(?:→|->)\s*(.+)$")


def parse_status_history(text: str) -> list[tuple[str, str, str]]:
    """[(date ISO, old status, new status)] in date order; ValueError with a French reason if malformed."""
    changes = []
    for item in split_list(text):
        m = _CHANGE.match(item)
        if not m:
            raise ValueError(f"changement « {item} » illisible (format attendu : AAAA-MM-JJ : ancien → nouveau)")
        day, old, new = m[1], m[2].lower(), m[3].lower()
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            raise ValueError(f"date « {day} » invalide dans « {item} »") from None
        for status in (old, new):
            if status not in STATUSES:
                raise ValueError(
                    f"statut « {status} » non reconnu dans « {item} » (valeurs possibles : {', '.join(STATUSES)})"
                )
        changes.append((day, old, new))
    return sorted(changes, key=lambda c: c[0])


def format_change(day: dt.date | str, old: str, new: str) -> str:
    return f"{day if isinstance(day, str) else day.isoformat()} : {old} → {new}"


def status_on(status: str, history: str, day: str) -> str:
    """The status on ``day`` (ISO): before the first change dated after ``day``, its old status; else ``status``."""
    for when, old, _ in parse_status_history(history):
        if when > day:
            return old
    return status


def _check_dates(columns: dict[str, list]) -> list[tuple[int, str, str]]:
    """End date not before the start date; a readable status history."""
    problems = []
    starts, ends = columns.get("start_date", []), columns.get("end_date", [])
    for i, (start, end) in enumerate(zip(starts, ends, strict=False)):  # a file may hold only one of the two columns
        if start and end and end < start:
            problems.append(
                (
                    i,
                    "end_date",
                    (f"date de départ ({end}) antérieure à la date d'entrée ({start}) : corrigez l'une des deux"),
                )
            )
    for i, text in enumerate(columns.get("status_history", [])):
        try:
            parse_status_history(text or "")
        except ValueError as e:
            problems.append((i, "status_history", str(e)))
    return problems


def date_status_changes(old: pd.DataFrame, new: pd.DataFrame, today: dt.date | None = None) -> pd.DataFrame:
    """``new`` with each status change since ``old`` dated ``today`` in ``status_history``.

    Rows are matched by ``amb_id``; a row whose history is empty keeps its old history (a re-import
    from a spreadsheet without that column loses nothing). New rows start without history.
    """
    if "status" not in new or "amb_id" not in new or old is None or old.empty:
        return new
    today = today or dt.date.today()
    before = {str(a): (s, h) for a, s, h in zip(old["amb_id"], old["status"], old["status_history"], strict=True)}
    history = new["status_history"] if "status_history" in new else pd.Series("", index=new.index)
    out = []
    for amb_id, status, text in zip(new["amb_id"], new["status"], history.fillna(""), strict=True):
        if str(amb_id) not in before:
            out.append(text)
            continue
        old_status, old_text = before[str(amb_id)]
        text = text or old_text or ""
        new_status = str(status).strip().lower()
        if old_status and new_status in STATUSES and new_status != old_status:
            text = LIST_SEPARATOR.join([*split_list(text), format_change(today, old_status, new_status)])
        out.append(text)
    new = new.copy()
    new["status_history"] = out
    return new


AMBASSADORS = LayerSchema(
    kind="ambassadors",
    title="Ambassadeurs·rices de santé",
    fields=(
        Field("amb_id", "Identifiant (pseudonyme)"),
        Field("display_name", "Nom affiché", private=True),
        Field("address", "Adresse", required=False, private=True),
        Field("status", "Statut", "choice", choices=STATUSES),
        Field("pole_id", "Pôle de rattachement", required=False),
        Field("themes", "Thèmes", "list", required=False),
        Field("languages", "Langues parlées", "list", required=False, private=True),
        Field("start_date", "Date d'entrée", "date", required=False, private=True),
        Field("end_date", "Date de départ", "date", required=False, private=True),
        Field("status_history", "Changements de statut", "list", required=False, private=True),
        Field("radius_m", "Rayon de couverture (m)", "float", required=False, check=radius_problem),
        *(dataclasses.replace(f, private=True) if f.name == "geocode_score" else f for f in GEOCODING_FIELDS),
    ),
    geometry_types=POINT,
    id_field="amb_id",
    checks=(_check_dates,),
)
