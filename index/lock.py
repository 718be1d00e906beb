"""One writer at a time: an advisory lock on a file in the data directory.

The operating system releases the lock when its process ends, however it ends,
so a killed indexing run never leaves a stale lock behind.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO


class LockBusyError(RuntimeError):
    """Another process holds the lock and the caller chose not to wait."""


class WriterLock:
    """An exclusive lock held for the duration of an indexing run."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[str] | None = None

    def holder(self) -> str:
        """What the lock file says about its holder (a pid), for messages."""
        try:
            return self._path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def acquire(self, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> None:
        """Take the lock, waiting for the holder if asked to.

        Raises:
            LockBusyError: another run holds the lock and `wait` is false.
        """
        handle = self._path.open("a+", encoding="utf-8")
        told = False
        while not _try_lock(handle):
            if not wait:
                handle.close()
                raise LockBusyError(self.holder())
            if on_wait is not None and not told:
                on_wait(self.holder())
                told = True
            time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Give the lock back."""
        if self._handle is not None:
            _unlock(self._handle)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


if sys.platform == "win32":
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
