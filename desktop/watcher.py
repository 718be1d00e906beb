"""Watch the library's folders and ask for a re-index when files change (debounced)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

SETTLE_MS = 2000


class _Handler(FileSystemEventHandler):
    def __init__(self, changed: SignalInstance) -> None:
        self._changed = changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        path = str(event.src_path)
        if event.event_type in ("opened", "closed_no_write") or "/." in path:
            return
        self._changed.emit()  # from the watchdog thread: queued to the GUI thread


class FolderWatcher(QObject):
    """Reports, once things settle, that files under the watched folders changed.

    Signals:
        changed(): files changed; a re-index is due.
    """

    changed = Signal()
    _raw_change = Signal()

    def __init__(self, enabled: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._observer: BaseObserver | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self.changed)
        self._raw_change.connect(self._timer.start)
        self._enabled = enabled  # off for screenshots: no watch threads for a one-shot run

    def watch(self, folders: list[Path]) -> None:
        """Watch these folders (recursively) instead of the previous ones."""
        self.stop()
        existing = [folder for folder in folders if folder.is_dir()]
        if not existing or not self._enabled:
            return
        observer = Observer()
        handler = _Handler(self._raw_change)
        for folder in existing:
            try:
                observer.schedule(handler, str(folder), recursive=True)
            except OSError:
                continue  # unwatchable (permissions, inotify limit): indexing at start still works
        observer.daemon = True
        try:
            observer.start()
        except OSError:
            return  # the system's watch limit is reached: changes are found at the next start
        self._observer = observer

    def stop(self) -> None:
        """Stop watching."""
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
        self._timer.stop()
