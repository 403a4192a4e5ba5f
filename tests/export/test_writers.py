"""Issue 10 point 7: export formats are one table, read by export(), the CLI and the dialog."""

from __future__ import annotations

import errno
import os

import pytest

import ambmap.export as export_module
from ambmap.cli import build_parser
from ambmap.errors import AmbmapError, UsageError
from ambmap.export import FORMATS, WRITERS, Writer, export


def test_the_cli_offers_every_writer():
    parser = build_parser()
    export_parser = next(a for a in parser._subparsers._group_actions[0].choices.items() if a[0] == "export")[1]
    choices = next(a.choices for a in export_parser._actions if "--format" in a.option_strings)
    assert tuple(choices) == tuple(WRITERS) == FORMATS
    assert "umap" in choices


def test_adding_a_format_is_one_entry(tmp_path, demo_project, monkeypatch):
    seen = {}

    def write(prepared, path, **options):
        seen.update(level=prepared.level, options=set(options))
        path.write_text("x;y\n", encoding="utf-8")

    monkeypatch.setitem(WRITERS, "txt", Writer("Texte", ".txt", False, False, write))
    target = export(demo_project, "txt", tmp_path / "essai")
    assert target.name == "essai.txt" and target.read_text(encoding="utf-8") == "x;y\n"
    assert seen == {"level": "public", "options": {"layout", "layer", "map_options", "basemap_file"}}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["essai.txt"]


def test_a_public_only_writer_is_refused_once_for_all_at_the_internal_level(tmp_path, demo_project, monkeypatch):
    called = []
    monkeypatch.setitem(
        WRITERS,
        "pub",
        Writer(
            "Publication",
            ".pub",
            False,
            False,
            lambda prepared, path, **_: called.append(prepared.level),
            public_only=True,
        ),
    )
    with pytest.raises(UsageError, match="niveau public"):
        export(demo_project, "pub", tmp_path / "a.pub", level="interne")
    assert called == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["csv", "umap", "gpkg"])
def test_a_write_error_is_put_in_french_once_naming_the_chosen_file(tmp_path, demo_project, monkeypatch, fmt):
    def full(prepared, path, **_):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setitem(WRITERS, fmt, Writer(WRITERS[fmt].label, WRITERS[fmt].suffix, False, False, full))
    with pytest.raises(AmbmapError) as caught:
        export(demo_project, fmt, tmp_path / f"sortie.{fmt}")
    message = str(caught.value)
    assert f"sortie.{fmt}" in message and "partiel" not in message and "Impossible d'écrire" in message
    assert message.count("Impossible") == 1
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_lists_the_table(demo_project, tmp_path):
    with pytest.raises(AmbmapError, match="umap"):
        export(demo_project, "shp", tmp_path / "x.shp")


def test_export_dispatches_through_the_table(tmp_path, demo_project, monkeypatch):
    seen = []
    monkeypatch.setitem(
        WRITERS,
        "csv",
        Writer(
            "CSV", ".csv", False, False, lambda prepared, path, **_: seen.append(path.name) or path.write_text("a\n")
        ),
    )
    export_module.export(demo_project, "csv", tmp_path / "i.csv")
    assert seen == [f".i.partiel-{os.getpid()}.csv"]
