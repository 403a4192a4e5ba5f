import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from ambmap.cli import main
from ambmap.errors import ProjectFileError, ValidationError
from ambmap.project import Project


def assert_same_project(a: Project, b: Project):
    assert a.territory == b.territory and a.options == b.options
    assert list(a.layers) == list(b.layers)
    for kind, layer in a.layers.items():
        other = b.layers[kind]
        assert (layer.title, layer.visible, layer.style, layer.provenance) == (
            other.title,
            other.visible,
            other.style,
            other.provenance,
        )
        pd.testing.assert_frame_equal(layer.data.drop(columns="geometry"), other.data.drop(columns="geometry"))
        assert layer.data.geometry.geom_equals_exact(other.data.geometry, tolerance=1e-9).all(), kind


def test_default_project_has_the_expected_counts(demo_project):
    counts = demo_project.summary()["counts"]
    assert counts["qpv"] >= 5 and counts["poles"] == 5 and counts["ambassadors"] == 65
    assert counts["resources"] >= 150
    assert demo_project.is_demo


def test_new_validate_round_trip(tmp_path, capsys):
    path = tmp_path / "lille.gpkg"
    assert main(["new", "--project", str(path)]) == 0
    assert main(["validate", "--project", str(path)]) == 0
    original = Project.load(path)
    original.layer("ambassadors").set_style(color="#123456")
    original.options["note"] = "été"
    original.save()
    reloaded = Project.load(path)
    assert_same_project(original, reloaded)
    again = tmp_path / "again.gpkg"
    reloaded.save(again)
    assert_same_project(reloaded, Project.load(again))


def test_ogrinfo_lists_the_layers(tmp_path, demo_project):
    path = demo_project.save(tmp_path / "p.gpkg")
    out = subprocess.run(["ogrinfo", "-ro", "-so", "-q", str(path)], capture_output=True, text=True, check=True).stdout
    for kind in ("territory", "qpv", "poles", "ambassadors", "resources", "ambmap_metadata"):
        assert kind in out


KILLED_SAVE = textwrap.dedent("""
    import sys, time, pathlib, pyogrio
    import ambmap.project as project_module
    from ambmap.project import Project
    project = Project.load(sys.argv[1])
    project.layer("qpv").title = "modifié"
    real_write = pyogrio.write_dataframe
    def slow_write(*args, **kwargs):
        real_write(*args, **kwargs)
        pathlib.Path(sys.argv[2]).touch()
        time.sleep(60)
    project_module.pyogrio.write_dataframe = slow_write
    project.save()
""")


def test_save_killed_midway_keeps_the_old_file(tmp_path):
    path = Project.new_from_default(tmp_path / "p.gpkg")
    before = path.read_bytes()
    started = tmp_path / "started"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(path), str(started)])
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert started.exists(), "the save never started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert path.read_bytes() == before
    assert Project.load(path).layer("qpv").title == "Quartiers prioritaires (QPV)"


def test_bad_value_in_file_is_reported(tmp_path, demo_project, capsys):
    import pyogrio

    path = demo_project.save(tmp_path / "p.gpkg")
    amb = pyogrio.read_dataframe(path, layer="ambassadors")
    amb.loc[2, "status"] = "absent"
    pyogrio.write_dataframe(amb, path, layer="ambassadors")
    with pytest.raises(ValidationError) as err:
        Project.load(path)
    assert "p.gpkg" in err.value.message and "ligne 3" in err.value.message and "status" in err.value.message
    assert main(["validate", "--project", str(path)]) == 2
    assert "absent" in capsys.readouterr().err


def test_not_a_project_file(tmp_path):
    (tmp_path / "x.gpkg").write_text("pas un geopackage")
    with pytest.raises(ProjectFileError, match="illisible|n'est pas"):
        Project.load(tmp_path / "x.gpkg")
    with pytest.raises(ProjectFileError, match="n'existe pas"):
        Project.load(tmp_path / "absent.gpkg")
    assert main(["info", "--project", str(tmp_path / "x.gpkg")]) == 2  # bad data, not a failure of ambmap


def test_info_json(capsys):
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["demo"] is True
    assert info["counts"]["qpv"] >= 5 and info["counts"]["poles"] == 5
    assert info["counts"]["ambassadors"] == 65 and info["counts"]["resources"] >= 150


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    assert exc.value.code == 2
    assert "obligatoires" in capsys.readouterr().err


def test_project_marks_itself_modified(demo_project):
    assert not demo_project.modified
    seen = []
    demo_project.changed.connect(seen.append)
    demo_project.layer("poles").visible = False
    assert seen == ["poles"] and not demo_project.modified
    demo_project.layer("poles").data = demo_project.layer("poles").data.iloc[:4]
    assert demo_project.modified


def _import_poles(project: Project, tmp_path, name: str) -> None:
    from ambmap.config import Settings
    from ambmap.imports import apply_import, import_file

    csv = tmp_path / f"{name}.csv"
    csv.write_text(f"nom;lon;lat\n{name};3.06;50.63\n", encoding="utf-8")
    apply_import(project, import_file(csv, "poles", Settings.load(), geocode=False))


def test_a_second_writer_is_refused_and_the_first_ones_rows_are_kept(tmp_path):
    from ambmap.errors import ProjectConflictError

    path = Project.new_from_default(tmp_path / "p.gpkg")
    first, second = Project.load(path), Project.load(path)
    _import_poles(first, tmp_path, "Pôle Premier")
    _import_poles(second, tmp_path, "Pôle Second")
    first.save()
    saved = path.read_bytes()
    with pytest.raises(ProjectConflictError, match="le projet a été modifié ailleurs .* enregistrez sous un autre nom"):
        second.save()
    assert path.read_bytes() == saved and second.modified  # nothing replaced, the edits still in memory
    names = set(Project.load(path).layer("poles").data["name"])
    assert "Pôle Premier" in names and "Pôle Second" not in names
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".gpkg" or "verrou" in p.name) == ["p.gpkg"]
    # « Enregistrer sous » another name keeps the second writer's work; saving again there is allowed
    other = second.save(tmp_path / "p-copie.gpkg")
    assert "Pôle Second" in set(Project.load(other).layer("poles").data["name"])
    second.save()
    # after its own save, a project saves again without conflict
    first = Project.load(path)
    first.save()
    first.save()


def test_a_save_waits_for_the_lock_and_a_stale_lock_is_taken_over(tmp_path, monkeypatch):
    import ambmap.project as project_module
    from ambmap.errors import ProjectConflictError

    path = Project.new_from_default(tmp_path / "p.gpkg")
    lock = project_module.lock_path(path)
    lock.write_text("1")  # another save holds the lock
    monkeypatch.setattr(project_module, "LOCK_WAIT_S", 0.2)
    with pytest.raises(ProjectConflictError, match="en cours d'enregistrement"):
        Project.load(path).save()
    old = time.time() - 3600
    os.utime(lock, (old, old))  # left by a killed save
    Project.load(path).save()
    assert not lock.exists()
