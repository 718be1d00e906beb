"""Indexing in a separate process, so the window stays responsive and a crash costs nothing.

The window runs `readingroom index --progress-json` and reads its progress lines;
cancelling sends SIGTERM, which the command line turns into "stop after this
file and keep what is done".
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Signal

from index import SyncReport


def index_command(
    basedir: Path | None, data_root: Path | None, folders: list[Path], rebuild: bool = False
) -> list[str]:
    """The command line of an indexing run (the frozen app runs itself)."""
    if getattr(sys, "frozen", False):
        program = [sys.executable]
    else:
        program = [sys.executable, "-m", "desktop"]
    options = ["--basedir", str(basedir)] if basedir is not None else []
    if data_root is not None:
        options += ["--library-dir", str(data_root)]
    extra = ["--rebuild"] if rebuild else []
    return [*program, *options, "index", "--progress-json", *extra, *(str(f) for f in folders)]


class IndexingController(QObject):
    """Starts, follows and cancels indexing runs; one at a time, queued when asked twice.

    Signals:
        started(): a run began.
        progress(int, int, float): files done, total, and seconds left (-1 while unknown).
        finished(object): the run's `SyncReport` (or None when the process failed).
        failed(str): the process could not run or crashed; the message says how.
    """

    started = Signal()
    progress = Signal(int, int, float)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, basedir: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._basedir = basedir
        self._library_dir: Path | None = None
        self._process: QProcess | None = None
        self._buffer = b""
        self._report: SyncReport | None = None
        self._again: list[Path] | None = None
        self._cancelled = False
        self._rebuild_again = False
        self._first_done: tuple[float, int] | None = None
        self._stderr = b""

    def set_library_dir(self, library_dir: Path | None) -> None:
        """Index another library directory (the sample's) instead of the user's."""
        self._library_dir = library_dir

    def is_running(self) -> bool:
        """Whether a run is going."""
        return self._process is not None

    def start(self, add_folders: list[Path] | None = None, rebuild: bool = False) -> None:
        """Start a run (adding folders first); if one is going, run again after it."""
        folders = list(add_folders or [])
        if self._process is not None:
            self._again = (self._again or []) + folders
            self._rebuild_again = self._rebuild_again or rebuild
            return
        command = index_command(self._basedir, self._library_dir, folders, rebuild)
        process = QProcess(self)
        process.setProgram(command[0])
        process.setArguments(command[1:])
        process.readyReadStandardOutput.connect(self._on_output)
        process.readyReadStandardError.connect(self._on_error_output)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self._process = process
        self._buffer = b""
        self._stderr = b""
        self._report = None
        self._cancelled = False
        self._first_done = None
        process.start()
        self.started.emit()

    def cancel(self) -> None:
        """Ask the run to stop after the current file; what is done is kept."""
        self._again = None
        if self._process is not None:
            self._cancelled = True
            self._process.terminate()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the run ends (for shutting down and for tests)."""
        if self._process is None:
            return True
        return bool(self._process.waitForFinished(msecs))

    def _on_output(self) -> None:
        if self._process is None:
            return
        self._buffer += bytes(self._process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"{"):
                self._on_event(json.loads(line))

    def _on_error_output(self) -> None:
        if self._process is not None:
            self._stderr = (self._stderr + bytes(self._process.readAllStandardError().data()))[
                -4000:
            ]

    def _on_event(self, event: dict[str, object]) -> None:
        if event.get("event") == "progress":
            done, total = int(str(event["done"])), int(str(event["total"]))
            self.progress.emit(done, total, self._seconds_left(done, total))
        elif event.get("event") == "finished":
            fields = {k: v for k, v in event.items() if k != "event"}
            self._report = SyncReport(**fields)  # type: ignore[arg-type]

    def _seconds_left(self, done: int, total: int) -> float:
        now = time.monotonic()
        if self._first_done is None:
            self._first_done = (now, done)
            return -1.0
        since, done_then = self._first_done
        if done <= done_then or now - since < 0.5:
            return -1.0
        rate = (done - done_then) / (now - since)
        return (total - done) / rate

    def _on_finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._on_output()
        if self._process is not None:
            self._process.deleteLater()
        self._process = None
        # Cancelled before the child could catch the signal: a stop, not a failure.
        if self._report is None and not self._cancelled and exit_code not in (0, 130):
            detail = self._stderr.decode("utf-8", "replace").strip().splitlines()
            reason = detail[-1] if detail else f"exit status {exit_code}"
            self.failed.emit(f"Indexing stopped unexpectedly: {reason}")
        report = self._report
        again, self._again = self._again, None
        rebuild, self._rebuild_again = self._rebuild_again, False
        if again is not None:
            self.start(again, rebuild)  # before announcing the end, so listeners see the new run
        self.finished.emit(report)

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._process = None
            self.failed.emit("Indexing could not start: the readingroom program was not found.")
            self.finished.emit(None)
