"""Public exports carry no personal data; internal ones say they do."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pyogrio
import pytest
from PIL import Image

from ambmap.errors import AmbmapError
from ambmap.export import FORMATS, WRITERS
from ambmap.export.privacy import INTERNAL_MARK, check_level, level_mark, public_copy
from ambmap.project import Project

NUMBER = rb"[0-9]+\.[0-9]+"
NUMBERS = re.compile(rb"(?<![0-9.])(" + NUMBER + rb")(?![0-9])")
PAIRS = re.compile(rb"(?=(?<![0-9.])(" + NUMBER + rb")\s*[,; ]\s*(" + NUMBER + rb")(?![0-9]))")


def secret_patterns(project: Project) -> dict[str, tuple[str, object]]:
    """What no public export may contain: each ambassador's name, address and exact coordinates.

    Coordinates are searched as numbers with 6 and full decimals, as (lon, lat) or (lat, lon) pairs
    with 5 decimals (single 5-decimal numbers occur by chance in dense grids), and as the raw little-
    and big-endian doubles a GeoPackage stores. Addresses that are also the address of a pôle or
    resource (public places) are not personal and are skipped.
    """
    public_addresses = set(project.layer("poles").data["address"]) | set(project.layer("resources").data["address"])
    secrets: dict[str, tuple[str, object]] = {}
    for row in project.layer("ambassadors").data.itertuples():
        secrets[f"nom {row.display_name}"] = ("bytes", row.display_name.encode())
        if row.address and row.address not in public_addresses:
            secrets[f"adresse {row.address}"] = ("address", row.address.encode())
        x, y = row.geometry.x, row.geometry.y
        for a, b in ((f"{x:.5f}", f"{y:.5f}"), (f"{y:.5f}", f"{x:.5f}")):
            secrets[f"coordonnées {a} {b}"] = ("pair", (a.encode(), b.encode()))
        for value in (x, y):
            for text in (f"{value:.6f}", repr(value)):
                secrets[f"coordonnée {text}"] = ("number", text.encode())
            for order in "<>":
                secrets[f"double {value!r} {order}"] = ("bytes", struct.pack(f"{order}d", value))
    return secrets


def leaks(blob: bytes, secrets: dict[str, tuple[str, object]]) -> list[str]:
    """Names of the secrets found in ``blob`` (numbers only as whole numbers, addresses not after a digit)."""
    numbers = set(NUMBERS.findall(blob))
    pairs = set(PAIRS.findall(blob))
    found = []
    for name, (kind, value) in secrets.items():
        if kind == "bytes":
            hit = value in blob
        elif kind == "number":
            hit = value in numbers
        elif kind == "pair":
            hit = value in pairs
        else:
            hit = any(
                blob[max(i - 1, 0) : i] not in b"0123456789" or i == 0
                for i in (m.start() for m in re.finditer(re.escape(value), blob))
            )
        if hit:
            found.append(name)
    return found


def png_info(path) -> dict:
    with Image.open(path) as image:
        return dict(image.info)


def readable_content(path) -> bytes:
    """The file's bytes plus what real readers extract from it (text of a PDF, cells, features)."""
    blob = path.read_bytes()
    suffix = path.suffix
    if suffix == ".pdf":
        blob += subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    elif suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            blob += b"".join(z.read(name) for name in z.namelist())
        book = openpyxl.load_workbook(path)
        blob += "\n".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row).encode()
    elif suffix == ".gpkg":
        for name, _ in pyogrio.list_layers(path):
            blob += pyogrio.read_dataframe(path, layer=name).to_csv().encode()
    elif suffix == ".png":
        blob += json.dumps(png_info(path), default=str).encode()
    return blob


def test_public_copy_hides_names_addresses_and_exact_points(project):
    original = project.layer("ambassadors").data.copy()
    safe = public_copy(project).layer("ambassadors").data
    assert (safe["display_name"] == safe["amb_id"]).all()
    assert (safe["address"] == "").all()
    laea = safe.to_crs("EPSG:3035")
    assert np.allclose(laea.geometry.x % 200, 100) and np.allclose(laea.geometry.y % 200, 100)
    moved = original.to_crs("EPSG:3035").geometry.distance(laea.geometry)
    assert (moved > 0).all() and (moved <= 142).all()  # within the half-diagonal of a 200 m square
    assert project.layer("ambassadors").data.equals(original)  # the project itself is untouched
    assert len(public_copy(project).layer("resources")) == len(project.layer("resources"))


def test_the_search_patterns_find_what_they_look_for(project, exports):
    # the internal GeoPackage holds the exact points and names: the detector must see them
    found = leaks(readable_content(exports["gpkg", "interne"]), secret_patterns(project))
    assert any(name.startswith("nom ") for name in found)
    assert any(name.startswith("double ") for name in found)
    assert any(name.startswith("coordonnée ") for name in found)


@pytest.mark.parametrize("fmt", FORMATS)
def test_public_export_contains_no_personal_data(project, exports, fmt):
    assert leaks(readable_content(exports[fmt, "public"]), secret_patterns(project)) == []


@pytest.mark.parametrize("fmt", [f for f in FORMATS if not WRITERS[f].public_only])
def test_internal_export_carries_the_mark(exports, fmt):
    content = readable_content(exports[fmt, "interne"])
    assert INTERNAL_MARK.encode() in content
    assert INTERNAL_MARK.encode() not in readable_content(exports[fmt, "public"])


def test_unknown_level_is_refused_in_french():
    with pytest.raises(AmbmapError, match="public.*interne"):
        check_level("secret")


def test_level_is_in_each_file_metadata(exports):
    for level in ("public", "interne"):
        pdf = subprocess.run(["pdfinfo", str(exports["pdf", level])], capture_output=True, text=True).stdout
        assert f"niveau={level}" in pdf
        assert png_info(exports["png", level])["ambmap_niveau"] == level
        assert f'<meta name="ambmap:niveau" content="{level}">' in exports["html", level].read_text()
        assert pyogrio.read_info(exports["gpkg", level], layer="qpv")["dataset_metadata"]["ambmap_niveau"] == level
        assert json.loads(exports["geojson", level].read_text())["ambmap"]["ambmap_niveau"] == level
        assert f"niveau={level}" in openpyxl.load_workbook(exports["xlsx", level]).properties.keywords
        header, first = exports["csv", level].read_text(encoding="utf-8-sig").splitlines()[:2]
        assert header.startswith("Code QPV;") and header.endswith(";Diffusion")
        assert first.endswith(";" + level_mark(level))


def test_committed_samples_are_public(project):
    samples = [p for p in (Path(__file__).resolve().parents[2] / "docs" / "exports").iterdir() if p.suffix != ".md"]
    assert len(samples) >= 7
    for path in samples:
        assert leaks(readable_content(path), secret_patterns(project)) == [], path.name


def test_public_geopackage_sites_are_named_by_quarter(exports):
    sites = pyogrio.read_dataframe(exports["gpkg", "public"], layer="recrutement_propose")
    assert list(sites["label"]) == [
        f"{nom}, site n° {rank}" for nom, rank in zip(sites["nom_qp"], sites["rank"], strict=True)
    ]
    internal = pyogrio.read_dataframe(exports["gpkg", "interne"], layer="recrutement_propose")
    assert internal["label"].str.startswith("AMB-").all()


def test_public_recommendation_hides_candidate_homes(project):
    from types import SimpleNamespace

    import geopandas as gpd
    from shapely.geometry import Point

    from ambmap.export.privacy import public_recommendation

    home = project.layer("ambassadors").data.iloc[0]
    sites = gpd.GeoDataFrame(
        {
            "rank": [1],
            "label": [home["display_name"]],
            "code_qp": ["QN059D01"],
            "nom_qp": ["Lille-Sud"],
            "gain": [120.0],
        },
        geometry=[home.geometry],
        crs="EPSG:4326",
    )
    shown = public_recommendation(SimpleNamespace(sites=sites, optimal=True))
    assert shown.optimal and shown.sites.loc[0, "label"] == "Lille-Sud, site n° 1"
    assert 0 < shown.sites.to_crs("EPSG:3035").distance(sites.to_crs("EPSG:3035").geometry).iloc[0] <= 142
    assert isinstance(shown.sites.geometry.iloc[0], Point) and sites.loc[0, "label"] == home["display_name"]
    assert public_recommendation(None) is None


def test_a_lone_coverage_zone_is_centred_on_the_square_not_the_home(tmp_path):
    # one active ambassador: the public covered area is one disc, and a disc gives away its centre
    from ambmap.export import export
    from ambmap.export.privacy import snap_to_grid

    project = Project.default()
    ambassadors = project.layer("ambassadors")
    ambassadors.data = ambassadors.data[ambassadors.data["status"] == "actif"].iloc[[0]].reset_index(drop=True)
    home = ambassadors.data.to_crs("EPSG:2154").geometry.iloc[0]
    square = snap_to_grid(ambassadors.data.geometry).to_crs("EPSG:2154").iloc[0]
    assert home.distance(square) > 10
    path = export(project, "gpkg", tmp_path / "public.gpkg")
    zone = pyogrio.read_dataframe(path, layer="zone_couverte").to_crs("EPSG:2154").geometry.union_all()
    assert zone.centroid.distance(square) < 1 and zone.centroid.distance(home) > 10
    assert "zones_ambassadeurs" not in [name for name, _ in pyogrio.list_layers(path)]


def test_public_recruitment_sites_are_asked_again_of_the_public_copy(demo_project):
    # which candidates win, and their gains, must come from the squares, not from the exact homes
    from ambmap.analysis.recommend import recommend_for_project
    from ambmap.export.common import prepare

    exact = recommend_for_project(demo_project, k=3, candidates="en formation", time_limit=10)
    shown = prepare(demo_project, "public", recommendation=exact, with_coverage=False).recommendation
    again = recommend_for_project(public_copy(demo_project), k=3, candidates="en formation", time_limit=10)
    assert list(shown.sites["gain"]) == list(again.sites["gain"].round(-1))
    assert list(shown.sites["code_qp"]) == list(again.sites["code_qp"])
    assert prepare(demo_project, "interne", recommendation=exact, with_coverage=False).recommendation is exact


def test_a_recommendation_that_cannot_be_asked_again_is_not_published(demo_project):
    from types import SimpleNamespace

    from ambmap.errors import UsageError
    from ambmap.export.common import prepare

    with pytest.raises(UsageError, match="Où recruter"):
        prepare(demo_project, "public", recommendation=SimpleNamespace(sites=None, optimal=True), with_coverage=False)
