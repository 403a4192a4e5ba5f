"""Issue 15 point 6: an instant CLI. Building the parser and ``--help`` import nothing heavy (a behaviour
test in a fresh process; the timings are in benchmarks/bench_startup.py), and every command's help works."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "geopandas", "shapely", "pyogrio", "pyproj", "matplotlib", "folium", "PySide6")

_CHILD = r"""
import contextlib, io, json, sys
import ambmap.cli

parser = ambmap.cli.build_parser()
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = ambmap.cli.main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
print(json.dumps({"code": code, "help": out.getvalue(), "loaded": sorted(m for m in HEAVY if m in sys.modules)}))
"""


def _run(*argv: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    code = f"HEAVY = {HEAVY!r}\n{_CHILD}"
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _commands() -> list[str]:
    from ambmap.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(sub.choices)


def test_help_imports_nothing_heavy():
    result = _run("--help")
    assert result["code"] == 0
    assert "utilisation : ambmap" in result["help"] and "export" in result["help"]
    assert result["loaded"] == []


@pytest.mark.parametrize("command", _commands())
def test_every_command_help_works_without_heavy_imports(command):
    result = _run(command, "--help")
    assert result["code"] == 0
    assert f"utilisation : ambmap {command}" in result["help"]
    assert result["loaded"] == []


def test_help_still_lists_the_registry_choices():
    """The cheap names are the real ones: export formats from WRITERS, import kinds and their French names."""
    from ambmap.export import WRITERS

    export_help = _run("export", "--help")["help"]
    assert "{" + ",".join(WRITERS) + "}" in export_help
    import_help = _run("import", "--help")["help"]
    assert "ambassadors ou poles ou resources" in import_help


def test_built_in_importable_kinds_agree_with_the_registry():
    from ambmap.layers import kinds
    from ambmap.layers.importable import BUILT_IN, importable

    assert BUILT_IN == {k.name: k.cli_names for k in kinds(importable=True)}
    assert importable() == BUILT_IN


def test_a_command_still_loads_what_it_needs():
    """After parsing, a command imports its floor: ``validate`` reads the demo project with pandas."""
    result = _run("validate", "--project", str(ROOT / "geodata" / "lille_demo.gpkg"))
    assert result["code"] == 0
    assert "pandas" in result["loaded"] and "folium" not in result["loaded"] and "PySide6" not in result["loaded"]


def test_info_reads_the_project_without_pandas():
    """``info --json`` ≤ 1 s: the metadata table and row counts with sqlite3 (same JSON: tests/test_cli_info.py)."""
    result = _run("info", "--json")
    assert result["code"] == 0
    assert json.loads(result["help"])["counts"]["qpv"] > 0
    assert result["loaded"] == []


def test_a_project_saved_by_the_cli_still_carries_the_qgis_styles(tmp_path):
    """``ambmap.export`` hands the project its styles table once the arguments are read (no longer at import)."""
    project = tmp_path / "p.gpkg"
    assert _run("new", "--project", str(project))["code"] == 0
    with contextlib.closing(sqlite3.connect(project)) as db:  # the bundled demo file has none
        assert not db.execute("SELECT name FROM sqlite_master WHERE name = 'layer_styles'").fetchall()
    poles = tmp_path / "poles.csv"
    poles.write_text("pole_id,name,lon,lat\nPRS-900,Pôle de test,3.0630,50.6290\n", encoding="utf-8")
    result = _run("import", "poles", str(poles), "--project", str(project), "--no-geocode")
    assert result["code"] == 0, result
    with contextlib.closing(sqlite3.connect(project)) as db:
        styled = {row[0] for row in db.execute("SELECT f_table_name FROM layer_styles")}
    assert "poles" in styled


def test_the_window_module_leaves_what_no_start_needs_for_later():
    """Issue 15 point 5 (window cold start): the main window's modules load without scipy (the reach and
    walking engines import it when they compute), matplotlib (the « Suivi » chart, on its first draw),
    requests (imports, geocoding, tile server) or folium (when the page is written) — 1.2 s of every start
    on two cores. A module-level import of any of them brings it back; this names which."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    code = (
        "import sys, json\nimport ambmap.ui.main_window\n"
        "print(json.dumps(sorted(m for m in ('scipy', 'matplotlib', 'requests', 'folium') if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-P", "-c", code], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
