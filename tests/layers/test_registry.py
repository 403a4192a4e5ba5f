"""The layer-kind registry: a new kind declared in three places (its schema, its registry entry, its
symbology entry; here all three at runtime) is drawn on screen, on paper, in both legends and listed in
the layer panel, the attribute table, the feature form, the import wizard's mapping and the CLI, with no
other change."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from ambmap.layers import KINDS, SCHEMAS, Field, Layer, LayerKind, LayerSchema, kind_of, register, unregister
from ambmap.layers.base import POINT
from ambmap.render import symbology
from ambmap.render.map import MapOptions, map_html, page_data
from tests.render import media

SCHOOL_TYPES = ("maternelle", "élémentaire", "collège")
COLOURS = {"maternelle": "#f9a825", "élémentaire": "#8d6e63", "collège": "#5c6bc0"}


@pytest.fixture
def schools():
    """« Écoles »: points with a name and a category, registered for the test only."""
    # 1. the schema module
    schema = LayerSchema(
        kind="schools",
        title="Écoles",
        geometry_types=POINT,
        id_field="school_id",
        fields=(
            Field("school_id", "Identifiant"),
            Field("name", "Nom"),
            Field("category", "Type d'école", "choice", choices=SCHOOL_TYPES),
        ),
    )
    # 2. the registry entry
    kind = register(
        LayerKind(
            schema,
            "École",
            "Écoles",
            "points",
            "schools",
            id_prefix="ECO-",
            importable=True,
            editable=True,
            search_field="name",
            class_field="category",
            cli_names=("écoles",),
        )
    )
    # 3. the symbology entry
    symbology.STYLES["schools"] = symbology.Style(
        symbology.Symbol("#6d4c41", shape="square", text="É", size=18),
        {t: symbology.Symbol(c, shape="square", text="É", size=18) for t, c in COLOURS.items()},
    )
    try:
        yield kind
    finally:
        unregister("schools")
        del symbology.STYLES["schools"]


@pytest.fixture
def project(schools, demo_project):
    rows = [
        ("ECO-001", "École Jules Ferry", "élémentaire", 3.060, 50.615),
        ("ECO-002", "Maternelle Les Tilleuls", "maternelle", 3.075, 50.620),
        ("ECO-003", "Collège Louise Michel", "collège", 3.050, 50.625),
    ]
    data = gpd.GeoDataFrame(
        {"school_id": [r[0] for r in rows], "name": [r[1] for r in rows], "category": [r[2] for r in rows]},
        geometry=[Point(r[3], r[4]) for r in rows],
        crs="EPSG:4326",
    )
    demo_project.set_layer(Layer(SCHEMAS["schools"], data))
    return demo_project


def test_registering_a_kind_puts_it_everywhere_that_lists_kinds(schools):
    from ambmap.cli import build_parser
    from ambmap.io.mapping import FIELDS, guess_mapping

    assert KINDS["schools"] is schools and kind_of("écoles") is schools
    assert FIELDS["schools"] == ("school_id", "name", "category")
    assert guess_mapping(["Nom", "Type d'école", "Latitude", "Longitude"], "schools")["name"] == "Nom"
    args = build_parser().parse_args(["import", "écoles", "f.csv", "--project", "p.gpkg"])
    assert args.kind == "écoles"


def test_a_new_kind_is_drawn_on_screen(project):
    page = map_html(project, options=MapOptions(basemap="none"))
    data = page_data(page)
    spec = data["layers"]["schools"]
    assert 'ambmap.fill("schools", ' in page
    assert [f["id"] for f in spec["features"]] == ["ECO-001", "ECO-002", "ECO-003"]
    assert all(len(f["ll"]) == 2 for f in spec["features"])  # markers, at their points
    assert spec["editable"] is True  # draggable and deletable in edit mode, like the other point kinds
    assert "École Jules Ferry" in spec["features"][0]["t"] and spec["kw"][spec["features"][0]["k"]] == "élémentaire"
    screen = media.screen(data["layers"])
    legend = media.screen_legend(data["config"]["legend"])
    for school_type, colour in COLOURS.items():
        assert screen["schools", school_type, "mark"] == legend["schools", school_type, "mark"] == colour
    assert 'data-kind="schools"><h4>Écoles</h4>' in data["config"]["legend"]


def test_a_new_kind_is_drawn_on_paper(project):
    import matplotlib.pyplot as plt

    from tests.render.test_symbology import draw_on_paper

    fig, ax, handles = draw_on_paper(project, None)
    try:
        paper, legend = media.paper(ax), media.paper_legend(handles)
        labels = [h.get_label() for h in handles]
    finally:
        plt.close(fig)
    for school_type, colour in COLOURS.items():
        assert paper["schools", school_type, "mark"] == legend["schools", school_type, "mark"] == colour
    assert "École" in labels and "Élémentaire" in labels and "Collège" in labels
    marks = [c for c in ax.collections if (c.get_gid() or "").startswith("schools:")]
    assert sum(len(c.get_offsets()) for c in marks) == 3


def test_a_new_kind_is_in_the_layer_panel_table_and_form(project, qapp):
    from ambmap.ui.attribute_table import AttributeTable
    from ambmap.ui.feature_form import EDITABLE, FeatureForm
    from ambmap.ui.layer_panel import LayerPanel

    panel = LayerPanel(project)
    swatches = media.panel_swatches(panel)
    assert swatches["schools"] == symbology.color("schools") == "#6d4c41"
    assert panel.list.item(0).text() == "Écoles (3)"  # drawn last: on top of the list
    table = AttributeTable(project)
    assert table.layer_box.findData("schools") >= 0
    assert EDITABLE["schools"] == ("École", "ECO-")
    form = FeatureForm(project, 50.62, 3.06, kind="schools")
    assert form.form().editors["school_id"].text() == "ECO-004"
    form.form().editors["name"].setText("École Camus")
    assert form.problems() == []


def test_a_new_kind_is_drawn_as_markers_in_the_map_view(project, qtbot):
    pytest.importorskip("PySide6.QtWebEngineWidgets")
    from PySide6.QtCore import QCoreApplication, QEvent

    from ambmap.config import Settings
    from ambmap.ui.map_view import MapView

    view = MapView(settings=Settings(basemap="none"))
    view.resize(900, 600)
    view.show()
    try:
        with qtbot.waitSignal(view.map_ready, timeout=30_000):
            view.show_project(project)
        assert view.run_js("ambmap.count('schools')") == 3
        assert (
            view.run_js(
                "Object.keys(ambmap.features.schools).every(function (id) {"
                " return ambmap.features.schools[id] instanceof L.Marker; })"
            )
            is True
        )
        assert "schools" in view.run_js("ambmap.visibleKinds()")
        assert view.js_errors == []
    finally:
        view.close()
        view.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
