"""Saved searches: a named query with its filters and sort, and what arrived since it was opened.

Kept in the user data directory as a `RecordFile` (atomic, backed up, never lost
to damage), shared by the window and `readingroom saved`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.bookmark_query import split_bookmark_terms
from desktop.bookmarks import BookmarkStore
from desktop.record_file import RecordFile, RecordStore
from index import Filters, Library, SearchRequest, SortOrder

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class SavedSearch:
    """A query with its filters and sort order, under a name."""

    name: str
    query: str
    sort: str = SortOrder.RELEVANCE.value
    sources: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    folders: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()
    created: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))
    opened: float = field(default_factory=time.time)  # when its results were last looked at

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SavedSearch:
        """A saved search from its stored form (unknown keys are ignored)."""
        sort = str(data.get("sort", SortOrder.RELEVANCE.value))
        return cls(
            name=str(data["name"]),
            query=str(data.get("query", "")),
            sort=sort if sort in {s.value for s in SortOrder} else SortOrder.RELEVANCE.value,
            sources=tuple(str(v) for v in data.get("sources", ())),
            years=tuple(int(v) for v in data.get("years", ())),
            folders=tuple(str(v) for v in data.get("folders", ())),
            periods=tuple(str(v) for v in data.get("periods", ())),
            created=str(data.get("created", "")),
            opened=float(data.get("opened", 0.0)),
        )

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        data = asdict(self)
        for key in ("sources", "years", "folders", "periods"):
            data[key] = list(data[key])
        return data

    @property
    def filters(self) -> Filters:
        """The filters saved with the query."""
        return Filters(
            sources=self.sources, years=self.years, folders=self.folders, periods=self.periods
        )

    def describe(self) -> str:
        """The query and its filters in a line, for lists and tooltips."""
        parts = [f"“{self.query}”" if self.query else "everything"]
        for label, values in (
            ("outlet", self.sources),
            ("year", self.years),
            ("folder", self.folders),
            ("period", self.periods),
        ):
            if values:
                parts.append(f"{label} {', '.join(map(str, values))}")
        if self.sort != SortOrder.RELEVANCE.value:
            parts.append(f"sorted {self.sort}")
        return " · ".join(parts)


class SavedSearchStore(RecordStore[SavedSearch]):
    """The saved searches file."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            RecordFile(
                path,
                "saved_searches",
                FORMAT_VERSION,
                SavedSearch.from_json,
                SavedSearch.to_json,
                key=lambda s: s.name.casefold(),
                order=lambda s: s.created,
            )
        )

    def all(self) -> list[SavedSearch]:
        """Every saved search, by name."""
        return sorted(self._file.records().values(), key=lambda s: s.name.casefold())

    def get(self, name: str) -> SavedSearch | None:
        """A saved search by name (case does not matter), or None."""
        return self._file.records().get(name.strip().casefold())

    def save(self, search: SavedSearch) -> None:
        """Save a search under its name, replacing one of the same name; it counts as opened."""
        search = replace(search, name=search.name.strip(), opened=time.time())
        if not search.name:
            raise ValueError("a saved search needs a name")
        with self._file.editing() as searches:
            previous = searches.get(search.name.casefold())
            if previous is not None:
                search = replace(search, created=previous.created)
            searches[search.name.casefold()] = search

    def remove(self, name: str) -> bool:
        """Forget a saved search; False if there was none of that name."""
        with self._file.editing() as searches:
            return searches.pop(name.strip().casefold(), None) is not None

    def mark_opened(self, name: str, when: float | None = None) -> None:
        """Note that the user has looked at a saved search's results."""
        with self._file.editing() as searches:
            found = searches.get(name.strip().casefold())
            if found is not None:
                searches[found.name.casefold()] = replace(found, opened=when or time.time())


def request_for(search: SavedSearch, bookmarks: BookmarkStore, **options: Any) -> SearchRequest:
    """The search request of a saved search (bookmark terms like `tag:` resolved now)."""
    terms = split_bookmark_terms(search.query, bookmarks)
    filters = replace(search.filters, only_ids=terms.allowed)
    return SearchRequest(terms.query, sort=SortOrder(search.sort), filters=filters, **options)


def new_counts(
    searches: list[SavedSearch], library: Library, bookmarks: BookmarkStore
) -> dict[str, int]:
    """For each saved search, how many matching articles arrived since it was last opened."""
    return {
        s.name: library.count_arrived(request_for(s, bookmarks), since=s.opened) for s in searches
    }
