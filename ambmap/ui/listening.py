"""Views listen to the session (psygnal signals) for as long as their widget lives."""

from __future__ import annotations

import weakref
from collections.abc import Callable

from PySide6.QtCore import QObject


def listen(widget: QObject, *pairs: tuple) -> Callable[..., None]:
    """Connect each ``(signal, slot)`` pair, and disconnect them all when ``widget`` is destroyed.

    A session may outlive its views (a closed presentation, a test): it must never call into a deleted
    widget. The slots are held weakly here, as psygnal holds them, so listening never keeps a widget
    alive. Returns the function that disconnects them, for a view that stops listening earlier.
    """
    held = []
    for signal, slot in pairs:
        signal.connect(slot)
        held.append((signal, weakref.WeakMethod(slot) if hasattr(slot, "__self__") else lambda slot=slot: slot))

    def forget(*_) -> None:
        for signal, ref in held:
            slot = ref()
            if slot is not None:  # else its object is gone, and psygnal dropped it already
                signal.disconnect(slot)

    widget.destroyed.connect(forget)
    return forget
