"""Values worked out once for a state of the index, shared by every thread's searcher.

Facet counts, sort orders, BM25 norms, fuzzy words: each is worked out from an index
state (its segments, sometimes their deletions) and holds until the state changes.
The window searches on two threads, each with its own searcher, so the values are
kept here rather than on a searcher.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


def segment_ids(reader: Any) -> tuple[str, ...] | None:
    """The ids of a reader's segments, which name the index state; None for an empty index."""
    segments = reader.segments()
    return None if segments is None else tuple(segment.segment_id() for segment in segments)


class StateCache(Generic[V]):
    """Values by key (a key names the index state it was worked out for), at most `kept`.

    The oldest goes first. A value is worked out outside the lock, so a slow one does not
    hold up the other thread's look-ups; two threads may then work out the same value, and
    either is kept.
    """

    def __init__(self, kept: int) -> None:
        self._kept = kept
        self._lock = threading.Lock()
        self._values: dict[Hashable, V] = {}

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value for `key`, worked out by `make` if it is not kept."""
        with self._lock:
            if key in self._values:
                return self._values[key]
        value = make()
        with self._lock:
            while len(self._values) >= self._kept:
                del self._values[next(iter(self._values))]  # the oldest
            self._values[key] = value
        return value
