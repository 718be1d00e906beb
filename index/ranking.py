"""Relevance ranking of a query's matches, a posting block at a time.

Whoosh ranks by stepping a tree of matchers one document at a time: for a common
word, tens of thousands of Python calls through unions and intersections, which
was most of a search's time on a large archive. The matches are already known
(index/counting.py), so here each word's postings are read a block at a time and
scored with Whoosh's own BM25F formula and figures (idf, average field length,
the stored field lengths), and the tree's sums and intersections become dict
operations. The first page is the same as Whoosh's collector gives, ties going to
the earlier article: `tests/index/test_ranking.py` holds it to Whoosh's answers.

Scores may differ from Whoosh's in the last bits where a score sums three or more
parts (Whoosh's own sum order depends on each segment's term counts). Queries with
a part not known here (ranges, ...) are ranked by Whoosh
(`ranked` returns None).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from itertools import chain, compress, repeat
from operator import add, mul, truediv
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query.wrappers import ConstantScoreQuery
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from index.counting import (
    SKIP_RATIO,
    Block,
    Memo,
    block_key,
    docset,
    landings,
    read_blocks,
    term_bytes,
)
from index.phrases import FastPhrase
from index.state_cache import StateCache

Scores = dict[int, float]


class _UnsupportedError(Exception):
    """The query holds a part this module does not rank: Whoosh ranks it."""


def ranked(
    searcher: Searcher,
    query: wq.Query,
    matching: list[set[int]],
    limit: int,
    check: Callable[[], None],
    memo: Memo | None = None,
) -> list[tuple[float, int]] | None:
    """The best `limit` matches as (score, index-wide document number), best first.

    `matching` holds each segment's matching documents (`counting.segment_docsets`),
    `memo` the posting blocks it read; `check` is called between steps (it raises
    to stop). None when the query holds a part that only Whoosh can rank.
    """
    if type(searcher.weighting) is not BM25F:
        return None
    leaves = searcher.subsearchers or [(searcher, 0)]
    found: list[tuple[float, int]] = []
    memo = memo or Memo()
    constant = _constant_score(query)
    if constant is not None:  # every match scores the same: the first ones, in article order
        for (_leaf, offset), candidates in zip(leaves, matching, strict=True):
            wanted = limit - len(found)
            if wanted <= 0:
                break
            found.extend(
                (constant, docnum + offset) for docnum in heapq.nsmallest(wanted, candidates)
            )
        return found
    try:
        for (leaf, offset), candidates in zip(leaves, matching, strict=True):
            if candidates:
                ranker = _SegmentRanker(searcher, leaf, candidates, check, memo)
                scores = ranker.scores(query)
                found.extend((score, docnum + offset) for docnum, score in _best(scores, limit))
    except _UnsupportedError:
        return None
    found.sort(key=lambda pair: (-pair[0], pair[1]))
    return found[:limit]


def _constant_score(query: wq.Query) -> float | None:
    """The score every match of `query` gets, when it is the same for all (else None).

    An empty query (every article), with or without filters, scores all its matches
    alike: the sums and products are the ones `_SegmentRanker` would make.
    """
    constant = _leaf_constant(query)
    if constant is not None:
        return constant
    if type(query) is wq.And and query.subqueries:
        parts = [_constant_score(child) for child in query.subqueries]
        if any(part is None for part in parts):
            return None
        if len(parts) == 1:
            return parts[0]
        total = 0.0
        for part in parts:
            total += part or 0.0
        return total * query.boost if query.boost != 1.0 else total
    return None


def _leaf_constant(query: wq.Query) -> float | None:
    """What Whoosh weighs every match of an unscored part with, or None for other parts.

    Every document: the boost. NOT (Whoosh's inverse matcher): 1.0. A constant score:
    that score, except that Whoosh's list matcher takes a zero for "no weight", 1.0.
    """
    kind = type(query)
    if kind is wq.Every and query.fieldname in (None, "", "*"):
        return float(query.boost)
    if kind is ConstantScoreQuery:
        return float(query.score or 1.0)
    if kind is wq.Not:
        return 1.0
    return None


def _best(scores: Scores, limit: int) -> list[tuple[int, float]]:
    """Every document scoring at least the `limit`-th best score (ties kept)."""
    if len(scores) <= limit:
        return list(scores.items())
    least = heapq.nlargest(limit, scores.values())[-1]
    return [(docnum, score) for docnum, score in scores.items() if score >= least]


# Each document's BM25 length norm, per segment, field and index-wide statistics.
_NORMS: StateCache[list[float]] = StateCache(64)


def _norms(leaf: Searcher, fieldname: str, scorer: BM25FScorer) -> list[float]:
    """`K1 * ((1 - B) + B * length / average)` for every document of a segment.

    The same expression Whoosh's `bm25` evaluates, on the same stored length byte,
    so each score comes out bit for bit the same.
    """
    reader = leaf.reader()
    b, k1, avgfl = scorer.B, scorer.K1, scorer.avgfl

    def norms() -> list[float]:
        lengths = [byte_to_length(byte) if byte else 1 for byte in range(256)]
        by_byte = [k1 * ((1 - b) + b * length / avgfl) for length in lengths]
        return [by_byte[byte] for byte in _length_bytes(reader, fieldname)]

    return _NORMS.get((reader.segment().segment_id(), fieldname, avgfl, b, k1), norms)


def _length_bytes(reader: Any, fieldname: str) -> bytes:
    """Each document's stored length byte for a field (0 where none is stored)."""
    count = reader.doc_count_all()
    perdoc = reader._perdoc
    column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if column is None:
        return bytes(count)
    try:
        data = bytes(column._dbfile.get(column._basepos, min(column._count, count)))
    except AttributeError:  # another column reader: read it value by value
        data = bytes(column[docnum] for docnum in range(count))
    return data + bytes(count - len(data))


class _SegmentRanker:
    """Scores one segment's candidate documents for a query tree, as Whoosh's matchers do."""

    def __init__(
        self,
        top: Searcher,
        leaf: Searcher,
        candidates: set[int],
        check: Callable[[], None],
        memo: Memo,
    ) -> None:
        self._memo = memo
        self._top = top
        self._leaf = leaf
        self._reader = leaf.reader()
        self._candidates = candidates
        self._check = check

    def scores(self, query: wq.Query, within: AbstractSet[int] | None = None) -> Scores:
        """Each candidate document (of `within`, if given) that `query` matches, with its score."""
        within = self._candidates if within is None else within
        kind = type(query)
        if kind is wq.Term:
            return self._term(query.fieldname, query.text, query.boost, within)
        if kind in (wq.Or, wq.And) and query.subqueries:
            if kind is wq.Or and (query.scale or query.minmatch):
                raise _UnsupportedError
            subqueries = query.subqueries
            if len(subqueries) == 1:  # Whoosh uses the child's matcher, boost and all
                return self.scores(subqueries[0], within)
            if kind is wq.Or:
                parts = [self.scores(child, within) for child in subqueries]
                return _boosted(_union(parts), query.boost)
            return _boosted(self._and(subqueries, within), query.boost)
        if kind is wq.AndNot:
            scored = self.scores(query.a, within)
            return _without(scored, self._docs(query.b))
        if kind is wq.AndMaybe:
            scored = self.scores(query.a, within)
            optional = self.scores(query.b, set(scored))
            return {doc: s + optional[doc] if doc in optional else s for doc, s in scored.items()}
        if kind is wq.Require:
            required = self._docs(query.b)
            return {doc: s for doc, s in self.scores(query.a, within).items() if doc in required}
        constant = _leaf_constant(query)
        if constant is not None:
            return dict.fromkeys(self._unscored_within(query, within), constant)
        if kind is FastPhrase:
            return self._phrase(query, within)
        if kind in (wq.Prefix, wq.Wildcard) and query.field():
            return self._multiterm(query, within)
        if query is wq.NullQuery or isinstance(query, type(wq.NullQuery)):
            return {}
        raise _UnsupportedError

    def _and(self, subqueries: list[wq.Query], within: AbstractSet[int]) -> Scores:
        """The documents every part matches, their scores added in the parts' order.

        The rarest part goes first and narrows the documents the others score.
        """
        order = sorted(
            range(len(subqueries)), key=lambda n: subqueries[n].estimate_size(self._reader)
        )
        parts: list[Scores] = [{} for _ in subqueries]
        for n in order:
            parts[n] = self.scores(subqueries[n], within)
            if not parts[n]:
                return {}
            within = set(parts[n])
        return _intersection(parts)

    def _unscored_within(self, query: wq.Query, within: AbstractSet[int]) -> AbstractSet[int]:
        """The documents of `within` that an unscored part (see `_leaf_constant`) matches."""
        kind = type(query)
        if kind is wq.Every:
            return within  # the candidates are live documents
        if kind is wq.Not:
            return within - self._docs(query.query)  # not the segment's whole complement
        return self._docs(query) & within

    def _docs(self, query: wq.Query) -> set[int]:
        return docset(self._leaf, query, self._memo)

    def _multiterm(self, query: wq.Query, within: AbstractSet[int]) -> Scores:
        """A prefix or wildcard: its words OR-ed (Whoosh scores each word as a term)."""
        words = [word for word in query._btexts(self._reader) if word]
        if not words:
            return {}
        fieldname = query.field()
        if len(words) == 1:
            return self._term(fieldname, words[0], 1.0, within)
        parts = [self._term(fieldname, word, 1.0, within) for word in words]
        return _boosted(_union(parts), query.boost)

    def _phrase(self, query: FastPhrase, within: AbstractSet[int]) -> Scores:
        """A phrase scores as the intersection of its words, on the phrase's documents."""
        if query.fieldname not in self._leaf.schema:
            return {}
        docs = self._docs(query) & within
        if not docs:
            return {}
        field = self._leaf.schema[query.fieldname]
        parts = [
            self._term(query.fieldname, field.to_bytes(word), 1.0, docs) for word in query.words
        ]
        return _boosted(_intersection(parts), query.boost)

    def _term(self, fieldname: str, text: Any, boost: float, within: AbstractSet[int]) -> Scores:
        """A word's score in each document of `within` that holds it."""
        btext = term_bytes(self._leaf, fieldname, text)
        if btext is None or not within:
            return {}
        reader = self._reader
        self._check()
        matcher = self._leaf.postings(fieldname, btext, weighting=self._top.weighting)
        if isinstance(matcher, FilterMatcher) and matcher._exclude:
            matcher = matcher.child  # deleted documents: never among the candidates
        scorer = getattr(matcher, "scorer", None)
        if reader.doc_frequency(fieldname, btext) > SKIP_RATIO * len(within):
            scores = _looked_up(matcher, within)  # few documents: skip to each
        elif isinstance(matcher, W3LeafMatcher) and type(scorer) is BM25FScorer:
            blocks = self._memo.blocks.get(block_key(reader, fieldname, btext)) or read_blocks(
                matcher
            )
            scores = _by_block(blocks, scorer, _norms(self._leaf, fieldname, scorer), within)
        else:
            scores = _one_by_one(matcher, within)
        return _boosted(scores, boost)


def _by_block(
    blocks: list[Block],
    scorer: BM25FScorer,
    norms: list[float],
    within: AbstractSet[int],
) -> Scores:
    """BM25 for every posting of `within` (Whoosh's `bm25`, the same operations in C loops).

    `idf * ((tf * (K1 + 1)) / (tf + norm))` for all postings at once, with `map` over
    the operators: the same floating-point operations in the same order as Whoosh.
    """
    ids: Sequence[int] = list(chain.from_iterable(block[0] for block in blocks))
    weights: Sequence[float] = list(chain.from_iterable(block[1] for block in blocks))
    kept = list(map(within.__contains__, ids))
    if not all(kept):
        ids, weights = list(compress(ids, kept)), list(compress(weights, kept))
    scores = map(
        mul,
        repeat(scorer.idf),
        map(
            truediv,
            map(mul, weights, repeat(scorer.K1 + 1)),
            map(add, weights, map(norms.__getitem__, ids)),
        ),
    )
    return dict(zip(ids, scores, strict=True))


def _looked_up(matcher: Any, within: AbstractSet[int]) -> Scores:
    """Whoosh's own scores for the few wanted documents, skipping to each."""
    return {docnum: matcher.score() for docnum in landings(matcher, within)}


def _one_by_one(matcher: Any, within: AbstractSet[int]) -> Scores:
    scores: Scores = {}
    while matcher.is_active():
        if matcher.id() in within:
            scores[matcher.id()] = matcher.score()
        matcher.next()
    return scores


def _boosted(scores: Scores, boost: float) -> Scores:
    """Whoosh's wrapping matcher: every score times the boost, when it is not 1."""
    if boost == 1.0:
        return scores
    return {doc: score * boost for doc, score in scores.items()}


def _union(parts: list[Scores]) -> Scores:
    """Every document of any part; the scores of the parts that hold it, added.

    The largest part is copied whole; the others are added to it.
    """
    parts = sorted((part for part in parts if part), key=len, reverse=True)
    if not parts:
        return {}
    combined = dict(parts[0])
    for part in parts[1:]:
        shared = list(combined.keys() & part.keys())
        sums = list(map(add, map(combined.__getitem__, shared), map(part.__getitem__, shared)))
        combined.update(zip(shared, sums, strict=True))
        if len(shared) < len(part):
            combined.update((doc, part[doc]) for doc in part.keys() - combined.keys())
    return combined


def _intersection(parts: list[Scores]) -> Scores:
    """The documents in every part, their scores added in the parts' order."""
    if not parts or not all(parts):
        return {}
    sizes = [len(part) for part in parts]
    common = set(parts[sizes.index(min(sizes))])
    for part in parts:
        common.intersection_update(part)
    docs = list(common)
    sums: Iterable[float] = map(parts[0].__getitem__, docs)
    for part in parts[1:]:
        sums = map(add, sums, map(part.__getitem__, docs))
    return dict(zip(docs, sums, strict=True))


def _without(scores: Scores, excluded: set[int]) -> Scores:
    return {doc: score for doc, score in scores.items() if doc not in excluded}
