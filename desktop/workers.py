"""Run engine calls on a thread pool and report through signals; workers never touch widgets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal


class _Carrier(QObject):
    """Signals of one job.

    Signals:
        done(object): the job's return value.
        failed(str): the job raised; the message says what happened.
    """

    done = Signal(object)
    failed = Signal(str)


class Job(QRunnable):
    """A function run on a pool thread; its result or error arrives as a signal."""

    def __init__(self, function: Callable[[], Any]) -> None:
        super().__init__()
        self._function = function
        self.signals = _Carrier()

    def run(self) -> None:
        """Run on the pool thread."""
        try:
            result = self._function()
        except Exception as error:  # noqa: BLE001 - reported to the user, never raised in Qt
            self.signals.failed.emit(f"{type(error).__name__}: {error}")
            return
        self.signals.done.emit(result)
