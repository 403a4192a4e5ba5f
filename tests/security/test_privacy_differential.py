"""Issue 9: no public byte depends on where exactly a home lies inside its INSEE 200 m square.

The demo project is exported in every public format, then again after every ambassador was moved to
another random point of the same 200 m square (EPSG:3035) and two ambassadors sharing a square swapped
places; the two sets of files must be identical except their timestamps. Run at two radii: what the two
radii reveal together is then also no more than the squares.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import zipfile

import numpy as np
import openpyxl
import pytest
import shapely

from ambmap.crs import INSEE_GRID_MAINLAND as GRID_CRS
from ambmap.export import export
from ambmap.export.layout import LayoutOptions
from ambmap.export.privacy import GRID_SIZE_M
from ambmap.project import Project
from ambmap.render.map import MapOptions

ISO_TIME = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?")
FOLIUM_ID = re.compile(rb"_[0-9a-f]{32}(?![0-9a-f])")


def fresh_demo() -> Project:
    """The demo project, with synthetic streets under it (drawn in the public map, print and HTML)."""
    from tests.test_streets import with_streets

    source = Project.default()
    return with_streets(
        Project(source.territory, [layer.copy() for layer in source.ordered_layers()], dict(source.options))
    )


def _set_points(project: Project, laea_xy: np.ndarray) -> None:
    layer = project.layer("ambassadors")
    data = layer.data.copy()
    data = data.set_geometry(
        data.geometry.to_crs(GRID_CRS)
        .pipe(lambda s: s.__class__(shapely.points(laea_xy), crs=GRID_CRS, index=s.index))
        .to_crs(data.crs)
    )
    layer.data = data


def homes(project: Project) -> np.ndarray:
    return shapely.get_coordinates(project.layer("ambassadors").data.to_crs(GRID_CRS).geometry.to_numpy())


def twin_projects(radius: float, seed: int = 9) -> tuple[Project, Project]:
    """(base, variant): the demo with ambassador 1 put in ambassador 0's square; the variant moves every
    ambassador to a random point of its own square, then swaps ambassadors 0 and 1."""
    rng = np.random.default_rng(seed)
    base, variant = fresh_demo(), fresh_demo()
    xy = homes(base)
    square = np.floor(xy / GRID_SIZE_M) * GRID_SIZE_M
    margin = 1.0  # stays inside the square after the round trip through EPSG:4326
    xy[1] = square[0] + rng.uniform(margin, GRID_SIZE_M - margin, 2)
    square[1] = square[0]
    moved = square + rng.uniform(margin, GRID_SIZE_M - margin, xy.shape)
    moved[[0, 1]] = xy[[1, 0]]  # the two ambassadors of one square swap places
    assert (np.hypot(*(moved - xy).T) > 0.5).all()
    for project, points in ((base, xy), (variant, moved)):
        _set_points(project, points)
        project.options["coverage_radius_m"] = radius
    assert (np.floor(homes(variant) / GRID_SIZE_M) == np.floor(homes(base) / GRID_SIZE_M)).all()
    return base, variant


def normalised(path) -> object:
    """What a reader gets from the file, timestamps (and folium's random element ids) blanked."""
    suffix = path.suffix
    if suffix == ".pdf":
        blob = re.sub(rb"/CreationDate \(D:[0-9Z'+-]+\)", b"", path.read_bytes())
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
        return blob, text
    if suffix == ".html":
        return FOLIUM_ID.sub(b"_ID", path.read_bytes())
    if suffix == ".xlsx":
        book = openpyxl.load_workbook(path)
        cells = [[(c.value, c.data_type) for c in row] for ws in book for row in ws.iter_rows()]
        with zipfile.ZipFile(path) as z:
            core = ISO_TIME.sub(b"", z.read("docProps/core.xml"))
            sheets = {name: z.read(name) for name in z.namelist() if name.startswith("xl/")}
        return cells, core, sheets
    if suffix == ".gpkg":
        with sqlite3.connect(path) as db:
            tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            dump = {
                name: [
                    tuple(
                        ISO_TIME.sub(b"", v)
                        if isinstance(v, bytes)
                        else ISO_TIME.sub(b"", v.encode()).decode()
                        if isinstance(v, str)
                        else v
                        for v in row
                    )
                    for row in db.execute(f'SELECT * FROM "{name}"')
                ]
                for name in tables
            }
        return dump
    return path.read_bytes()  # png, geojson, csv, umap: nothing time-dependent but the date, same today


def exports(project: Project, folder, recommendation) -> dict:
    """Every public format, with the ambassadors' layer alone, one QPV's extent (its figures), the atlas (a
    page per QPV, over the synthetic streets), the table page, the bilan
    (its follow-up year by year rests on the dates, counted on the homes' squares) and recruitment sites;
    the workbook's « Suivi » sheet and chart are in the XLSX."""
    folder.mkdir()
    options = MapOptions(basemap="none")
    jobs = {
        "carte.pdf": {"layout": LayoutOptions(table=True)},
        "qpv.pdf": {"layout": LayoutOptions(extent="QN059D01")},
        "atlas.pdf": {"layout": LayoutOptions(atlas=True)},
        "bilan.pdf": {"layout": LayoutOptions(bilan=True)},
        "carte.png": {"layout": LayoutOptions()},
        "carte.html": {"map_options": options},
        "tout.gpkg": {},
        "amb.gpkg": {"layer": "ambassadors"},
        "qpv.geojson": {},
        "amb.geojson": {"layer": "ambassadors"},
        "zone.geojson": {"layer": "zone_couverte"},
        "sites.geojson": {"layer": "recrutement_propose"},
        "indicateurs.xlsx": {},
        "indicateurs.csv": {},
        "carte.umap": {},
    }
    return {
        name: normalised(export(project, name.rsplit(".", 1)[1], folder / name, recommendation=recommendation, **job))
        for name, job in jobs.items()
    }


@pytest.mark.parametrize("radius", [300.0, 500.0])
def test_public_exports_do_not_change_when_homes_move_inside_their_square(tmp_path, radius):
    from ambmap.analysis.recommend import recommend_for_project

    base, variant = twin_projects(radius)
    made = {}
    for name, project in (("base", base), ("variant", variant)):
        # asked of each (exact) project, as `ambmap export --recrutements` does: the export asks it again
        recommendation = recommend_for_project(project, k=3, candidates="en formation", time_limit=10)
        made[name] = exports(project, tmp_path / name, recommendation)
    for name in made["base"]:
        assert made["base"][name] == made["variant"][name], name


def test_the_internal_export_does_see_the_move(tmp_path):
    # the comparison is sharp enough to notice a home moving inside its square
    base, variant = twin_projects(500.0)
    files = [
        export(project, "csv", tmp_path / f"{name}.csv", level="interne")
        for name, project in (("base", base), ("variant", variant))
    ]
    assert normalised(files[0]) != normalised(files[1])


def test_rows_to_place_never_reach_any_export(tmp_path):
    """Rows an import kept « à placer » (names, home addresses, no position) are in the project, yet no
    public format differs from the same project without them, nor does the internal table."""
    import pandas as pd

    from ambmap.analysis.recommend import recommend_for_project

    base, variant = fresh_demo(), fresh_demo()
    secret = "Zoé Zqxwv-Àplacer"
    variant.set_to_place(
        pd.DataFrame(
            {
                "kind": ["ambassadors", "poles"],
                "motif": ["adresse introuvable", "ni coordonnées ni adresse"],
                "fichier": ["liste-privee.csv", "liste-privee.csv"],
                "ligne": ["2", "3"],
                "amb_id": ["AMB-900", ""],
                "display_name": [secret, ""],
                "address": ["7 impasse Zqxwv, 59000 Lille", ""],
                "status": ["actif", ""],
                "pole_id": ["", "PRS-900"],
                "name": ["", "Pôle Zqxwv"],
            }
        ).fillna("")
    )
    recommendation = recommend_for_project(base, k=3, candidates="en formation", time_limit=10)
    made = {
        name: exports(project, tmp_path / name, recommendation)
        for name, project in (("base", base), ("variant", variant))
    }
    for name in made["base"]:
        assert made["base"][name] == made["variant"][name], name
    for path in (tmp_path / "variant").iterdir():
        raw = path.read_bytes()
        assert b"Zqxwv" not in raw and b"AMB-900" not in raw and b"PRS-900" not in raw, path
    internal = [
        export(project, "csv", tmp_path / f"{name}-interne.csv", level="interne")
        for name, project in (("base", base), ("variant", variant))
    ]
    assert normalised(internal[0]) == normalised(internal[1])
