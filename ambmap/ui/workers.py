"""Run a long core function off the GUI thread, with a progress dialog and a Cancel button, or quietly.

Core functions are synchronous and take ``progress(done, total, message)``; cancelling makes that
callback raise :class:`~ambmap.errors.CancelledError`, and the core leaves everything unchanged. A
result that arrives after the user pressed « Annuler » is thrown away, so a cancelled task changes
nothing even if the function never called ``progress``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QPoint, Qt, QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from ambmap.errors import CancelledError

log = logging.getLogger(__name__)
_ACTIVE: list[_Task] = []  # running tasks, innermost last
FIRST_ANSWER_TEXT = (
    "Première réponse affichée (provisoire) — recherche d'une meilleure…\n« Arrêter » garde la première."
)


class _Task(QThread):
    """Calls the function in its own thread and reports progress through a queued Qt signal."""

    progressed = Signal(int, int, str)
    answered = Signal(object)  # a first answer handed over while the task goes on

    def __init__(self, func: Callable, args: tuple, kwargs: dict):
        super().__init__()
        self.func, self.args, self.kwargs = func, args, kwargs
        self.cancelled = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def report(self, done: int, total: int, message: str = "") -> None:
        if self.cancelled.is_set():
            raise CancelledError()
        self.progressed.emit(int(done), int(total), message)

    def first_answer(self, value: Any) -> None:
        if not self.cancelled.is_set():
            self.answered.emit(value)

    def run(self) -> None:
        try:
            self.result = self.func(*self.args, progress=self.report, **self.kwargs)
        except BaseException as e:  # re-raised in the GUI thread by run_task
            self.error = e


def run_task(
    parent: QWidget | None, title: str, func: Callable, *args, first_answer: Callable | None = None, **kwargs
) -> Any:
    """Run ``func(*args, progress=cb, **kwargs)`` in a thread; return its result or raise its error.

    The window stays responsive (a local event loop runs while the task works) and a modal progress
    dialog shows the French message of the last ``progress`` call. Raises ``CancelledError`` when the
    user pressed « Annuler ». With ``first_answer``, ``func`` also gets ``first_answer=cb``: what it
    hands to ``cb`` reaches ``first_answer`` in the GUI thread while it goes on working, and the
    dialog's button becomes « Arrêter » (the caller keeps that answer when it is pressed).
    """
    task = _Task(func, args, kwargs)
    if first_answer is not None:
        task.kwargs = {**kwargs, "first_answer": task.first_answer}
    dialog = QProgressDialog(title, "Annuler", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumWidth(420)

    answered: list[Any] = []

    def on_progress(done: int, total: int, message: str) -> None:
        if answered:  # the answer on screen is what matters now: the dialog keeps saying so
            return
        dialog.setMaximum(max(total, 0))
        dialog.setValue(min(done, total) if total > 0 else 0)
        if message:
            dialog.setLabelText(message)

    def on_cancel() -> None:
        task.cancelled.set()
        dialog.setLabelText("Arrêt en cours…" if answered else "Annulation en cours…")

    def on_answer(value: Any) -> None:
        answered.append(value)
        dialog.setLabelText(FIRST_ANSWER_TEXT)
        dialog.setCancelButtonText("Arrêter")
        dialog.setRange(0, 0)
        if parent is not None:  # out of the way of the answer and the map's banner: the window's top left corner
            dialog.move(parent.mapToGlobal(QPoint(16, 60)))
        first_answer(value)

    task.progressed.connect(on_progress)
    if first_answer is not None:
        task.answered.connect(on_answer)
    task.cancel = on_cancel
    dialog.canceled.connect(on_cancel)
    loop = QEventLoop()
    task.finished.connect(loop.quit)
    _ACTIVE.append(task)
    try:
        task.start()
        loop.exec()
        task.wait()
    finally:
        _ACTIVE.remove(task)
    dialog.canceled.disconnect(on_cancel)
    dialog.close()
    dialog.deleteLater()
    if task.cancelled.is_set():
        if task.error is not None and not isinstance(task.error, CancelledError):
            log.info("erreur après annulation de « %s »", title, exc_info=task.error)
        raise CancelledError()
    if task.error is not None:
        raise task.error
    return task.result


class BackgroundTask(QObject):
    """A quiet task (:func:`run_in_background`): no dialog, the window never waits for it.

    ``done(result)`` or ``failed(error)`` is emitted in the GUI thread, unless :meth:`cancel` was
    called first: a result that is no longer wanted (the data changed meanwhile) is never delivered.
    """

    done = Signal(object)
    failed = Signal(object)

    def __init__(self, func: Callable, args: tuple, kwargs: dict):
        super().__init__()  # no parent: a closing window must not delete a running thread
        self._task = _Task(func, args, kwargs)
        self._task.finished.connect(self._on_finished)
        _BACKGROUND.add(self)

    def start(self) -> BackgroundTask:
        self._task.start()
        return self

    def cancel(self) -> None:
        """Drop the result (the function stops at its next ``progress`` call)."""
        self._task.cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._task.cancelled.is_set()

    def is_running(self) -> bool:
        return self._task.isRunning()

    def wait(self) -> None:
        """Block until the thread ended (closing a window: no thread may outlive its objects)."""
        self._task.wait()

    def _on_finished(self) -> None:
        _BACKGROUND.discard(self)
        task = self._task
        if task.cancelled.is_set():
            return
        if task.error is not None:
            self.failed.emit(task.error)
        else:
            self.done.emit(task.result)


_BACKGROUND: set[BackgroundTask] = set()  # kept alive until their thread ends


def run_in_background(func: Callable, *args, **kwargs) -> BackgroundTask:
    """Start ``func(*args, progress=cb, **kwargs)`` in a thread with no dialog (sub-second work done
    after each edit, such as the coverage); connect ``done``/``failed`` on the returned task."""
    return BackgroundTask(func, args, kwargs).start()


def cancel_active_task() -> bool:
    """Press « Annuler » on the innermost running task, its dialog shown yet or not (tests, closing)."""
    if not _ACTIVE:
        return False
    _ACTIVE[-1].cancel()
    return True
