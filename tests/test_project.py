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
        assert (layer.title, layer.visible, layer.style, layer.provenance) == \
               (other.title, other.visible, other.style, other.provenance)
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
