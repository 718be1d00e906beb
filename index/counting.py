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

from typing import Any

from whoosh import query as wq
from whoosh.query.wrappers import ConstantScoreQuery, WeightingQuery
from whoosh.searching import Searcher

from index.phrases import phrase_docs, posting_docs

# Past this many expected matches per candidate, an AND looks the candidates up instead.
SKIP_RATIO = 16


def matching_docnums(searcher: Searcher, query: wq.Query) -> list[int]:
    """The (index-wide) numbers of the documents that match `query`, deleted ones left out."""
    if searcher.doc_count_all() == 0:
        return []  # an index with no segment yet has no postings to read
    leaves = searcher.subsearchers or [(searcher, 0)]
    found: list[int] = []
    for leaf, offset in leaves:
        docs = _docset(leaf, query)
        found.extend(docs if offset == 0 else (docnum + offset for docnum in docs))
    return found


def _docset(searcher: Searcher, query: wq.Query) -> set[int]:
    """The documents of one segment matching `query`."""
    if isinstance(query, wq.Term):
        return _term_docs(searcher, query.fieldname, query.text)
    if type(query) is wq.Or and query.subqueries and not query.minmatch:
        found: set[int] = set()
        for child in query.subqueries:
            found |= _docset(searcher, child)
        return found
    if type(query) is wq.And and query.subqueries:  # not its subclasses (Ordered)
        reader = searcher.reader()
        sized = sorted(
            (child.estimate_size(reader), n, child) for n, child in enumerate(query.subqueries)
        )
        found = _docset(searcher, sized[0][2])
        for estimate, _n, child in sized[1:]:
            if not found:
                break
            if estimate > SKIP_RATIO * len(found):
                found = _keep_matching(searcher, child, found)  # few candidates: look them up
            else:
                found &= _docset(searcher, child)
        return found
    if type(query) is wq.AndNot:
        return _docset(searcher, query.a) - _docset(searcher, query.b)
    if type(query) is wq.AndMaybe:  # the optional side changes scores only
        return _docset(searcher, query.a)
    if type(query) is wq.Require:
        return _docset(searcher, query.a) & _docset(searcher, query.b)
    if type(query) in (ConstantScoreQuery, WeightingQuery):
        return _docset(searcher, query.child)  # ConstantScoreQuery, boosts
    if isinstance(query, wq.Phrase):
        return set(phrase_docs(searcher, query))
    if query is wq.NullQuery or isinstance(query, type(wq.NullQuery)):
        return set()
    if type(query) in (wq.Prefix, wq.Wildcard) and query.field():
        reader = searcher.reader()
        found = set()
        for btext in query._btexts(reader):
            found |= _term_docs(searcher, query.field(), btext)
        return found
    return set(query.docs(searcher))  # phrases, ranges, NOT, everything: Whoosh's own way


def _keep_matching(searcher: Searcher, query: wq.Query, candidates: set[int]) -> set[int]:
    """The candidates that `query` matches, found by skipping its matcher to each in turn."""
    matcher = query.matcher(searcher, searcher.boolean_context())
    kept: set[int] = set()
    for docnum in sorted(candidates):
        if not matcher.is_active():
            break
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                break
        if matcher.id() == docnum:
            kept.add(docnum)
    return kept


def _term_docs(searcher: Searcher, fieldname: str, text: Any) -> set[int]:
    schema = searcher.schema
    if fieldname not in schema:
        return set()
    try:
        btext = text if isinstance(text, bytes) else schema[fieldname].to_bytes(text)
    except ValueError:
        return set()
    reader = searcher.reader()
    if (fieldname, btext) not in reader:
        return set()
    return posting_docs(reader.postings(fieldname, btext))
