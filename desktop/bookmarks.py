"""Bookmarks with tags and notes, in a human-readable JSON file in the user data directory.

The file is a `RecordFile`: written atomically with a backup, under a lock shared
by the window and the command line, and set aside (never overwritten) when
damaged. A bookmark is tied to an
article's id and also remembers its path and content hash, so it can be found
again when the file moved or the index was rebuilt.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.record_file import RecordFile, RecordStore
from index import Article, Hit, Library

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


class BookmarkStore(RecordStore[Bookmark]):
    """The bookmarks file: load, change, save, export and import."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            RecordFile(
                path,
                "bookmarks",
                FORMAT_VERSION,
                Bookmark.from_json,
                Bookmark.to_json,
                key=lambda b: b.id,
                order=lambda b: b.created,
            )
        )

    # reading
    def all(self) -> list[Bookmark]:
        """Every bookmark, newest first."""
        return sorted(self._file.records().values(), key=lambda b: b.created, reverse=True)

    def get(self, article_id: str) -> Bookmark | None:
        """The bookmark of an article, or None."""
        return self._file.records().get(article_id)

    def ids(self) -> frozenset[str]:
        """The ids of every bookmarked article."""
        return frozenset(self._file.records())

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
        with self._file.editing() as bookmarks:
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
        with self._file.editing() as bookmarks:
            return bookmarks.pop(article_id, None) is not None

    def reattach(self, library: Library) -> int:
        """Point bookmarks whose article id vanished at the same file or bytes; count them."""
        if all(library.has_article(bookmark.id) for bookmark in self.all()):
            return 0  # the usual case: a cheap look-up each, no lock, no write
        fixed = 0
        with self._file.editing() as bookmarks:
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
        return self._file.document(list(reversed(self.all())))

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
            incoming = self._file.parse_document(text)
        except (ValueError, KeyError, TypeError) as error:
            raise BookmarkFileError(f"Not a Reading Room bookmarks export: {error}") from error
        with self._file.editing() as bookmarks:
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
