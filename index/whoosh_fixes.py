"""Fixes for slow paths in Whoosh 2.7, applied when the engine is imported.

1. Whoosh (and whoosh-reloaded, frozen upstream) looks up a field's length
   column with a file-system check on every posting when the field has no such
   column (unscored fields: IDs, keywords). It never caches the negative
   answer, so writing a segment made hundreds of thousands of `stat` calls; on
   bbc that was a quarter of the indexing time.
2. A segment reader builds a new column reader each time it is asked, and a
   column reader of variable-length values first reads the offsets of every
   document. Each search that sorts or counts facets asked again: on 40,000
   articles, 22 ms of every search went there. Readers are kept per segment
   reader (one per searcher and thread in this engine).

3. Over several segments, `terms_within` (fuzzy words, "did you mean") fell back to
   computing the edit distance to every word of the field in Python (a second per
   misspelt word on 150,000 articles); each segment can walk its own words with an
   automaton, which is what it does on one segment.

The segments are immutable once written, so caching the answers of 1 and 2 is safe.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh import columns
from whoosh.codec import whoosh3
from whoosh.reading import MultiReader, ReaderClosed, SegmentReader


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
        return reader


def _column_reader(
    self: Any, fieldname: str, column: Any = None, reverse: bool = False, translate: bool = True
) -> Any:
    if self.is_closed:
        raise ReaderClosed
    fieldobj = self.schema[fieldname]
    column = column or fieldobj.column_type
    if not column:
        raise ValueError(f"No column for field {fieldname!r} in {self!r}")
    cache: dict[tuple[str, type, bool, bool], Any] = self.__dict__.setdefault("_rr_columns", {})
    key = (fieldname, type(column), reverse, translate)
    reader = cache.get(key)
    if reader is not None:
        return reader
    if self._perdoc.has_column(fieldname):
        reader = self._perdoc.column_reader(fieldname, column)
        if reverse:
            reader.set_reverse()
    else:  # no column file in this segment: every document has the default
        reader = columns.EmptyColumnReader(column.default_value(reverse), self.doc_count_all())
    if translate:
        reader = columns.TranslatingColumnReader(reader, fieldobj.from_column_value)
    cache[key] = reader
    return reader


def _terms_within(
    self: Any, fieldname: str, text: str, maxdist: int, prefix: int = 0
) -> Iterator[str]:
    seen: set[str] = set()
    for reader in self.readers:
        for word in reader.terms_within(fieldname, text, maxdist, prefix):
            if word not in seen:
                seen.add(word)
                yield word


def apply() -> None:
    """Install the fixes (idempotent)."""
    whoosh3.W3PerDocReader._cached_reader = _cached_reader
    SegmentReader.column_reader = _column_reader
    MultiReader.terms_within = _terms_within
