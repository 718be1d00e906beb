"""The Reading Room engine: reading article files, the Whoosh index, searching.

It never imports Qt. Callers use `Library` and the plain dataclasses of
`index.models`; nothing Whoosh-specific leaks out.
"""

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
