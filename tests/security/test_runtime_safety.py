"""Runtime safety (issue 9, points 4, 5 and 7): concurrent writers, temporary files, caches, the log."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import ambmap
from ambmap.project import Project

REPO = Path(ambmap.__file__).resolve().parent.parent


def _cli(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-m", "ambmap", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def test_two_concurrent_cli_imports_lose_nothing(tmp_path):
    path = Project.new_from_default(tmp_path / "p.gpkg")
    names = {"a": "Pôle Import A", "b": "Pôle Import B"}
    for key, name in names.items():
        (tmp_path / f"{key}.csv").write_text(f"nom;lon;lat\n{name};3.06;50.63\n", encoding="utf-8")
    procs = {
        key: _cli("import", "poles", str(tmp_path / f"{key}.csv"), "--project", str(path), "--no-geocode")
        for key in names
    }
    results = {key: (proc.wait(timeout=300), *proc.communicate()) for key, proc in procs.items()}
    kept = set(Project.load(path).layer("poles").data["name"])
    for key, (code, _out, err) in results.items():
        if code == 0:  # a process that says it saved really saved
            assert names[key] in kept, err
        else:  # the other one refused, said why, and left the file to the first
            assert "le projet a été modifié ailleurs" in err and "enregistrez sous un autre nom" in err
            assert "Traceback" not in err
    assert any(code == 0 for code, _, _ in results.values())
    assert not [p.name for p in tmp_path.iterdir() if "verrou" in p.name or p.name.endswith(".tmp.gpkg")]


# -- leftovers of a killed run (point 4) --------------------------------------------------------------
def _aged(path: Path, hours: float = 2.0) -> Path:
    old = time.time() - hours * 3600
    os.utime(path, (old, old))
    return path


def test_leftovers_are_removed_by_exact_name_and_age_and_nothing_else(tmp_path):
    from ambmap.config import Settings
    from ambmap.runtime import clean_leftovers, private_dir

    settings = Settings.load()
    folder = tmp_path / "projets"
    folder.mkdir()
    project = folder / "ville.gpkg"
    project.write_bytes(b"projet")
    leftovers = [
        _aged(folder / name)
        for name in (
            ".ville.k3j9x_2a.tmp.gpkg",
            ".ville.k3j9x_2a.tmp.gpkg-journal",
            ".ville.gpkg.verrou",
            ".carte.partiel-4242.pdf",
            ".indicateurs.partiel-17.xlsx",
        )
        if not (folder / name).write_bytes(b"x")
    ]
    kept = [
        folder / name
        for name in (  # user files, and temporaries still young enough to be in use
            "ville.tmp.gpkg",
            "ville.k3j9x_2a.tmp.gpkg",
            ".ville.abc.tmp.gpkg",
            "carte.partiel-4242.pdf",
            ".carte.partiel-4242.docx",
            "notes.partiel",
            ".autre.gpkg.verrou",
            ".ville.young123.tmp.gpkg",
        )
    ]
    for path in kept:
        path.write_bytes(b"garder")
        if "young" not in path.name:
            _aged(path)
    (folder / ".ville.young123.tmp.gpkg").write_bytes(b"en cours")
    root = settings.cache_dir / "temp"
    dead = root / "carte-999999999-abc123"  # no such process
    dead.mkdir(parents=True)
    (dead / "carte-1.html").write_text("<p>chez Mme X</p>")
    mine = private_dir(settings, "carte")
    removed = clean_leftovers(settings, [project])
    assert sorted(removed) == sorted([*leftovers, dead])
    assert all(path.exists() for path in kept) and project.read_bytes() == b"projet"
    assert mine.exists()  # this process's own folder is in use


def test_private_folders_are_0700_and_removed_at_exit(tmp_path):
    import stat

    from ambmap.config import Settings
    from ambmap.runtime import private_dir, remove_private_dirs

    settings = Settings.load()
    folder = private_dir(settings, "capture")
    (folder / "page.html").write_text("x")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    remove_private_dirs()
    assert not folder.exists()


def test_exports_write_their_temporary_under_a_per_process_name(tmp_path, demo_project, monkeypatch):
    import ambmap.export as export_module

    seen = []
    monkeypatch.setattr(
        export_module, "_write", lambda prepared, fmt, path, **kw: seen.append(path.name) or path.write_text("a,b\n")
    )
    export_module.export(demo_project, "csv", tmp_path / "indicateurs.csv")
    assert seen == [f".indicateurs.partiel-{os.getpid()}.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["indicateurs.csv"]


# -- geocoding answers are not kept (point 4) -----------------------------------------------------------
ADDRESS = "17 rue Zorglubienne"
TOKEN = b"Zorglubienne"  # the same bytes in the URL, the JSON answer and the CSV batch


def _cache_bytes(settings) -> bytes:
    return b"".join(p.read_bytes() for p in settings.cache_dir.rglob("*") if p.is_file())


def _geocoder(httpserver):
    answer = {
        "type": "FeatureCollection",
        "features": [{"geometry": {"coordinates": [3.06, 50.63]}, "properties": {"score": 0.9, "label": ADDRESS}}],
    }
    httpserver.expect_request("/geocodage/search").respond_with_json(answer)
    httpserver.expect_request("/geocodage/search/csv", method="POST").respond_with_data(
        f"adresse,latitude,longitude,result_score,result_label\n{ADDRESS},50.63,3.06,0.9,{ADDRESS}\n"
    )
    httpserver.expect_request("/autre").respond_with_data("données publiques")


def test_geocoded_addresses_leave_no_copy_in_the_download_cache(httpserver, tmp_path):
    from ambmap.config import Settings
    from ambmap.sources.geocoding import geocode_many, geocode_one
    from ambmap.sources.http import HttpClient

    _geocoder(httpserver)
    settings = Settings(cache_dir=tmp_path / "cache", geocoder_url=httpserver.url_for("/geocodage"))
    client = HttpClient(settings)
    client.fetch(httpserver.url_for("/autre"), service="autre", parse=lambda b: b)  # the cache file exists
    assert geocode_one(ADDRESS, settings, client).label == ADDRESS
    assert geocode_one(ADDRESS, settings, client).label == ADDRESS  # the session's memory answers
    assert geocode_many([ADDRESS], settings, client)[0].label == ADDRESS
    assert len([r for r in httpserver.log if "geocodage/search?" in r[0].url]) == 1
    del client
    assert settings.cache_dir.exists() and b"donn" in _cache_bytes(settings)  # a public answer is kept
    assert TOKEN not in _cache_bytes(settings)


def test_a_kept_geocoding_cache_is_forgotten_when_the_setting_is_turned_off(httpserver, tmp_path):
    from ambmap.config import Settings
    from ambmap.sources.geocoding import forget_geocoding_cache, geocode_one

    _geocoder(httpserver)
    keep = Settings(
        cache_dir=tmp_path / "cache", geocoder_url=httpserver.url_for("/geocodage"), keep_geocoding_cache=True
    )
    geocode_one(ADDRESS, keep)
    assert TOKEN in _cache_bytes(keep)  # the user asked to keep them: kept
    assert forget_geocoding_cache(keep) == 0
    assert forget_geocoding_cache(keep.replace(keep_geocoding_cache=False)) == 1
    assert TOKEN not in _cache_bytes(keep)


# -- the error log (point 5) --------------------------------------------------------------------------
def test_an_unexpected_cli_error_is_written_to_the_log_with_its_traceback(monkeypatch, capsys):
    import logging

    from ambmap import cli
    from ambmap.config import Settings

    def bug(args, settings):
        raise ZeroDivisionError("division par zéro dans un calcul")

    monkeypatch.setattr(cli, "cmd_info", bug)
    try:
        assert cli.main(["info"]) == 1
        err = capsys.readouterr().err
        log = Settings.load().log_dir / "ambmap.log"
        assert "Traceback" not in err and str(log) in err
        for handler in logging.getLogger("ambmap").handlers:
            handler.flush()
        text = log.read_text(encoding="utf-8")
        assert "ERROR" in text and "Traceback" in text and "ZeroDivisionError" in text
    finally:
        logger = logging.getLogger("ambmap")
        for handler in [h for h in logger.handlers if isinstance(h, logging.FileHandler)]:
            logger.removeHandler(handler)
            handler.close()


def test_an_unwritable_cache_folder_still_gives_a_private_folder(tmp_path):
    import stat

    from ambmap.config import Settings
    from ambmap.runtime import private_dir, remove_private_dirs

    blocker = tmp_path / "fichier"
    blocker.write_text("pas un dossier")
    folder = private_dir(Settings(cache_dir=blocker / "cache"), "carte")
    assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    remove_private_dirs()
    assert not folder.exists()
