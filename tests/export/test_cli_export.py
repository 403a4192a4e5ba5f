"""``ambmap export`` from the command line."""

from __future__ import annotations

import subprocess

import openpyxl
import pyogrio
import pytest

from ambmap.cli import main


def test_cli_exports_a_pdf_and_an_xlsx(tmp_path, capsys):
    assert (
        main(
            [
                "export",
                "--format",
                "pdf",
                "--output",
                str(tmp_path / "carte.pdf"),
                "--layout",
                "a3-portrait",
                "--extent",
                "QN059D03",
                "--title",
                "Wazemmes",
            ]
        )
        == 0
    )
    assert "Export PDF (niveau public) enregistré" in capsys.readouterr().out
    info = subprocess.run(["pdfinfo", str(tmp_path / "carte.pdf")], capture_output=True, text=True).stdout
    assert "(A3)" in info and "Title:           Wazemmes" in info
    assert main(["export", "--format", "gpkg", "--output", str(tmp_path / "sites.gpkg"), "--recrutements", "2"]) == 0
    assert len(pyogrio.read_dataframe(tmp_path / "sites.gpkg", layer="recrutement_propose")) == 2
    assert main(["export", "--format", "xlsx", "--output", str(tmp_path / "table"), "--level", "interne"]) == 0
    book = openpyxl.load_workbook(tmp_path / "table.xlsx")
    assert "niveau=interne" in book.properties.keywords


def test_cli_refuses_bad_values_in_french(tmp_path, capsys):
    assert main(["export", "--format", "pdf", "--output", str(tmp_path / "x.pdf"), "--extent", "QN999"]) == 2
    assert "QPV « QN999 » introuvable" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["export", "--format", "doc", "--output", "x"])
    assert exited.value.code == 2
    assert "choix invalide" in capsys.readouterr().err


def test_cli_extent_as_a_box(tmp_path, capsys):
    assert (
        main(["export", "--format", "png", "--output", str(tmp_path / "box.png"), "--extent", "3.03,50.60,3.09,50.64"])
        == 0
    )
    assert (tmp_path / "box.png").exists()
    assert main(["export", "--format", "png", "--output", str(tmp_path / "bad.png"), "--extent", "3.0,50.6"]) == 2
    assert "ouest,sud,est,nord" in capsys.readouterr().err
