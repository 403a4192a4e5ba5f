"""« Nouveau territoire » › « Depuis des fichiers »: a project from files on disk, offline."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import box

from ambmap.config import Settings
from ambmap.ui import dialogs

X0, Y0 = 704_000, 7_059_000  # Lambert-93, near Lille


def test_new_territory_from_files(qtbot, tmp_path, no_blocking_dialogs):
    commune = gpd.GeoDataFrame(
        {"INSEE_COM": ["59001"], "NOM": ["Ouestville"], "POPULATION": [1000]},
        geometry=[box(X0, Y0, X0 + 2000, Y0 + 2000)],
        crs=2154,
    )
    qpv = gpd.GeoDataFrame(
        {"code_qp": ["QN05901M"], "lib_qp": ["Les Rives"]},
        geometry=[box(X0 + 1000, Y0 + 500, X0 + 3000, Y0 + 1500)],
        crs=2154,
    )
    commune.to_file(tmp_path / "commune.gpkg")
    qpv.to_file(tmp_path / "qpv.geojson")
    dialog = dialogs.NewTerritoryDialog(Settings(offline=True))
    qtbot.addWidget(dialog)
    dialog.tabs.setCurrentIndex(1)
    assert dialog.tabs.tabText(1) == "Depuis des fichiers" and dialog.choice() is None  # the outline is required
    dialog.files["territory_file"].setText(str(tmp_path / "commune.gpkg"))
    dialog.files["qpv_file"].setText(str(tmp_path / "absent.geojson"))
    dialog.accept()
    assert no_blocking_dialogs[-1] == ("warning", f"Fichier introuvable : « {tmp_path / 'absent.geojson'} ».")
    assert dialog.result() != dialog.DialogCode.Accepted
    dialog.files["qpv_file"].setText(str(tmp_path / "qpv.geojson"))
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    project = dialogs.build_territory_project(None, Settings(offline=True), dialog.choice())
    assert project.territory == {"kind": "commune", "code": "59001", "name": "Ouestville"}
    qpv = project.layers["qpv"].data
    assert qpv["code_qp"].tolist() == ["QN05901M"] and qpv["lib_com"].tolist() == ["Ouestville"]
    assert qpv.to_crs(2154).area.iloc[0] > 1.99e6  # whole, although half outside the commune
    assert "population" not in project.layers  # optional


def test_offline_opens_on_files_and_an_empty_choice_says_what_to_do(qtbot, no_blocking_dialogs):
    dialog = dialogs.NewTerritoryDialog(Settings(offline=True))
    qtbot.addWidget(dialog)
    assert dialog.tabs.currentIndex() == 1  # the search needs the network
    assert "Mode hors ligne" in dialog.results.item(0).text()
    dialog.accept()  # nothing chosen: a hint, not a silent button
    assert no_blocking_dialogs[-1] == ("information", dialogs.NO_TERRITORY_CHOSEN[1])
    dialog.tabs.setCurrentIndex(0)
    dialog.results.setCurrentRow(0)  # the offline hint is not a territory
    dialog.accept()
    assert no_blocking_dialogs[-1] == ("information", dialogs.NO_TERRITORY_CHOSEN[0])
    assert dialog.result() != dialog.DialogCode.Accepted
