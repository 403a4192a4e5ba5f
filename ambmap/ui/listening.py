"""Views listen to the session (psygnal signals) for as long as their widget lives."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject


def listen(widget: QObject, *pairs: tuple) -> Callable[[], None]:
    """Connect each ``(signal, slot)`` pair, and disconnect them all when ``widget`` is destroyed.

    A session may outlive its views (a closed presentation, a test): it must never call into a deleted
    widget. Returns the function that disconnects them, for a view that stops listening earlier.
    """
    for signal, slot in pairs:
        signal.connect(slot)

    def forget(*_) -> None:
        for signal, slot in pairs:
            signal.disconnect(slot)  # no-op when already disconnected
    widget.destroyed.connect(forget)
    return forget
