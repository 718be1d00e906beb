"""`is:bookmarked` and `tag:NAME` in a query: bookmarks live in the application, not the index.

They restrict the search to bookmarked articles (with a tag); they cannot be
negated or OR-ed, and a note says so when someone tries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from desktop.bookmarks import BookmarkStore
from index import SearchResult

_BOOKMARK_TERMS = re.compile(r'(?<!\S)[-+]?(is:bookmarked|tag:(?:"([^"]+)"|(\S+)))(?!\S)', re.I)
_COMBINED = re.compile(
    r"(?:\b(?:NOT|OR)\s+|(?<!\S)-)(?:is:bookmarked|tag:)|(?:is:bookmarked|tag:\S+)\s+OR\b"
)


@dataclass(frozen=True, slots=True)
class BookmarkTerms:
    """A query split into what the index searches and what the bookmarks restrict."""

    query: str
    allowed: frozenset[str] | None  # None: no restriction
    terms: tuple[str, ...]
    message: str | None

    def apply_to(self, result: SearchResult) -> SearchResult:
        """The result as the user asked: their whole query, the note, a complete suggestion."""
        message = " ".join(part for part in (self.message, result.message) if part) or None
        suggestion = result.suggestion
        if suggestion and self.terms:
            suggestion = " ".join((suggestion, *self.terms))
        return replace(result, message=message, suggestion=suggestion)


def split_bookmark_terms(query: str, store: BookmarkStore) -> BookmarkTerms:
    """The query without its bookmark terms, and the ids they allow."""
    allowed: frozenset[str] | None = None
    terms: list[str] = []
    for match in _BOOKMARK_TERMS.finditer(query):
        terms.append(match.group(1))
        tag = match.group(2) or match.group(3)
        ids = store.ids_with_tag(tag) if tag else store.ids()
        allowed = ids if allowed is None else allowed & ids
    message = None
    if terms and _COMBINED.search(query):
        message = "is:bookmarked and tag: always narrow the search; NOT, - and OR do not apply."
    rest = _BOOKMARK_TERMS.sub(" ", query)
    rest = re.sub(r"\b(?:NOT|OR)\s*$", "", rest.strip()).strip()
    return BookmarkTerms(rest, allowed, tuple(terms), message)
