"""`is:bookmarked` and `tag:NAME` in a query: bookmarks live in the application, not the index."""

from __future__ import annotations

import re

from desktop.bookmarks import BookmarkStore

_BOOKMARK_TERMS = re.compile(r'(?<!\S)(is:bookmarked|tag:(?:"([^"]+)"|(\S+)))(?!\S)', re.IGNORECASE)


def split_bookmark_terms(query: str, store: BookmarkStore) -> tuple[str, frozenset[str] | None]:
    """The query without its bookmark terms, and the ids they allow (None: no restriction)."""
    allowed: frozenset[str] | None = None
    for match in _BOOKMARK_TERMS.finditer(query):
        tag = match.group(2) or match.group(3)
        ids = store.ids_with_tag(tag) if tag else store.ids()
        allowed = ids if allowed is None else allowed & ids
    rest = _BOOKMARK_TERMS.sub(" ", query).strip()
    return rest, allowed
