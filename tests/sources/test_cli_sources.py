"""The CLI commands of the official sources and imports, with settings from AMBMAP_* variables."""

from __future__ import annotations

from pathlib import Path

from ambmap.cli import main
from ambmap.project import Project

CORPUS = Path(__file__).resolve().parents[1] / "data" / "imports"


def test_new_commune_online_then_offline_without_network(env, tmp_path, capsys):
    assert main(["new", "--commune", "59350", "--project", str(tmp_path / "lille.gpkg")]) == 0
    out, err = capsys.readouterr()
    assert "Projet créé" in out and "Quartiers prioritaires (QPV) : 10" in out
    assert "Contour du territoire…" in err  # progress on stderr
    env.server.clear()
    env.server.clear_log()
    assert main(["new", "--commune", "59350", "--offline", "--project", str(tmp_path / "hors_ligne.gpkg")]) == 0
    assert len(env.server.log) == 0
    project = Project.load(tmp_path / "hors_ligne.gpkg")
    assert project.territory["name"] == "Lille" and len(project.layer("qpv")) == 10 and not project.is_demo


def test_new_offline_without_cache_explains(env, tmp_path, capsys):
    assert main(["new", "--commune", "59350", "--offline", "--project", str(tmp_path / "x.gpkg")]) == 1
    assert "Mode hors ligne" in capsys.readouterr().err
    assert not (tmp_path / "x.gpkg").exists()


def test_new_epci(env, tmp_path, capsys):
    assert main(["new", "--epci", "200093201", "--project", str(tmp_path / "mel.gpkg")]) == 0
    assert Project.load(tmp_path / "mel.gpkg").territory["name"] == "Métropole Européenne de Lille"


def test_fetch_and_import_commands(env, tmp_path, capsys):
    path = tmp_path / "p.gpkg"
    assert main(["new", "--project", str(path)]) == 0  # the demonstration copy
    assert main(["fetch", "qpv", "--project", str(path)]) == 0
    assert len(Project.load(path).layer("qpv")) == 10
    assert (
        main(["import", "ambassadors", str(CORPUS / "ambassadors_addresses.csv"), "--project", str(path), "--replace"])
        == 0
    )
    out = capsys.readouterr().out
    assert "ambassadors_addresses.csv, ligne 3, colonne « adresse » : adresse trouvée avec un score faible" in out
    assert len(Project.load(path).layer("ambassadors")) == 2
    assert (
        main(["import", "poles", str(CORPUS / "poles_windows1252.csv"), "--project", str(path), "--no-geocode"]) == 0
    )  # nothing placed without geocoding: both rows kept « à placer » in the project
    assert list(Project.load(path).to_place["kind"]).count("poles") == 2
    assert main(["geocode", "1 place du Théâtre, 59000 Lille", "nulle part"]) == 0
    out = capsys.readouterr().out
    assert "50.637200, 3.065300 score 0.95" in out and "nulle part : introuvable" in out
