"""Importing a user's file into a project and placing its rows again (imports.py)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ambmap import imports
from ambmap.cli import main
from ambmap.config import Settings
from ambmap.errors import ImportFileError, UsageError, ValidationError
from ambmap.project import Project
from tests.sources.fakes import DATA
from tests.sources.fakes import write_eight as _eight


def test_geocode_layer_replaces_flagged_points(services, demo_project):
    files = DATA.parent / "imports"
    result = imports.import_file(files / "ambassadors_addresses.csv", "ambassadors", services.settings())
    imports.apply_import(demo_project, result, replace=True)
    layer = demo_project.layer("ambassadors")
    moved, doubtful = imports.geocode_layer(demo_project, "ambassadors", services.settings())
    assert moved == 1 and len(doubtful) == 1 and "score faible (0.41" in doubtful[0].reason
    assert demo_project.layer("ambassadors") is not layer  # swapped as a whole
    moved, doubtful = imports.geocode_layer(demo_project, "ambassadors", services.settings(), only_flagged=False)
    assert moved == 2


# -- rows « à placer », combined columns, id patterns, the report (issue 13 point 3) ----------------------
def _unreachable(services, how: str):
    if how == "errors":  # the service answers 503 to everything
        return services.settings(geocoder_url=services.url("/panne"), max_retries=0)
    return services.settings(geocoder_url="http://127.0.0.1:9/geocodage", max_retries=0, connect_timeout=0.5)


@pytest.mark.parametrize("how", ["errors", "no server"])
def test_eight_addresses_offline_are_all_kept_to_place(services, demo_project, tmp_path, how):
    result = imports.import_file(_eight(tmp_path), "ambassadors", _unreachable(services, how))
    assert len(result.data) == 0 and not result.rejected and len(result.to_place) == 8
    assert list(result.to_place["display_name"])[:2] == ["Awa Diallo", "Karim Benali"]  # prénom + nom
    assert result.to_place["address"].iloc[0] == "12 rue Nationale, 59000 Lille"  # numéro + voie, cp ville
    before = len(demo_project.layer("ambassadors"))
    plan = imports.plan_import(demo_project, result)
    imports.apply_import(demo_project, result)
    assert len(demo_project.layer("ambassadors")) == before  # coverage and exports never see them
    ids = list(demo_project.to_place["amb_id"])
    assert ids == [f"AMB-{n:03d}" for n in range(before + 1, before + 9)]  # the demo's AMB-001 pattern
    report = result.report(plan)
    assert "0 ligne(s) placée(s) sur la carte, 8 « à placer » (gardée(s) sans position), 0 refusée(s)" in report
    assert f"8 mise(s) de côté « à placer » (panneau « À placer ») : AMB-{before + 1:03d}" in report
    assert "rien n'a été modifié" not in report
    assert "ambassadeurs.csv, ligne 2, colonne « Numéro + Voie » : adresse non géocodée" in report


def test_rows_to_place_survive_a_save_and_are_placed_then_geocoded(services, demo_project, tmp_path):
    result = imports.import_file(_eight(tmp_path), "ambassadors", _unreachable(services, "errors"))
    imports.apply_import(demo_project, result)
    demo_project.save(tmp_path / "p.gpkg")
    project = Project.load(tmp_path / "p.gpkg")
    assert project.to_place.equals(demo_project.to_place) and len(project.to_place) == 8
    frames, rest = imports.place_rows(project, {0: (3.06, 50.63, None)})
    placed = frames["ambassadors"].iloc[-1]
    assert placed["display_name"] == "Awa Diallo" and (placed.geometry.x, placed.geometry.y) == (3.06, 50.63)
    assert not placed["a_verifier"] and len(rest) == 7
    project.layer("ambassadors").data = frames["ambassadors"]
    project.set_to_place(rest)
    found, still, _ = imports.geocode_to_place(project, services.settings())  # online again
    assert sorted(found) == [0, 1, 2]  # place du Théâtre, rue de Wazemmes, bd de Belfort are known
    assert len(still) == 4 and all("introuvable" in line for line in still)
    frames, rest = imports.place_rows(project, found, min_score=0.9)
    assert len(rest) == 4 and len(frames["ambassadors"]) == len(project.layer("ambassadors")) + 3
    assert list(frames["ambassadors"]["a_verifier"].iloc[-3:]) == [False, True, True]  # 0.95, 0.88, 0.87


def test_a_row_without_position_updates_a_placed_row_and_keeps_its_point(demo_project, tmp_path):
    path = tmp_path / "maj.csv"
    path.write_text("id;nom;statut\nAMB-001;Awa D.;inactif\nAMB-900;Nouvelle;actif\n", encoding="utf-8")
    result = imports.import_file(path, "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False)
    point = demo_project.layer("ambassadors").data.set_index("amb_id").geometry["AMB-001"]
    plan = imports.plan_import(demo_project, result)
    assert plan.updated_in_place == ["AMB-001"] and plan.aside == ["AMB-900"] and not plan.added
    imports.apply_import(demo_project, result)
    row = demo_project.layer("ambassadors").data.set_index("amb_id").loc["AMB-001"]
    assert row["status"] == "inactif" and row.geometry == point
    assert "1 mise(s) à jour sans nouvelle position (la position actuelle est gardée) : AMB-001" in "\n".join(
        plan.lines()
    )


def test_ids_follow_the_project_pattern():
    assert imports.id_pattern(["AMB-001", "AMB-017", "X9"], "AMB-") == ("AMB-", 3)
    assert imports.id_pattern(["R0042", "R0043"], "RES-") == ("R", 4)
    assert imports.id_pattern([], "AMB-") == ("AMB-", 3)
    assert imports.id_pattern(["Pôle Nord"], "PRS-") == ("PRS-", 3)


def test_a_point_added_by_hand_is_numbered_as_an_import_would(demo_project):
    """The form's new id follows the project's pattern and skips ids waiting « à placer »; a hostile id
    (5,000 digits, a superscript digit) is no counter and never breaks the numbering."""
    assert imports.next_id(demo_project, "ambassadors", "AMB-") == "AMB-066"
    assert imports.next_id(demo_project, "resources", "RES-") == "RES-0171"
    demo_project.set_to_place(pd.DataFrame({"kind": ["ambassadors"], "amb_id": ["AMB-070"]}))
    assert imports.next_id(demo_project, "ambassadors", "AMB-") == "AMB-071"
    layer = demo_project.layer("ambassadors")
    hostile = layer.data.iloc[[0, 1]].copy()
    hostile["amb_id"] = ["AMB-" + "9" * 5000, "AMB-²"]
    layer.data = pd.concat([layer.data, hostile], ignore_index=True)
    assert imports.next_id(demo_project, "ambassadors", "AMB-") == "AMB-071"


def test_columns_combined_by_hand(demo_project, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Nom de famille;Prénom usuel;lat;lon\nDiallo;Awa;50.62;3.05\n", encoding="utf-8")
    settings = Settings(cache_dir=tmp_path / "c")
    result = imports.import_file(
        path, "ambassadors", settings, overrides={"display_name": ["Prénom usuel", "Nom de famille"]}
    )
    assert list(result.data["display_name"]) == ["Awa Diallo"] and result.mapping["display_name"] == (
        "Prénom usuel + Nom de famille"
    )
    with pytest.raises(ImportFileError, match="display_name ← Prénom usuel \\+ Absente"):
        imports.import_file(path, "ambassadors", settings, overrides={"display_name": ["Prénom usuel", "Absente"]})


def test_cli_import_column_option_and_rows_to_place(tmp_path, capsys):
    project = Project.new_from_default(tmp_path / "p.gpkg")
    path = _eight(tmp_path)
    code = main(
        ["import", "ambassadors", str(path), "--project", str(project), "--no-geocode", "--column", "display_name=Nom"]
    )
    out = capsys.readouterr().out
    assert code == 0 and "8 « à placer »" in out and "8 mise(s) de côté « à placer »" in out
    assert list(Project.load(project).to_place["display_name"])[:1] == ["Diallo"]
    assert main(["import", "ambassadors", str(path), "--project", str(project), "--column", "nom"]) == 2
    assert "CHAMP=COLONNE" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe" + bytes(range(256)) * 8, bytes((i * 37) % 256 for i in range(3000))],
    ids=["utf16", "binary"],
)
def test_junk_csv_is_refused_naming_the_file(tmp_path, content):
    path = tmp_path / "export-logiciel.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as e:
        imports.import_file(path, "ambassadors", Settings(cache_dir=tmp_path / "c"))
    assert "« export-logiciel.csv » n'est pas un tableau lisible" in e.value.message


def test_utf16_without_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "poles.csv"
    path.write_bytes("nom;lon;lat\nPôle Sud;3.06;50.63\n".encode("utf-16-le"))
    result = imports.import_file(path, "poles", Settings(cache_dir=tmp_path / "c"))
    assert list(result.data["name"]) == ["Pôle Sud"]


def test_info_counts_the_rows_to_place(tmp_path, capsys):
    project = Project.new_from_default(tmp_path / "p.gpkg")
    path = _eight(tmp_path)
    assert main(["import", "ambassadors", str(path), "--project", str(project), "--no-geocode"]) == 0
    capsys.readouterr()
    assert main(["info", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"À placer \(importées sans position\) +8 ligne\(s\)", out)
    assert "Fichier importé" not in out  # nothing placed: the layer and its provenance are as they were


def test_a_hand_edited_table_of_rows_to_place_never_breaks_a_project(tmp_path):
    import pandas as pd

    project = Project.load(Project.new_from_default(tmp_path / "p.gpkg"))
    project.set_to_place(
        pd.DataFrame(
            {
                "kind": ["ambassadors", "qpv", "=cmd()"],
                "amb_id": ["AMB-900", "Q1", "x"],
                "display_name": ["Awa", "", ""],
            }
        )
    )
    project.save()
    rows = Project.load(project.path).to_place
    assert list(rows["kind"]) == ["ambassadors"] and rows.at[0, "motif"] == ""
    with pytest.raises(ValidationError, match="valeur obligatoire manquante"):  # no status: said, nothing placed
        imports.place_rows(Project.load(project.path), {0: (3.06, 50.63, None)})


def test_generated_ids_follow_the_file_order_and_replace_says_what_it_drops(services, demo_project, tmp_path):
    path = tmp_path / "mix.csv"
    path.write_text("nom;statut;lat;lon\nSans position;actif;;\nPlacée;actif;50.62;3.05\n", encoding="utf-8")
    result = imports.import_file(path, "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False)
    plan = imports.plan_import(demo_project, result)
    assert plan.aside == ["AMB-066"] and plan.added == ["AMB-067"]  # line 2 then line 3
    imports.apply_import(demo_project, result)
    again = imports.plan_import(demo_project, result, replace=True)
    assert again.replaced == 66 and again.replaced_waiting == 1 and again.aside == ["AMB-001"]
    assert "1 ligne(s) « à placer » d'un import précédent remplacée(s)" in "\n".join(again.lines())


def test_hostile_ids_cannot_freeze_or_break_the_numbering(services, demo_project, tmp_path):
    """One id of 200,000 « 1 » then « x » took the id regex hours (quadratic backtracking); a counter of
    5,000 digits made int() raise: both are simply no counter now (issue 9: hostile text)."""
    assert imports.id_pattern(["1" * 200_000 + "x", "AMB-" + "9" * 5000, "AMB-001"], "AMB-") == ("AMB-", 3)
    waiting = [
        {"kind": "ambassadors", "amb_id": "AMB-" + "9" * 5000, "motif": "?"},
        {"kind": "ambassadors", "amb_id": "1" * 200_000 + "x", "motif": "?"},
    ]
    demo_project.set_to_place(pd.DataFrame(waiting))
    path = tmp_path / "a.csv"
    path.write_text("nom;statut;lat;lon\nPlacée;actif;50.62;3.05\n", encoding="utf-8")
    result = imports.import_file(path, "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False)
    assert imports.plan_import(demo_project, result).added == ["AMB-066"]


# -- rows « à placer » edited, deleted, geocoded from the command line ---------------------------------------
def test_a_waiting_row_is_edited_keeping_its_other_columns_and_its_id_stays_unique(demo_project, tmp_path):
    result = imports.import_file(_eight(tmp_path), "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False)
    imports.apply_import(demo_project, result)
    before = demo_project.to_place.copy()
    rows = imports.edit_to_place(demo_project, 1, " AMB-200 ", "Karim\u202e Benali", "2 place du Théâtre, Lille")
    assert demo_project.to_place.equals(before)  # nothing changed until the caller swaps it in
    edited = rows.loc[1]
    assert (edited["amb_id"], edited["display_name"], edited["address"]) == (
        "AMB-200",
        "Karim Benali",  # a pasted right-to-left override is removed, like on import
        "2 place du Théâtre, Lille",
    )
    assert edited["motif"] == imports.EDITED  # « adresse pas encore cherchée » no longer said of the old one
    others = [c for c in rows.columns if c not in ("amb_id", "display_name", "address", "motif")]
    assert rows[others].equals(before[others]) and rows.drop(index=1).equals(before.drop(index=1))
    assert imports.edit_to_place(demo_project, 1, "AMB-067", "Karim", "")["amb_id"][1] == "AMB-067"  # its own id
    with pytest.raises(UsageError, match="« AMB-001 » existe déjà dans « Ambassadeurs·rices de santé »"):
        imports.edit_to_place(demo_project, 1, "AMB-001", "Karim", "")
    with pytest.raises(UsageError, match="« AMB-066 » est déjà celui d'une autre ligne « à placer »"):
        imports.edit_to_place(demo_project, 1, "AMB-066", "Karim", "")
    with pytest.raises(UsageError, match="L'identifiant est obligatoire"):
        imports.edit_to_place(demo_project, 1, "  ", "Karim", "")
    demo_project.set_to_place(imports.drop_to_place(demo_project, [0, 2]))
    demo_project.set_to_place(imports.edit_to_place(demo_project, 0, "AMB-200", "Karim B.", "ailleurs"))
    demo_project.save(tmp_path / "p.gpkg")
    again = Project.load(tmp_path / "p.gpkg").to_place
    assert again.equals(demo_project.to_place) and len(again) == 6
    assert list(again.loc[0, ["amb_id", "display_name", "address", "status"]]) == [
        "AMB-200",
        "Karim B.",
        "ailleurs",
        "actif",
    ]


def test_a_poles_row_without_name_column_gets_one_when_edited(demo_project):
    demo_project.set_to_place(pd.DataFrame({"kind": ["poles"], "pole_id": ["P1"], "motif": ["?"]}))
    rows = imports.edit_to_place(demo_project, 0, "P1", "Pôle Nord", "1 rue X")
    assert list(rows.loc[0, ["pole_id", "name", "address", "motif"]]) == ["P1", "Pôle Nord", "1 rue X", imports.EDITED]


@pytest.fixture
def geocoder_env(services, monkeypatch):
    """The CLI reads its settings from AMBMAP_* variables: point the geocoder at the fake one."""
    for name in ("geocoder_url", "cache_dir", "max_retries", "backoff_factor"):
        monkeypatch.setenv(f"AMBMAP_{name.upper()}", str(getattr(services.settings(), name)))
    return services


def _waiting_project(tmp_path) -> Project:
    """Eight ambassadors « à placer », one with no address, one whose id is now placed, one with a low
    score, and one waiting pôle."""
    path = Project.new_from_default(tmp_path / "p.gpkg")
    assert main(["import", "ambassadors", str(_eight(tmp_path)), "--project", str(path), "--no-geocode"]) == 0
    project = Project.load(path)
    rows = project.to_place.copy()
    rows.loc[4, "address"] = "rue du Moulin, Lille"  # found, score 0.41: placed « à vérifier »
    rows.loc[5, "address"] = ""  # Moussa: to place by a click
    rows.loc[7, ["amb_id", "address"]] = ["AMB-001", "1 place du Théâtre, 59000 Lille"]  # id placed meanwhile
    pole = {"kind": "poles", "pole_id": "PRS-900", "name": "Pôle Nord", "address": "1 place du Théâtre, 59000 Lille"}
    project.set_to_place(pd.concat([rows, pd.DataFrame([pole])], ignore_index=True).fillna(""))
    project.save()
    return project


def test_cli_geocode_places_the_waiting_rows_with_an_address(geocoder_env, tmp_path, capsys):
    project = _waiting_project(tmp_path)
    layer_rows = len(project.layer("ambassadors"))
    capsys.readouterr()
    assert main(["geocode", "--project", str(project.path), "--offline"]) == 1  # offline: refused, nothing saved
    assert "Mode hors ligne" in capsys.readouterr().err
    assert Project.load(project.path).to_place.equals(project.to_place)
    assert main(["geocode", "--project", str(project.path)]) == 0
    out = capsys.readouterr().out
    assert "À placer (Ambassadeurs·rices de santé) : 5 ligne(s) placée(s) d'après leur adresse dont 1 à vérifier" in out
    assert "3 ligne(s) restent « à placer » :" in out
    assert "Moussa Traoré (AMB-071) : pas d'adresse : placez-la d'un clic sur la carte" in out
    assert "Inès Haddad (AMB-072) : adresse « 19 avenue du Peuple Belge, 59800 Lille » introuvable" in out
    assert "Paul Durand (AMB-001) : l'identifiant « AMB-001 » existe déjà dans « Ambassadeurs·rices de santé »" in out
    assert (
        f"1 ligne(s) « à placer » dans « Pôles Ressources Santé » : ambmap geocode --project {project.path} --layer pôles"
        in out
    )
    assert out.count("Projet enregistré") == 1
    saved = Project.load(project.path)
    data = saved.layer("ambassadors").data.set_index("amb_id")
    assert len(data) == layer_rows + 5
    assert data.at["AMB-070", "a_verifier"] and not data.at["AMB-067", "a_verifier"]
    assert (data.geometry["AMB-067"].x, data.geometry["AMB-067"].y) == (3.0653, 50.6372)
    assert data.at["AMB-067", "status"] == "actif" and data.at["AMB-067", "display_name"] == "Karim Benali"
    assert list(saved.to_place["amb_id"].iloc[:3]) == ["AMB-071", "AMB-072", "AMB-001"]
    assert list(saved.to_place["kind"]) == ["ambassadors"] * 3 + ["poles"]
    assert main(["geocode", "--project", str(project.path), "--layer", "pôles"]) == 0
    assert "1 ligne(s) placée(s)" in capsys.readouterr().out
    assert list(Project.load(project.path).to_place["kind"]) == ["ambassadors"] * 3


def test_cli_geocode_saves_why_each_row_still_waits(geocoder_env, tmp_path, capsys):
    """A row searched and not found no longer says « adresse pas encore cherchée » in the saved project (the
    window's « Pourquoi » column reads it); an edited row says it was edited and not searched yet."""
    project = _waiting_project(tmp_path)
    assert main(["geocode", "--project", str(project.path)]) == 0
    why = Project.load(project.path).to_place.set_index("amb_id")["motif"]
    assert why["AMB-071"] == imports.NO_ADDRESS
    assert why["AMB-072"].startswith("adresse introuvable : corrigez-la (« Modifier… »)")
    assert why["AMB-001"].startswith("l'identifiant « AMB-001 » existe déjà")
    assert "pas encore cherchée" not in " ".join(why)
    saved = Project.load(project.path)
    row = int(saved.to_place.index[saved.to_place["amb_id"] == "AMB-072"][0])
    assert imports.edit_to_place(saved, row, "AMB-072", "Inès Haddad", "19 av. du Peuple Belge").at[row, "motif"] == (
        imports.EDITED
    )
    address = saved.to_place.at[row, "address"]
    assert (
        imports.edit_to_place(saved, row, "AMB-072", "Inès H.", address).at[row, "motif"]
        == (
            why["AMB-072"]  # only the name changed: the reason still holds
        )
    )


def test_cli_geocode_output_names_the_layer_and_the_points_to_check_in_french(geocoder_env, tmp_path, capsys):
    """The coordinator reads layer titles, names and ids — not « ligne 70, champ « address » » nor « ambassadors »."""
    project = _waiting_project(tmp_path)
    capsys.readouterr()
    assert main(["geocode", "--project", str(project.path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Sur la carte (Ambassadeurs·rices de santé) : aucun point à replacer (aucun « à vérifier »).")
    assert main(["geocode", "--project", str(project.path), "--layer", "ambassadeurs"]) == 0  # AMB-070 « à vérifier »
    out = capsys.readouterr().out
    assert (
        "Sur la carte (Ambassadeurs·rices de santé) : 1 point(s) replacé(s) d'après leur adresse ; 1 à vérifier." in out
    )
    assert "  - Ana Silva (AMB-070) : score faible (0.41, « Rue du Moulin 59000 Lille ») : position à vérifier" in out
    assert "champ" not in out and "address" not in out
    assert "ouvrez le projet dans ambmap, panneau « À placer »." in out  # where « Modifier… » and the click are
    with pytest.raises(SystemExit):
        main(["geocode", "--help"])
    assert "ambassadeurs (par défaut), pôles ou ressources" in capsys.readouterr().out


def test_waiting_rows_with_an_unusable_id_stay_waiting_and_never_block_the_others(services, demo_project, tmp_path):
    """A hand-edited project file: an empty id, two waiting rows sharing one id, an id placed already but
    for a trailing no-break space. Each stays « à placer » with its reason; the others are placed."""
    result = imports.import_file(_eight(tmp_path), "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False)
    imports.apply_import(demo_project, result)
    rows = demo_project.to_place.copy()
    rows.loc[0, "amb_id"] = ""  # Awa, 12 rue Nationale (found)
    rows.loc[2, "amb_id"] = rows.loc[1, "amb_id"]  # Lucie takes Karim's id (both found)
    rows.loc[3, "amb_id"] = "AMB-001\u00a0"  # Tran: the placed AMB-001, once stripped (found)
    demo_project.set_to_place(rows)
    placed, low, still = imports.geocode_waiting(demo_project, "ambassadors", services.settings())
    assert placed == ["AMB-067"] and low == []
    assert "Awa Diallo () : pas d'identifiant, donnez-lui-en un (« Modifier… ») avant de la placer" in still
    assert (
        "Lucie Martin (AMB-067) : l'identifiant « AMB-067 » est aussi celui d'une autre ligne « à placer » : "
        "changez-le (« Modifier… ») avant de la placer" in still
    )
    assert any(line.startswith("Tran Nguyen (AMB-001\u00a0) : l'identifiant « AMB-001 » existe déjà") for line in still)
    assert list(demo_project.to_place["display_name"][:3]) == ["Awa Diallo", "Lucie Martin", "Tran Nguyen"]
    with pytest.raises(ImportFileError, match="« AMB-001 » existe déjà"):  # placed by a click: the same reason
        imports.place_rows(demo_project, {2: (3.06, 50.63, None)})


def test_a_waiting_row_the_layer_would_refuse_is_told_and_never_blocks_the_others(services, demo_project, tmp_path):
    """A name emptied in « Modifier… » is refused there; a hand-edited row (a status the layer does not know)
    stays « à placer » with the layer's reason, and the other rows are placed."""
    result = imports.import_file(_eight(tmp_path), "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False)
    imports.apply_import(demo_project, result)
    with pytest.raises(UsageError, match="refuserait cette ligne : « Nom affiché » : valeur obligatoire manquante"):
        imports.edit_to_place(demo_project, 1, "AMB-067", " ", "1 place du Théâtre, 59000 Lille")
    rows = demo_project.to_place.copy()
    rows.loc[1, "status"] = "pirate"  # Karim, 1 place du Théâtre (found)
    demo_project.set_to_place(rows)
    placed, _, still = imports.geocode_waiting(demo_project, "ambassadors", services.settings())
    assert placed == ["AMB-066", "AMB-068", "AMB-069"]
    assert any(
        line.startswith("Karim Benali (AMB-067) : refusée par la couche (« Statut » : valeur « pirate » non reconnue")
        for line in still
    )
    with pytest.raises(ImportFileError, match="« Statut » : valeur « pirate » non reconnue"):  # by a click too
        imports.place_rows(demo_project, {0: (3.06, 50.63, None)})
    renamed = imports.edit_to_place(demo_project, 0, "AMB-300", "Karim B.", "")  # what the dialog cannot fix
    assert renamed.loc[0, ["amb_id", "status"]].tolist() == ["AMB-300", "pirate"]  # never blocks an edit


@pytest.mark.parametrize("typed", ["AMB-001\u00a0", "ＡＭＢ-００１", "AMB-\u200b001", "AMB-066\u2060"])
def test_an_edited_id_that_only_looks_different_is_refused(demo_project, tmp_path, typed):
    """A no-break space, full-width letters or an invisible character make another string, not another id:
    « AMB-001 » is placed and « AMB-066 » waits, so neither can be typed again in a disguise."""
    result = imports.import_file(_eight(tmp_path), "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False)
    imports.apply_import(demo_project, result)
    with pytest.raises(UsageError, match=r"(existe déjà dans|est déjà celui d'une autre ligne)"):
        imports.edit_to_place(demo_project, 1, typed, "Karim", "")
    with pytest.raises(UsageError, match="« ＡＭＢ-００１ » \\(qui se lit « AMB-001 »\\) existe déjà"):
        imports.edit_to_place(demo_project, 1, "ＡＭＢ-００１", "Karim", "")


def test_numbering_never_hands_out_an_id_in_use_past_the_longest_counter(demo_project, tmp_path):
    """A waiting row edited to « AMB- » + 18 nines: the next id has 19 digits, which the numbering does not
    read as a counter — it handed out that same id again, and an import without ids then silently replaced
    the point added by hand under it (« mise à jour »)."""
    demo_project.set_to_place(
        pd.DataFrame({"kind": ["ambassadors"], "amb_id": ["AMB-1"], "display_name": ["Zoé"], "status": ["actif"]})
    )
    demo_project.set_to_place(imports.edit_to_place(demo_project, 0, "AMB-" + "9" * 18, "Zoé", ""))
    first = imports.next_id(demo_project, "ambassadors", "AMB-")
    layer = demo_project.layer("ambassadors")
    by_hand = layer.data.iloc[[0]].assign(amb_id=first, display_name="Ajoutée à la main")
    layer.data = pd.concat([layer.data, by_hand], ignore_index=True)
    assert imports.next_id(demo_project, "ambassadors", "AMB-") != first
    path = tmp_path / "a.csv"
    path.write_text("nom;statut;lat;lon\nNouvelle;actif;50.62;3.05\n", encoding="utf-8")
    result = imports.import_file(path, "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False)
    plan = imports.plan_import(demo_project, result)
    assert plan.updated == [] and len(plan.added) == 1 and plan.added[0] != first
    imports.apply_import(demo_project, result)
    assert "Ajoutée à la main" in set(demo_project.layer("ambassadors").data["display_name"])
