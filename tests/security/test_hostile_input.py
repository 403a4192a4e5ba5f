"""Hostile or broken input (issue 9, points 3, 5, 8, 9): control characters, self-intersecting polygons,
sources that answer « nothing », mixed encodings, points far from the territory, absurd numbers and styles
in a project file. Each must be mended and told, or refused with a French message: never a crash, never
data silently lost."""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point, Polygon

from ambmap import fetch, imports
from ambmap.analysis.coverage import compute_coverage
from ambmap.cli import main
from ambmap.config import Settings
from ambmap.errors import ValidationError
from ambmap.io.tables import read_table
from ambmap.layers import AMBASSADORS, POLES, QPV, Layer
from ambmap.project import Project
from ambmap.sources import qpv as qpv_source

BOW_TIE = Polygon([(3.04, 50.62), (3.06, 50.64), (3.06, 50.62), (3.04, 50.64), (3.04, 50.62)])


def _offline() -> Settings:
    return Settings(offline=True)


# -- point 3: control characters ------------------------------------------------------------------
def test_control_characters_in_a_csv_are_removed_and_reported(tmp_path):
    path = tmp_path / "poles.csv"
    path.write_bytes(
        "id;nom;adresse;lon;lat\n"
        "P1;Pôle\x0bNord;1 rue A\x00;3.06;50.63\n"
        "P2;Pôle\x85Sud\x1f;2 rue B;3.07;50.62\n"
        "P3;Pôle Est;3 rue\tC;3.08;50.64\n".encode()
    )
    result = imports.import_file(path, "poles", _offline(), geocode=False)
    assert list(result.data["name"]) == ["PôleNord", "PôleSud", "Pôle Est"]
    assert list(result.data["address"]) == ["1 rue A", "2 rue B", "3 rue\tC"]  # a tab is ordinary text
    assert not result.rejected and not result.doubtful
    assert [(p.row, p.field) for p in result.corrected] == [(2, "adresse"), (2, "nom"), (3, "nom")]
    report = result.report()
    assert "poles.csv, ligne 2, colonne « nom » : caractère de contrôle retiré" in report
    assert "poles.csv, ligne 3, colonne « nom » : caractère de contrôle retiré" in report
    assert "3 valeur(s) contenaient des caractères de contrôle" in report


def test_control_characters_in_a_geojson_are_removed_and_reported(tmp_path):
    path = tmp_path / "poles.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"id": "P1", "nom": "Pôle\x0bNord\x1f"},
                        "geometry": {"type": "Point", "coordinates": [3.06, 50.63]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    result = imports.import_file(path, "poles", _offline(), geocode=False)
    assert list(result.data["name"]) == ["PôleNord"]
    assert "poles.geojson, ligne 1, colonne « nom » : caractère de contrôle retiré" in result.report()


def test_control_characters_never_reach_a_layer_or_a_project(tmp_path, demo_project):
    data = gpd.GeoDataFrame(
        {"pole_id": ["P\x001"], "name": ["Pôle\x0bNord"]}, geometry=[Point(3.06, 50.63)], crs="EPSG:4326"
    )
    layer = Layer(POLES, data, title="Pôles\x07")
    assert layer.data.loc[0, "pole_id"] == "P1" and layer.data.loc[0, "name"] == "PôleNord"
    assert layer.title == "Pôles"
    assert [(p.row, p.field, p.reason) for p in layer.notes] == [
        (1, "pole_id", "caractère de contrôle retiré"),
        (1, "name", "caractère de contrôle retiré"),
    ]
    # a project file edited by another tool (QGIS, a script) carrying them
    path = demo_project.save(tmp_path / "p.gpkg")
    resources = pyogrio.read_dataframe(path, layer="resources")
    resources.loc[0, "name"] = "Pharmacie\x0b du\x1b Centre"  # (GDAL cuts text at a NUL)
    pyogrio.write_dataframe(resources.drop(columns="fid", errors="ignore"), path, layer="resources", driver="GPKG")
    project = Project.load(path)
    assert project.layer("resources").data.loc[0, "name"] == "Pharmacie du Centre"
    assert any(p.field == "name" and p.row == 1 and p.file == "p.gpkg" for p in project.notes)


def test_validate_lists_what_reading_mended(tmp_path, demo_project, capsys):
    path = demo_project.save(tmp_path / "p.gpkg")
    resources = pyogrio.read_dataframe(path, layer="resources")
    resources.loc[1, "name"] = "Centre\x0c"
    pyogrio.write_dataframe(resources.drop(columns="fid", errors="ignore"), path, layer="resources", driver="GPKG")
    assert main(["validate", "--project", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Corrigé à la lecture (1)" in out
    assert "ligne 2, champ « Nom » (name) : caractère de contrôle retiré" in out


# -- point 8a: self-intersecting polygons -------------------------------------------------------------
def test_bow_tie_qpv_in_the_national_file_is_repaired_before_the_overlay():
    assert not BOW_TIE.is_valid
    national = gpd.GeoDataFrame(
        {
            "code_qp": ["QN05999X", "QN05998Y"],
            "lib_qp": ["Nœud", "Loin"],
            "insee_com": ["59999", "13055"],
            "lib_com": ["Lille", "Marseille"],
        },
        geometry=[BOW_TIE, Polygon([(5.3, 43.3), (5.4, 43.3), (5.4, 43.4)])],
        crs="EPSG:4326",
    )
    territory = gpd.GeoDataFrame(
        {"code": ["59350"]}, geometry=[Polygon([(3.0, 50.6), (3.1, 50.6), (3.1, 50.7), (3.0, 50.7)])], crs="EPSG:4326"
    )
    kept = qpv_source.filter_to_territory(national, territory)  # kept by area: its code lists another commune
    assert list(kept["code_qp"]) == ["QN05999X"]
    geometry = kept.geometry.iloc[0]
    assert geometry.is_valid and geometry.geom_type in ("Polygon", "MultiPolygon")
    assert geometry.area == pytest.approx(0.0002)  # both triangles kept
    layer = Layer(QPV, kept)
    assert layer.data.geometry.iloc[0].is_valid and not layer.notes


REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference-data" / "lille"


@pytest.mark.skipif(
    not (REFERENCE / "qpv_mel_2015_perimeters.geojson").exists(),
    reason="données de référence absentes (../shared/reference-data)",
)
def test_real_self_intersecting_qpv_of_the_mel_is_repaired_and_kept():
    """The MEL's 2015 perimeters hold two self-intersecting QPVs (Villeneuve-d'Ascq, Tourcoing)."""
    source = gpd.read_file(REFERENCE / "qpv_mel_2015_perimeters.geojson")
    national = gpd.GeoDataFrame(
        {
            "code_qp": source["code_qp_2015"],
            "lib_qp": source["nom_qp_2015"],
            "insee_com": "",
            "lib_com": source["communes_qp_2015"],
        },
        geometry=source.geometry,
        crs=source.crs,
    )
    communes = gpd.read_file(REFERENCE / "communes_mel.geojson")
    villeneuve = communes.loc[communes["INSEE_COM"] == "59009", ["INSEE_COM", "geometry"]].rename(
        columns={"INSEE_COM": "code"}
    )
    broken = ~national.geometry.is_valid
    assert set(national.loc[broken, "code_qp"]) == {"QP059067", "QP059086"}
    kept = qpv_source.filter_to_territory(national, villeneuve)  # insee_com empty: kept by area only
    assert "QP059067" in set(kept["code_qp"]) and kept.geometry.is_valid.all()
    Layer(QPV, kept.assign(insee_com="59009"))


def test_bow_tie_in_a_qpv_layer_is_repaired_and_coverage_runs():
    data = gpd.GeoDataFrame(
        {
            "code_qp": ["QN05999X"],
            "nom_qp": ["Nœud"],
            "insee_com": ["59350"],
            "lib_com": ["Lille"],
            "population": [1000],
        },
        geometry=[BOW_TIE],
        crs="EPSG:4326",
    )
    qpv = Layer(QPV, data)
    geometry = qpv.data.geometry.iloc[0]
    assert geometry.is_valid and geometry.geom_type == "MultiPolygon" and len(geometry.geoms) == 2
    assert [(p.row, p.field, p.reason) for p in qpv.notes] == [
        (1, "geometry", "polygone invalide (contour qui se recoupe) : réparé")
    ]
    ambassadors = Layer(
        AMBASSADORS,
        gpd.GeoDataFrame(
            {"amb_id": ["A1"], "display_name": ["A"], "status": ["actif"]},
            geometry=[Point(3.045, 50.63)],
            crs="EPSG:4326",
        ),
    )
    result = compute_coverage(Project({"code": "59350", "kind": "commune", "name": "Lille"}, [qpv, ambassadors]))
    share = result.per_qpv.loc["QN05999X", "covered_share"]
    assert 0 < share < 1


def test_bow_tie_in_a_project_file_is_repaired_on_reading(tmp_path, demo_project):
    path = demo_project.save(tmp_path / "p.gpkg")
    qpv = pyogrio.read_dataframe(path, layer="qpv")
    qpv.loc[0, "geometry"] = BOW_TIE
    pyogrio.write_dataframe(
        qpv.drop(columns="fid", errors="ignore"), path, layer="qpv", driver="GPKG", geometry_type="MultiPolygon"
    )
    project = Project.load(path)
    assert project.layer("qpv").data.geometry.is_valid.all()
    assert any(p.field == "geometry" and p.row == 1 for p in project.notes)


# -- point 8b: a source that finds nothing never empties a layer ---------------------------------------
def _qpv_zip_elsewhere() -> bytes:
    """A national QPV file holding only a QPV of Marseille: nothing for Lille."""
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "code_qp": "QN01399Z",
                    "lib_qp": "Ailleurs",
                    "insee_com": "13055",
                    "lib_com": "Marseille",
                },
                "geometry": {"type": "Polygon", "coordinates": [[[5.3, 43.3], [5.4, 43.3], [5.4, 43.4], [5.3, 43.3]]]},
            }
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("QP2024_WGS84.geojson", json.dumps(collection))
    return buffer.getvalue()


def test_empty_qpv_source_keeps_the_existing_layer(env, tmp_path, monkeypatch, capsys):
    assert main(["new", "--commune", "59350", "--project", str(tmp_path / "lille.gpkg")]) == 0
    before = Project.load(tmp_path / "lille.gpkg").layer("qpv").data
    assert len(before) == 10
    env.server.expect_request("/autre/qpv2024").respond_with_data(_qpv_zip_elsewhere(), content_type="application/zip")
    monkeypatch.setenv("AMBMAP_QPV_URL", env.url("/autre/qpv2024"))
    capsys.readouterr()
    assert main(["fetch", "qpv", "--project", str(tmp_path / "lille.gpkg")]) == 1
    err = capsys.readouterr().err
    assert "aucun QPV trouvé pour Lille ; la couche existante (10 QPV) est conservée" in err
    after = Project.load(tmp_path / "lille.gpkg").layer("qpv").data
    assert list(after["code_qp"]) == list(before["code_qp"])


def test_empty_resource_source_keeps_the_existing_layer(services, demo_project):
    empty = {"version": 0.6, "elements": []}
    services.server.clear()
    services.server.expect_request("/api/interpreter", method="POST").respond_with_json(empty)
    settings = services.settings(finess_url=services.url("/absent/"), max_retries=0)
    official = demo_project.layer("resources").data
    with pytest.raises(
        fetch.SourceError,
        match=r"aucune ressource de santé trouvée .* la couche existante "
        rf"\({len(official)} ressource\(s\)\) est conservée",
    ):
        fetch.refresh(demo_project, "resources", settings)
    assert len(demo_project.layer("resources")) == len(official)


# -- point 8c: a UTF-8 file with one Windows-1252 line --------------------------------------------------
def test_bom_and_one_windows_1252_line_are_decoded_line_by_line(tmp_path):
    path = tmp_path / "poles.csv"
    path.write_bytes(
        b"\xef\xbb\xbfid;nom;adresse;lon;lat\r\n"
        + "P1;Pôle Moulins;1 rue de l'Église;3.06;50.62\r\n".encode()
        + "P2;Pôle Fives é;2 rue Pierre-Legrand;3.09;50.63\r\n".encode("cp1252")
        + "P3;Maison de santé;3 rue Gambetta;3.05;50.63\r\n".encode()
    )
    table = read_table(path)
    assert list(table.columns) == ["id", "nom", "adresse", "lon", "lat"]  # no BOM glued to « id »
    assert list(table["nom"]) == ["Pôle Moulins", "Pôle Fives é", "Maison de santé"]
    assert table.attrs["encoding"] == "UTF-8 et Windows-1252 mélangés"
    result = imports.import_file(path, "poles", _offline(), geocode=False)
    assert result.mapping["pole_id"] == "id" and not result.generated_ids
    assert list(result.data["pole_id"]) == ["P1", "P2", "P3"]
    assert list(result.data["name"]) == ["Pôle Moulins", "Pôle Fives é", "Maison de santé"]
    assert list(result.data["address"]) == ["1 rue de l'Église", "2 rue Pierre-Legrand", "3 rue Gambetta"]
    assert any("1 ligne(s) sont en Windows-1252" in note for note in result.notes)


# -- point 8d: points far from the territory -------------------------------------------------------------
def test_point_50_km_from_lille_is_flagged_whatever_the_declared_system(tmp_path, demo_project, capsys):
    path = tmp_path / "poles.csv"
    path.write_text(
        "id;nom;longitude;latitude\nP1;Pôle Wazemmes;3.05;50.63\nP2;Pôle lointain;3.06;50.18\n", encoding="utf-8"
    )
    territory = demo_project.layer("territory").data
    result = imports.import_file(path, "poles", _offline(), geocode=False, territory=territory)
    assert list(result.data["a_verifier"]) == [False, True]
    [doubt] = result.doubtful
    assert doubt.row == 3 and "km du territoire du projet" in doubt.reason and "à vérifier" in doubt.reason
    # a GeoJSON declaring WGS84, through the command line (the project's territory is used)
    project = demo_project.save(tmp_path / "p.gpkg")
    (tmp_path / "poles.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"id": "P9", "nom": "Pôle Arras"},
                        "geometry": {"type": "Point", "coordinates": [2.78, 50.29]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    assert main(["import", "poles", str(tmp_path / "poles.geojson"), "--project", str(project), "--no-geocode"]) == 0
    assert "km du territoire du projet" in capsys.readouterr().out
    assert bool(Project.load(project).layer("poles").data.set_index("pole_id").loc["P9", "a_verifier"])


# -- point 9 and 5: numbers, options and styles in a project file ---------------------------------------
@pytest.mark.parametrize("value", [-1, 0, math.nan, 1e9, math.inf, "loin"])
@pytest.mark.parametrize("option", ["coverage_radius_m", "pole_radius_m"])
def test_absurd_radius_option_is_a_validation_error(tmp_path, demo_project, capsys, option, value):
    demo_project.options[option] = value
    path = demo_project.save(tmp_path / "p.gpkg")
    assert main(["validate", "--project", str(path)]) == 2
    err = capsys.readouterr().err
    assert "couche « Options du projet »" in err and f"({option}) : " in err
    assert main(["coverage", "--project", str(path)]) == 2  # refused for analysis, not a crash
    assert f"({option})" in capsys.readouterr().err


@pytest.mark.parametrize("value", [-1.0, 0.0, math.inf, 1e9])
def test_absurd_personal_radius_is_a_validation_error(tmp_path, demo_project, capsys, value):
    path = demo_project.save(tmp_path / "p.gpkg")
    ambassadors = pyogrio.read_dataframe(path, layer="ambassadors")
    ambassadors["radius_m"] = ambassadors["radius_m"].astype(float)
    ambassadors.loc[1, "radius_m"] = value
    pyogrio.write_dataframe(ambassadors.drop(columns="fid", errors="ignore"), path, layer="ambassadors", driver="GPKG")
    assert main(["validate", "--project", str(path)]) == 2
    err = capsys.readouterr().err
    assert "ligne 2, champ « Rayon de couverture (m) » (radius_m) : rayon" in err
    with pytest.raises(ValidationError, match="radius_m"):
        Project.load(path)


def test_command_line_and_project_file_share_the_radius_rule(capsys):
    for value, reason in (("25000", "au-delà de 20 km"), ("0", "supérieur à 0"), ("nan", "nombre de mètres fini")):
        with pytest.raises(SystemExit) as exited:
            main(["coverage", "--radius", value])
        assert exited.value.code == 2 and reason in capsys.readouterr().err


def test_recommend_refuses_a_radius_below_its_grid(capsys):
    assert main(["recommend", "-k", "1", "--radius", "30"]) == 2
    err = capsys.readouterr().err
    assert "Rayon de 30 m trop petit pour chercher où recruter" in err and "carreaux de 100 m" in err


def test_wrong_styles_fall_back_to_defaults_and_are_reported(tmp_path, demo_project, capsys):
    demo_project.layer("qpv").set_style(color="red;background:url(x)", opacity=5, labels="oui")
    demo_project.layer("poles").set_style(color="#aa0000", opacity=0.5)
    path = demo_project.save(tmp_path / "p.gpkg")
    project = Project.load(path)
    assert project.layer("qpv").style == {} and project.layer("poles").style == {"color": "#aa0000", "opacity": 0.5}
    assert main(["validate", "--project", str(path)]) == 0
    out = capsys.readouterr().out
    assert "champ « style.opacity » : valeur « 5 » invalide (nombre entre 0 et 1 attendu)" in out
    assert "style.color" in out and "style.labels" in out


@pytest.mark.parametrize("option, value", [("target", 80), ("include_in_training", "oui")])
def test_wrong_analysis_options_are_refused(tmp_path, demo_project, capsys, option, value):
    demo_project.options[option] = value
    path = demo_project.save(tmp_path / "p.gpkg")
    assert main(["validate", "--project", str(path)]) == 2
    assert f"({option})" in capsys.readouterr().err


def test_wrong_display_options_are_dropped(tmp_path, demo_project):
    demo_project.options["layer_order"] = "qpv"
    path = demo_project.save(tmp_path / "p.gpkg")
    project = Project.load(path)
    assert "layer_order" not in project.options and any(p.field == "layer_order" for p in project.notes)


# -- a hostile geocoder: NaN, infinite or impossible coordinates and scores -------------------------------
def _geocoder_answering(httpserver, answers: list[tuple[str, str, str]]) -> None:
    """The batch endpoint answering each address, in turn, with (latitude, longitude, score) of ``answers``."""
    import csv

    from werkzeug import Response

    def handler(request):
        rows = list(csv.reader(io.StringIO(request.files["data"].read().decode("utf-8"))))[1:]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["adresse", "latitude", "longitude", "result_label", "result_score"])
        for i, row in enumerate(rows):
            writer.writerow(
                [*row, *answers[i % len(answers)][:2], "<b>=cmd|' /C calc'!A0</b>", answers[i % len(answers)][2]]
            )
        return Response(out.getvalue(), content_type="text/csv")

    httpserver.clear()
    httpserver.expect_request("/geocodage/search/csv", method="POST").respond_with_handler(handler)


@pytest.mark.parametrize(
    "answer", [("nan", "nan", "0.9"), ("50.6", "inf", "0.9"), ("95", "3.06", "0.9"), ("50.6", "-500", "0.9")]
)
def test_impossible_geocoder_coordinates_are_not_found_and_never_block_the_others(
    services, demo_project, tmp_path, answer
):
    from tests.sources.fakes import write_eight

    result = imports.import_file(
        write_eight(tmp_path), "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False
    )
    imports.apply_import(demo_project, result)
    _geocoder_answering(services.server, [answer, ("50.63", "3.06", "0.95")])
    placed, low, still = imports.geocode_waiting(demo_project, "ambassadors", services.settings())
    assert placed == ["AMB-067", "AMB-069", "AMB-071", "AMB-073"] and low == []
    assert len(still) == 4 and all("introuvable" in line for line in still)
    assert list(demo_project.to_place["amb_id"]) == ["AMB-066", "AMB-068", "AMB-070", "AMB-072"]


@pytest.mark.parametrize("score", ["nan", "inf", "-3", "12"])
def test_impossible_geocoder_score_is_a_point_to_check(services, demo_project, tmp_path, score):
    from tests.sources.fakes import write_eight

    result = imports.import_file(
        write_eight(tmp_path), "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False
    )
    imports.apply_import(demo_project, result)
    _geocoder_answering(services.server, [("50.63", "3.06", score)])
    placed, low, still = imports.geocode_waiting(demo_project, "ambassadors", services.settings())
    assert len(placed) == 8 and low == placed and still == []  # placed, each flagged « à vérifier »
    data = demo_project.layer("ambassadors").data
    assert data["a_verifier"].tail(8).all() and data["geocode_score"].tail(8).between(0, 1).all()


def test_a_waiting_row_geocoded_far_from_the_territory_is_placed_to_check(services, demo_project, tmp_path):
    """A homonym street (or a lying geocoder) 800 km away with a fine score: placed, but « à vérifier »,
    as an import flags it — never silently counted in Marseille."""
    from tests.sources.fakes import write_eight

    result = imports.import_file(
        write_eight(tmp_path), "ambassadors", Settings(cache_dir=tmp_path / "c"), geocode=False
    )
    imports.apply_import(demo_project, result)
    _geocoder_answering(services.server, [("43.2965", "5.3698", "0.97"), ("50.63", "3.06", "0.95")])
    placed, low, still = imports.geocode_waiting(demo_project, "ambassadors", services.settings())
    assert len(placed) == 8 and still == []
    assert low == ["AMB-066", "AMB-068", "AMB-070", "AMB-072"]  # the answers in Marseille
    data = demo_project.layer("ambassadors").data.set_index("amb_id")
    assert data.loc[low, "a_verifier"].all() and not data.loc[["AMB-067", "AMB-069"], "a_verifier"].any()
    assert data.loc[low, "geocode_score"].eq(0.97).all()  # the service's score is kept as it said


def test_a_geocoder_label_never_sends_terminal_controls(services, monkeypatch, capsys):
    """The service's label is printed by ``ambmap geocode`` and quoted in « score faible (…) » lines: an
    escape sequence in it would clear or retitle the user's terminal, a U+202E reverse the line."""
    _geocoder_answering(services.server, [("50.63", "3.06", "0.5")])
    hostile = "\x1b]0;pwned\x07\x1b[2J1 Place\u202e du Théâtre"
    handler = services.server.handlers[0].request_handler

    def with_label(request):
        response = handler(request)
        response.set_data(response.get_data(as_text=True).replace("<b>=cmd|' /C calc'!A0</b>", hostile))
        return response

    services.server.clear()
    services.server.expect_request("/geocodage/search/csv", method="POST").respond_with_handler(with_label)
    for name in ("geocoder_url", "cache_dir", "max_retries"):
        monkeypatch.setenv(f"AMBMAP_{name.upper()}", str(getattr(services.settings(), name)))
    assert main(["geocode", "1 place du Théâtre, Lille"]) == 0
    out = capsys.readouterr().out
    assert "« ]0;pwned[2J1 Place du Théâtre » (à vérifier : score faible)" in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
