"""Runtime safety (issue 9, points 4, 5 and 7): concurrent writers, temporary files, caches, the log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ambmap
from ambmap.project import Project

REPO = Path(ambmap.__file__).resolve().parent.parent


def _cli(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "ambmap", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8")


def test_two_concurrent_cli_imports_lose_nothing(tmp_path):
    path = Project.new_from_default(tmp_path / "p.gpkg")
    names = {"a": "Pôle Import A", "b": "Pôle Import B"}
    for key, name in names.items():
        (tmp_path / f"{key}.csv").write_text(f"nom;lon;lat\n{name};3.06;50.63\n", encoding="utf-8")
    procs = {key: _cli("import", "poles", str(tmp_path / f"{key}.csv"), "--project", str(path), "--no-geocode")
             for key in names}
    results = {key: (proc.wait(timeout=300), *proc.communicate()) for key, proc in procs.items()}
    kept = set(Project.load(path).layer("poles").data["name"])
    for key, (code, out, err) in results.items():
        if code == 0:  # a process that says it saved really saved
            assert names[key] in kept, err
        else:  # the other one refused, said why, and left the file to the first
            assert "le projet a été modifié ailleurs" in err and "enregistrez sous un autre nom" in err
            assert "Traceback" not in err
    assert any(code == 0 for code, _, _ in results.values())
    assert not [p.name for p in tmp_path.iterdir() if "verrou" in p.name or p.name.endswith(".tmp.gpkg")]
