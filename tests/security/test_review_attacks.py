"""Issue 9 review: attacks that got through the first implementation, one test each.

- a line break in a project's text (territory name, a layer's source) started a new CSV row, whose
  first cell a spreadsheet then ran as a formula;
- the public GeoPackage/GeoJSON kept each ambassador's geocoding score: the address geocoder gives each
  address of the 200 m square its own score, so the score picks the home out of the square;
- error messages (which quote file names, column headers and values from data) were shown as Qt rich
  text with external links clickable.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from ambmap.export import export
from ambmap.project import Project

LINE_BREAKS = ("\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _copy(project: Project) -> Project:
    return Project(dict(project.territory), [layer.copy() for layer in project.ordered_layers()], dict(project.options))


@pytest.mark.parametrize("level", ["public", "interne"])
def test_a_line_break_in_project_text_never_starts_a_csv_row(demo_project, tmp_path, level):
    project = _copy(demo_project)
    project.territory["name"] = "Ville" + "=1+1".join(LINE_BREAKS) + '=HYPERLINK("http://x";"y")'
    qpv = project.layer("qpv")
    qpv.provenance = {**qpv.provenance, "source": "ANCT\r@SUM(1+1)", "licence": "LO\n-2+3"}
    raw = export(project, "csv", tmp_path / "t.csv", level=level).read_bytes().decode("utf-8-sig")
    assert raw.startswith("Code QPV;")  # the header in A1: no metadata line a break could split
    # Excel and LibreOffice end a row at CR, LF and (LibreOffice) at the Unicode separators: every row
    # has the header's cells, and none starts a formula
    rows = list(csv.reader(io.StringIO(raw, newline=""), delimiter=";"))
    assert all(len(row) == len(rows[0]) for row in rows)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_metadata_is_one_line_in_every_format(demo_project, tmp_path):
    from ambmap.export.common import metadata

    project = _copy(demo_project)
    project.territory["name"] = "Ville\r\n=1+1\u2028x"
    meta = metadata(project, "public")
    assert meta["ambmap_territoire"] == "Ville =1+1 x"
    assert not any(brk in value for value in meta.values() for brk in LINE_BREAKS)


SCORE = 0.8765432


def test_geocoding_score_never_leaves_in_a_public_export(demo_project, tmp_path):
    project = _copy(demo_project)
    layer = project.layer("ambassadors")
    layer.data = layer.data.assign(geocode_score=SCORE)
    geojson = json.loads(export(project, "geojson", tmp_path / "a.geojson", layer="ambassadors").read_text())
    assert all(f["properties"].get("geocode_score") is None for f in geojson["features"])
    gpkg = export(project, "gpkg", tmp_path / "a.gpkg")
    with sqlite3.connect(gpkg) as db:
        assert db.execute("SELECT count(*) FROM ambassadors WHERE geocode_score IS NOT NULL").fetchone() == (0,)
    for fmt in ("html", "csv", "xlsx"):
        assert b"8765432" not in export(project, fmt, tmp_path / f"a.{fmt}").read_bytes(), fmt
    inside = json.loads(
        export(project, "geojson", tmp_path / "i.geojson", layer="ambassadors", level="interne").read_text()
    )
    assert {f["properties"]["geocode_score"] for f in inside["features"]} == {SCORE}  # kept internally


def test_error_messages_are_plain_text(qtbot, monkeypatch):
    """A message quoting data (« colonne <a href=…> inconnue ») must not become a clickable link."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

    from ambmap.errors import AmbmapError
    from ambmap.ui.dialogs import show_error

    seen = []

    def inspect():
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
        label = box.findChild(QLabel, "qt_msgbox_label")
        seen.append((label.textFormat(), label.text()))
        box.close()

    QTimer.singleShot(0, inspect)
    payload = "Colonne « <a href='http://evil.example'>cliquez pour réparer</a> » inconnue."
    show_error(None, AmbmapError(payload))
    assert seen == [(Qt.TextFormat.PlainText, payload)]


def test_the_import_report_is_plain_text(qtbot, demo_project, tmp_path):
    """The import report quotes notes and error messages (a geocoding error, values): never rich text."""
    from PySide6.QtCore import Qt

    from ambmap.config import Settings
    from ambmap.ui.dialogs import ImportWizard

    wizard = ImportWizard(demo_project, Settings(offline=True))
    qtbot.addWidget(wizard)
    assert wizard.report.textFormat() == Qt.TextFormat.PlainText


def _tampered(demo_project, tmp_path, key, change):
    """The demo saved, then its ``ambmap_metadata`` value ``key`` rewritten by ``change(value)``."""
    import sqlite3

    path = demo_project.save(tmp_path / "p.gpkg")
    with sqlite3.connect(path) as db:
        (value,) = db.execute("SELECT value FROM ambmap_metadata WHERE key=?", (key,)).fetchone()
        db.execute("UPDATE ambmap_metadata SET value=? WHERE key=?", (change(value), key))
    return path


@pytest.mark.parametrize(
    "key, change",
    [
        ("options", lambda v: "[" * 100_000 + "]" * 100_000),  # JSON nested beyond Python's recursion limit
        ("format_version", lambda v: '"9"'),
        ("layers", lambda v: "5"),
    ],
)
def test_a_mangled_project_file_is_a_french_error(demo_project, tmp_path, key, change):
    from ambmap.errors import ProjectFileError

    path = _tampered(_copy(demo_project), tmp_path, key, change)
    with pytest.raises(ProjectFileError, match="illisible ou abîmé"):
        Project.load(path)


def test_odd_provenance_or_kind_values_never_break_drawing_nor_exports(demo_project, tmp_path):
    from ambmap.render.map import map_html

    def change(value):
        layers = json.loads(value)
        layers[0]["provenance"] = {"source": 5, "attribution": 7, "licence": ["x"], "previous": {"date": 2024}}
        layers[1]["kind"] = ["qpv"]
        return json.dumps(layers)

    project = Project.load(_tampered(_copy(demo_project), tmp_path, "layers", change))
    texts = ("source", "attribution", "licence", "date")
    assert all(isinstance(layer.provenance.get(key, ""), str) for layer in project.layers.values() for key in texts)
    map_html(project)
    for fmt in ("csv", "gpkg"):
        export(project, fmt, tmp_path / f"x.{fmt}")


def test_languages_of_one_ambassador_cannot_be_isolated_from_public_exports_at_several_radii():
    """An attacker holds the public exports of the demo at several radii. From the public squares and
    radii alone they know which ambassadors reach each QPV; where two QPV-radius pairs differ by one
    ambassador, the languages added to the published list are that ambassador's own (here lingala, a
    rare language, tied to a pseudonym and a 200 m square)."""
    import shapely

    from ambmap.analysis.coverage import CoverageParams, compute_coverage
    from ambmap.crs import INSEE_GRID_MAINLAND
    from ambmap.export.common import prepare
    from ambmap.export.privacy import public_copy

    project = Project.default()
    safe = public_copy(project)
    homes = safe.layer("ambassadors").data.to_crs(INSEE_GRID_MAINLAND)
    quarters = safe.layer("qpv").data.to_crs(INSEE_GRID_MAINLAND).set_index("code_qp").geometry
    seen = []
    for radius in (300, 400, 500, 600, 700, 800):
        published = prepare(project, "public", coverage=compute_coverage(project, CoverageParams(radius_m=radius)))
        discs = shapely.buffer(homes.geometry.to_numpy(), homes["radius_m"].fillna(radius).to_numpy(float))
        for code, outline in quarters.items():
            words = published.coverage.per_qpv.loc[code, "languages"]
            if isinstance(words, str) and words:
                seen.append(
                    (
                        frozenset(homes["amb_id"][shapely.intersects(discs, outline)]),
                        {w.strip() for w in words.split(";")},
                    )
                )
    isolated = {
        (next(iter(b - a)), word) for a, la in seen for b, lb in seen if a < b and len(b - a) == 1 for word in lb - la
    }
    assert not isolated, isolated


def test_a_geopackage_export_on_a_full_disk_is_a_french_error(demo_project, tmp_path, monkeypatch):
    """GDAL reports a full disk as « Failed to commit transaction » (pyogrio's DataSourceError, no
    OSError): the export must still name the user's file, and leave nothing behind."""
    import pyogrio

    from ambmap.errors import AmbmapError

    def full(*args, **kwargs):
        raise pyogrio.errors.DataSourceError("Failed to commit transaction")

    monkeypatch.setattr(pyogrio, "write_dataframe", full)
    with pytest.raises(AmbmapError, match=r"Impossible d'écrire « .*carte\.gpkg »"):
        export(demo_project, "gpkg", tmp_path / "carte.gpkg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name, stem",
    [
        ("/etc/cron.d/x", "etc-cron.d-x"),
        ("../../.bashrc", "bashrc"),
        ("..", "projet"),
        ("Lille\r\nMétropole", "Lille Métropole"),
        ("C:\\Windows\\x", "C--Windows-x"),
    ],
)
def test_a_territory_name_proposed_as_a_file_name_stays_in_its_folder(tmp_path, name, stem):
    """« Enregistrer sous » proposes ~/<territory>.gpkg: Path.home() / "/etc/cron.d/x.gpkg" is
    /etc/cron.d/x.gpkg, and a project file's territory name is data."""
    from ambmap.text import file_stem

    assert file_stem(name, "projet") == stem
    assert (tmp_path / f"{file_stem(name, 'projet')}.gpkg").parent == tmp_path


@pytest.fixture
def header_drip():
    """A server on 127.0.0.1 that starts its headers, then sends one byte every half second (at most
    60, then it stops): each byte resets the read timeout, only the total deadline can stop a client."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    stop = threading.Event()

    def drip(conn):
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Lent: ")
                for _ in range(60):
                    if stop.wait(0.5):
                        break
                    conn.sendall(b"a")
            except OSError:
                pass

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/lent"
    stop.set()
    thread.join(5)
    listener.close()


def test_a_program_whose_download_hit_the_deadline_can_end(header_drip, tmp_path):
    """The download gives up at its 2 s deadline; the program must then be able to exit, although the
    server goes on dripping (the helper reading the headers used to be joined at exit: 30 s here,
    for ever with a hostile server)."""
    import os
    import subprocess
    import sys

    code = (
        "import pathlib, sys\n"
        "from ambmap.config import Settings\n"
        "from ambmap.errors import AmbmapError\n"
        "from ambmap.sources.http import HttpClient\n"
        "s = Settings(cache_dir=pathlib.Path(sys.argv[2]), download_deadline=2.0, read_timeout=60.0,"
        " max_retries=0)\n"
        "try:\n"
        "    HttpClient(s).fetch(sys.argv[1], service='lent', parse=bytes)\n"
        "except AmbmapError as e:\n"
        "    print(e.message)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, header_drip, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert "ne répond pas" in done.stdout, done.stderr


def test_two_ambmap_processes_write_their_recovery_copies_under_their_own_names(demo_project, tmp_path, monkeypatch):
    """Both used « .recuperation.tmp.gpkg »: the second deleted the first's copy being written, then
    the first renamed the second's half-written file into place."""
    import os

    from ambmap.config import Settings
    from ambmap.runtime import clean_leftovers
    from ambmap.ui import user_state

    settings = Settings(cache_dir=tmp_path / "cache", data_dir=tmp_path / "data", config_dir=tmp_path / "config")
    written = []
    real = user_state.write_project_file
    monkeypatch.setattr(
        user_state, "write_project_file", lambda project, path: written.append(path) or real(project, path)
    )
    for pid in (1001, 1002):
        monkeypatch.setattr(os, "getpid", lambda pid=pid: pid)
        user_state.write_recovery(demo_project, settings)
    assert len(set(written)) == 2
    killed = written[0]
    killed.write_bytes(b"copie d'une session tuee")
    os.utime(killed, (0, 0))
    monkeypatch.undo()
    assert clean_leftovers(settings) == [killed]  # a killed writer's copy still goes at the next start
