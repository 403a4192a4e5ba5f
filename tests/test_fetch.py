"""Building projects from the official sources and downloading their layers again (fetch.py)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from ambmap import fetch
from ambmap.errors import CancelledError, SourceError
from ambmap.project import Project


def test_build_project_for_a_commune(services):
    messages = []
    project = fetch.build_project(
        services.settings(), commune="59350", progress=lambda done, total, message: messages.append(message)
    )
    assert project.territory == {"kind": "commune", "code": "59350", "name": "Lille"}
    assert not project.is_demo
    assert len(project.layer("territory")) == 1 and len(project.layer("qpv")) == 10
    assert len(project.layer("resources")) >= 10 and len(project.layer("poles")) == 0
    for kind in ("territory", "qpv", "resources"):
        prov = project.layer(kind).provenance
        assert prov["url"] and prov["date"] and prov["licence"] and prov["attribution"], kind
    assert "© les contributeurs d'OpenStreetMap" in project.layer("resources").provenance["attribution"]
    assert messages[0] == "Contour du territoire…" and messages[-1] == "Projet Lille prêt."


def test_build_project_for_an_epci_saves_and_reloads(services, tmp_path):
    project = fetch.build_project(services.settings(), epci="200093201")
    assert project.territory["name"] == "Métropole Européenne de Lille"
    assert len(project.layer("territory")) == 2 and len(project.layer("qpv")) == 11
    path = project.save(tmp_path / "mel.gpkg")
    again = Project.load(path)
    assert again.layer("qpv").provenance == project.layer("qpv").provenance


def test_offline_build_with_a_warmed_cache(services):
    online = fetch.build_project(services.settings(), commune="59350")
    services.server.clear()  # every service now fails…
    services.server.clear_log()
    offline = fetch.build_project(services.settings(offline=True), commune="59350")
    assert len(services.server.log) == 0  # …and is never asked
    for kind in ("territory", "qpv", "resources"):
        assert len(offline.layer(kind)) == len(online.layer(kind))


def test_offline_build_without_cache_says_what_to_do(services):
    with pytest.raises(SourceError, match="Mode hors ligne.*Connectez-vous une première fois"):
        fetch.build_project(services.settings(offline=True), commune="59350")


def test_cancel_leaves_the_project_unchanged(services, demo_project):
    before = demo_project.layer("qpv").data.copy()

    def cancel(done, total, message):
        if "QPV" in message or "Téléchargement" in message:
            raise CancelledError()

    with pytest.raises(CancelledError):
        fetch.refresh(demo_project, "qpv", services.settings(), progress=cancel)
    assert demo_project.layer("qpv").data.equals(before) and demo_project.is_demo


def test_failed_refresh_keeps_project_data(services, demo_project):
    settings = services.settings(qpv_url=services.url("/panne"), max_retries=0)
    before = demo_project.layer("qpv").data.copy()
    with pytest.raises(SourceError, match="rien n'a été modifié"):
        fetch.refresh(demo_project, "qpv", settings)
    assert demo_project.layer("qpv").data.equals(before)


def test_refresh_resources_keeps_the_users_own_rows(services):
    project = fetch.build_project(services.settings(), commune="59350")
    data = project.layer("resources").data
    own = data.iloc[[0]].assign(resource_id="MA-1", name="Permanence CCAS du quartier", source="Ville")
    layer = project.layer("resources").copy()
    layer.data = gpd.GeoDataFrame(pd.concat([data, own], ignore_index=True), crs="EPSG:4326")
    project.set_layer(layer)
    fetch.refresh(project, "resources", services.settings())
    assert "MA-1" in set(project.layer("resources").data["resource_id"])
    assert len(project.layer("resources")) == len(data) + 1
