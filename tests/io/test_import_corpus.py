"""The import corpus (tests/data/imports): each tricky file gives the expected rows and French report.

Rows without coordinates are geocoded by the fake Géoplateforme of tests/sources/fakes.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from ambmap import imports
from ambmap.config import Settings
from ambmap.errors import ImportFileError
from ambmap.layers import SCHEMAS, validate

CORPUS = Path(__file__).resolve().parents[1] / "data" / "imports"
GEOD = Geod(ellps="WGS84")

#: file, kind, ids placed, {line: reason fragment} refused, {line: reason fragment} to check,
#: {line: reason fragment} kept « à placer » (no usable position: never dropped)
CASES = [
    ("poles_excel_utf8.csv", "poles", ["PRS-1", "PRS-2"], {}, {}, {}),
    ("poles_windows1252.csv", "poles", ["P1", "P2"], {}, {}, {}),
    ("resources_comma.csv", "resources", ["R1", "R2", "R3"], {}, {}, {}),
    ("resources_tabs.txt", "resources", ["T1", "T2"], {}, {}, {}),
    ("swapped_coordinates.csv", "resources", ["S1", "S2"], {}, {3: "latitude et longitude inversées"}, {}),
    ("lambert93.csv", "resources", ["L1", "L2"], {}, {}, {}),
    ("duplicate_ids.csv", "resources", ["D1", "D2"], {4: "identifiant « D1 » en double (déjà ligne 2)"}, {}, {}),
    (
        "ambassadors_bad_values.csv",
        "ambassadors",
        ["AMB-1"],
        {
            3: "valeur « en vacances » non reconnue",
            4: "date « 31/02/2024 » invalide",
            5: "rayon de -50 m : donnez un nombre de mètres supérieur à 0",
        },
        {},
        {},
    ),
    ("blank_lines.csv", "resources", ["B1"], {}, {}, {5: "coordonnées illisibles"}),
    (
        "ambassadors_addresses.csv",
        "ambassadors",
        ["A1", "A2"],
        {},
        {3: "score faible (0.41"},
        {4: "introuvable", 5: "ni coordonnées ni adresse"},
    ),
    ("resources.geojson", "resources", ["G1", "G3"], {}, {}, {2: "géométrie de type Polygon"}),
    ("poles_lambert93.gpkg", "poles", ["PRS-A", "PRS-B"], {}, {}, {}),
    ("resources_shapefile.zip", "resources", ["Z1", "Z2"], {}, {}, {}),
    ("ambassadors.xlsx", "ambassadors", ["AMB-10", "AMB-11", "12"], {}, {}, {}),
    ("ragged.csv", "resources", ["R1"], {3: "6 cellules au lieu de 5"}, {}, {}),
    (
        "outside_france.csv",
        "resources",
        ["O2", "O3"],
        {},
        {3: "position recherchée à partir de l'adresse"},
        {2: "hors de France ou incohérentes"},
    ),
    ("poles_split_address.csv", "poles", ["P1"], {}, {}, {}),
    ("excel_sep_hint.csv", "resources", ["H1"], {4: "valeur « boulangerie » non reconnue"}, {}, {}),
    ("unicode_text.txt", "resources", ["RES-001"], {}, {}, {}),
    ("poles_title_rows.xlsx", "poles", ["PRS-7"], {}, {}, {5: "coordonnées illisibles"}),
    ("poles_title_rows.csv", "poles", ["PRS-7"], {}, {}, {}),
]

#: files that cannot be imported at all, with the French explanation expected
REFUSED = [
    ("empty.csv", "poles", "est vide"),
    ("header_only.csv", "poles", "aucune ligne de données"),
    ("missing_name_column.csv", "poles", "colonne(s) « Nom » introuvable(s). Colonnes présentes : Identifiant"),
    ("excel_renamed.csv", "ambassadors", "classeur Excel renommé"),
    ("lonely.shp", "resources", "accompagné de ses fichiers .shx et .dbf"),
    ("notes.pdf", "resources", "format .pdf non reconnu"),
]


def test_corpus_has_at_least_twenty_files():
    assert len(list(CORPUS.iterdir())) >= 20 and len(CASES) + len(REFUSED) >= 20


@pytest.mark.parametrize("name, kind, ids, refused, doubtful, aside", CASES, ids=[c[0] for c in CASES])
def test_corpus_file(services, name, kind, ids, refused, doubtful, aside):
    result = imports.import_file(CORPUS / name, kind, services.settings())
    assert list(result.data[SCHEMAS[kind].id_field]) == ids
    validate(SCHEMAS[kind], result.data)  # ready for the layer as is
    assert {p.row: p for p in result.rejected}.keys() == refused.keys()
    for problem in result.rejected:
        assert refused[problem.row] in problem.reason and problem.file == name
    assert {p.row for p in result.doubtful} == doubtful.keys()
    for problem in result.doubtful:
        assert doubtful[problem.row] in problem.reason
    assert [int(line) for line in result.to_place["ligne"]] == list(aside) == [p.row for p in result.aside]
    for problem in result.aside:
        assert aside[problem.row] in problem.reason and problem.file == name
    report = result.report()
    assert report.startswith(f"Import de « {name} »") and f"{len(ids)} ligne(s) placée(s)" in report
    assert f"{len(aside)} « à placer »" in report and f"{len(refused)} refusée(s)" in report
    for line in [*refused, *doubtful, *aside]:
        assert f"{name}, ligne {line}" in report
    flagged = result.data["a_verifier"].to_numpy()
    assert flagged.sum() == len(doubtful)


@pytest.mark.parametrize("name, kind, words", REFUSED, ids=[c[0] for c in REFUSED])
def test_unimportable_files_are_explained(services, name, kind, words):
    with pytest.raises(ImportFileError) as e:
        imports.import_file(CORPUS / name, kind, services.settings())
    assert words in e.value.message


def test_lambert93_placed_within_one_metre(services):
    data = imports.import_file(CORPUS / "lambert93.csv", "resources", services.settings()).data
    point = data.geometry.iloc[0]
    x, y = 704265.3, 7059295.4
    lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(x, y)
    assert GEOD.inv(point.x, point.y, lon, lat)[2] < 1.0


def test_ambassador_import_sends_only_addresses(services):
    result = imports.import_file(CORPUS / "ambassadors_addresses.csv", "ambassadors", services.settings())
    assert services.geocoder_csv.received == [["adresse"]]
    assert any("données personnelles" in note for note in result.notes)
    assert result.data.set_index("amb_id").at["A2", "geocode_score"] == pytest.approx(0.41)


def test_geocoding_disabled_keeps_rows_to_place(services):
    result = imports.import_file(CORPUS / "poles_windows1252.csv", "poles", services.settings(), geocode=False)
    assert len(result.data) == 0 and not result.rejected
    assert [p.row for p in result.aside] == [2, 3] and all(
        "adresse pas encore cherchée" in p.reason for p in result.aside
    )
    assert list(result.to_place["pole_id"]) == ["P1", "P2"] and set(result.to_place["kind"]) == {"poles"}


def test_geocoder_down_keeps_rows_to_place_with_a_note(services):
    settings = services.settings(geocoder_url=services.url("/panne"), max_retries=0)
    result = imports.import_file(CORPUS / "poles_windows1252.csv", "poles", settings)
    assert not result.rejected and len(result.to_place) == 2 and result.geocoder_down
    assert any("Géocodage impossible" in n for n in result.notes)
    assert all("service de géocodage injoignable" in p.reason for p in result.aside)


def test_explicit_mapping_wins(services):
    result = imports.import_file(
        CORPUS / "resources_tabs.txt",
        "resources",
        services.settings(),
        mapping={"resource_id": "Identifiant", "name": "Nom", "lat": "Latitude", "lon": "Longitude"},
    )
    assert set(result.data["category"]) == {"autre"}
    assert any("Pas de colonne « Catégorie »" in n for n in result.notes)
    with pytest.raises(ImportFileError, match="association de colonnes invalide"):
        imports.import_file(
            CORPUS / "resources_tabs.txt", "resources", services.settings(), mapping={"name": "Colonne absente"}
        )


def test_apply_import_updates_and_adds(services, demo_project):
    result = imports.import_file(CORPUS / "poles_excel_utf8.csv", "poles", services.settings())
    before = len(demo_project.layer("poles"))
    imports.apply_import(demo_project, result)
    poles = demo_project.layer("poles").data.set_index("pole_id")
    assert len(poles) == before  # PRS-1 and PRS-2 were already there: updated, not added
    assert poles.at["PRS-1", "name"] == "Pôle Santé Lille-Sud" and poles.at["PRS-2", "name"] == "Pôle Santé Moulins"
    other = imports.import_file(CORPUS / "poles_lambert93.gpkg", "poles", services.settings())
    imports.apply_import(demo_project, other)
    assert len(demo_project.layer("poles")) == before + 2
    prov = demo_project.layer("poles").provenance
    assert prov["source"] == "Fichier importé « poles_lambert93.gpkg »"
    assert prov["previous"]["source"] == "Fichier importé « poles_excel_utf8.csv »"


def test_generated_ids_never_overwrite_existing_rows(services, demo_project):
    result = imports.import_file(CORPUS / "unicode_text.txt", "resources", services.settings())
    assert result.generated_ids and list(result.data["resource_id"]) == ["RES-001"]  # a project without ids
    before = demo_project.layer("resources").data.set_index("resource_id")
    imports.apply_import(demo_project, result)  # the demo numbers its resources RES-0001…RES-0170
    after = demo_project.layer("resources").data.set_index("resource_id")
    assert len(after) == len(before) + 1 and after.at["RES-0001", "name"] == before.at["RES-0001", "name"]
    assert after.at["RES-0171", "name"] == "Dentiste Œuvre"


def test_hundred_thousand_rows(services, tmp_path):
    n = 100_000
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "Identifiant": [f"R{i:06d}" for i in range(n)],
            "Nom": [f"Ressource {i}" for i in range(n)],
            "Catégorie": rng.choice(["pharmacie", "dentiste", "PMI", "laboratoire"], n),
            "Latitude": np.round(50.60 + rng.random(n) * 0.05, 6).astype(str),
            "Longitude": np.round(3.00 + rng.random(n) * 0.1, 6).astype(str),
        }
    )
    frame.loc[500, "Catégorie"] = "boulangerie"
    frame.loc[70_000, "Identifiant"] = "R000001"
    frame["Latitude"] = frame["Latitude"].str.replace(".", ",")  # French decimal commas
    path = tmp_path / "ressources.csv"
    frame.to_csv(path, sep=";", index=False, encoding="cp1252")
    result = imports.import_file(path, "resources", services.settings())
    assert len(result.data) == n - 2
    assert [(p.row, p.field) for p in result.rejected] == [(502, "Catégorie"), (70_002, "Identifiant")]
    assert "déjà ligne 3" in result.rejected[1].reason


def test_every_wrong_value_of_a_line_is_reported(services, tmp_path):
    path = tmp_path / "amb.csv"
    path.write_text("id;nom;statut;date d'entrée;lat;lon\nA1;Awa;en vacances;31/02/2024;50.62;3.05\n", encoding="utf-8")
    result = imports.import_file(path, "ambassadors", services.settings())
    assert [(p.row, p.field) for p in result.rejected] == [(2, "statut"), (2, "date d'entrée")]
    assert (
        "0 ligne(s) placée(s) sur la carte, 0 « à placer » (gardée(s) sans position), 1 refusée(s)" in result.report()
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.binary(max_size=400)
    | st.text(alphabet=st.sampled_from(list('ab1,;"\t\n\r é.-')), max_size=300).map(lambda t: t.encode("utf-8"))
)
def test_no_file_content_crashes_the_import(tmp_path, content):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(b"id;nom;categorie;lat;lon\n" + content)
    try:
        result = imports.import_file(path, "resources", Settings(cache_dir=tmp_path / "c", offline=True))
    except ImportFileError as e:
        assert e.message
    else:
        validate(SCHEMAS["resources"], result.data)
        assert all(p.file == "fuzz.csv" and p.reason for p in result.rejected + result.doubtful)
