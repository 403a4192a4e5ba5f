"""« Où recruter » answers at once: the greedy sites, marked provisional in the panel and on the map, until the
solver's answer replaces them; « Arrêter » keeps the provisional answer and says so.

The solver is held by a stub until the test has looked at the provisional state: the order is driven by
events, never by timing."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")

from ambmap.analysis import mclp  # noqa: E402
from ambmap.ui.recommend_panel import RecommendationPanel, RecommendDialog  # noqa: E402
from ambmap.ui.workers import cancel_active_task  # noqa: E402
from tests.ui.conftest import wait_map  # noqa: E402

WAIT_MS = 60_000


@pytest.fixture
def held_solver(monkeypatch):
    """``mclp.solve_budget`` waits for ``release`` (then asks ``progress``, where a stop is noticed)."""
    release = threading.Event()
    real = mclp.solve_budget

    def held(*args, progress=None, **kwargs):
        assert release.wait(WAIT_MS / 1000), "the test never released the solver"
        if progress is not None:
            progress(0, 0, "Optimisation en cours…")
        return real(*args, progress=progress, **kwargs)

    monkeypatch.setattr(mclp, "solve_budget", held)
    return release


@pytest.fixture
def ask_for_three(monkeypatch):
    monkeypatch.setattr(
        RecommendDialog, "exec", lambda dialog: (dialog.k.setValue(3), RecommendDialog.DialogCode.Accepted)[1]
    )


def _snapshot(panel: RecommendationPanel) -> dict:
    return {
        "banner": panel.stage_banner.text() if panel.stage_banner.isVisibleTo(panel) else "",
        "summary": panel.summary.text(),
        "details": panel.details.text(),
        "ranks": [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())],
    }


def _start_without_recommendation(window) -> None:
    """No recommendation, its page drawn: no redraw left pending to race with the pages under test."""
    window.session.set_recommendation(None)
    window.render_map()
    wait_map(window)


def _banner(window) -> str:
    return window.map.run_js("(document.querySelector('.amb-banner') || {}).textContent || ''")


def _markers(window) -> int:
    return window.map.run_js("ambmap.count('recommendation')")


def _recommend_watching(window, on_change, release=None) -> None:
    """« Recommander » with ``on_change`` told each answer; ``release`` (an Event holding the solver or a
    dialog) is set afterwards whatever happens, so a failed test never leaves a worker waiting."""
    window.session.recommendation_changed.connect(on_change)
    try:
        window.recommend()
    finally:
        window.session.recommendation_changed.disconnect(on_change)
        if release is not None:
            release.set()


def test_the_greedy_answer_shows_first_then_the_final_one_replaces_it(
    window, qtbot, held_solver, ask_for_three, no_blocking_dialogs
):
    _start_without_recommendation(window)
    panel: RecommendationPanel = window.recommendation_panel
    stages, seen = [], {}

    def on_change(result) -> None:
        stages.append(None if result is None else result.stage)
        if result is not None and result.stage == "provisional":
            seen["panel"] = _snapshot(panel)
            # the map too shows the provisional sites before the solver is allowed to answer
            qtbot.waitUntil(lambda: window.map.is_ready and _markers(window) == 3, timeout=WAIT_MS)
            seen["map"] = _banner(window)
            held_solver.set()

    _recommend_watching(window, on_change, held_solver)
    assert stages == ["provisional", "final"]
    first = seen["panel"]
    assert first["banner"].startswith("Première réponse — recherche de la meilleure solution…")
    assert first["ranks"] == ["1", "2", "3"]
    assert "Réponse provisoire" in first["summary"] and "Meilleure solution possible" not in first["summary"]
    assert "sites choisis un à un" in first["details"] and "prouvée" not in first["details"]
    assert "Sites proposés : première réponse, provisoire" in seen["map"]

    final = _snapshot(panel)
    assert final["banner"] == ""  # nothing provisional is left on the final answer
    assert "Meilleure solution possible" in final["summary"] and "provisoire" not in final["summary"]
    assert "meilleure solution prouvée" in final["details"] and "optimum" not in final["details"]
    assert window.session.recommendation.stage == "final" and window.session.recommendation.optimal
    assert [kind for kind, _ in no_blocking_dialogs] == []


def test_stop_keeps_the_first_answer_and_says_so(window, qtbot, held_solver, ask_for_three, no_blocking_dialogs):
    _start_without_recommendation(window)
    panel: RecommendationPanel = window.recommendation_panel
    stages, provisional = [], []

    def on_change(result) -> None:
        stages.append(None if result is None else result.stage)
        if result is not None and result.stage == "provisional":
            provisional.append(result)
            assert cancel_active_task()  # « Arrêter » on the progress dialog
            held_solver.set()

    _recommend_watching(window, on_change, held_solver)
    kept = window.session.recommendation
    assert stages == ["provisional", "stopped"]
    assert kept.stage == "stopped" and not kept.optimal
    assert list(kept.sites["label"]) == list(provisional[0].sites["label"])
    shown = _snapshot(panel)
    assert shown["banner"].startswith("Recherche arrêtée")
    assert shown["summary"].count("Recherche arrêtée avant la fin") == 1
    assert "Meilleure solution possible" not in shown["summary"] and "provisoire" not in shown["summary"]
    assert "recherche arrêtée" in shown["details"]
    assert [kind for kind, _ in no_blocking_dialogs] == []  # stopping is not an error
    wait_map(window)  # the page drawn after the stop shows the kept sites, and says so
    assert _markers(window) == 3 and "Sites proposés : recherche arrêtée, non vérifiés" in _banner(window)
    window.session.set_recommendation(None)


def test_cancel_before_any_answer_changes_nothing(window, monkeypatch, ask_for_three, no_blocking_dialogs):
    from PySide6.QtCore import QTimer

    from ambmap.analysis import recommend

    window.session.set_recommendation(None)
    pressed = threading.Event()
    real = recommend.greedy_solution

    def held_greedy(*args, **kwargs):
        assert pressed.wait(WAIT_MS / 1000)
        return real(*args, **kwargs)

    monkeypatch.setattr(recommend, "greedy_solution", held_greedy)
    # « Annuler » pressed in the GUI thread as soon as the task's event loop runs, before any answer exists
    QTimer.singleShot(0, lambda: (cancel_active_task(), pressed.set()))
    stages = []
    _recommend_watching(window, stages.append, pressed)
    assert stages == [] and window.session.recommendation is None
    assert [kind for kind, _ in no_blocking_dialogs] == []


def test_an_answer_faster_than_the_delay_is_the_only_one_shown(window, monkeypatch, ask_for_three):
    from ambmap.ui import recommend_panel

    _start_without_recommendation(window)
    monkeypatch.setattr(recommend_panel, "FIRST_ANSWER_DELAY_MS", WAIT_MS)  # the solver always answers first
    stages = []
    _recommend_watching(window, stages.append)
    assert [r.stage for r in stages] == ["final"]
    wait_map(window)
    assert _markers(window) == 3 and "Sites proposés" not in _banner(window)  # a final answer: no note
    window.session.set_recommendation(None)
