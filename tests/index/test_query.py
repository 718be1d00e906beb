"""The query language of the search box, and its robustness to anything typed or pasted."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index import Library, SearchRequest, SearchResult

# stem -> (folder, title, author, source, date, body)
ARTICLES = {
    "odesa": (
        "world",
        "Harbour cranes return to Odesa",
        "Olena Petrenko",
        "Kyiv Independent",
        "2022-03-15",
        "The port of Odesa reopened after weeks of blockade, and grain ships sailed for "
        "Istanbul under naval escort on Tuesday morning.",
    ),
    "grain": (
        "world",
        "Grain deal signed in Istanbul",
        "John Smith",
        "Reuters",
        "2022-07-22",
        "Ukraine and Turkey signed a grain corridor agreement allowing exports of wheat and "
        "maize from the Black Sea ports.",
    ),
    "refugees": (
        "world",
        "Refugees cross into Poland",
        "Anna Kowalska",
        "Reuters",
        "2022-03-02",
        "Thousands of refugees crossed the border into Poland at Medyka, where volunteers "
        "handed out soup and blankets to families.",
    ),
    "football": (
        "sport",
        "Football final ends in a draw",
        "Jane Doe",
        "BBC Sport",
        "2021-05-01",
        "The final match between the two clubs ended in a draw after extra time, and the "
        "trophy will be decided by a replay.",
    ),
    "tennis": (
        "sport",
        "Tennis champion retires",
        None,
        None,
        None,
        "The tennis champion announced her retirement from professional tennis after twenty "
        "years on the tour and many titles.",
    ),
    "opera": (
        "culture",
        "Opera house reopens",
        "Jean Martin",
        "Le Monde",
        "2023-01-10",
        "The opera house in Odesa reopened its doors with a performance of Verdi, and the "
        "audience stood for a long ovation.",
    ),
}


def write_articles(root: Path) -> None:
    for stem, (folder, title, author, source, date, body) in ARTICLES.items():
        front = [f"title: {title}"]
        front += [f"author: {author}"] if author else []
        front += [f"source: {source}"] if source else []
        front += [f"date: {date}"] if date else []
        (root / folder).mkdir(parents=True, exist_ok=True)
        text = "---\n" + "\n".join(front) + "\n---\n\n" + body + "\n"
        (root / folder / f"{stem}.md").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("query-articles")
    write_articles(root)
    lib = Library(tmp_path_factory.mktemp("query-data"))
    lib.add_folder(root)
    report = lib.sync()
    assert report.added == len(ARTICLES)
    assert report.problems == 0
    yield lib
    lib.close()


def search(library: Library, text: str) -> SearchResult:
    return library.search(SearchRequest(text, limit=50))


def stems(result: SearchResult) -> set[str]:
    return {Path(hit.path).stem for hit in result.hits}


def found(library: Library, text: str) -> set[str]:
    result = search(library, text)
    assert result.total == len(result.hits)
    return stems(result)


# --- the language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("grain", {"odesa", "grain"}),
        ("GRAIN", {"odesa", "grain"}),
        ("grain istanbul", {"odesa", "grain"}),
        ("grain AND corridor", {"grain"}),
        ("grain corridor", {"grain"}),
        ("grain OR tennis", {"odesa", "grain", "tennis"}),
        ("odesa NOT grain", {"opera"}),
        ("odesa -grain", {"opera"}),
        ("-grain odesa", {"opera"}),
        ("NOT tennis draw", {"football"}),
        ('"grain corridor"', {"grain"}),
        ('"corridor grain"', set()),
        ('"grain ships"', {"odesa"}),
        ("refug*", {"refugees"}),
        ("reopen*", {"odesa", "opera"}),
        ("(grain OR football) AND draw", {"football"}),
        ("(odesa OR poland) NOT (grain OR refugees)", {"opera"}),
        ("(grain OR refugees) (istanbul OR medyka)", {"odesa", "grain", "refugees"}),
    ],
)
def test_operators(library: Library, query: str, expected: set[str]) -> None:
    assert found(library, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("graim~", {"odesa", "grain"}),
        ("corridr~", {"grain"}),
        ("tennis~", {"tennis"}),
        ("tenis~", {"tennis"}),
        ("retirment~", {"tennis"}),
    ],
)
def test_fuzzy_terms(library: Library, query: str, expected: set[str]) -> None:
    assert found(library, query) == expected


def test_fuzzy_words_follow_the_index(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "grain.txt").write_text("Grain corridor\n\nShips left by the grain corridor.\n")
    library = Library(tmp_path / "data")
    try:
        library.add_folder(folder)
        library.sync()
        assert found(library, "corridr~") == {"grain"}
        assert found(library, "corridr~") == {"grain"}  # the words remembered
        (folder / "ballad.txt").write_text("A ballad\n\nThe band played a corrido.\n")
        library.sync()
        assert found(library, "corridr~") == {"grain", "ballad"}  # not the old words
    finally:
        library.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("title:grain", {"grain"}),
        ("title:odesa", {"odesa"}),
        ('title:"cross into poland"', {"refugees"}),
        ("author:smith", {"grain"}),
        ("author:petrenko", {"odesa"}),
        ('author:"jane doe"', {"football"}),
        ("source:reuters", {"grain", "refugees"}),
        ('source:"le monde"', {"opera"}),
        ("source:bbc", {"football"}),
        ("body:corridor", {"grain"}),
        ("refugees source:reuters", {"refugees"}),
    ],
)
def test_fields(library: Library, query: str, expected: set[str]) -> None:
    assert found(library, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("folder:sport", {"football", "tennis"}),
        ("folder:world", {"odesa", "grain", "refugees"}),
        ("tennis folder:sport", {"tennis"}),
        ("odesa -folder:culture", {"odesa"}),
    ],
)
def test_folder_field(library: Library, query: str, expected: set[str]) -> None:
    assert found(library, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("by:smith", {"grain"}),
        ("byline:kowalska", {"refugees"}),
        ("outlet:reuters", {"grain", "refugees"}),
        ("site:reuters", {"grain", "refugees"}),
        ("publisher:reuters", {"grain", "refugees"}),
        ("text:corridor", {"grain"}),
        ("content:medyka", {"refugees"}),
        ("in:sport", {"football", "tennis"}),
        ("dir:culture", {"opera"}),
    ],
)
def test_field_aliases(library: Library, query: str, expected: set[str]) -> None:
    assert found(library, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("date:2022", {"odesa", "grain", "refugees"}),
        ("date:2021", {"football"}),
        ("date:2022-03", {"odesa", "refugees"}),
        ("date:2022-07-22", {"grain"}),
        ("date:2022-03..2022-05", {"odesa", "refugees"}),
        ("date:2022-03-10..2022-12", {"odesa", "grain"}),
        ("date:2022-05..2022-03", {"odesa", "refugees"}),
        ("date:..2021-12", {"football"}),
        ("date:2023..", {"opera"}),
        ("date:2022 source:reuters", {"grain", "refugees"}),
        ("odesa date:2022", {"odesa"}),
        ("grain -date:2022-07", {"odesa"}),
    ],
)
def test_dates(library: Library, query: str, expected: set[str]) -> None:
    assert found(library, query) == expected


def test_undated_article_is_outside_every_date_range(library: Library) -> None:
    assert "tennis" not in found(library, "date:1900..2100")
    assert "tennis" in found(library, "tennis")


# --- robustness -------------------------------------------------------------------------


def test_unbalanced_quote_is_closed(library: Library) -> None:
    result = search(library, '"grain corridor')

    assert stems(result) == {"grain"}


@pytest.mark.parametrize("query", ["(grain OR tennis", "grain OR tennis)", "((grain OR tennis)"])
def test_unbalanced_parentheses(library: Library, query: str) -> None:
    result = search(library, query)

    assert isinstance(result, SearchResult)
    assert stems(result) == {"odesa", "grain", "tennis"}
    assert result.message, "the parentheses were dropped: the user should be told"


@pytest.mark.parametrize("query", ["AND", "OR", "NOT", "-", "+", "~", ":", '"', "()", ")("])
def test_lone_operator_or_symbol(library: Library, query: str) -> None:
    result = search(library, query)

    assert isinstance(result, SearchResult)
    assert result.total == 0
    assert result.hits == ()


@pytest.mark.parametrize("query", ["grain AND", "grain OR", "AND grain", "OR grain", "grain NOT"])
def test_dangling_operator_does_not_empty_the_results(library: Library, query: str) -> None:
    plain = stems(search(library, "grain"))

    result = search(library, query)

    assert stems(result) == plain


@pytest.mark.parametrize("query", ["*", "**", "?", "a*", "*grain", "title:*"])
def test_lone_wildcard_matches_nothing_and_says_so(library: Library, query: str) -> None:
    result = search(library, query)

    assert result.total == 0
    assert result.message


def test_ten_thousand_character_paste(library: Library) -> None:
    paste = " ".join(ARTICLES["grain"][5] for _ in range(100))[:10_000]
    assert len(paste) == 10_000

    result = search(library, paste)

    assert isinstance(result, SearchResult)
    assert result.message is not None
    assert "cut" in result.message


def test_ten_thousand_character_word(library: Library) -> None:
    result = search(library, "x" * 10_000)

    assert result.total == 0
    assert result.message is not None


@pytest.mark.parametrize("query", ["date:2022-13", "date:2022-02-30", "date:2022-00..2022-05"])
def test_impossible_date_is_ignored_with_a_message(library: Library, query: str) -> None:
    result = search(library, query)

    assert isinstance(result, SearchResult)
    assert result.message is not None
    assert query.split("..")[0] in result.message or query in result.message


def test_impossible_date_does_not_swallow_the_rest_of_the_query(library: Library) -> None:
    result = search(library, "date:2022-13 grain")

    assert result.message is not None
    assert stems(result) == {"odesa", "grain"}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "\x00",
        "grain\x00corridor",
        "title:",
        'author:"',
        "date:",
        "date:..",
        "grain^5",
        "NOT NOT grain",
        "((((((((((grain))))))))))",
        "(" * 500 + "grain",
        "grain~~~",
        "grain~99",
        "🌾 grain 🚢",
        "\u201cgrain corridor\u201d",
        "field:value",
        "title:(grain OR tennis)",
        "[a TO z]",
        "{grain TO}",
        "grain AND OR NOT tennis",
        "/regex/",
        "\\",
        "'",
        "``",
    ],
)
def test_odd_queries_never_raise(library: Library, query: str) -> None:
    result = search(library, query)

    assert isinstance(result, SearchResult)
    assert result.total >= 0
    json.dumps(result.to_json())


_QUERY_PIECES = st.sampled_from(
    [
        "grain",
        "odesa",
        "tennis",
        "AND",
        "OR",
        "NOT",
        "-",
        "+",
        '"',
        "(",
        ")",
        "*",
        "?",
        "~",
        "~2",
        ":",
        "..",
        "^",
        "[",
        "]",
        "{",
        "}",
        "TO",
        "\\",
        "/",
        "é",
    ]
    + ["title:", "author:", "source:", "folder:", "in:", "by:", "date:", "date:2022"]
    + ["date:2022-03..2022-05", "date:2022-13", "\x00", " "]
)
_QUERIES = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(_QUERY_PIECES, st.text(max_size=6)), max_size=12).map("".join),
    st.lists(st.one_of(_QUERY_PIECES, st.text(max_size=6)), max_size=12).map(" ".join),
)


@settings(max_examples=200, deadline=None)
@given(text=_QUERIES)
def test_any_text_gives_a_result(library: Library, text: str) -> None:
    result = library.search(SearchRequest(text, limit=5))

    assert isinstance(result, SearchResult)
    assert 0 <= len(result.hits) <= 5
    assert result.total >= len(result.hits)
    json.dumps(result.to_json())
