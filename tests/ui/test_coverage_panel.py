"""The coverage parameters are a project setting, edited in the coverage panel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from ambmap.analysis.coverage import CoverageParams
from ambmap.ui.coverage_panel import CoveragePanel


def settle(window, qtbot) -> None:
    """Wait for the map re-drawn after a project change (a late signal would outlive the window)."""
    qtbot.waitUntil(lambda: not window._render_timer.isActive() and window.map.is_ready, timeout=30_000)


def test_the_panel_emits_only_what_the_user_edits(qtbot):
    panel = CoveragePanel()
    qtbot.addWidget(panel)
    edits = []
    panel.params_changed.connect(edits.append)
    panel.set_params(CoverageParams(radius_m=20.0, pole_radius_m=600.0))  # showing a project says nothing
    assert edits == [] and panel.pole_radius.value() == 600 and not panel.in_training.isChecked()
    panel.in_training.setChecked(True)
    assert edits == [CoverageParams(radius_m=20.0, pole_radius_m=600.0, include_in_training=True)]  # 20 m kept
    panel.pole_radius.setValue(700)
    assert edits[-1].pole_radius_m == 700 and edits[-1].radius_m == 20


def test_editing_the_radius_recomputes_and_is_saved_with_the_project(window, qtbot, tmp_path, monkeypatch):
    panel = window.coverage_panel
    assert panel.radius.value() == window.coverage_params().radius_m
    window.project.modified = False
    panel.radius.setValue(300)
    assert window.project.modified and window.project.options["coverage_radius_m"] == 300
    assert window.session.coverage is not None and window.session.coverage.summary["radius_m"] == 300
    assert window.coverage_panel.table.rowCount() == 8
    counted = window.session.coverage.summary["ambassadors_counted"]
    panel.in_training.setChecked(True)
    assert (
        window.session.coverage.params.include_in_training
        and window.session.coverage.summary["ambassadors_counted"] > counted
    )

    path = tmp_path / "lille.gpkg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(path), ""))
    assert window.save_as() and not window.project.modified
    panel.radius.blockSignals(True)
    panel.radius.setValue(1000)  # a stray value in the box: reloading shows the project's
    panel.radius.blockSignals(False)
    assert window.open_project(path)
    assert panel.radius.value() == 300 and panel.in_training.isChecked()
    assert CoverageParams.from_project(window.project) == CoverageParams(radius_m=300, include_in_training=True)
    assert not window.project.modified and window.session.coverage is None
    settle(window, qtbot)


def test_an_unreadable_saved_parameter_is_said_and_replaced(window, qtbot, no_blocking_dialogs):
    from ambmap.project import Project

    source = window.project
    broken = Project(
        source.territory,
        [layer.copy() for layer in source.ordered_layers()],
        {**source.options, "coverage_radius_m": "loin", "pole_radius_m": 650},
    )
    window.set_project(broken)
    assert any(
        "rayon d'action des ambassadeurs·rices illisible : « loin »" in text
        for kind, text in no_blocking_dialogs
        if kind == "critical"
    )
    assert window.coverage_panel.radius.value() == window.settings.coverage_radius_m
    assert broken.options["coverage_radius_m"] == window.settings.coverage_radius_m and broken.modified
    assert broken.options["pole_radius_m"] == 650 and window.coverage_panel.pole_radius.value() == 650
    broken.modified = False
    settle(window, qtbot)


def test_in_a_low_dock_the_table_keeps_room_for_rows(qtbot):
    """At 1366×768 the dock is about 220 px high: parameters and button on two lines, the table the rest."""
    panel = CoveragePanel()
    qtbot.addWidget(panel)
    panel.set_params(CoverageParams())
    panel.resize(1360, 220)
    panel.show()
    qtbot.waitExposed(panel)
    assert abs(panel.button.geometry().center().y() - panel.in_training.geometry().center().y()) < 10
    assert panel.minimumSizeHint().width() < 800  # a 1000 px window keeps its width
    assert panel.table.viewport().height() >= 3 * panel.table.verticalHeader().defaultSectionSize()


def test_the_panel_speaks_the_map_classes_not_couvert_or_partiellement(qtbot):
    """A QPV at 98 % is teal « objectif atteint » on the map: the panel must not call it « partiellement
    couvert » nor count it apart from those that reach the target."""
    from types import SimpleNamespace

    import pandas as pd

    from ambmap.ui.coverage_panel import summary_text

    per_qpv = pd.DataFrame(
        {
            "nom_qp": ["A", "B", "C"],
            "status": ["partiellement couvert", "partiellement couvert", "non couvert"],
            "population": [1000, 1000, 1000],
            "covered_population": [980, 600, 0],
            "covered_share": [0.98, 0.6, 0.0],
        },
        index=pd.Index(["Q1", "Q2", "Q3"], name="code_qp"),
    )
    result = SimpleNamespace(per_qpv=per_qpv, summary={"covered_share": 1580 / 3000})
    line = summary_text(result, 0.8)
    assert line.startswith(
        "3 QPV. Objectif (80\u202f%) atteint dans 1 QPV sur 3 ; de 50\u202f% à moins de 80\u202f% : 1 ;"
    )
    assert "partiellement" not in line
    panel = CoveragePanel()
    qtbot.addWidget(panel)
    panel.show_result(result)
    table = panel.table
    words = {table.item(r, 1).data(Qt.ItemDataRole.UserRole): table.item(r, 1).text() for r in range(3)}
    assert words == {
        "Q1": "80\u202f% ou plus (objectif)",
        "Q2": "De 50\u202f% à moins de 80\u202f%",
        "Q3": "Non couvert (0 %)",
    }
