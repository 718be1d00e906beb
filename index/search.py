"""Run a search: ranked hits with highlighted passages, facet counts and "did you mean"."""

from __future__ import annotations

import heapq
import html
import re
import sys
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import filterfalse, islice
from typing import Any

from whoosh import collectors, columns, highlight
from whoosh import query as wq
from whoosh.qparser import QueryParser
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Results, Searcher

from index.analysis import FastHighlighter, FastText
from index.counting import Memo, index_wide, matching_docnums, segment_docsets
from index.models import Filters, Hit, SearchRequest, SearchResult, SortOrder
from index.phrases import with_fast_phrases
from index.query import MAX_QUERY_CHARS, expand_fuzzy, parse_query
from index.ranking import ranked
from index.state_cache import StateCache, segment_ids
from index.versions import EMPTY_STORIES, StoryMap, collapse, hidden_versions, opening, summary

SNIPPET_CHARS = 220
SNIPPET_SURROUND = 70
SNIPPET_SOURCE_CHARS = 300_000
SUGGEST_BELOW = 3
COLLAPSE_SLACK = 10  # ranked beyond the page at first when some matches fold into stories
DENSE_SHARE = 4  # a sorted list of at least a quarter of the archive walks its sorted order
MAX_SUGGEST_WORDS = 12
BODY = "body"
FACETS = {"source": "source_facet", "year": "year", "folder": "folder_facet"}
_SEPARATOR = "\x1f"
_WHITESPACE = re.compile(r"\s+")
# Sort orders other than relevance: the column that holds the key, and whether descending.
_SORTS: dict[SortOrder, tuple[str, bool]] = {
    SortOrder.NEWEST: ("date_newest", True),
    SortOrder.OLDEST: ("date_oldest", False),
    SortOrder.TITLE: ("title_sort", False),
}
_QUERY_WORD = re.compile(r"(?<![:\w])(?!(?:AND|OR|NOT|TO)\b)([^\W\d_]{3,})(?![\w:*~])")


class MarkFormatter(highlight.Formatter):  # type: ignore[misc]
    """Matched words in `<mark>`, everything else HTML-escaped; passages kept apart."""

    between = _SEPARATOR

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        """Wrap one matched word."""
        marked = html.escape(highlight.get_text(text, token, replace), quote=False)
        return f"<mark>{marked}</mark>"

    def _text(self, text: str) -> str:
        return html.escape(_WHITESPACE.sub(" ", text), quote=False)


_TITLE_HIGHLIGHTER = FastHighlighter(
    fragmenter=highlight.WholeFragmenter(), formatter=MarkFormatter()
)


def _filter_query(searcher: Searcher, filters: Filters, skip: str | None = None) -> wq.Query | None:
    """The filters as a query.

    Outlets match whatever their case; a folder filter matches the folder and
    everything under it, by full label ("bbc/politics") or name ("politics").
    """
    parts: list[wq.Query] = []
    if filters.sources and skip != "source":
        wanted = {value.casefold() for value in filters.sources}
        known = (term.decode("utf-8") for term in searcher.lexicon("source_facet"))
        matching = [term for term in known if term.casefold() in wanted]
        parts.append(wq.Or([wq.Term("source_facet", term) for term in matching]))
    if filters.years and skip != "year":
        parts.append(wq.Or([wq.Term("year", str(year)) for year in filters.years]))
    if filters.folders and skip != "folder":
        parts.append(wq.Or([wq.Term("folder", folder.lower()) for folder in filters.folders]))
    if filters.periods and skip != "period":
        parts.append(wq.Or([_period_query(period) for period in filters.periods]))
    if filters.only_ids is not None:
        ids = sorted(filters.only_ids)
        parts.append(wq.Or([wq.Term("id", i) for i in ids]) if ids else wq.NullQuery)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _period_query(period: str) -> wq.Query:
    """A year ("2022") or a month ("2022-03") of the timeline."""
    period = period.strip()
    if len(period) == 4:
        return wq.Prefix("month", f"{period}-")
    return wq.Term("month", period)


def _restrict(query: wq.Query, filter_query: wq.Query | None) -> wq.Query:
    """The query limited by the filters, without changing its scores.

    Whoosh's `filter=` argument narrows the hits but not `len(results)`, so the
    filters join the query itself, with a score of zero.
    """
    if filter_query is None:
        return query
    return wq.And([query, wq.ConstantScoreQuery(filter_query, score=0.0)])


_COLUMN_LOCK = threading.Lock()
# Column values by document (facets, sort keys), per set of segments and column: shared by
# every thread's searcher.
_COLUMN_CACHE: dict[tuple[str, ...] | None, dict[str, list[Any]]] = {}
_COLUMN_CACHE_SETS = 2  # the index now and the one before (searchers still open on it)
# Counts over the whole archive, by index state (segments and deletions) and column.
_ALL_COUNTS: StateCache[dict[str, int]] = StateCache(4 * len(FACETS))
# Every document in the order of a sort column, by segments, column and direction.
_ORDERS: StateCache[array[int]] = StateCache(2 * len(_SORTS))


def _column_of(searcher: Searcher, column: str) -> list[Any]:
    """Each document's raw value in a column (facets, sort keys), by document number.

    Reading a column value by value costs Python calls for each article; this
    list is read once per index state (all threads share it) and then counted at
    C speed (`Counter(map(...))`); only the distinct values are decoded.
    """
    segments = segment_ids(searcher.reader())
    with _COLUMN_LOCK:
        by_name = _COLUMN_CACHE.get(segments)
        if by_name is None:
            while len(_COLUMN_CACHE) >= _COLUMN_CACHE_SETS:
                del _COLUMN_CACHE[next(iter(_COLUMN_CACHE))]  # the oldest index state
            by_name = _COLUMN_CACHE[segments] = {}
        values = by_name.get(column)
        if values is None:
            reader = searcher.reader().column_reader(column, translate=False)
            values = by_name[column] = _column_values(reader)
    return values


def _column_values(reader: Any) -> list[Any]:
    """Every document's raw value; a column of few values is read in one go, not value by value."""
    parts = reader._readers if isinstance(reader, columns.MultiColumnReader) else [reader]
    values: list[Any] = []
    for part in parts:
        if isinstance(part, columns.RefBytesColumn.Reader):
            data = part._dbfile.get(part._basepos, part._doccount * part._itemsize)
            refs = array(part._typecode, data)
            if sys.byteorder == "little" and refs.itemsize > 1:
                refs.byteswap()  # stored big-endian
            values.extend(map(part._uniques.__getitem__, refs))
        else:
            values.extend(part)
    return values


def _counts(searcher: Searcher, docnums: list[int], name: str) -> dict[str, int]:
    counted = _value_counts(searcher, docnums, FACETS[name])
    return dict(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def _value_counts(searcher: Searcher, docnums: list[int], column: str) -> dict[str, int]:
    """How many of the documents have each value of a column (empty values left out).

    When the documents are the whole archive (an empty query, a word in every
    article), the counts are read once per index state.
    """
    if not docnums:
        return {}  # nothing to count (and an empty index has no columns to read)
    if len(docnums) == searcher.doc_count():  # distinct live documents: all of them
        state = tuple(
            (segment.segment_id(), segment.deleted_count())
            for segment in searcher.reader().segments()
        )
        counts = _ALL_COUNTS.get((state, column), lambda: _count_values(searcher, docnums, column))
        return dict(counts)
    return _count_values(searcher, docnums, column)


def _count_values(searcher: Searcher, docnums: list[int], column: str) -> dict[str, int]:
    values = _column_of(searcher, column)
    only = _only_value(searcher, column, values)
    if only is not _MANY:  # one value for the whole archive (no outlets, no dates): no count
        counted: Counter[Any] | dict[Any, int] = {only: len(docnums)}
    else:
        counted = Counter(map(values.__getitem__, docnums))
    return {key.decode("utf-8", "replace"): int(n) for key, n in counted.items() if key}


_MANY = object()  # a column holding more than one value
# The one value a column holds in every document, or _MANY; by segments and column.
_ONLY_VALUES: StateCache[Any] = StateCache(2 * len(FACETS) + 2)


def _only_value(searcher: Searcher, column: str, values: list[Any]) -> Any:
    """The value every document has in `column` (its values: `values`), or `_MANY`.

    Archives often lack a facet altogether (plain texts have no outlet, Wikipedia no
    dates): counting its one value over every match cost a millisecond a facet.
    """

    def only() -> Any:
        distinct = set(values)
        return distinct.pop() if len(distinct) == 1 else _MANY

    return _ONLY_VALUES.get((segment_ids(searcher.reader()), column), only)


def _timeline(
    searcher: Searcher, query: wq.Query, filters: Filters, matching: list[int]
) -> dict[str, int]:
    """Matches by month, in time order; a period filter does not narrow its own timeline."""
    if filters.periods:
        restricted = _restrict(query, _filter_query(searcher, filters, skip="period"))
        matching = matching_docnums(searcher, restricted)
    return dict(sorted(_value_counts(searcher, matching, "month").items()))


def _active_facets(filters: Filters) -> list[str]:
    chosen = {"source": filters.sources, "year": filters.years, "folder": filters.folders}
    return [name for name in FACETS if chosen[name]]


def _own_filter_facets(
    searcher: Searcher, query: wq.Query, filters: Filters, names: list[str]
) -> dict[str, dict[str, int]]:
    """Counts of the facets the user filters by: their own filter does not narrow them."""
    counts: dict[str, dict[str, int]] = {}
    for name in names:
        restricted = _restrict(query, _filter_query(searcher, filters, skip=name))
        counts[name] = _counts(searcher, matching_docnums(searcher, restricted), name)
    return counts


def _snippets(hit: WhooshHit, count: int, in_body: bool) -> tuple[str, ...]:
    body = hit.get("body", "")
    # Passages come from the start of a huge article, so one such hit cannot slow a search.
    text = hit.highlights("body", text=body[:SNIPPET_SOURCE_CHARS], top=count) if in_body else ""
    if text:
        return tuple(part.strip() for part in text.split(_SEPARATOR) if part.strip())
    return (opening(body),)


def _searches(query: wq.Query, fieldname: str) -> bool:
    """Whether a query looks for words in a field (else highlighting it finds nothing)."""
    leaves = [query] if query.is_leaf() else query.leaves()
    return any(getattr(leaf, "fieldname", None) == fieldname for leaf in leaves)


def _to_hit(hit: WhooshHit, snippets: int, in_title: bool, in_body: bool, relevance: bool) -> Hit:
    score = float(hit.score) if relevance and isinstance(hit.score, int | float) else None
    listed = summary(hit.fields(), score)
    title = _TITLE_HIGHLIGHTER.highlight_hit(hit, "title") if in_title else ""
    return replace(
        listed,
        snippets=_snippets(hit, snippets, in_body) if snippets else (),
        title_html=title or listed.title_html,
    )


def _respell(searcher: Searcher, word: str) -> str | None:
    """The archive's most frequent word within one (else two) edits of `word`, if better.

    An unknown word takes the best neighbour; a word the archive knows is only
    respelled when it is rare and a neighbour one edit away is far more common.
    The neighbours are looked for among the body's stems (the index keeps no
    second, unstemmed word list: see docs/decisions/0011), and the stem found is
    spelled the way an article that holds it spells it.
    """
    body: FastText = searcher.schema[BODY]
    term = body.term_of(word)
    if term is None:
        return None  # a stop word
    own = searcher.doc_frequency(BODY, term)
    if own >= 3:
        return None  # a word the archive uses often is not a misspelling
    reader = searcher.reader()
    for maxdist in (1, 2) if own == 0 else (1,):
        candidates = [
            (searcher.doc_frequency(BODY, found), str(found))
            for found in reader.terms_within(BODY, term, maxdist, prefix=1)
            if found != term
        ]
        if candidates:
            frequency, best = max(candidates)
            if own == 0 or (own <= 2 and frequency >= 20 * own):
                return _spelled(searcher, best)
            return None
    return None


def _spelled(searcher: Searcher, term: str) -> str | None:
    """The commonest spelling of an indexed stem in the first article that holds it."""
    body: FastText = searcher.schema[BODY]
    for docnum in searcher.docs_for_query(wq.Term(BODY, term)):
        text = str(searcher.stored_fields(docnum).get(BODY, ""))[:SNIPPET_SOURCE_CHARS]
        words = Counter(body.words_of(text, term))
        if words:
            return max(words, key=lambda w: (words[w], -len(w)))
        break
    return None


def suggest(searcher: Searcher, text: str) -> str | None:
    """A respelling of the query from the archive's own words, or None.

    Long pastes get none: past a dozen different words a respelling is no help.
    """
    words = {match.group(1).lower() for match in _QUERY_WORD.finditer(text)}
    if not words or len(words) > MAX_SUGGEST_WORDS:
        return None
    better = {word: _respell(searcher, word) for word in words}
    if not any(better.values()):
        return None
    return _QUERY_WORD.sub(lambda m: better.get(m.group(1).lower()) or m.group(1), text)


class SearchCancelledError(Exception):
    """The caller no longer wants this search's answer (a newer query came)."""


class _CancellableCollector(collectors.WrappingCollector):  # type: ignore[misc]
    """Ranks as the wrapped collector does, and stops when the caller gives up.

    Whoosh's own `TimeLimitCollector` works the same way, with a timer instead.
    """

    CHECK_EVERY = 256  # matches between looks at the flag

    def __init__(self, child: Any, cancelled: Callable[[], bool]) -> None:
        super().__init__(child)
        self._cancelled = cancelled

    def collect_matches(self) -> None:
        child, cancelled, every = self.child, self._cancelled, self.CHECK_EVERY
        for count, sub_docnum in enumerate(child.matches()):
            if count % every == 0 and cancelled():
                raise SearchCancelledError
            child.collect(sub_docnum)


def _never() -> bool:
    return False


def run_search(
    searcher: Searcher,
    parser: QueryParser,
    request: SearchRequest,
    cancelled: Callable[[], bool] | None = None,
    stories: StoryMap = EMPTY_STORIES,
) -> SearchResult:
    """Search the index; never raises for any query text.

    With `request.collapse`, a story shows once, where its best-placed version
    would be: the page is cut from the ranking with the later versions left out
    (`stories` says which articles are versions of one story).

    Raises:
        SearchCancelledError: `cancelled()` turned true while the search ran (it is looked at
            between steps and while ranking).
    """
    started = time.perf_counter()
    cancelled = cancelled or _never
    parsed = parse_query(request.query, parser)
    # An empty query lists everything (to browse with filters and a sort order).
    query = parsed.query if request.query.strip() else wq.Every()
    query = with_fast_phrases(expand_fuzzy(query, searcher.reader()))
    filter_query = _filter_query(searcher, request.filters)
    active = _active_facets(request.filters) if request.facets else []
    counted_here = [name for name in FACETS if name not in active] if request.facets else []
    restricted = _restrict(query, filter_query)
    # The matching articles are found first, without scoring (index/counting.py); then,
    # if there are any, only the page asked for is ranked among them (index/ranking.py),
    # from the posting blocks counting decoded.
    memo = Memo()  # what counting reads, for the ranking
    per_segment = segment_docsets(searcher, restricted, memo)
    matching = index_wide(searcher, per_segment)
    total = len(matching)
    by_doc = stories.by_doc if request.collapse else {}
    everything = total == searcher.doc_count()  # distinct live documents: all of them
    hidden = hidden_versions(matching, by_doc, everything) if by_doc else 0
    wanted = max(1, request.offset + request.limit)
    if cancelled():
        raise SearchCancelledError
    relevance = request.sort == SortOrder.RELEVANCE
    page: list[WhooshHit] = []
    if total:
        # The collapsed page lies within the first `wanted + hidden` of the ranking, but
        # a longer ranking costs more (each kept hit, and Whoosh's block skipping for the
        # queries it ranks): rank a few more than wanted, and more only when folded
        # versions leave the page short.
        limit = wanted + min(hidden, COLLAPSE_SLACK)
        while True:
            results = _ranked(
                searcher, restricted, request.sort, (matching, per_segment), limit, cancelled, memo
            )
            if not hidden:
                ranked = results
                break
            # `results[:n]`, not `list(results)`: that asks for `len`, which a hand-made
            # `Results` cannot count.
            top = results[: len(results.top_n)]
            firsts = set(collapse((h.docnum for h in top), by_doc))
            ranked = [h for h in top if h.docnum in firsts]
            if len(ranked) >= wanted or limit >= wanted + hidden:
                break
            limit = min(wanted + hidden, 2 * limit)
        page = ranked[request.offset : request.offset + request.limit]
    if cancelled():
        raise SearchCancelledError
    in_title, in_body = _searches(query, "title"), _searches(query, "body")
    hits = tuple(
        _with_story(
            searcher, _to_hit(hit, request.snippets, in_title, in_body, relevance), hit, stories
        )
        for hit in page
    )
    facets = {name: _counts(searcher, matching, name) for name in counted_here}
    facets.update(_own_filter_facets(searcher, query, request.filters, active))
    timeline: dict[str, int] = {}
    if request.facets:
        facets = {name: facets[name] for name in FACETS}
        timeline = _timeline(searcher, query, request.filters, matching)
    if cancelled():
        raise SearchCancelledError
    suggestion = None
    if request.suggest and total < SUGGEST_BELOW and request.query.strip():
        candidate = suggest(searcher, request.query[:MAX_QUERY_CHARS])
        if candidate is not None:
            alternative = with_fast_phrases(
                expand_fuzzy(parse_query(candidate, parser).query, searcher.reader())
            )
            found = len(matching_docnums(searcher, _restrict(alternative, filter_query)))
            if found >= max(1, 2 * total):
                suggestion = candidate
    message = " ".join(parsed.messages) or None
    return SearchResult(
        query=request.query,
        total=total,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        hits=hits,
        facets=facets,
        suggestion=suggestion,
        message=message,
        hidden=hidden,
        timeline=timeline,
    )


def _ranked(
    searcher: Searcher,
    restricted: wq.Query,
    sort: SortOrder,
    matches: tuple[list[int], list[set[int]]],
    limit: int,
    cancelled: Callable[[], bool],
    memo: Memo,
) -> Results:
    """The first `limit` matches by relevance (ranked) or by a sort column, with passages.

    `matches`: the matching documents, numbered across the index and by segment.
    """
    matching, per_segment = matches

    def check() -> None:
        if cancelled():
            raise SearchCancelledError

    if sort == SortOrder.RELEVANCE:
        best = ranked(searcher, restricted, per_segment, limit, check, memo)
        if best is not None:
            results = Results(searcher, restricted, best)
        else:  # a query only Whoosh can rank
            collector = _CancellableCollector(searcher.collector(limit=limit), cancelled)
            searcher.search_with_collector(restricted, collector)
            results = collector.results()
    else:  # no scores needed: the matches in the order of their sort keys
        column, descending = _SORTS[sort]
        keys = _column_of(searcher, column)
        if len(matching) * DENSE_SHARE >= searcher.doc_count_all():
            # Most of the archive: the first matches in the archive's sorted order (all of
            # it but the deleted articles, or only the matches).
            order = _order_of(searcher, column, descending)
            kept: Iterator[int]
            if len(matching) == searcher.doc_count():  # distinct live documents: all of them
                kept = filterfalse(searcher.reader().is_deleted, order)
            else:
                kept = filter(set(matching).__contains__, order)
            top = list(islice(kept, limit))
        else:
            pick = heapq.nlargest if descending else heapq.nsmallest
            # Ties keep the article order, as in Whoosh (`heapq` picks are stable).
            top = pick(limit, sorted(matching), key=keys.__getitem__)
        results = Results(searcher, restricted, [(keys[d], d) for d in top])
    results.highlighter = FastHighlighter(
        fragmenter=highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=SNIPPET_SURROUND),
        formatter=MarkFormatter(),
    )
    return results


def _order_of(searcher: Searcher, column: str, descending: bool) -> array[int]:
    """Every document number in the order of a sort column, ties in article order.

    Sorted once per index state and column (a tenth of a second on 150,000 articles),
    so that a sorted list of most of the archive is its first matches in this order.
    """

    def order() -> array[int]:
        keys = _column_of(searcher, column)
        # A stable sort, also reversed: equal keys stay in article order, as `heapq` keeps them.
        return array("I", sorted(range(len(keys)), key=keys.__getitem__, reverse=descending))

    return _ORDERS.get((segment_ids(searcher.reader()), column, descending), order)


def _with_story(searcher: Searcher, hit: Hit, whoosh_hit: WhooshHit, stories: StoryMap) -> Hit:
    """A hit with its story: how many versions, from which outlets."""
    story = stories.by_doc.get(whoosh_hit.docnum)
    if story is None:
        return hit
    members = stories.members.get(story, [])
    stored = (searcher.stored_fields(doc) for doc in members)
    outlets = (fields.get("source") or fields.get("folder_facet") for fields in stored)
    return replace(
        hit,
        story=story,
        versions=len(members),
        outlets=tuple(dict.fromkeys(o for o in outlets if o)),
    )
