"""Phrase search without Whoosh's span machinery.

Whoosh matches `"united states"` by stepping an intersection of the words' posting
lists one article at a time and, at each, decoding both words' positions into `Span`
objects and comparing them pairwise, all in Python: 0.2 s for the 13,600 articles that
hold the phrase among 157,595. Here the articles holding every word are found first
with set algebra (in C), and positions are decoded only for those, a block of
postings at a time, and compared as sets of integers.

`FastPhrase` is a drop-in `Phrase`: the same words, slop and boost, the same matches
(`tests/index/test_phrases.py` checks them against Whoosh's), and the same scores,
which Whoosh takes from the intersection of the words, not from the positions.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from itertools import accumulate
from pickle import loads  # noqa: S403 - Whoosh's own posting format, from the index we wrote
from typing import Any

from whoosh import formats, matching
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.binary import IntersectionMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Searcher
from whoosh.util import make_binary_tree

# What a phrase's documents are cached under, on each segment's searcher.
_CACHE = "_rr_phrase_docs"
_CACHE_SIZE = 32
_COUNT_SIZE = 4  # Whoosh's positions start with a 4-byte count, then a pickled list of gaps


def phrase_docs(searcher: Searcher, phrase: wq.Phrase) -> frozenset[int]:
    """The documents of one segment's `searcher` that hold `phrase` (deleted ones left out)."""
    key = (phrase.fieldname, tuple(phrase.words), phrase.slop)
    cache: dict[Any, frozenset[int]] = searcher.__dict__.setdefault(_CACHE, {})
    found = cache.get(key)
    if found is None:
        found = frozenset(_find(searcher, *key))
        if len(cache) >= _CACHE_SIZE:
            del cache[next(iter(cache))]
        cache[key] = found
    return found


def _find(searcher: Searcher, fieldname: str, words: tuple[str, ...], slop: int) -> set[int]:
    schema = searcher.schema
    if fieldname not in schema or not words:
        return set()
    field = schema[fieldname]
    reader = searcher.reader()
    terms: list[bytes] = []
    for word in words:
        try:
            term = field.to_bytes(word)
        except ValueError:
            return set()
        if (fieldname, term) not in reader:
            return set()
        terms.append(term)
    distinct = sorted(set(terms), key=lambda t: reader.doc_frequency(fieldname, t))
    candidates = posting_docs(reader.postings(fieldname, distinct[0]))
    for term in distinct[1:]:
        if not candidates:
            return set()
        candidates &= posting_docs(reader.postings(fieldname, term))
    if not candidates or len(terms) == 1:
        return candidates
    ordered = sorted(candidates)
    positions = {
        term: _positions(reader.postings(fieldname, term), ordered, candidates) for term in distinct
    }
    return {
        docnum
        for docnum in ordered
        if _holds(
            [positions[term][docnum] for term in terms],
            slop,
        )
    }


def _holds(positions: list[list[int]], slop: int) -> bool:
    """Whether the words occur in order, each 1 to `slop` positions after the one before.

    This is Whoosh's rule (`SpanNear2` with `ordered=True, mindist=1`).
    """
    if slop < 1:
        return False  # no gap is both at least 1 and at most `slop`
    if slop == 1:
        starts = set(positions[0])
        for offset, later in enumerate(positions[1:], start=1):
            starts &= {position - offset for position in later}
            if not starts:
                return False
        return True
    ends = sorted(positions[0])
    for later in positions[1:]:
        reached = []
        for position in later:
            # Some chain ends in [position - slop, position - 1].
            at = bisect_left(ends, position - slop)
            if at < len(ends) and ends[at] < position:
                reached.append(position)
        if not reached:
            return False
        ends = reached
    return True


def posting_docs(matcher: Any) -> set[int]:
    """Every document of a posting list, a block at a time where the format allows.

    Deleted documents (Whoosh's filter around the list) are left out.
    """
    excluded: Iterable[int] = ()
    if isinstance(matcher, FilterMatcher) and matcher._exclude:
        excluded, matcher = matcher._ids, matcher.child  # deleted documents
    if isinstance(matcher, W3LeafMatcher):
        found: set[int] = set()
        while matcher.is_active():
            matcher._read_ids()
            found.update(matcher._ids)
            matcher._next_block()
    else:
        found = set(matcher.all_ids())
    found.difference_update(excluded)
    return found


def _decode(value: bytes) -> list[int]:
    """Whoosh's encoded positions (see `formats.Positions.encode`), decoded at C speed."""
    if not value.endswith(b"."):
        value += b"."
    return list(accumulate(loads(value[_COUNT_SIZE:])))  # noqa: S301 - see the import


def _positions(matcher: Any, ordered: list[int], wanted: set[int]) -> dict[int, list[int]]:
    """The positions of the term in each wanted document, decoding only those."""
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child  # the deleted documents are not wanted anyway
    found: dict[int, list[int]] = {}
    if not isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            if matcher.id() in wanted:
                found[matcher.id()] = list(matcher.value_as("positions"))
            matcher.next()
        return found
    # Whoosh's encoding (indexes written before `PackedPositions`) has a faster decoder here.
    decode = (
        _decode if type(matcher.format) is formats.Positions else matcher.format.decode_positions
    )
    while matcher.is_active():
        low, high = matcher.block_min_id(), matcher.block_max_id()
        at = bisect_left(ordered, low)
        if at < len(ordered) and ordered[at] <= high:
            matcher._read_ids()
            if matcher._values is None:
                matcher._read_values()
            for docnum, value in zip(matcher._ids, matcher._values, strict=True):
                if docnum in wanted:
                    found[docnum] = decode(value)
        matcher._next_block()
    return found


class FastPhrase(wq.Phrase):  # type: ignore[misc]  # Whoosh has no type information
    """A `Phrase` matched by `phrase_docs`, scored as Whoosh scores a phrase."""

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        """The words' intersection (which gives Whoosh's phrase scores), kept to the phrase."""
        if self.fieldname not in searcher.schema:
            return matching.NullMatcher()
        docs = phrase_docs(searcher, self)
        if not docs:
            return matching.NullMatcher()
        field = searcher.schema[self.fieldname]
        children = [
            wq.Term(self.fieldname, field.to_bytes(word)).matcher(searcher, context)
            for word in self.words
        ]
        return _PhraseMatcher(make_binary_tree(IntersectionMatcher, children), docs, self.boost)


class _PhraseMatcher(FilterMatcher):  # type: ignore[misc]
    """The intersection, filtered to the phrase's documents.

    No block-max skipping: skipping a block would land on documents outside the filter.
    """

    def __init__(self, child: Any, ids: frozenset[int], boost: float) -> None:
        super().__init__(child, ids, exclude=False, boost=boost)

    def _replacement(self, newchild: Any) -> Any:
        return _PhraseMatcher(newchild, self._ids, self.boost)

    def copy(self) -> Any:
        return _PhraseMatcher(self.child.copy(), self._ids, self.boost)

    def supports_block_quality(self) -> bool:
        return False

    def replace(self, minquality: float = 0) -> Any:
        if not self.is_active():
            return matching.NullMatcher()
        return self


def with_fast_phrases(query: wq.Query) -> wq.Query:
    """The query with each `Phrase` in it made a `FastPhrase`."""
    if type(query) is wq.Phrase:
        return FastPhrase(
            query.fieldname, query.words, slop=query.slop, boost=query.boost,
            char_ranges=query.char_ranges,
        )  # fmt: skip
    if query.is_leaf():
        return query
    return query.apply(with_fast_phrases)
