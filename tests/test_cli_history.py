"""``ambmap history`` on the bundled Lille demo (its ambassadors have start dates 2019–2026 and 5 departures)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from ambmap.analysis.coverage import compute_coverage
from ambmap.cli import main
from ambmap.project import Project


def test_json_per_year_ends_on_todays_coverage(capsys):
    assert main(["history", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    territory = [r for r in out["rows"] if r["code_qp"] == ""]
    assert territory[0]["period"] == "2019" and len(territory) >= 8
    assert len(out["rows"]) == 9 * len(territory)  # 8 QPVs + the territory, each year
    amb = Project.default().layers["ambassadors"].data
    assert sum(r["recruited"] for r in territory) == len(amb)
    assert sum(r["departed"] for r in territory) == (amb["end_date"] != "").sum() == 5
    today = compute_coverage(Project.default()).summary  # the year in progress is measured today
    assert territory[-1]["ambassadors_covering"] == today["ambassadors_counted"]
    assert abs(territory[-1]["covered_share"] - today["covered_share"]) < 1e-9
    shares = [r["covered_share"] for r in territory]
    assert shares[0] < 0.1 and shares[-1] > 0.6  # the recruitment curve of the demo
    assert out["statuses"] == ["actif"] and out["par"] == "annee"
    assert any("Période en cours" in n for n in out["notes"])


def test_csv_by_quarter_is_excel_french(capsys):
    assert main(["history", "--csv", "--par", "trimestre", "--from", "2024", "--to", "2024"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("\ufeffperiod;start;as_of;code_qp;nom_qp;")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert [r["period"] for r in rows[::9]] == ["2024-T1", "2024-T2", "2024-T3", "2024-T4"]
    assert rows[8]["nom_qp"] == "Ensemble des QPV" and rows[8]["code_qp"] == ""
    assert "," in rows[8]["covered_share"] and "." not in rows[8]["covered_share"]
    assert rows[-1]["as_of"] == "2024-12-31"


def test_bad_years_refused_in_french(capsys):
    assert main(["history", "--from", "2026", "--to", "2024"]) == 2
    assert "Indiquez --from avant --to" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["history", "--from", "vingt"])
    assert e.value.code == 2
    assert "n'est pas une année" in capsys.readouterr().err
