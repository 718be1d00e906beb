"""Whatever is typed into the search box, the engine and the window answer with results.

Hypothesis throws arbitrary text, operator soup, unbalanced quotes and brackets,
every field name and 10,000-character pastes at `Library.search` over the real
bbc index, and at the window's search box (pytest-qt fails a test on any
exception raised in the Qt event loop). Queries that would expand to the whole
vocabulary must be refused with a message or kept within bounds.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.reading import IndexReader

from desktop.bookmarks import Bookmark
from desktop.paths import AppPaths
from index import Library, SearchRequest, SearchResult, SortOrder
from index.query import MAX_QUERY_CHARS, build_parser, parse_query
from index.schema import build_schema
from tests.desktop.conftest import WindowFactory
from tests.robustness.conftest import PYTHON, REPO_ROOT, assert_user_reason, search_in_window

WAIT_MS = 60_000
FIELDS = (
    "title:",
    "author:",
    "source:",
    "folder:",
    "date:",
    "body:",
    "text:",
    "outlet:",
    "by:",
    "dir:",
    "in:",
    "is:bookmarked",
    "tag:",
)
OPERATORS = (
    "AND",
    "OR",
    "NOT",
    "and",
    "-",
    "+",
    "(",
    ")",
    '"',
    "\u201c",
    "\u201d",
    "*",
    "?",
    "~",
    "~2",
    ":",
    "..",
    "^",
    "\\",
    "/",
    "'",
    "|",
    "&&",
    "!",
    "\0",
    "\u200b",
)
WORDS = (
    "government",
    "music",
    "film",
    "Blair",
    "brown",
    "elect",
    "refugee",
    "Ödésa",
    "2004",
    "2005-01",
    "2005-02-30",
    "bbc",
    "politics",
    "the",
    "a",
    "x",
    "go",
    "ze",
    "ü",
    "日本",
)
FUZZED: Counter[str] = Counter()

piece = st.one_of(
    st.sampled_from(OPERATORS),
    st.sampled_from(WORDS),
    st.sampled_from(FIELDS),
    st.text(max_size=6),
)
gap = st.sampled_from(["", " ", " ", "  ", "\t", "\n"])
soup = st.lists(st.tuples(piece, gap), max_size=25).map(
    lambda pairs: "".join(text + space for text, space in pairs)
)
fielded = st.tuples(
    st.sampled_from(FIELDS),
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(['"prime minister"', '"unbalanced', "(", "()", "*", "ab*", "..2005"]),
        soup,
    ),
    soup,
).map(lambda parts: f"{parts[2]} {parts[0]}{parts[1]}")
huge = st.tuples(st.lists(st.tuples(piece, gap), min_size=1, max_size=12), gap).map(
    lambda parts: _repeat_to("".join(t + s for t, s in parts[0]) + " ", 10_000 + 97 * len(parts[0]))
)
any_query = st.one_of(st.text(max_size=300), soup, fielded)


def _repeat_to(text: str, size: int) -> str:
    return (text * (size // max(1, len(text)) + 1))[:size]


@pytest.fixture(scope="module")
def bbc_library(bbc_indexed: Path) -> Iterator[Library]:
    library = Library(AppPaths.resolve(bbc_indexed).library)
    yield library
    library.close()


@pytest.fixture(scope="module", autouse=True)
def _report_fuzzed() -> Iterator[None]:
    yield
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(FUZZED.items()))
    print(f"\n{sum(FUZZED.values())} fuzzed queries ({kinds})")


def assert_answered(result: object, articles: int) -> None:
    """A result, not a failure in disguise."""
    assert isinstance(result, SearchResult)
    assert not result.index_damaged
    assert 0 <= len(result.hits) <= result.total <= articles
    if result.message is not None:
        assert not result.message.startswith("The search failed"), result.message
        assert_user_reason(result.message[:140])
    assert len({hit.id for hit in result.hits}) == len(result.hits)


SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_the_engine_answers_any_query(bbc_library: Library) -> None:
    articles = bbc_library.count()

    @settings(SETTINGS, max_examples=400)
    @given(query=any_query, sort=st.sampled_from(list(SortOrder)))
    def check(query: str, sort: SortOrder) -> None:
        FUZZED["engine"] += 1
        assert_answered(bbc_library.search(SearchRequest(query, sort=sort)), articles)

    check()


def test_the_engine_answers_every_field(bbc_library: Library) -> None:
    articles = bbc_library.count()

    @settings(SETTINGS, max_examples=200)
    @given(query=fielded)
    def check(query: str) -> None:
        FUZZED["fields"] += 1
        assert_answered(bbc_library.search(SearchRequest(query)), articles)

    check()


@pytest.mark.slow
def test_the_engine_answers_huge_pastes(bbc_library: Library) -> None:
    articles = bbc_library.count()

    @settings(SETTINGS, max_examples=6)
    @given(query=huge)
    def check(query: str) -> None:
        FUZZED["huge"] += 1
        assert len(query) >= 10_000
        result = bbc_library.search(SearchRequest(query))
        assert_answered(result, articles)
        assert result.message is not None and "cut" in result.message

    check()


@pytest.mark.parametrize(
    "query",
    [
        "(" * 6000 + "brown" + ")" * 6000,
        '"' + "the prime minister " * 700 + '"',
        "a OR " * 2500,
        "NOT " * 3000,
        "title:" * 2000,
        "-" * 12_000,
        "é" * 12_000,
        "word" * 3000,
    ],
    ids=["parens", "phrase", "or-chain", "not-chain", "fields", "dashes", "accents", "one-word"],
)
def test_the_engine_answers_known_huge_shapes(bbc_library: Library, query: str) -> None:
    FUZZED["huge"] += 1
    result = bbc_library.search(SearchRequest(query))
    assert_answered(result, bbc_library.count())
    assert result.message is not None and "cut" in result.message


def test_a_long_paste_is_cut_for_did_you_mean_too(bbc_library: Library) -> None:
    """The search uses the first MAX_QUERY_CHARS characters; "Did you mean" must not offer more."""
    FUZZED["huge"] += 1
    query = "governmnt " * 1200
    result = bbc_library.search(SearchRequest(query))
    assert_answered(result, bbc_library.count())
    assert result.message is not None and "cut" in result.message
    suggestion = result.suggestion or ""
    assert len(suggestion) <= 2 * MAX_QUERY_CHARS, (
        f"a {len(suggestion):,}-character suggestion for a query cut to {MAX_QUERY_CHARS}: "
        "the respelling works on the whole paste"
    )


@pytest.mark.parametrize(
    "query",
    ["*tion", "?a*", "*", "**", "?", "*ing*", "?overnment", "title:*tion", "body:?a*", "*a OR b*"],
)
def test_a_leading_wildcard_is_refused_with_a_message(bbc_library: Library, query: str) -> None:
    FUZZED["wildcard"] += 1
    result = bbc_library.search(SearchRequest(query))
    assert_answered(result, bbc_library.count())
    assert result.total == 0
    assert result.message, f"{query!r} gave no word about what was left out"


def _vocabulary_shares(reader: IndexReader, query: wq.Query) -> dict[str, float]:
    """For each expanding part of a query: the share of its field's words it reads."""
    shares: dict[str, float] = {}
    stack = [query]
    while stack:
        node = stack.pop()
        if not node.is_leaf():
            stack.extend(node.children())
        elif isinstance(node, wq.MultiTerm | wq.TermRange):
            field = node.fieldname
            vocabulary = sum(1 for _ in reader.lexicon(field))
            if vocabulary >= 1000:  # small fields (author) say nothing about bounds
                expanded = sum(1 for _ in node._btexts(reader))
                shares[f"{field}:{node!r}"] = expanded / vocabulary
    return shares


@pytest.mark.parametrize(
    "query",
    ["co*", "re*", "go*", "government~2", "[a TO z]", "title:[a TO]", "{a TO zz}", "body:[0 TO z]"],
)
def test_no_query_reads_the_whole_vocabulary(bbc_indexed: Path, query: str) -> None:
    """A query expanding to (nearly) every word of a field is dropped, like a lone `*`."""
    FUZZED["expansion"] += 1
    parser = build_parser(build_schema())
    parsed = parse_query(query, parser)
    index = whoosh_index.open_dir(str(AppPaths.resolve(bbc_indexed).library / "index"))
    with index.reader() as reader:
        shares = _vocabulary_shares(reader, parsed.query)
    too_wide = {part: f"{share:.0%}" for part, share in shares.items() if share > 0.25}
    assert not too_wide, (
        f"{query!r} expands to {too_wide} of the field's words (messages: {parsed.messages})"
    )


@pytest.mark.parametrize("query", ["caf\udce9*", "\udcff~", "gov\udcffernment~", "\udce9 brown"])
def test_bytes_that_are_not_utf8_in_a_query(bbc_library: Library, query: str) -> None:
    """A terminal in Latin-1 passes `café*` as bytes that Python turns into lone surrogates."""
    FUZZED["undecodable"] += 1
    assert_answered(bbc_library.search(SearchRequest(query)), bbc_library.count())


def test_bytes_that_are_not_utf8_on_the_command_line(bbc_indexed: Path) -> None:
    FUZZED["undecodable"] += 1
    command = [os.fsencode(PYTHON), b"-m", b"desktop", b"--basedir", os.fsencode(bbc_indexed)]
    completed = subprocess.run(
        [*command, b"search", b"--json", b"caf\xe9*"],
        capture_output=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.decode("utf-8", "surrogateescape"))
    assert result["message"] is None or "failed" not in result["message"], result["message"]


def test_the_window_answers_any_query(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    library = window.session.current
    for hit in library.search(SearchRequest("government", limit=3)).hits:
        article = library.get(hit.id)
        assert article is not None
        window.bookmarks.put(Bookmark.from_article(article, ("fuzz", "two words")))
    failures: list[str] = []
    window.search.failed.connect(failures.append)
    articles = library.count()

    @settings(SETTINGS, max_examples=150)
    @given(query=st.one_of(any_query, fielded, st.sampled_from(["is:bookmarked", "tag:fuzz"])))
    def check(query: str) -> None:
        FUZZED["window"] += 1
        result = search_in_window(qtbot, window, query, draw=True)
        if query.strip():
            assert_answered(result, articles)
        assert not failures, failures
        assert window.results_model.rowCount() == len(result.hits)
        assert "failed" not in window.search_bar.status.text()

    check()

    FUZZED["window"] += 1
    paste = _repeat_to('brown blair ( OR " - title: ', 12_000)
    result = search_in_window(qtbot, window, paste, draw=True)
    assert_answered(result, articles)
