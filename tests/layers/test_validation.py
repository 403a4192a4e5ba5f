import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from ambmap.errors import ValidationError
from ambmap.layers import AMBASSADORS, QPV, RESOURCES, Layer, validate


def ambassadors(**overrides):
    row = {
        "amb_id": "AMB-1",
        "display_name": "Awa D.",
        "address": "1 rue X",
        "status": "actif",
        "pole_id": "PRS-1",
        "themes": "vaccination, dépistages",
        "languages": "français;wolof",
        "start_date": "05/03/2024",
        "radius_m": None,
    }
    row.update(overrides)
    point = overrides.pop("geometry", Point(3.05, 50.62))
    return gpd.GeoDataFrame([{k: v for k, v in row.items() if k != "geometry"}], geometry=[point], crs=4326)


def test_valid_row_is_normalised():
    gdf = validate(AMBASSADORS, ambassadors())
    row = gdf.iloc[0]
    assert row.start_date == "2024-03-05"
    assert row.themes == "vaccination; dépistages"
    assert row.languages == "français; wolof"
    assert pd.isna(row.radius_m)
    assert row.a_verifier is False or row.a_verifier == False  # noqa: E712


def test_wrong_status_names_layer_row_and_field():
    with pytest.raises(ValidationError) as err:
        validate(AMBASSADORS, ambassadors(status="absent"))
    message = err.value.message
    assert "couche « Ambassadeurs·rices de santé »" in message
    assert "ligne 1" in message and "champ « Statut » (status)" in message
    assert "« absent » non reconnue" in message


def test_latitude_95_is_rejected():
    with pytest.raises(ValidationError) as err:
        validate(AMBASSADORS, ambassadors(geometry=Point(3.05, 95)))
    (problem,) = err.value.problems
    assert (problem.layer, problem.row, problem.field) == ("Ambassadeurs·rices de santé", 1, "geometry")
    assert "latitude hors limites" in problem.reason


def test_every_problem_is_reported_with_its_row():
    gdf = pd.concat([ambassadors(), ambassadors(amb_id="AMB-1", radius_m="loin", start_date="31/02/2024")])
    with pytest.raises(ValidationError) as err:
        validate(AMBASSADORS, gpd.GeoDataFrame(gdf, crs=4326))
    found = {(p.row, p.field) for p in err.value.problems}
    assert found == {(2, "amb_id"), (2, "radius_m"), (2, "start_date")}


def test_unknown_category_and_missing_column():
    gdf = gpd.GeoDataFrame(
        {"resource_id": ["R1"], "name": ["X"], "category": ["boulangerie"]}, geometry=[Point(3, 50)], crs=4326
    )
    with pytest.raises(ValidationError, match="boulangerie"):
        validate(RESOURCES, gdf)
    with pytest.raises(ValidationError, match="colonne obligatoire absente"):
        validate(RESOURCES, gdf.drop(columns="name"))


def test_lambert93_input_is_converted_to_wgs84():
    square = Polygon([(704000, 7059000), (705000, 7059000), (705000, 7060000), (704000, 7060000)])
    gdf = gpd.GeoDataFrame(
        {
            "code_qp": ["QN059001"],
            "nom_qp": ["Test"],
            "insee_com": ["59350"],
            "lib_com": ["Lille"],
            "population": [1200],
        },
        geometry=[square],
        crs=2154,
    )
    out = validate(QPV, gdf)
    assert out.crs.to_epsg() == 4326
    assert out.geometry.iloc[0].geom_type == "MultiPolygon"
    assert 2.9 < out.geometry.iloc[0].centroid.x < 3.2


def test_layer_emits_change_signals():
    layer = Layer(AMBASSADORS, ambassadors())
    seen = []
    layer.changed.connect(seen.append)
    layer.visible = False
    layer.visible = False  # no change, no signal
    layer.set_style(color="#ff0000")
    layer.data = ambassadors(status="inactif")
    assert seen == ["visible", "style", "data"]
    with pytest.raises(ValidationError):
        layer.data = ambassadors(status="?")
    assert layer.data.iloc[0].status == "inactif"  # a refused change keeps the old data
