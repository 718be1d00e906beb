"""Bookmarks with tags and notes, in a human-readable JSON file in the user data directory.

Every change is written atomically, with the previous version kept as a backup,
under a lock shared by the window and the command line. A bookmark is tied to an
article's id and also remembers its path and content hash, so it can be found
again when the file moved or the index was rebuilt. A damaged file is set aside,
never overwritten.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.atomic import atomic_write
from index import Article, Hit, Library
from index.lock import WriterLock

FORMAT_VERSION = 1


class BookmarkFileError(Exception):
    """The bookmarks file could not be read; the message says what was done about it."""


@dataclass(frozen=True, slots=True)
class Bookmark:
    """A saved article with the user's tags and note."""

    id: str
    title: str
    path: str
    sha256: str = ""
    source: str | None = None
    date: str | None = None
    tags: tuple[str, ...] = ()
    note: str = ""
    created: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))
    updated: str = ""

    @classmethod
    def from_article(
        cls, article: Article | Hit, tags: tuple[str, ...] = (), note: str = ""
    ) -> Bookmark:
        """A new bookmark of an article (or of a hit in a result list)."""
        return cls(
            id=article.id,
            title=article.title,
            path=article.path,
            sha256=article.sha256,
            source=article.source,
            date=article.date.date().isoformat() if article.date else None,
            tags=normalise_tags(tags),
            note=note,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Bookmark:
        """A bookmark from its stored form (unknown keys are ignored)."""
        return cls(
            id=str(data["id"]),
            title=str(data.get("title", "")),
            path=str(data.get("path", "")),
            sha256=str(data.get("sha256", "")),
            source=data.get("source"),
            date=data.get("date"),
            tags=normalise_tags(data.get("tags", ())),
            note=str(data.get("note", "")),
            created=str(data.get("created", "")),
            updated=str(data.get("updated", "")),
        )

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        data = asdict(self)
        data["tags"] = list(self.tags)
        return data


def normalise_tags(tags: Any) -> tuple[str, ...]:
    """Tags trimmed, without empties or duplicates, in the order given."""
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned = (str(tag).strip() for tag in tags)
    return tuple(dict.fromkeys(tag for tag in cleaned if tag))


class BookmarkStore:
    """The bookmarks file: load, change, save, export and import."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = WriterLock(path.with_name(path.name + ".lock"))
        # The window reads on its thread and re-attaches bookmarks on a worker thread.
        self._mutex = threading.RLock()
        self._bookmarks: dict[str, Bookmark] = {}
        self._loaded_mtime: int | None = None
        self.warning: str | None = None

    # reading
    def all(self) -> list[Bookmark]:
        """Every bookmark, newest first."""
        self._refresh()
        return sorted(self._bookmarks.values(), key=lambda b: b.created, reverse=True)

    def get(self, article_id: str) -> Bookmark | None:
        """The bookmark of an article, or None."""
        self._refresh()
        return self._bookmarks.get(article_id)

    def ids(self) -> frozenset[str]:
        """The ids of every bookmarked article."""
        self._refresh()
        return frozenset(self._bookmarks)

    def ids_with_tag(self, tag: str) -> frozenset[str]:
        """The ids of the bookmarks carrying a tag (case-insensitive)."""
        wanted = tag.casefold()
        return frozenset(b.id for b in self.all() if any(t.casefold() == wanted for t in b.tags))

    def tags(self) -> dict[str, int]:
        """Every tag with the number of bookmarks carrying it."""
        counts: dict[str, int] = {}
        for bookmark in self.all():
            for tag in bookmark.tags:
                counts[tag] = counts.get(tag, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: kv[0].casefold()))

    # changing
    def put(self, bookmark: Bookmark) -> None:
        """Add or replace a bookmark."""
        with self._editing() as bookmarks:
            previous = bookmarks.get(bookmark.id)
            if previous is not None:
                bookmark = replace(
                    bookmark,
                    created=previous.created,
                    updated=datetime.now().isoformat(timespec="seconds"),
                )
            bookmarks[bookmark.id] = bookmark

    def remove(self, article_id: str) -> bool:
        """Remove a bookmark; False if there was none."""
        with self._editing() as bookmarks:
            return bookmarks.pop(article_id, None) is not None

    def reattach(self, library: Library) -> int:
        """Point bookmarks whose article id vanished at the same file or bytes; count them."""
        if all(library.has_article(bookmark.id) for bookmark in self.all()):
            return 0  # the usual case: a cheap look-up each, no lock, no write
        fixed = 0
        with self._editing() as bookmarks:
            for bookmark in list(bookmarks.values()):
                if library.has_article(bookmark.id):
                    continue
                article = library.get(bookmark.path) if bookmark.path else None
                if article is None and bookmark.sha256:
                    article = library.find_by_hash(bookmark.sha256)
                if article is not None and article.id not in bookmarks:
                    del bookmarks[bookmark.id]
                    bookmarks[article.id] = replace(bookmark, id=article.id, path=article.path)
                    fixed += 1
        return fixed

    # import and export
    def export_json(self) -> str:
        """Every bookmark as the JSON that `import_json` reads back."""
        return json.dumps(self._document(list(reversed(self.all()))), ensure_ascii=False, indent=2)

    def export_csv(self) -> str:
        """Every bookmark as CSV (one row each; tags separated by commas)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["id", "title", "source", "date", "path", "tags", "note", "created"])
        for b in self.all():
            writer.writerow(
                [
                    b.id,
                    b.title,
                    b.source or "",
                    b.date or "",
                    b.path,
                    ", ".join(b.tags),
                    b.note,
                    b.created,
                ]
            )
        return out.getvalue()

    def export_markdown(self) -> str:
        """Every bookmark as a Markdown reading list."""
        lines = ["# Reading Room bookmarks", ""]
        for b in self.all():
            meta = " · ".join(part for part in (b.source, b.date) if part)
            lines.append(f"- **{b.title}**" + (f" — {meta}" if meta else ""))
            lines.append(f"  `{b.path}`")
            if b.tags:
                lines.append("  Tags: " + ", ".join(b.tags))
            if b.note:
                lines.extend("  > " + line for line in b.note.splitlines())
            lines.append("")
        return "\n".join(lines)

    def export(self, suffix: str) -> str:
        """The bookmarks in the format a file suffix names (.md, .csv or .json)."""
        if suffix == ".csv":
            return self.export_csv()
        if suffix == ".json":
            return self.export_json()
        return self.export_markdown()

    def import_json(self, text: str) -> int:
        """Add the bookmarks of a JSON export; existing ones get the imported tags and note too.

        Raises:
            BookmarkFileError: the text is not a bookmarks export.
        """
        try:
            incoming = [Bookmark.from_json(item) for item in _parse_document(text)]
        except (ValueError, KeyError, TypeError) as error:
            raise BookmarkFileError(f"Not a Reading Room bookmarks export: {error}") from error
        with self._editing() as bookmarks:
            for bookmark in incoming:
                existing = bookmarks.get(bookmark.id)
                if existing is not None:
                    bookmark = replace(
                        existing,
                        tags=normalise_tags((*existing.tags, *bookmark.tags)),
                        note=existing.note or bookmark.note,
                    )
                bookmarks[bookmark.id] = bookmark
        return len(incoming)

    # storage
    @staticmethod
    def _document(bookmarks: list[Bookmark]) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, "bookmarks": [b.to_json() for b in bookmarks]}

    def _refresh(self) -> None:
        with self._mutex:
            self._refresh_locked()

    def _refresh_locked(self) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._bookmarks, self._loaded_mtime = {}, None
            return
        if mtime != self._loaded_mtime:
            self._bookmarks = self._load()
            self._loaded_mtime = mtime

    def _load(self) -> dict[str, Bookmark]:
        try:
            items = _parse_document(self.path.read_text(encoding="utf-8"))
            return {b.id: b for b in (Bookmark.from_json(item) for item in items)}
        except (OSError, ValueError, KeyError, TypeError) as error:
            return self._recover(error)

    def _recover(self, error: Exception) -> dict[str, Bookmark]:
        """Set a damaged file aside and fall back on the backup."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        self.path.replace(aside)
        backup = self.path.with_name(self.path.name + ".bak")
        try:
            items = _parse_document(backup.read_text(encoding="utf-8"))
            bookmarks = {b.id: b for b in (Bookmark.from_json(item) for item in items)}
            atomic_write(
                self.path,
                json.dumps(self._document(list(bookmarks.values())), ensure_ascii=False, indent=2),
            )
            self.warning = (
                f"The bookmarks file was damaged ({error}). It was kept as {aside.name}, "
                f"and the previous version ({len(bookmarks)} bookmarks) was restored."
            )
        except (OSError, ValueError, KeyError, TypeError):
            bookmarks = {}
            self.warning = (
                f"The bookmarks file was damaged ({error}) and there is no usable backup. "
                f"It was kept as {aside.name}; nothing was deleted."
            )
        return bookmarks

    @contextmanager
    def _editing(self) -> Iterator[dict[str, Bookmark]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._mutex:
            yield from self._edit_locked()

    def _edit_locked(self) -> Iterator[dict[str, Bookmark]]:
        self._lock.acquire()
        try:
            self._loaded_mtime = None
            self._refresh()
            bookmarks = dict(self._bookmarks)
            yield bookmarks
            if bookmarks == self._bookmarks:
                return  # nothing changed: keep the file, and its backup, as they are
            ordered = sorted(bookmarks.values(), key=lambda b: b.created)
            atomic_write(
                self.path,
                json.dumps(self._document(ordered), ensure_ascii=False, indent=2) + "\n",
                backup=True,
            )
            self._bookmarks = bookmarks
            self._loaded_mtime = self.path.stat().st_mtime_ns
        finally:
            self._lock.release()


def _parse_document(text: str) -> list[dict[str, Any]]:
    data = json.loads(text)
    if isinstance(data, dict) and isinstance(data.get("bookmarks"), list):
        version = data.get("version", 1)
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ValueError(f"written by a newer Reading Room (format {version})")
        return [item for item in data["bookmarks"] if isinstance(item, dict)]
    raise ValueError("no bookmarks list")
