"""The query language: from what a user types to a Whoosh query that cannot blow up.

Words are ANDed; `OR`, `NOT`/`-word`, "phrases", `prefix*`, `word~`, parentheses,
fields (`title:`, `author:`, `source:`, `folder:`) and dates (`date:2022`,
`date:2022-03..2022-05`) work. Whatever the input, `parse_query` returns a query
and, when it had to change or drop something, a message saying what.
"""

from __future__ import annotations

import calendar
import copy
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    MultifieldParser,
    QueryParser,
    plugins,
    syntax,
)
from whoosh.query.wrappers import WrappingQuery
from whoosh.reading import IndexReader
from whoosh.support.levenshtein import distance

from index.state_cache import StateCache, segment_ids

DEFAULT_FIELDS = ("title", "body", "author", "source")
FIELD_ALIASES = {
    "source": ["outlet", "site", "publisher"],
    "author": ["by", "byline"],
    "folder": ["dir", "in"],
    "body": ["text", "content"],
}
# Fields a query may name; the others are the index's own bookkeeping.
SEARCHABLE_FIELDS = frozenset({"title", "body", "author", "source", "folder", "date"})
MAX_QUERY_CHARS = 1000
MAX_TERMS = 64
MIN_WILDCARD_PREFIX = 2
MAX_EXPANSIONS = 512
FUZZY_WORDS_KEPT = 256  # fuzzy words remembered (each a few dozen indexed words)

_FUZZY_WORDS: StateCache[list[str]] = StateCache(FUZZY_WORDS_KEPT)

_DATE_PART = r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?"
_DATE_EXPR = rf"date:(?P<start>{_DATE_PART})?(?:\.\.(?P<end>{_DATE_PART})?)?(?=$|[\s)])"
_MINUS = re.compile(r'(?:(?<=^)|(?<=[\s(]))[-+](?=[\w"(])')
_SPLIT_QUOTED = re.compile(r'("[^"]*")')
_LEADING_OP = re.compile(r"^(?P<keep>\s*)(?P<op>AND|OR)\b")
_TRAILING_OP = re.compile(r"\b(?P<op>AND|OR|NOT)(?P<keep>\s*)$")
_DOUBLED_OP = re.compile(r"\b(?P<op>AND|OR)(?P<keep>\s+)(?=(?:AND|OR)\b)")
_OP_AFTER_OPEN = re.compile(r"(?<=\()(?P<keep>\s*)(?P<op>AND|OR)\b")
_OP_BEFORE_CLOSE = re.compile(r"\b(?P<op>AND|OR|NOT)(?P<keep>\s*)(?=\))")


@dataclass
class ParsedQuery:
    """A query ready to run, and what the user should be told about it."""

    query: wq.Query
    messages: list[str] = field(default_factory=list)


def _date_bounds(text: str, end: bool) -> datetime:
    """The first (or last) moment of a year, month or day written as 2022, 2022-03, 2022-03-05."""
    parts = [int(p) for p in text.split("-")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else (12 if end else 1)
    if len(parts) > 2:
        day = parts[2]
    else:
        day = calendar.monthrange(year, month)[1] if end else 1
    if end:
        return datetime(year, month, day, 23, 59, 59, 999999)
    return datetime(year, month, day)


_MESSAGES: ContextVar[list[str]] = ContextVar("query_messages")


class _DateNode(syntax.SyntaxNode):  # type: ignore[misc]
    """A `date:` term; it becomes a range over the article's publication date."""

    def __init__(self, start: str | None, end: str | None, raw: str) -> None:
        super().__init__()
        self.start = start
        self.end = end
        self.raw = raw

    def r(self) -> str:
        return f"date({self.start}..{self.end})"

    def query(self, parser: QueryParser) -> wq.Query:
        start, end = self.start, self.end
        is_range = ".." in self.raw
        if not is_range:
            end = start
        try:
            low = _date_bounds(start, end=False) if start else None
            high = _date_bounds(end, end=True) if end else None
        except ValueError:
            _MESSAGES.get().append(f"“{self.raw}” is not a date; it was ignored.")
            return LEFT_OUT
        if low is None and high is None:
            return LEFT_OUT
        if low and high and low > high and start and end:
            # Written backwards ("2022-05..2022-03"): the same period, forwards.
            low, high = _date_bounds(end, end=False), _date_bounds(start, end=True)
        return wq.DateRange("date", low, high)


class _DatePlugin(plugins.TaggingPlugin):  # type: ignore[misc]
    priority = -10
    expr = _DATE_EXPR

    def create(self, parser: QueryParser, match: re.Match[str]) -> _DateNode:
        return _DateNode(match.group("start"), match.group("end"), match.group(0))


def build_parser(schema: Schema) -> QueryParser:
    """The query parser of the search box and the command line."""
    parser = MultifieldParser(
        list(DEFAULT_FIELDS),
        schema,
        fieldboosts={"title": 1.0, "body": 1.0, "author": 0.5, "source": 0.5},
        group=AndGroup,
    )
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(_DatePlugin())
    parser.add_plugin(FieldAliasPlugin(FIELD_ALIASES))
    parser.remove_plugin_class(plugins.BoostPlugin)
    # Word ranges ("[a TO z]") expand to the whole vocabulary; dates have their own syntax.
    parser.remove_plugin_class(plugins.RangePlugin)
    return parser


def _valid_text(text: str) -> str:
    """Text typed in a terminal that is not UTF-8 (lone surrogates), read as Windows-1252."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", "replace")
    return text


def _normalise(text: str, messages: list[str]) -> str:
    """Make the raw text parseable: length, quotes, `-word`, stray operators."""
    text = _valid_text(text)
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\x00", " ")
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]
        messages.append(f"The query was cut to its first {MAX_QUERY_CHARS} characters.")
    if text.count('"') % 2:
        text += '"'
    pieces = _SPLIT_QUOTED.split(text)
    for i in range(0, len(pieces), 2):
        # Outside quotes: "-word" means NOT word, "+word" is the default.
        pieces[i] = _MINUS.sub(lambda m: "NOT " if m.group(0) == "-" else "", pieces[i])
    text = "".join(pieces)
    depth = 0
    for ch in text:
        depth = depth + 1 if ch == "(" else depth - 1 if ch == ")" else depth
        if depth < 0:
            break
    if depth != 0:
        text = text.replace("(", " ").replace(")", " ")
        messages.append("Unbalanced parentheses were ignored.")
    return _drop_stray_operators(text, messages).strip()


def _drop_stray_operators(text: str, messages: list[str]) -> str:
    """Remove AND, OR and NOT where they join nothing (at an end, doubled, by a bracket)."""
    pieces = _SPLIT_QUOTED.split(text)
    dropped: list[str] = []

    def drop(match: re.Match[str]) -> str:
        dropped.append(match.group("op"))
        return match.group("keep") or " "

    for i in range(0, len(pieces), 2):
        before = None
        while before != pieces[i]:
            before = pieces[i]
            piece = pieces[i]
            if i == 0:
                piece = _LEADING_OP.sub(drop, piece)
            if i == len(pieces) - 1:
                piece = _TRAILING_OP.sub(drop, piece)
            piece = _DOUBLED_OP.sub(drop, piece)
            piece = _OP_AFTER_OPEN.sub(drop, piece)
            piece = _OP_BEFORE_CLOSE.sub(drop, piece)
            pieces[i] = piece
    if dropped:
        names = ", ".join(dict.fromkeys(dropped))
        messages.append(f"A stray {names} was ignored.")
    return "".join(pieces)


def _plain_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text))


class _LeftOut(type(wq.NullQuery)):  # type: ignore[misc]
    """A part of the query that was dropped (with a message); its parent goes on without it."""


LEFT_OUT = _LeftOut()


def parse_query(text: str, parser: QueryParser) -> ParsedQuery:
    """Parse what the user typed; never raises."""
    messages: list[str] = []
    cleaned = _normalise(text, messages)
    # The parser is shared between threads; each parse gets its own list of messages.
    _MESSAGES.set(messages)
    parsed: wq.Query = wq.NullQuery
    if cleaned:
        try:
            parsed = _finish(parser.parse(cleaned, normalize=False), messages)
        except Exception:  # noqa: BLE001 - the parser's failures are not typed
            # Lower case, so that AND, OR and NOT are searched as words, not operators.
            words = _plain_words(cleaned).lower()
            messages.append("The query's syntax could not be read; its words were searched as is.")
            try:
                parsed = _finish(parser.parse(words, normalize=False), messages)
            except Exception:  # noqa: BLE001
                parsed = wq.NullQuery
    return ParsedQuery(parsed, list(dict.fromkeys(messages)))


def _finish(node: wq.Query, messages: list[str]) -> wq.Query:
    bounded = _bound(node, messages)
    return wq.NullQuery if isinstance(bounded, _LeftOut) else bounded.normalize()


def _bound(node: wq.Query, messages: list[str]) -> wq.Query:
    """Drop what would expand to the whole vocabulary; cap the number of terms."""
    if isinstance(node, _LeftOut):
        return node
    if isinstance(node, wq.Wildcard | wq.Prefix):
        literal = re.split(r"[*?]", node.text, maxsplit=1)[0]
        if len(literal) < MIN_WILDCARD_PREFIX:
            shown = node.text if isinstance(node, wq.Wildcard) else f"{node.text}*"
            messages.append(
                f"“{shown}” needs at least {MIN_WILDCARD_PREFIX} letters before the *; "
                "it was left out."
            )
            return LEFT_OUT
        node.constantscore = True
        return node
    if isinstance(node, wq.FuzzyTerm):
        node.maxdist = min(node.maxdist, 2)
        node.prefixlength = max(node.prefixlength, 1)
        return node
    if isinstance(node, wq.Every):
        messages.append("A lone * matches nothing; type a word before it.")
        return LEFT_OUT
    fieldname = getattr(node, "fieldname", None)
    if fieldname is not None and fieldname not in SEARCHABLE_FIELDS:
        messages.append(f"“{fieldname}:” is not something you can search; it was left out.")
        return LEFT_OUT
    if fieldname == "date" and not isinstance(node, wq.DateRange | wq.NumericRange):
        messages.append("A date is written date:2022, date:2022-03 or date:2022-03..2022-05.")
        return LEFT_OUT
    if node.is_leaf():
        return node
    children = [_bound(child, messages) for child in node.children()]
    if isinstance(node, wq.Not | WrappingQuery) and isinstance(children[0], _LeftOut):
        return LEFT_OUT
    if isinstance(node, wq.AndNot | wq.AndMaybe | wq.Otherwise | wq.Require):
        a, b = children
        if isinstance(a, _LeftOut):
            return LEFT_OUT
        if isinstance(b, _LeftOut):
            return a
    kept = [child for child in children if not isinstance(child, _LeftOut)]
    if not kept:
        return LEFT_OUT
    if isinstance(node, wq.And | wq.Or | wq.DisjunctionMax) and len(kept) > MAX_TERMS:
        messages.append(f"Only the first {MAX_TERMS} words of the query were searched.")
        kept = kept[:MAX_TERMS]
    return _with_children(copy.copy(node), kept)


def _with_children(node: wq.Query, children: list[wq.Query]) -> wq.Query:
    """`node`, shallow-copied, with these children.

    `Query.copy` copied the whole tree only for its children to be replaced: 2 ms a search.
    """
    if isinstance(node, wq.compound.CompoundQuery):
        node.subqueries = children
    elif isinstance(node, wq.Not):
        node.query = children[0]
    elif isinstance(node, WrappingQuery):
        node.child = children[0]
    elif isinstance(node, wq.AndNot | wq.AndMaybe | wq.Otherwise | wq.Require):
        node.a, node.b = children
    return node


def fuzzy_words(reader: IndexReader, node: wq.FuzzyTerm) -> list[str]:
    """The indexed words a fuzzy term stands for.

    Whoosh looks fuzzy words up among a field's unstemmed spelling words, while
    the field itself holds stems. So the spelling words near the (stemmed) query
    word are stemmed in turn, and kept when their stem is near it too.

    The words are remembered for the segments they were found in (the words of a
    segment never change), by every searcher: the search box asks again for every key
    typed after a fuzzy word, and the look-up walks each segment's words in Python
    (60-80 ms on 157,595 articles).
    """
    segments = segment_ids(reader)
    if segments is None:
        return _fuzzy_words(reader, node)  # an empty index: nothing to remember
    key = (segments, node.fieldname, node.text, node.maxdist, node.prefixlength)
    return list(_FUZZY_WORDS.get(key, lambda: _fuzzy_words(reader, node)))


def _fuzzy_words(reader: IndexReader, node: wq.FuzzyTerm) -> list[str]:
    field = node.fieldname
    fieldobj = reader.schema[field]
    stemmed = fieldobj.spelling_fieldname(field) != field
    slack = 1 if stemmed else 0
    found: set[str] = set()
    if stemmed and reader.doc_frequency(field, node.text) > 0:
        found.add(node.text)
    for word in reader.terms_within(field, node.text, node.maxdist + slack, node.prefixlength):
        forms = [t.text for t in fieldobj.analyzer(str(word))] if stemmed else [str(word)]
        for form in forms:
            if form in found or distance(form, node.text, limit=node.maxdist) > node.maxdist:
                continue
            if reader.doc_frequency(field, form) > 0:
                found.add(form)
        if len(found) >= MAX_EXPANSIONS:
            break
    return sorted(found)


def expand_fuzzy(node: wq.Query, reader: IndexReader) -> wq.Query:
    """Replace fuzzy terms by the indexed words they stand for (Whoosh's own expansion misses)."""
    if isinstance(node, wq.FuzzyTerm):
        words = fuzzy_words(reader, node)
        if not words:
            return wq.NullQuery
        terms = [wq.Term(node.fieldname, word, boost=node.boost) for word in words]
        return terms[0] if len(terms) == 1 else wq.Or(terms)
    if node.is_leaf():
        return node
    children = [expand_fuzzy(child, reader) for child in node.children()]
    return _with_children(copy.copy(node), children).normalize()
