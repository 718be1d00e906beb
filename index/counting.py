"""The documents a query matches, found with set algebra on posting lists.

Whoosh finds matching documents by stepping a tree of matchers one document at
a time, several Python calls per document and per branch: counting the 23,000
articles that say "people" took longer than ranking them. Here each word's
posting list is read a block at a time into a set, and AND, OR and NOT become
set operations, which run in C; phrases are matched by index/phrases.py. Queries
this module does not know (ranges, fuzzy words) are left to Whoosh, for their branch
only. `tests/index/test_counting.py` holds the answers to Whoosh's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query.wrappers import ConstantScoreQuery, WeightingQuery
from whoosh.reading import SegmentReader
from whoosh.searching import Searcher

from index.phrases import phrase_docs, posting_docs

# Past this many expected matches per candidate, an AND looks the candidates up instead.
SKIP_RATIO = 16

_ALL = "_rr_every_document"  # where a reader keeps the numbers of all its live documents
Block = tuple[Sequence[int], Sequence[float]]  # a posting block's document numbers and weights


class Memo:
    """What one search has read already: a query's parts are counted once, postings decoded once.

    `docs` holds each part's documents by segment reader (counting a phrase twice, or
    the NOT side of a query for the count and again for the ranking, cost as much as
    the rest of a search); `blocks` holds the posting blocks decoded while counting,
    by segment reader and word, for the ranking (decoding is most of its cost).
    """

    def __init__(self) -> None:
        self.docs: dict[tuple[int, wq.Query], set[int]] = {}
        self.blocks: dict[tuple[int, str, bytes], list[Block]] = {}


def matching_docnums(searcher: Searcher, query: wq.Query) -> list[int]:
    """The (index-wide) numbers of the documents that match `query`, deleted ones left out."""
    return index_wide(searcher, segment_docsets(searcher, query))


def segment_docsets(
    searcher: Searcher, query: wq.Query, memo: Memo | None = None
) -> list[set[int]]:
    """Each segment's documents that match `query` (numbered within the segment).

    With `memo`, what is read is kept in it for the ranking (see `Memo`).
    """
    if searcher.doc_count_all() == 0:
        return []  # an index with no segment yet has no postings to read
    leaves = searcher.subsearchers or [(searcher, 0)]
    return [docset(leaf, query, memo) for leaf, _offset in leaves]


def index_wide(searcher: Searcher, docsets: list[set[int]]) -> list[int]:
    """The documents of `segment_docsets`, numbered across the index (not to be changed).

    The list of every live document (an empty query) is made once per searcher.
    """
    everything = sum(map(len, docsets)) == searcher.doc_count()  # distinct live documents
    reader = searcher.reader()
    if everything and _ALL in reader.__dict__:
        found: list[int] = reader.__dict__[_ALL]
        return found
    leaves = searcher.subsearchers or [(searcher, 0)]
    found = []
    for (_leaf, offset), docs in zip(leaves, docsets, strict=False):
        found.extend(docs if offset == 0 else map(offset.__add__, docs))
    if everything:
        reader.__dict__[_ALL] = found
    return found


def docset(searcher: Searcher, query: wq.Query, memo: Memo | None = None) -> set[int]:
    """The documents of one segment matching `query` (not to be changed: it may be kept).

    With `memo`, each part's documents and the posting blocks read whole are
    kept in it and taken from it.
    """
    if memo is None:
        return _docset(searcher, query, None)
    try:
        key = (id(searcher.reader()), query)
        found = memo.docs.get(key)
    except TypeError:  # a query Whoosh cannot hash
        return _docset(searcher, query, memo)
    if found is None:
        found = memo.docs[key] = _docset(searcher, query, memo)
    return found


def _docset(searcher: Searcher, query: wq.Query, memo: Memo | None) -> set[int]:
    if isinstance(query, wq.Term):
        return _term_docs(searcher, query.fieldname, query.text, memo)
    if type(query) is wq.Or and query.subqueries and not query.minmatch:
        found: set[int] = set()
        for child in query.subqueries:
            found |= docset(searcher, child, memo)
        return found
    if type(query) is wq.And and query.subqueries:  # not its subclasses (Ordered)
        reader = searcher.reader()
        # NOT parts take documents away: they come last, as set differences.
        sized = sorted(
            (type(child) is wq.Not, child.estimate_size(reader), n, child)
            for n, child in enumerate(query.subqueries)
        )
        found = set(docset(searcher, sized[0][3], memo))
        for negated, estimate, _n, child in sized[1:]:
            if not found:
                break
            if negated:
                found -= docset(searcher, child.query, memo)
            elif _is_everything(child):  # a filter's "all articles": a kept set, not a walk
                found &= _every(searcher)
            elif estimate > SKIP_RATIO * len(found):
                found = _keep_matching(searcher, child, found)  # few candidates: look them up
            else:
                found &= docset(searcher, child, memo)
        return found
    if type(query) is wq.AndNot:
        return docset(searcher, query.a, memo) - docset(searcher, query.b, memo)
    if type(query) is wq.AndMaybe:  # the optional side changes scores only
        return docset(searcher, query.a, memo)
    if type(query) is wq.Require:
        return docset(searcher, query.a, memo) & docset(searcher, query.b, memo)
    if type(query) in (ConstantScoreQuery, WeightingQuery):
        return docset(searcher, query.child, memo)  # ConstantScoreQuery, boosts
    if isinstance(query, wq.Phrase):
        return set(phrase_docs(searcher, query))
    if query is wq.NullQuery or isinstance(query, type(wq.NullQuery)):
        return set()
    if _is_everything(query):
        return _every(searcher)
    if type(query) is wq.Not:
        return _every(searcher) - docset(searcher, query.query, memo)
    if type(query) in (wq.Prefix, wq.Wildcard) and query.field():
        reader = searcher.reader()
        found = set()
        for btext in query._btexts(reader):
            found |= _term_docs(searcher, query.field(), btext, memo)
        return found
    return set(query.docs(searcher))  # phrases, ranges, NOT, everything: Whoosh's own way


def _is_everything(query: wq.Query) -> bool:
    return type(query) is wq.Every and query.fieldname in (None, "", "*")


def _every(searcher: Searcher) -> set[int]:
    """Every live document of a segment (kept on its reader, whose documents never change)."""
    reader = searcher.reader()
    if not isinstance(reader, SegmentReader):
        return set(reader.all_doc_ids())
    everything: set[int] | None = reader.__dict__.get(_ALL)
    if everything is None:
        everything = reader.__dict__[_ALL] = set(range(reader.doc_count_all()))
        if reader.has_deletions():
            everything.difference_update(reader.deleted_docs_set)
    return everything


def _keep_matching(searcher: Searcher, query: wq.Query, candidates: set[int]) -> set[int]:
    """The candidates that `query` matches, found by skipping its matcher to each in turn."""
    return set(landings(query.matcher(searcher, searcher.boolean_context()), candidates))


def landings(matcher: Any, wanted: Iterable[int]) -> Iterator[int]:
    """Each wanted document the matcher holds, in order, with the matcher standing on it."""
    for docnum in sorted(wanted):
        if not matcher.is_active():
            return
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                return
        if matcher.id() == docnum:
            yield docnum


def _term_docs(searcher: Searcher, fieldname: str, text: Any, memo: Memo | None = None) -> set[int]:
    reader = searcher.reader()
    btext = term_bytes(searcher, fieldname, text)
    if btext is None:
        return set()
    postings = reader.postings(fieldname, btext)
    leaf = postings.child if isinstance(postings, FilterMatcher) else postings
    if memo is None or not isinstance(leaf, W3LeafMatcher):
        return posting_docs(postings)
    blocks = memo.blocks[block_key(reader, fieldname, btext)] = read_blocks(leaf)
    found: set[int] = set().union(*(ids for ids, _weights in blocks))
    if postings is not leaf and postings._exclude:
        found.difference_update(postings._ids)  # deleted documents
    return found


def term_bytes(searcher: Searcher, fieldname: str, text: Any) -> bytes | None:
    """A word as the segment's index stores it, or None if the segment has no such word."""
    schema = searcher.schema
    if fieldname not in schema:
        return None
    try:
        btext = text if isinstance(text, bytes) else schema[fieldname].to_bytes(text)
    except ValueError:
        return None
    return btext if (fieldname, btext) in searcher.reader() else None


def read_blocks(matcher: Any) -> list[Block]:
    """A posting list's (ids, weights), block by block, all decoded."""
    blocks = []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        blocks.append((matcher._ids, matcher._weights))
        matcher._next_block()
    return blocks


def block_key(reader: Any, fieldname: str, btext: bytes) -> tuple[int, str, bytes]:
    """Where a segment's posting blocks for a word are kept in a `Memo`."""
    return id(reader), fieldname, btext
