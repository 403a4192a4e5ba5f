"""Official layers from files on disk (imports.py read_*_file, ``ambmap new --territory-file``, ``ambmap
import qpv|territory|population``): offline, QPV kept whole with their communes, squares from INSEE ids.

Small synthetic files are written here; the real Lille/MEL files are read in place from
../shared/reference-data (skipped when absent, never copied).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from ambmap import imports
from ambmap.cli import main
from ambmap.config import Settings
from ambmap.errors import ImportFileError
from ambmap.project import Project

L93 = "EPSG:2154"
X0, Y0 = 704_000, 7_059_000  # Lambert-93, near Lille
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "lille"
if not REFERENCE.exists():
    REFERENCE = Path("/work/shared/reference-data/lille")
needs_reference = pytest.mark.skipif(
    not REFERENCE.exists(), reason="données de référence absentes (../shared/reference-data/lille)"
)


def _write(frame: gpd.GeoDataFrame, path: Path, driver: str | None = None) -> Path:
    frame.to_file(path, driver=driver)
    return path


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    """Two communes side by side (geo.api fields), a QPV astride them plus one far away (GPKG, upper-case
    fields), and the 200 m squares over them as an INSEE CSV (ids only, no geometry)."""
    communes = gpd.GeoDataFrame(
        {"code": ["59001", "59002"], "nom": ["Ouestville", "Estville"], "population": [1000, 2000]},
        geometry=[box(X0, Y0, X0 + 2000, Y0 + 2000), box(X0 + 2000, Y0, X0 + 4000, Y0 + 2000)],
        crs=L93,
    ).to_crs(4326)
    qpv = gpd.GeoDataFrame(
        {"CODE_QP": ["QN05901M", "QN05999M"], "NOM_QP": ["Les Deux Rives", "Ailleurs"], "LIB_COM": ["", ""]},
        geometry=[box(X0 + 1500, Y0 + 500, X0 + 3000, Y0 + 1500), box(X0 + 50_000, Y0, X0 + 51_000, Y0 + 1000)],
        crs=L93,
    )
    grid = gpd.GeoSeries([box(X0 - 500, Y0 - 500, X0 + 4500, Y0 + 2500)], crs=L93).to_crs(3035).total_bounds
    rows = ["Idcar_200m;Ind;Men"]
    for n in range(int(grid[1] // 200) * 200, int(grid[3]), 200):
        for e in range(int(grid[0] // 200) * 200, int(grid[2]), 200):
            rows.append(f"CRS3035RES200mN{n}E{e};12,5;5")
    population = tmp_path / "carreaux.csv"
    population.write_text("\n".join(rows), encoding="utf-8")
    return {
        "territory": _write(communes, tmp_path / "communes.geojson"),
        "qpv": _write(qpv, tmp_path / "qpv.gpkg", "GPKG"),
        "population": population,
    }


def test_new_from_files_keeps_a_qpv_whole_and_lists_its_communes(files, tmp_path, capsys):
    target = tmp_path / "projet.gpkg"
    assert (
        main(
            [
                "new",
                "--territory-file",
                str(files["territory"]),
                "--qpv-file",
                str(files["qpv"]),
                "--population-file",
                str(files["population"]),
                "--project",
                str(target),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "QN05901M Les Deux Rives (Estville, Ouestville)" in out and "QN05999M" not in out
    project = Project.load(target)
    assert project.territory["kind"] == "communes" and project.territory["name"].startswith("Estville")
    qpv = project.layers["qpv"].data
    assert qpv["code_qp"].tolist() == ["QN05901M"] and qpv["insee_com"].iloc[0] == "59002, 59001"
    assert qpv.to_crs(L93).area.iloc[0] == pytest.approx(1500 * 1000, rel=1e-3)  # whole, not clipped
    squares = project.layers["population"].data
    assert squares["population"].eq(12.5).all() and squares["idcar"].str.startswith("CRS3035RES200mN").all()
    assert squares.to_crs(3035).area.round().eq(40_000).all()  # rebuilt from their id
    from ambmap.analysis.coverage import compute_coverage

    assert compute_coverage(project, _params(project)).summary["population_method"] == "grid"


def _params(project):
    from ambmap.analysis.coverage import CoverageParams

    return CoverageParams.from_project(project, Settings())


def test_import_replaces_a_layer_and_refuses_an_empty_result(files, tmp_path, capsys):
    target = tmp_path / "projet.gpkg"
    assert main(["new", "--territory-file", str(files["territory"]), "--project", str(target)]) == 0
    assert main(["import", "qpv", str(files["qpv"]), "--project", str(target)]) == 0
    assert "Les Deux Rives" in capsys.readouterr().out
    assert len(Project.load(target).layers["qpv"]) == 1
    elsewhere = gpd.GeoDataFrame(
        {"code_qp": ["QN09999M"], "lib_qp": ["Loin"]}, geometry=[box(X0 + 90_000, Y0, X0 + 91_000, Y0 + 1000)], crs=L93
    )
    assert main(["import", "qpv", str(_write(elsewhere, tmp_path / "loin.geojson")), "--project", str(target)]) == 2
    err = capsys.readouterr().err
    assert "aucun élément" in err and "la couche existante (1) est conservée" in err
    assert len(Project.load(target).layers["qpv"]) == 1
    assert main(["import", "population", str(files["population"]), "--project", str(target)]) == 0
    assert len(Project.load(target).layers["population"]) > 100


def test_columns_named_by_hand_and_a_missing_column_named(files, tmp_path):
    project, _ = imports.build_project_from_files(Settings(), files["territory"])
    odd = gpd.GeoDataFrame(
        {"ident": ["Q1"], "appel": ["Quartier"]}, geometry=[box(X0 + 100, Y0 + 100, X0 + 900, Y0 + 900)], crs=L93
    )
    path = _write(odd, tmp_path / "odd.shp")
    with pytest.raises(ImportFileError, match="code du quartier.*Colonnes présentes : ident, appel"):
        imports.read_layer_file(project, "qpv", path)
    result = imports.read_layer_file(project, "qpv", path, code_field="ident", name_field="appel")
    assert result.layer.data[["code_qp", "nom_qp", "lib_com"]].values.tolist() == [["Q1", "Quartier", "Ouestville"]]
    with pytest.raises(ImportFileError, match="importez d'abord son contour"):
        imports.read_layer_file(Project({}), "qpv", path)


def test_national_qpv_zip_keeps_its_own_communes(files, tmp_path):
    """The national file: a ZIP holding GEOJSON/…WGS84.geojson, ``insee_com`` listing several codes."""
    national = gpd.GeoDataFrame(
        {
            "code_qp": ["QN01301M"],
            "lib_qp": ["Nord Littoral"],
            "insee_com": ["59002, 59999"],
            "lib_com": ["Estville, Voisine"],
        },
        geometry=[box(X0 + 3000, Y0 + 500, X0 + 6000, Y0 + 1500)],
        crs=L93,
    ).to_crs(4326)
    archive = tmp_path / "qpv2024.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson", national.to_json())
        z.writestr("LISEZMOI.txt", "notice")
    project, _ = imports.build_project_from_files(Settings(), files["territory"])
    qpv = imports.read_layer_file(project, "qpv", archive).layer.data
    # only a third inside the territory, but listed under one of its communes: kept, whole, with its own list
    assert qpv[["code_qp", "insee_com", "lib_com"]].values.tolist() == [
        ["QN01301M", "59002, 59999", "Estville, Voisine"]
    ]
    assert qpv.to_crs(L93).area.iloc[0] == pytest.approx(3000 * 1000, rel=1e-3)


def test_squares_from_a_geojson_with_id_and_num_people(files, tmp_path):
    project, _ = imports.build_project_from_files(Settings(), files["territory"])
    squares = gpd.GeoDataFrame(
        {"id": ["CRS3035RES200mN1A", "x"], "num_people": [3.0, 4.0]},
        geometry=[box(X0, Y0, X0 + 200, Y0 + 200), box(X0 + 200, Y0, X0 + 400, Y0 + 200)],
        crs=L93,
    ).to_crs(3035)
    grid = imports.read_layer_file(project, "population", _write(squares, tmp_path / "sq.geojson")).layer.data
    assert grid["population"].tolist() == [3.0, 4.0]  # their own geometry, whatever the id says


@pytest.mark.parametrize(
    "hostile",
    [
        "CRS99999RES200mN1E1",  # no such system: was a pyproj error, not a French message
        "CRS4326RES200mN50E3",  # degrees: a square 200° wide
        "CRS2154RES200mN7059000E704000",  # Lambert-93 is no INSEE grid
        "CRS3035RES" + "9" * 400 + "mN3070000E3800000",  # an infinite square
    ],
)
def test_squares_with_a_hostile_id_are_left_out_the_others_read(files, tmp_path, hostile):
    """The id says in which system the square is drawn: only INSEE's grids (ETRS89-LAEA, the overseas
    legal projections) and a plausible size are read; another code never picks any « EPSG:… » at all."""
    project, _ = imports.build_project_from_files(Settings(), files["territory"])
    path = files["population"]
    path.write_text(path.read_text(encoding="utf-8") + f"\n{hostile};99;1", encoding="utf-8")
    grid = imports.read_layer_file(project, "population", path).layer.data
    assert len(grid) and grid["population"].eq(12.5).all() and hostile not in set(grid["idcar"])
    assert grid.to_crs(3035).area.round().eq(40_000).all()


# -- the real Lille and MEL files ----------------------------------------------------------------------
def _new(tmp_path: Path, territory: str, *extra: str) -> Project:
    tmp_path.mkdir(exist_ok=True)
    target = tmp_path / f"{territory}.gpkg"
    assert (
        main(
            [
                "new",
                "--territory-file",
                str(REFERENCE / territory),
                "--qpv-file",
                str(REFERENCE / "qpv_mel_2015_perimeters.geojson"),
                "--population-file",
                str(REFERENCE / "filosofi2017_200m_mel.geojson"),
                *extra,
                "--project",
                str(target),
            ]
        )
        == 0
    )
    return Project.load(target)


@needs_reference
def test_lille_from_files_gives_its_five_qpv_whole(tmp_path, capsys):
    project = _new(tmp_path, "commune_59350_lille.geojson")
    qpv = project.layers["qpv"].data.set_index("code_qp")
    assert sorted(qpv.index) == ["QN05971M", "QN05972M", "QN05973M", "QN05974M", "QN05978M"]
    assert qpv.at["QN05972M", "nom_qp"] == "Secteur Sud"
    source = gpd.read_file(REFERENCE / "qpv_mel_2015_perimeters.geojson").set_index("code_qp_2024_by_name")
    for code in ("QN05972M", "QN05978M"):  # spilling into the neighbours, kept whole
        kept = qpv.loc[[code]].set_crs(4326).to_crs(L93).area.iloc[0]
        assert kept == pytest.approx(source.loc[[code]].to_crs(L93).make_valid().area.iloc[0], rel=1e-6)
    assert qpv.at["QN05972M", "lib_com"] == "Lille, Faches-Thumesnil, Loos, Lezennes"
    assert {"Mons-en-Baroeul", "Villeneuve-d'Ascq", "Lille"} == set(qpv.at["QN05978M", "lib_com"].split(", "))
    assert project.territory == {"kind": "commune", "code": "59350", "name": "Lille"}
    squares = project.layers["population"].data
    assert 200_000 < squares["population"].sum() < 236_234 + 20_000  # Lille's squares and its QPV's (partial file)
    capsys.readouterr()
    assert main(["coverage", "--project", str(project.path)]) == 0
    out = capsys.readouterr().out
    assert "5 non couvert(s)" in out and "carreaux INSEE de 200 m" in out
    assert main(["recommend", "-k", "3", "--project", str(project.path)]) == 0
    out = capsys.readouterr().out
    assert out.count(" : +") == 3 and "habitants" in out


@needs_reference
def test_mel_from_files_and_commune_names_from_a_communes_file(tmp_path, capsys):
    project = _new(tmp_path, "epci_200093201_mel.geojson")
    assert project.territory["kind"] == "epci" and project.territory["code"] == "200093201"
    qpv = project.layers["qpv"].data.set_index("code_qp")
    # 26 perimeters; two 2015 quarters carry the same 2024 code QN05966M: one QPV 2024
    assert len(qpv) == 25 and "réunis en un seul quartier" in capsys.readouterr().out
    assert qpv.loc[["QN05966M"]].geometry.iloc[0].geom_type == "MultiPolygon"
    assert len(project.layers["population"]) == 9096
    assert main(["coverage", "--project", str(project.path)]) == 0
    assert main(["recommend", "-k", "3", "--project", str(project.path)]) == 0
    # the 2015 codes named by hand: the 26 perimeters
    by_2015 = _new(
        tmp_path / "2015", "epci_200093201_mel.geojson", "--code-field", "code_qp_2015", "--name-field", "nom_qp_2015"
    )
    assert len(by_2015.layers["qpv"]) == 26
    # a territory made of communes: each QPV's communes are those it overlaps (Admin Express spelling)
    communes = _new(tmp_path, "communes_mel.geojson").layers["qpv"].data.set_index("code_qp")
    assert communes.at["QN05972M", "lib_com"] == "Lille, Faches-Thumesnil, Loos, Lezennes"
    assert communes.at["QN05978M", "lib_com"] == "Mons-en-Barœul, Lille, Villeneuve-d'Ascq"
    assert communes.at["QN05978M", "insee_com"].split(", ")[:2] == ["59410", "59350"]


def test_squares_from_an_insee_geopackage_keep_only_those_near_the_territory(files, tmp_path):
    project, _ = imports.build_project_from_files(Settings(), files["territory"])
    near, far = box(X0 + 200, Y0 + 200, X0 + 400, Y0 + 400), box(X0 + 40_000, Y0, X0 + 40_200, Y0 + 200)
    squares = gpd.GeoDataFrame({"Idcar_200m": ["A", "B"], "Ind": [7.5, 9.0]}, geometry=[near, far], crs=L93)
    grid = imports.read_layer_file(project, "population", _write(squares, tmp_path / "filosofi.gpkg", "GPKG"))
    assert grid.layer.data[["idcar", "population"]].values.tolist() == [["A", 7.5]]
    assert "1 élément(s)" in grid.report() and "8 habitant(s) dans les carreaux" in grid.report()
