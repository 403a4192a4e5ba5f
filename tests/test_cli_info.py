"""``ambmap info`` reads the project file with sqlite3 (no pandas): the same JSON as the full reader, French dates in
its text, and the full reader whenever the file is anything unusual (issue 15 point 6)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest

from ambmap import cli
from ambmap.cli import main, read_summary
from ambmap.project import Project


def _full(path: Path | None) -> dict:
    project = Project.load(path) if path else Project.default()
    return project.summary()


def _edit_metadata(path: Path, change) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        layers = json.loads(db.execute("SELECT value FROM ambmap_metadata WHERE key = 'layers'").fetchone()[0])
        change(layers)
        db.execute("UPDATE ambmap_metadata SET value = ? WHERE key = 'layers'", (json.dumps(layers),))


def test_the_json_is_the_full_readers(capsys):
    assert main(["info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == _full(None)
    summary, titles = read_summary(None)
    assert summary == _full(None)
    assert [kind for kind, _ in titles] == [layer.kind for layer in Project.default().ordered_layers()]


def test_a_saved_project_with_an_empty_layer_and_a_missing_table(tmp_path, capsys):
    path = tmp_path / "projet.gpkg"
    project = Project.default()
    project.layer("ambassadors").data = project.layer("ambassadors").data.iloc[:0]  # empty: not « demo »
    project.layer("streets")  # described, no row
    project.save(path)
    _edit_metadata(path, lambda layers: layers.append({**layers[0], "kind": "inconnu"}))  # skipped by both
    light, _ = read_summary(path)
    assert light == _full(path)
    assert light["counts"]["ambassadors"] == 0 and "inconnu" not in light["counts"]
    assert main(["info", "--json", "--project", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == _full(path)


@pytest.mark.parametrize(
    "change",
    [
        lambda layers: layers[0]["provenance"].update(date=2024),  # the full reader turns it into text
        lambda layers: layers[0]["provenance"].update(extra=[1, 2]),  # and drops lists
        lambda layers: layers[0].pop("title"),  # the schema's title then
        lambda layers: layers.append(dict(layers[0])),  # a kind described twice
    ],
)
def test_anything_unusual_goes_to_the_full_reader(tmp_path, capsys, change):
    path = tmp_path / "projet.gpkg"
    Project.new_from_default(path)
    _edit_metadata(path, change)
    assert read_summary(path) is None
    assert main(["info", "--json", "--project", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == _full(path)


def test_a_broken_file_still_gets_the_full_readers_french_error(tmp_path, capsys):
    (tmp_path / "x.gpkg").write_text("pas un geopackage")
    assert read_summary(tmp_path / "x.gpkg") is None and read_summary(tmp_path / "absent.gpkg") is None
    assert main(["info", "--project", str(tmp_path / "x.gpkg")]) == 2
    assert "illisible" in capsys.readouterr().err


def test_the_text_prints_french_dates(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "25/11/2026" in out and "2026-11-25" not in out
    assert "Territoire : Lille (commune 59350)" in out and "Ambassadeurs·rices de santé" in out


def test_the_constants_agree_with_the_project_module():
    from ambmap import project
    from ambmap.layers import SCHEMAS
    from ambmap.layers.importable import BUILT_IN_KINDS

    assert cli.PROJECT_FORMAT_VERSION == project.FORMAT_VERSION
    assert cli.PROJECT_METADATA_TABLE == project.METADATA_TABLE
    assert cli.TO_PLACE_TABLE == project.TO_PLACE_TABLE
    assert cli.default_project_file() == project.DEFAULT_PROJECT and cli.DEMO_LABEL == project.DEMO_LABEL
    assert BUILT_IN_KINDS == tuple(SCHEMAS)


def test_rows_to_place_are_counted_as_the_full_reader_counts_them(tmp_path, capsys):
    import pandas as pd

    path = tmp_path / "projet.gpkg"
    project = Project.default()
    rows = [{"kind": "ambassadors", "amb_id": "AMB-066", "motif": "adresse non géocodée"}] * 2
    project.set_to_place(pd.DataFrame([*rows, {"kind": "inconnu", "motif": "?"}]))  # an unknown kind is left out
    project.save(path)
    summary, _ = read_summary(path)
    assert summary == _full(path) and summary["to_place"] == 2
    assert main(["info", "--project", str(path)]) == 0
    assert "À placer" in capsys.readouterr().out


def _sql(path: Path, statement: str, *params) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):  # GDAL's triggers call them
            db.create_function(name, 1, lambda geometry: 0)
        db.execute(statement, params)


@pytest.mark.parametrize(
    "kind",
    [
        "CAST('ambassadors' AS BLOB)",  # GDAL reads it as the text « ambassadors »
        "'ambassadors' || char(11)",  # the full reader strips the vertical tab
        "'ambassadors' || char(0) || 'x'",  # GDAL cuts at the NUL
        "1",
    ],
)
def test_an_unusual_kind_to_place_goes_to_the_full_reader(tmp_path, capsys, kind):
    import pandas as pd

    path = tmp_path / "projet.gpkg"
    project = Project.default()
    project.set_to_place(pd.DataFrame([{"kind": "ambassadors", "amb_id": "AMB-066", "motif": "?"}] * 2))
    project.save(path)
    _sql(path, f"UPDATE a_placer SET kind = {kind} WHERE fid = 1")
    light = read_summary(path)
    assert light is None or light[0] == _full(path)
    assert main(["info", "--json", "--project", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == _full(path)


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("ambmap_metadata", "value", "'1' || printf('%.5000d', 0)"),  # an integer Python refuses to read
        ("ambmap_metadata", "value", "CAST(X'FFFE22' AS TEXT)"),  # not UTF-8
        ("a_placer", "motif", "CAST(X'FFFE22' AS TEXT)"),
        ("ambassadors", "display_name", "CAST(X'FFFE22' AS TEXT)"),
    ],
)
def test_a_hand_edited_table_gets_the_french_error(tmp_path, capsys, table, column, value):
    """Never « Erreur inattendue »: the project cannot open, the message names the file and what to do."""
    import pandas as pd

    from ambmap.errors import ProjectFileError

    path = tmp_path / "projet.gpkg"
    project = Project.default()
    project.set_to_place(pd.DataFrame([{"kind": "ambassadors", "amb_id": "AMB-066", "motif": "?"}]))
    project.save(path)
    where = "key = 'format_version'" if table == "ambmap_metadata" else "fid = 1"
    _sql(path, f'UPDATE "{table}" SET "{column}" = {value} WHERE {where}')
    with pytest.raises(ProjectFileError, match="illisible"):
        Project.load(path)
    if table == "ambmap_metadata":  # rows are counted by info, not read: the layers' text goes to validate
        assert main(["info", "--project", str(path)]) == 2
        assert "illisible" in capsys.readouterr().err


def test_a_pipe_a_folder_or_a_symlink_loop_is_a_french_error_not_a_hang(tmp_path, capsys):
    """sqlite3 (and the digest) waited forever on a named pipe; a symlink loop was « Erreur inattendue »."""
    import os

    os.mkfifo(tmp_path / "tube.gpkg")
    (tmp_path / "a.gpkg").symlink_to(tmp_path / "b.gpkg")
    (tmp_path / "b.gpkg").symlink_to(tmp_path / "a.gpkg")
    for name in ("tube.gpkg", "a.gpkg", "."):
        assert read_summary(tmp_path / name) is None
        assert main(["info", "--project", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("Erreur :") and "inattendue" not in err


def test_the_text_never_sends_a_projects_escape_sequences_to_the_terminal(tmp_path, capsys):
    """A project received from a partner can hold ESC sequences (window title, clipboard via OSC 52, fake
    lines): info prints its texts as inert text."""
    path = tmp_path / "projet.gpkg"
    Project.new_from_default(path)
    evil = "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\nFaux : ligne\u202e"

    def change(layers):
        layers[0]["title"] += evil
        layers[0]["provenance"]["source"] = evil

    _edit_metadata(path, change)
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE ambmap_metadata SET value = ? WHERE key = 'territory'", (json.dumps({"name": evil}),))
    for light in (True, False):
        if not light:  # the full reader's path too
            _edit_metadata(path, lambda layers: layers[0]["provenance"].update(date=2024))
        assert main(["info", "--project", str(path)]) == 0
        out = capsys.readouterr().out
        assert not any(c in out for c in "\x1b\x07\u202e") and "\nFaux" not in out
