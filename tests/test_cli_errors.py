"""Wrong input on the command line: plain French, the right exit code, never a traceback, nothing lost.

Exit codes (README): 2 bad usage or bad data, 1 another failure (network, disk).
"""

from __future__ import annotations

import shutil

import pytest

from ambmap import cli
from ambmap.cli import main
from ambmap.io.points import read_points
from ambmap.project import DEFAULT_PROJECT, Project


@pytest.fixture
def project_file(tmp_path):
    path = tmp_path / "projet.gpkg"
    shutil.copyfile(DEFAULT_PROJECT, path)
    return path


def _no_english(text: str) -> None:
    assert "Traceback" not in text
    for english in ("invalid choice", "value:", "choose from", "not recognized", "No such file", "No space", "usage:"):
        assert english not in text


def _usage_error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    _no_english(err)
    return err


def test_new_never_overwrites_an_existing_project(project_file, capsys):
    before = project_file.read_bytes()
    assert main(["new", "--project", str(project_file)]) == 2
    assert main(["new", "--project", str(project_file.with_suffix("")), "--commune", "59350", "--offline"]) == 2
    err = capsys.readouterr().err
    assert "existe déjà" in err
    assert project_file.read_bytes() == before


def test_new_where_nothing_can_be_written_says_so_in_french(capsys):
    assert main(["new", "--project", "/proc/ambmap-impossible.gpkg"]) == 1
    err = capsys.readouterr().err
    assert "/proc/ambmap-impossible.gpkg" in err and "introuvable" in err
    _no_english(err)


def test_new_with_a_wrong_commune_code_is_bad_usage(tmp_path, capsys):
    assert main(["new", "--project", str(tmp_path / "c.gpkg"), "--commune", "abc", "--offline"]) == 2
    assert main(["new", "--project", str(tmp_path / "c.gpkg"), "--epci", "12", "--offline"]) == 2
    assert "code commune INSEE" in capsys.readouterr().err
    assert not (tmp_path / "c.gpkg").exists()


def test_export_over_the_project_file_is_refused(project_file, capsys):
    before = project_file.read_bytes()
    assert main(["export", "--project", str(project_file), "--format", "gpkg", "--output", str(project_file)]) == 2
    assert "fichier du projet lui-même" in capsys.readouterr().err
    assert project_file.read_bytes() == before


def test_export_unknown_layer_or_extent_is_bad_usage(tmp_path, capsys):
    assert main(["export", "--format", "gpkg", "--output", str(tmp_path / "x.gpkg"), "--layer", "inconnue"]) == 2
    assert "Couche « inconnue » absente" in capsys.readouterr().err
    assert not (tmp_path / "x.gpkg").exists()
    assert main(["export", "--format", "png", "--output", str(tmp_path / "x.png"), "--extent", "5,5,1,1"]) == 2
    assert "Emprise « 5,5,1,1 » illisible" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["coverage", "--radius", "-5"],
        ["coverage", "--radius", "inf"],
        ["coverage", "--radius", "nan"],
        ["coverage", "--radius", "abc"],
        ["recommend", "-k", "abc"],
        ["recommend", "-k", "2", "--time-limit", "-1"],
        ["export", "--format", "csv", "--output", "x.csv", "--recrutements", "0"],
        ["export", "--format", "docx", "--output", "x.docx"],
        ["screenshot", "--output", "x.png", "--size", "10x"],
    ],
)
def test_wrong_option_values_are_refused_in_french(argv, capsys):
    err = _usage_error(argv, capsys)
    assert "utilisation : ambmap" in err and "erreur" in err


def test_recommend_with_unusable_point_files(tmp_path, capsys):
    (tmp_path / "vide.csv").write_bytes(b"")
    (tmp_path / "abime.gpkg").write_text("pas un geopackage")
    (tmp_path / "lat95.geojson").write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"poids":1},'
        '"geometry":{"type":"Point","coordinates":[3.06,95]}}]}'
    )
    for name in ("vide.csv", "abime.gpkg"):
        assert main(["recommend", "-k", "1", "--candidates", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert f"« {name} »" in err
        _no_english(err)
    demand = str(tmp_path / "lat95.geojson")
    assert (
        main(
            [
                "recommend",
                "--demand",
                demand,
                "--weight-field",
                "poids",
                "--candidates",
                demand,
                "--radius",
                "100",
                "-k",
                "1",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "« lat95.geojson », ligne 1" in err and "latitude 95" in err


def test_points_csv_saved_by_excel_on_windows(tmp_path):
    path = tmp_path / "candidats.csv"
    path.write_bytes("nom;lon;lat\nPôle été;3,06;50,63\n".encode("cp1252"))
    points = read_points(path)
    assert points.iloc[0]["nom"] == "Pôle été"


def test_unreadable_file_to_import_keeps_gdal_english_out(project_file, tmp_path, capsys):
    before = project_file.read_bytes()
    (tmp_path / "abime.gpkg").write_text("pas un geopackage")
    assert (
        main(["import", "resources", str(tmp_path / "abime.gpkg"), "--project", str(project_file), "--no-geocode"]) == 2
    )
    err = capsys.readouterr().err
    assert "« abime.gpkg » est illisible" in err
    _no_english(err)
    assert project_file.read_bytes() == before


def test_disk_errors_exit_1_in_french(monkeypatch, capsys):
    def refuse(args, settings):
        raise PermissionError(13, "Permission denied", "/srv/partage/projet.gpkg")

    monkeypatch.setattr(cli, "cmd_info", refuse)
    assert main(["info"]) == 1
    err = capsys.readouterr().err
    assert "« /srv/partage/projet.gpkg »" in err and "droits insuffisants" in err
    _no_english(err)


def test_an_unexpected_error_never_shows_a_traceback(monkeypatch, capsys):
    def broken(args, settings):
        raise KeyError("colonne")

    monkeypatch.setattr(cli, "cmd_info", broken)
    assert main(["info"]) == 1
    err = capsys.readouterr().err
    assert "Erreur inattendue" in err and "ambmap -v info" in err
    assert "Traceback" not in err


def test_shapefile_in_lambert93_without_prj_is_converted_not_refused(project_file, tmp_path, capsys):
    import geopandas as gpd
    from shapely.geometry import Point

    shp = tmp_path / "pharmacies.shp"
    gpd.GeoDataFrame(
        {"nom": ["Pharmacie"], "categorie": ["pharmacie"]}, geometry=[Point(704000, 7059000)], crs="EPSG:2154"
    ).to_file(shp)
    shp.with_suffix(".prj").unlink()
    assert main(["import", "resources", str(shp), "--project", str(project_file), "--no-geocode"]) == 0
    assert "mètres en Lambert-93" in capsys.readouterr().out
    from ambmap.project import Project

    point = Project.load(project_file).layer("resources").data.geometry.iloc[-1]
    assert 3.0 < point.x < 3.1 and 50.6 < point.y < 50.7


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), RuntimeError("GDAL write error")])
def test_a_save_that_fails_exits_1_and_keeps_the_old_project(project_file, tmp_path, monkeypatch, capsys, failure):
    import ambmap.project

    def full_disk(project, path):
        path.write_bytes(b"half")
        raise failure

    monkeypatch.setattr(ambmap.project, "write_project_file", full_disk)
    before = project_file.read_bytes()
    csv = tmp_path / "poles.csv"
    csv.write_text("nom;lon;lat\nPôle test;3.06;50.63\n", encoding="utf-8")
    assert main(["import", "poles", str(csv), "--project", str(project_file), "--no-geocode"]) == 1
    err = capsys.readouterr().err
    assert "Impossible d'enregistrer le projet" in err and "l'ancien fichier n'a pas été modifié" in err
    _no_english(err)
    assert project_file.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["poles.csv", "projet.gpkg"]  # no temporary file left


def test_export_where_nothing_can_be_written_names_the_chosen_file(capsys):
    assert main(["export", "--format", "html", "--output", "/proc/ambmap-carte.html"]) == 1
    err = capsys.readouterr().err
    assert "« /proc/ambmap-carte.html »" in err and "partiel" not in err
    _no_english(err)


def test_a_closed_pipe_is_not_reported_as_a_disk_error(tmp_path):
    """« ambmap coverage --csv | head »: the reader leaving early is no error to report."""
    import subprocess
    import sys

    script = (
        "import sys\nfrom ambmap import cli\n"
        "def closed(args, settings):\n    raise BrokenPipeError(32, 'Broken pipe')\n"
        "cli.cmd_info = closed\nsys.exit(cli.main(['info']))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == ""


def test_invalid_values_in_a_project_say_what_to_do(project_file, capsys):
    import pyogrio

    poles = pyogrio.read_dataframe(project_file, layer="poles")
    poles.loc[0, "name"] = None
    pyogrio.write_dataframe(poles, project_file, layer="poles", driver="GPKG")
    assert main(["validate", "--project", str(project_file)]) == 2
    err = capsys.readouterr().err
    assert "couche « Pôles Ressources Santé », ligne 1" in err and "Corrigez ces valeurs" in err


def test_a_csv_renamed_xlsx_is_not_an_unexpected_error(project_file, tmp_path, capsys):
    fake = tmp_path / "poles.xlsx"
    fake.write_text("nom;lon;lat\nPôle;3.06;50.63\n", encoding="utf-8")
    assert main(["import", "poles", str(fake), "--project", str(project_file), "--no-geocode"]) == 2
    err = capsys.readouterr().err
    assert "Le classeur « poles.xlsx » est illisible" in err and "inattendue" not in err


def test_a_weight_that_is_not_a_number_is_refused(tmp_path, capsys):
    demand = tmp_path / "demande.csv"
    demand.write_text("lon,lat,habitants\n3.06,50.63,12\n3.07,50.64,abc\n", encoding="utf-8")
    assert (
        main(
            [
                "recommend",
                "--demand",
                str(demand),
                "--weight-field",
                "habitants",
                "--candidates",
                str(demand),
                "--radius",
                "100",
                "-k",
                "1",
            ]
        )
        == 2
    )
    assert "« abc » au point n° 2" in capsys.readouterr().err


def test_the_window_logs_an_expected_error_without_its_traceback(monkeypatch, caplog):
    """``ambmap gui --project absent.gpkg`` from a terminal: one French line, the traceback only with -v."""
    import logging

    from ambmap.errors import ProjectFileError
    from ambmap.ui import dialogs

    shown = []
    monkeypatch.setattr(dialogs, "message", lambda parent, title, text, icon: shown.append(text))
    try:
        raise ProjectFileError("Le fichier de projet « absent.gpkg » n'existe pas.")
    except ProjectFileError as e:
        with caplog.at_level(logging.DEBUG, logger="ambmap"):
            dialogs.show_error(None, e)
    assert shown == ["Le fichier de projet « absent.gpkg » n'existe pas."]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings and all(r.exc_info is None for r in warnings)


def test_geocode_without_an_address_is_bad_usage(capsys):
    assert main(["geocode", "--offline"]) == 2
    assert main(["geocode", "  ", "--offline"]) == 2
    assert "Indiquez une ou plusieurs adresses" in capsys.readouterr().err


def test_a_spreadsheet_without_titles_says_to_add_a_title_line(project_file, tmp_path, capsys):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Pôle Sud", "12 rue de l'Arbrisseau", 3.06, 50.63])
    book.active.append(["Pôle Nord", "1 rue Nationale", 3.07, 50.64])
    book.save(tmp_path / "poles.xlsx")
    before = project_file.read_bytes()
    assert main(["import", "poles", str(tmp_path / "poles.xlsx"), "--project", str(project_file), "--no-geocode"]) == 2
    assert "ajoutez en tête une ligne de titres" in capsys.readouterr().err
    assert project_file.read_bytes() == before


def test_geographic_files_with_a_wrong_system_or_far_points_are_flagged(project_file, tmp_path, capsys):
    import geopandas as gpd
    from shapely.geometry import Point

    wrong = tmp_path / "systeme_faux.geojson"  # degrees written, Lambert-93 declared
    gpd.GeoDataFrame(
        {"nom": ["Pharmacie"], "categorie": ["pharmacie"]}, geometry=[Point(3.06, 50.63)], crs="EPSG:2154"
    ).to_file(wrong)
    assert main(["import", "resources", str(wrong), "--project", str(project_file), "--no-geocode"]) == 0
    assert "ses valeurs sont des degrés" in capsys.readouterr().out
    far = tmp_path / "madrid.geojson"
    gpd.GeoDataFrame(
        {"nom": ["Pharmacie"], "categorie": ["pharmacie"]}, geometry=[Point(-3.70, 40.42)], crs="EPSG:4326"
    ).to_file(far)
    assert main(["import", "resources", str(far), "--project", str(project_file), "--no-geocode"]) == 0
    out = capsys.readouterr().out
    assert "1 à vérifier" in out and "madrid.geojson, ligne 1" in out and "hors de France métropolitaine" in out


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_import_when_the_geocoder_does_not_answer_keeps_the_rows_to_place(project_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AMBMAP_GEOCODER_URL", f"http://127.0.0.1:{_closed_port()}/search")
    monkeypatch.setattr("time.sleep", lambda s: None)  # no waiting between the bounded retries
    csv = tmp_path / "ambassadeurs.csv"
    csv.write_text("nom;adresse\nA. Martin;12 rue Nationale 59000 Lille\n", encoding="utf-8")
    assert main(["import", "ambassadors", str(csv), "--project", str(project_file)]) == 0
    out = capsys.readouterr().out
    assert "Géocodage impossible" in out and "ambassadeurs.csv, ligne 2" in out and "1 « à placer »" in out
    assert list(Project.load(project_file).to_place["address"]) == ["12 rue Nationale 59000 Lille"]
    assert main(["geocode", "12 rue Nationale 59000 Lille"]) == 1
    err = capsys.readouterr().err
    assert "ne répond pas" in err
    _no_english(err)
