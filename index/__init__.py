"""The Reading Room engine: reading article files, the Whoosh index, searching.

It never imports Qt. Callers use `Library` and the plain dataclasses of
`index.models`; nothing Whoosh-specific leaks out.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.library import Library
    from index.lock import LockBusyError
    from index.models import (
        Article,
        Filters,
        Hit,
        Problem,
        SearchRequest,
        SearchResult,
        SortOrder,
        Story,
        SyncProgress,
        SyncReport,
    )
    from index.versions import differences, restyle

# Imported when first asked for: a segment worker process imports `index.parallel`,
# and must not load the file readers (trafilatura, lxml: 27 MB per process) it never uses.
_HOMES = {
    "Library": "index.library",
    "LockBusyError": "index.lock",
    **dict.fromkeys(
        (
            "Article",
            "Filters",
            "Hit",
            "Problem",
            "SearchRequest",
            "SearchResult",
            "SortOrder",
            "Story",
            "SyncProgress",
            "SyncReport",
        ),
        "index.models",
    ),
    "differences": "index.versions",
    "restyle": "index.versions",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'index' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


__all__ = [
    "Article",
    "Filters",
    "Hit",
    "Library",
    "LockBusyError",
    "Problem",
    "SearchRequest",
    "SearchResult",
    "SortOrder",
    "Story",
    "SyncProgress",
    "SyncReport",
    "differences",
    "restyle",
]
