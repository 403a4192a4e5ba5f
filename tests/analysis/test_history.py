"""Coverage over time on a hand-built history: two 1 km square QPVs, three ambassadors over 2023–2024.

Every zone (800 m) wholly covers its square (corner at 707 m), so shares are 0 or 1 and can be read off
the dates: A covers Q1 from March 2023; B covers Q2 from June 2023 and leaves on 1 May 2024; C arrives in
Q2 in February 2024, « en formation » until 15 January 2025.
"""

from __future__ import annotations

import datetime as dt

import pytest
from shapely.geometry import Point

from ambmap.analysis.coverage import CoverageParams
from ambmap.analysis.history import active_on, compute_history, periods
from ambmap.errors import ValidationError
from ambmap.layers import AMBASSADORS, Layer
from ambmap.layers.ambassadors import date_status_changes, status_on
from tests.analysis.builders import X0, Y0, frame, make_project, qpv_layer

TODAY = dt.date(2025, 6, 30)
PARAMS = CoverageParams(radius_m=800)


def history_project(extra: list[dict] = ()):
    rows = [
        {"amb_id": "A", "status": "actif", "start_date": "2023-03-01", "x": 500},
        {
            "amb_id": "B",
            "status": "inactif",
            "start_date": "2023-06-01",
            "end_date": "2024-05-01",
            "status_history": "2024-05-01 : actif → inactif",
            "x": 2500,
        },
        {
            "amb_id": "C",
            "status": "actif",
            "start_date": "2024-02-01",
            "status_history": "2025-01-15 : en formation → actif",
            "x": 2500,
        },
        *extra,
    ]
    amb = [{k: v for k, v in r.items() if k != "x"} | {"display_name": r["amb_id"]} for r in rows]
    return make_project(
        qpv_layer([("Q1", 0, 0, 1000, 1000), ("Q2", 2000, 0, 1000, 1000)]),
        Layer(AMBASSADORS, frame(amb, [Point(X0 + r["x"], Y0 + 500) for r in rows])),
    )


def by_key(result):
    return {(r.period, r.code_qp): r for r in result.table.itertuples()}


def test_per_year_counts_shares_recruitments_and_departures():
    result = compute_history(history_project(), 2023, 2024, params=PARAMS, today=TODAY)
    t = by_key(result)
    assert [
        (p, t[p, q].ambassadors_covering, t[p, q].covered_share) for p in ("2023", "2024") for q in ("Q1", "Q2", "")
    ] == [("2023", 1, 1.0), ("2023", 1, 1.0), ("2023", 2, 1.0), ("2024", 1, 1.0), ("2024", 0, 0.0), ("2024", 1, 0.5)]
    assert t["2024", ""].covered_population == 1000
    assert [(t[p, q].recruited, t[p, q].departed) for p in ("2023", "2024") for q in ("Q1", "Q2", "")] == [
        (1, 0),
        (1, 0),
        (2, 0),
        (0, 0),
        (1, 1),
        (1, 1),
    ]
    assert t["2023", ""].as_of == "2023-12-31" and t["2023", ""].nom_qp == "Ensemble des QPV"
    assert result.notes == []  # every ambassador has a start date, the periods are over


def test_in_training_counted_when_asked():
    result = compute_history(
        history_project(), 2024, 2024, params=CoverageParams(radius_m=800, include_in_training=True), today=TODAY
    )
    assert by_key(result)["2024", "Q2"].ambassadors_covering == 1


def test_left_ambassador_not_counted_from_the_end_date():
    project = history_project()
    assert {*active_on(project, dt.date(2024, 4, 30))[0]["amb_id"]} == {"A", "B"}
    assert {*active_on(project, dt.date(2024, 5, 1))[0]["amb_id"]} == {"A"}
    assert {*active_on(project, dt.date(2024, 5, 1), include_in_training=True)[0]["amb_id"]} == {"A", "C"}
    assert {*active_on(project, dt.date(2025, 2, 1))[0]["amb_id"]} == {"A", "C"}
    quarters = by_key(compute_history(project, 2024, 2024, "trimestre", params=PARAMS, today=TODAY))
    assert [quarters[f"2024-T{q}", "Q2"].ambassadors_covering for q in (1, 2, 3, 4)] == [1, 0, 0, 0]
    assert [quarters[f"2024-T{q}", "Q2"].departed for q in (1, 2, 3, 4)] == [0, 1, 0, 0]


def test_no_start_date_counted_since_always_and_noted():
    project = history_project([{"amb_id": "D", "status": "actif", "x": 500}])
    result = compute_history(project, 2023, 2023, params=PARAMS, today=TODAY)
    assert by_key(result)["2023", "Q1"].ambassadors_covering == 2
    assert by_key(result)["2023", "Q1"].recruited == 1  # A only: D's arrival is unknown
    assert any("1 ambassadeur(s) sans date d'entrée" in n and "depuis toujours" in n for n in result.notes)
    assert "D" in set(active_on(project, dt.date(1990, 1, 1))[0]["amb_id"])
    assert active_on(project, dt.date(1990, 1, 1))[1] == result.notes


def test_period_in_progress_measured_today_and_noted():
    result = compute_history(history_project(), 2025, 2026, params=PARAMS, today=TODAY)
    assert list(result.territory["period"]) == ["2025"] and result.territory["as_of"].iat[0] == "2025-06-30"
    assert any("situation au 30/06/2025" in n for n in result.notes)
    assert [p[0] for p in periods(2024, 2024, "trimestre", dt.date(2024, 5, 2))] == ["2024-T1", "2024-T2"]


def test_end_before_start_refused_naming_row_and_field():
    bad = frame(
        [{"amb_id": "A", "display_name": "A", "status": "actif", "start_date": "2024-03-01", "end_date": "01/02/2024"}],
        [Point(X0, Y0)],
    )
    with pytest.raises(ValidationError) as e:
        Layer(AMBASSADORS, bad)
    assert "ligne 1" in e.value.message and "Date de départ" in e.value.message
    assert "antérieure à la date d'entrée" in e.value.message


def test_status_changes_are_dated_and_kept_across_a_reimport():
    layer = history_project().layers["ambassadors"]
    edited = layer.data.copy()
    edited.loc[edited.amb_id == "A", "status"] = "inactif"
    dated = date_status_changes(layer.data, edited, dt.date(2025, 7, 1))
    assert dated.set_index("amb_id").at["A", "status_history"] == "2025-07-01 : actif → inactif"
    assert status_on("inactif", "2025-07-01 : actif → inactif", "2025-06-30") == "actif"
    reimported = edited.drop(columns="status_history")  # a spreadsheet without the column
    kept = date_status_changes(layer.data, reimported, dt.date(2025, 7, 1)).set_index("amb_id")
    assert kept.at["B", "status_history"] == "2024-05-01 : actif → inactif"
    reloaded = Layer(AMBASSADORS, date_status_changes(layer.data, edited, dt.date(2025, 7, 1))).data
    assert reloaded.set_index("amb_id").at["A", "status_history"] == "2025-07-01 : actif → inactif"


def test_dates_and_history_survive_save_and_reload(tmp_path):
    from ambmap.project import Project

    project = history_project()
    project.save(tmp_path / "p.gpkg")
    back = Project.load(tmp_path / "p.gpkg").layers["ambassadors"].data.set_index("amb_id")
    assert back.at["B", "end_date"] == "2024-05-01"
    assert back.at["C", "status_history"] == "2025-01-15 : en formation → actif"


def test_import_guesses_the_departure_column():
    from ambmap.io.mapping import guess_mapping

    mapping = guess_mapping(["Pseudonyme", "Nom", "Statut", "Date d'entrée", "Date de départ"], "ambassadors")
    assert mapping["start_date"] == "Date d'entrée" and mapping["end_date"] == "Date de départ"
    assert (
        guess_mapping(["id", "Date", "Date de fin de mission"], "ambassadors")["end_date"] == "Date de fin de mission"
    )
