"""A fix for a slow path in Whoosh 2.7, applied when the engine is imported.

Whoosh (and whoosh-reloaded, frozen upstream) looks up a field's length column
with a file-system check on every posting when the field has no such column
(unscored fields: IDs, keywords, the spelling words). It never caches the
negative answer, so writing a segment makes hundreds of thousands of `stat`
calls; on bbc that was a quarter of the indexing time. The segments are
immutable once written, so caching the answer is safe.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec import whoosh3


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
        return reader


def apply() -> None:
    """Install the fixes (idempotent)."""
    whoosh3.W3PerDocReader._cached_reader = _cached_reader
