"""The Qt binding itself: a known-bad release (6.12.0 leaks a reference to True per signal
emit, and the process aborts after a few thousand) must never be installed again."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication


class _Emitter(QObject):
    fired = Signal(object, int, bool)


def test_emitting_signals_keeps_reference_counts(qapp: QApplication) -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.fired.connect(lambda value, number, flag: received.append(value))
    before = sys.getrefcount(True)
    for number in range(1000):
        emitter.fired.emit(number, number, True)
    assert len(received) == 1000
    assert abs(sys.getrefcount(True) - before) < 50
