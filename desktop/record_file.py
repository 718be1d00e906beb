"""A list of records in a human-readable JSON file that no crash, race or damage can lose.

Bookmarks and saved searches are kept this way. Every change is written
atomically under a lock shared by the window and the command line, with the
previous version kept as a backup. A damaged file is set aside, never
overwritten, and the backup is restored; `warning` then says what happened.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

from desktop.atomic import atomic_write
from index.lock import WriterLock

R = TypeVar("R")


class RecordFile(Generic[R]):
    """Records by key, in a JSON document `{"version": N, "<list_key>": [...]}`."""

    def __init__(
        self,
        path: Path,
        list_key: str,
        version: int,
        parse: Callable[[dict[str, Any]], R],
        dump: Callable[[R], dict[str, Any]],
        key: Callable[[R], str],
        order: Callable[[R], Any],
    ) -> None:
        self.path = path
        self._list_key = list_key
        self._version = version
        self._parse = parse
        self._dump = dump
        self._key = key
        self._order = order
        self._lock = WriterLock(path.with_name(path.name + ".lock"))
        # The window reads on its thread and changes records on worker threads too.
        self._mutex = threading.RLock()
        self._records: dict[str, R] = {}
        self._loaded_mtime: int | None = None
        self.warning: str | None = None

    def records(self) -> dict[str, R]:
        """The records as the file has them now (do not change the dictionary)."""
        with self._mutex:
            self._refresh()
            return self._records

    def parse_document(self, text: str) -> list[R]:
        """The records of a document (a file, or an export).

        Raises:
            ValueError, KeyError, TypeError: the text is not such a document.
        """
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get(self._list_key), list):
            raise ValueError(f"no {self._list_key} list")
        version = data.get("version", 1)
        if not isinstance(version, int) or version > self._version:
            raise ValueError(f"written by a newer Reading Room (format {version})")
        return [self._parse(item) for item in data[self._list_key] if isinstance(item, dict)]

    def document(self, records: list[R]) -> str:
        """Records as the JSON document the file holds."""
        items = [self._dump(record) for record in records]
        return json.dumps(
            {"version": self._version, self._list_key: items}, ensure_ascii=False, indent=2
        )

    @contextmanager
    def editing(self) -> Iterator[dict[str, R]]:
        """Change the records: the dictionary yielded is written back if it changed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._mutex:
            self._lock.acquire()
            try:
                self._loaded_mtime = None
                self._refresh()
                records = dict(self._records)
                yield records
                if records == self._records:
                    return  # nothing changed: keep the file, and its backup, as they are
                ordered = sorted(records.values(), key=self._order)
                atomic_write(self.path, self.document(ordered) + "\n", backup=True)
                self._records = records
                self._loaded_mtime = self.path.stat().st_mtime_ns
            finally:
                self._lock.release()

    def _refresh(self) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._records, self._loaded_mtime = {}, None
            return
        if mtime != self._loaded_mtime:
            self._records = self._load()
            self._loaded_mtime = mtime

    def _load(self) -> dict[str, R]:
        try:
            items = self.parse_document(self.path.read_text(encoding="utf-8"))
            return {self._key(record): record for record in items}
        except (OSError, ValueError, KeyError, TypeError) as error:
            return self._recover(error)

    def _recover(self, error: Exception) -> dict[str, R]:
        """Set a damaged file aside and fall back on the backup."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        self.path.replace(aside)
        backup = self.path.with_name(self.path.name + ".bak")
        noun = self._list_key.replace("_", " ")
        try:
            items = self.parse_document(backup.read_text(encoding="utf-8"))
            records = {self._key(record): record for record in items}
            atomic_write(self.path, self.document(list(records.values())))
            self.warning = (
                f"The {noun} file was damaged ({error}). It was kept as {aside.name}, "
                f"and the previous version ({len(records)} {noun}) was restored."
            )
        except (OSError, ValueError, KeyError, TypeError):
            records = {}
            self.warning = (
                f"The {noun} file was damaged ({error}) and there is no usable backup. "
                f"It was kept as {aside.name}; nothing was deleted."
            )
        return records


class RecordStore(Generic[R]):
    """A store kept in a `RecordFile` (bookmarks, saved searches)."""

    def __init__(self, file: RecordFile[R]) -> None:
        self.path = file.path
        self._file = file

    @property
    def warning(self) -> str | None:
        """What happened to a damaged file, once (the window shows it)."""
        return self._file.warning

    @warning.setter
    def warning(self, value: str | None) -> None:
        self._file.warning = value
