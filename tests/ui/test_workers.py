"""run_task: work off the GUI thread, progress shown, Cancel leaves everything unchanged."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QTimer

from ambmap.errors import AmbmapError, CancelledError
from ambmap.ui.workers import cancel_active_task, run_task


def slow_append(target: list, steps: int, *, progress):
    """A long core-style task: works on a copy and swaps at the end."""
    work = list(target)
    for i in range(steps):
        progress(i, steps, f"Étape {i + 1} sur {steps}")
        time.sleep(0.02)
        work.append(i)
    target[:] = work
    return len(work)


def test_returns_the_result_and_reports_progress(qapp):
    target: list = []
    assert run_task(None, "Travail…", slow_append, target, 5) == 5
    assert target == [0, 1, 2, 3, 4]


def test_cancel_a_long_task_changes_nothing_and_the_gui_stays_responsive(qapp):
    target = ["avant"]
    ticks = []
    timer = QTimer(interval=10, timeout=lambda: ticks.append(1))
    timer.start()
    QTimer.singleShot(250, cancel_active_task)
    started = time.monotonic()
    with pytest.raises(CancelledError) as info:
        run_task(None, "Travail très long…", slow_append, target, 10_000)
    timer.stop()
    assert time.monotonic() - started < 5
    assert target == ["avant"]
    assert len(ticks) > 5  # the GUI thread kept handling events while the task ran
    assert "annulée" in info.value.message


def test_a_result_arriving_after_cancel_is_thrown_away(qapp):
    def quick(*, progress):
        time.sleep(0.3)  # never calls progress, so it cannot stop early
        return "résultat"

    QTimer.singleShot(50, cancel_active_task)
    with pytest.raises(CancelledError):
        run_task(None, "Travail…", quick)


def test_errors_are_raised_in_the_gui_thread(qapp):
    def failing(*, progress):
        raise AmbmapError("Le serveur ne répond pas.")

    with pytest.raises(AmbmapError, match="ne répond pas"):
        run_task(None, "Travail…", failing)
    assert cancel_active_task() is False  # nothing left running
