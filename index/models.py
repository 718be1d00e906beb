"""Plain data passed in and out of the engine: nothing here knows about Whoosh."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SortOrder(StrEnum):
    """The orders a result list can be sorted in."""

    RELEVANCE = "relevance"
    NEWEST = "newest"
    OLDEST = "oldest"
    TITLE = "title"


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """What the readers get out of one file: text and the metadata found in it."""

    title: str
    text: str
    author: str | None = None
    source: str | None = None
    date: datetime | None = None
    tags: tuple[str, ...] = ()
    encoding: str | None = None
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class Article:
    """One indexed article, as `Library.get` returns it."""

    id: str
    path: str
    folder: str
    title: str
    text: str
    author: str | None
    source: str | None
    date: datetime | None
    words: int
    sha256: str
    size: int
    mtime: float
    truncated: bool = False
    copies: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """The `show --json` contract."""
        return {
            "id": self.id,
            "path": self.path,
            "folder": self.folder,
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "date": self.date.isoformat() if self.date else None,
            "words": self.words,
            "sha256": self.sha256,
            "copies": list(self.copies),
            "truncated": self.truncated,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Hit:
    """One article in a result list, with its best passages highlighted in HTML."""

    id: str
    path: str
    folder: str
    title: str
    source: str | None
    author: str | None
    date: datetime | None
    score: float | None  # None when sorted by something other than relevance
    snippets: tuple[str, ...]
    title_html: str = ""
    sha256: str = ""
    story: str | None = None  # set when the article has other versions
    versions: int = 1  # how many versions of its story the library holds
    outlets: tuple[str, ...] = ()  # who ran those versions: outlets (else folders)

    def to_json(self) -> dict[str, object]:
        """One hit of the `search --json` contract."""
        return {
            "id": self.id,
            "path": self.path,
            "folder": self.folder,
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "date": self.date.isoformat() if self.date else None,
            "score": None if self.score is None else round(self.score, 4),
            "snippets": list(self.snippets),
            "sha256": self.sha256,
            "story": self.story,
            "versions": self.versions,
            "outlets": list(self.outlets),
        }


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions that combine with the query (AND): facet values and an id allow-list."""

    sources: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    folders: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()  # "2022" or "2022-03": published then (else the file's date)
    only_ids: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A query with its sort order, filters and the page of results wanted."""

    query: str
    sort: SortOrder = SortOrder.RELEVANCE
    filters: Filters = field(default_factory=Filters)
    offset: int = 0
    limit: int = 20
    snippets: int = 3
    facets: bool = True
    suggest: bool = True  # "did you mean" when little is found (the window asks once typing stops)
    collapse: bool = True  # a story shows once, as its best-placed version


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A page of hits with the total count, facet counts and what the user should know."""

    query: str
    total: int
    elapsed_ms: float
    hits: tuple[Hit, ...]
    facets: dict[str, dict[str, int]]
    suggestion: str | None = None
    message: str | None = None
    index_damaged: bool = False
    hidden: int = 0  # matches left out as later versions of a story already listed
    # Matches by month ("2022-03": published, else the file's date), period filter aside.
    timeline: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """How many entries the whole list has (stories once each)."""
        return self.total - self.hidden

    def to_json(self) -> dict[str, object]:
        """The `search --json` contract."""
        return {
            "query": self.query,
            "total": self.total,
            "hidden": self.hidden,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "suggestion": self.suggestion,
            "message": self.message,
            "facets": self.facets,
            "timeline": self.timeline,
            "hits": [hit.to_json() for hit in self.hits],
        }


@dataclass(frozen=True, slots=True)
class Problem:
    """A file that could not be indexed, and why, in words a user understands."""

    path: str
    reason: str
    seen: datetime


@dataclass(slots=True)
class SyncProgress:
    """How far an indexing run has got."""

    done: int = 0
    total: int = 0
    current: str = ""


@dataclass(slots=True)
class SyncReport:
    """What an indexing run did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    moved: int = 0
    unchanged: int = 0
    problems: int = 0
    elapsed_s: float = 0.0
    cancelled: bool = False
    rebuilt: str | None = None

    @property
    def changed(self) -> int:
        """How many articles the run added, updated, removed or moved."""
        return self.added + self.updated + self.removed + self.moved


@dataclass(frozen=True, slots=True)
class Story:
    """Articles that are versions of one story: copies, updates, another outlet's rewrite."""

    id: str
    versions: tuple[Hit, ...]  # oldest first; undated ones last
    shares: dict[str, float] = field(default_factory=dict)  # id: containment with the asked one

    @property
    def outlets(self) -> tuple[str, ...]:
        """Who ran the story (each version's outlet, else its folder), in the versions' order."""
        return tuple(dict.fromkeys(v.source or v.folder for v in self.versions))

    def to_json(self) -> dict[str, object]:
        """The `stories --json` contract (one story)."""
        return {
            "story": self.id,
            "outlets": list(self.outlets),
            "versions": [{**v.to_json(), "shared": self.shares.get(v.id)} for v in self.versions],
        }
