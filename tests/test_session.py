"""The session model, with no Qt: options mark the project modified in one place, style events say
which key changed, results are announced when replaced and dropped when the data changes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ambmap.analysis.coverage import CoverageParams, compute_coverage
from ambmap.config import Settings
from ambmap.session import ProjectOptions, Session


@pytest.fixture
def session(demo_project) -> Session:
    session = Session(demo_project, Settings(coverage_radius_m=400.0))
    yield session
    session.close()


def recorder(signal) -> list:
    seen: list = []
    signal.connect(lambda *args: seen.append(args))
    return seen


def test_session_module_is_free_of_qt():
    code = "import sys, ambmap.session; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_setting_an_option_emits_changed_and_marks_modified_once(session):
    project = session.project
    project.modified = False
    changed = recorder(session.options.changed)
    session.options.layer_order = ["poles", "qpv"]
    assert changed == [("layer_order",)] and project.modified
    assert project.options["layer_order"] == ["poles", "qpv"]
    project.modified = False
    session.options.layer_order = ["poles", "qpv"]  # the same value: nothing to say, nothing modified
    assert changed == [("layer_order",)] and not project.modified
    order = session.options.layer_order
    order.append("territory")  # a copy: the project keeps its own list
    assert project.options["layer_order"] == ["poles", "qpv"]


def test_typed_options_read_and_write_the_project_options(session):
    options, project = session.options, session.project
    changed = recorder(options.changed)
    options.slides = [{"title": "Vue", "caption": "", "view": None}]
    options.views = [{"name": "Vue", "lat": 50.6, "lon": 3.0, "zoom": 13}]
    options.target = 0.8
    assert project.options["target"] == 0.8 and options.target == 0.8 and options.slides[0]["title"] == "Vue"
    options.target = None
    assert "target" not in project.options and options.target is None
    assert [key for (key,) in changed] == ["slides", "views", "target", "target"]
    params = CoverageParams(radius_m=300.0, pole_radius_m=600.0)
    options.coverage_params = params
    assert options.coverage_params == params and project.options["coverage_radius_m"] == 300.0
    assert {"coverage_radius_m", "pole_radius_m"} <= {key for (key,) in changed[4:]}


def test_unsaved_parameters_come_from_the_user_settings(demo_project):
    for key in CoverageParams.OPTIONS.values():
        demo_project.options.pop(key, None)
    options = ProjectOptions(demo_project, Settings(coverage_radius_m=420.0))
    assert options.coverage_params.radius_m == 420.0


def test_style_change_event_carries_kind_and_key(session):
    styles = recorder(session.style_changed)
    layers = recorder(session.layer_changed)
    session.project.layers["resources"].set_style(categories=["pharmacie"])
    assert styles == [("resources", "categories")] and layers == [("resources", "style")]
    session.project.layers["qpv"].set_style(color="#ff00ff", opacity=0.5)
    assert sorted(styles[1:]) == [("qpv", "color"), ("qpv", "opacity")]
    session.project.layers["qpv"].set_style(color="#ff00ff")  # no change: no event
    assert len(styles) == 3


def test_replacing_the_coverage_result_emits(session):
    results = recorder(session.coverage_changed)
    result = compute_coverage(session.project, session.coverage_params)
    session.set_coverage(result)
    assert results == [(result,)] and session.coverage is result and not session.stale
    session.set_coverage(None)
    assert results[-1] == (None,) and session.coverage is None


def test_recommendation_is_marked_stale_on_project_edit(session):
    recommendations = recorder(session.recommendation_changed)
    coverages = recorder(session.coverage_changed)
    recommendation = object()
    session.set_recommendation(recommendation)
    session.set_coverage(object())
    layer = session.project.layers["poles"]
    layer.data = layer.data.iloc[:-1]  # an edit of the data the results were computed from
    assert session.stale and session.coverage is None and coverages[-1] == (None,)
    # the recommendation stays, marked « à actualiser » (a search may take a minute: the user refreshes it)
    assert session.recommendation is recommendation and session.recommendation_stale
    assert recommendations[-1] == (recommendation,)
    layer.data = layer.data.iloc[:-1]  # already marked: said once
    session.project.layers["poles"].visible = False  # not an edit of the data: nothing more to drop
    assert len(recommendations) == 2
    session.set_recommendation(object())
    assert not session.recommendation_stale


def test_a_replaced_layer_is_listened_to_and_drops_the_results(session):
    replaced = recorder(session.layers_changed)
    session.set_recommendation(object())
    copy = session.project.layers["poles"].copy()
    session.project.set_layer(copy)
    assert replaced == [()] and session.stale and session.recommendation_stale
    styles = recorder(session.style_changed)
    copy.set_style(color="#000000")
    assert styles == [("poles", "color")]


def test_editing_the_parameters_drops_the_results_and_is_said(session):
    said = recorder(session.params_changed)
    session.set_coverage(object())
    params = session.coverage_params.replace(radius_m=250.0)
    session.set_coverage_params(params)
    assert said == [(params,)] and session.coverage is None and session.stale
    assert session.project.options["coverage_radius_m"] == 250.0 and session.project.modified


def test_an_unreadable_parameter_is_returned_and_replaced(demo_project):
    demo_project.options["coverage_radius_m"] = "loin"
    demo_project.modified = False
    session = Session(demo_project, Settings(coverage_radius_m=400.0))
    said = recorder(session.params_changed)
    errors = session.load_params()
    assert len(errors) == 1 and "loin" in errors[0].message
    assert said[-1][0].radius_m == 400.0 and demo_project.options["coverage_radius_m"] == 400.0
    assert demo_project.modified
    session.close()


def test_a_new_project_resets_the_session_and_the_old_one_is_forgotten(session, demo_project):
    from ambmap.project import Project

    old = session.project
    session.set_coverage(object())
    session.set_view(50.6, 3.0, 14.0)
    new = Project(old.territory, [layer.copy() for layer in old.ordered_layers()], dict(old.options))
    opened = recorder(session.project_changed)
    session.set_project(new)
    assert opened == [(new,)] and session.coverage is None and session.view is None and not session.stale
    assert session.options.project is new
    events = recorder(session.layer_changed)
    old.layers["qpv"].visible = False  # the old project no longer speaks through the session
    new.layers["qpv"].visible = False
    assert events == [("qpv", "visible")]
