"""Fast phrases match and score exactly as Whoosh's own phrases do (index/phrases.py)."""

import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh import query as wq

from index import Library, SearchRequest
from index.phrases import FastPhrase, phrase_docs, with_fast_phrases
from index.query import parse_query

PHRASES = [
    '"prime minister"',
    '"world cup"',
    '"tony blair said"',
    '"new york"',
    '"chancellor gordon brown"',
    '"the the"',  # stop words only
    '"bird flu" virus',
    '"mobile phone" OR "broadband internet"',
    '"prime minister"~3',
    '"minister prime"',  # the words out of order
    '"chelsea chelsea"',  # a word twice
    'title:"world cup"',
    '"zzzunknown minister"',
    'economy NOT "interest rates"',
]


@pytest.fixture(scope="module")
def bbc(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    library = Library(tmp_path_factory.mktemp("bbc") / "data")
    library.add_folder(corpora / "bbc")
    library.sync()
    yield library
    library.close()


def whoosh_and_ours(library: Library, text: str) -> tuple[wq.Query, wq.Query]:
    theirs = parse_query(text, library._parser).query
    return theirs, with_fast_phrases(theirs)


def ranked(library: Library, query: wq.Query, limit: int = 20) -> list[tuple[int, float]]:
    searcher = library._searcher()
    assert searcher is not None
    return [(hit.docnum, round(hit.score, 6)) for hit in searcher.search(query, limit=limit)]


def matched(library: Library, query: wq.Query) -> set[int]:
    searcher = library._searcher()
    assert searcher is not None
    return set(searcher.docs_for_query(query))


def sample_phrases(library: Library, count: int, seed: int) -> list[str]:
    """Two- and three-word runs from real articles, some shuffled so they rarely match."""
    generator = random.Random(seed)
    searcher = library._searcher()
    assert searcher is not None
    phrases: list[str] = []
    while len(phrases) < count:
        fields = searcher.stored_fields(generator.randrange(searcher.doc_count_all()))
        words = [w for w in fields.get("body", "").split() if w.isalpha()]
        if len(words) < 10:
            continue
        start = generator.randrange(len(words) - 3)
        run = words[start : start + generator.choice((2, 3))]
        if generator.random() < 0.3:
            generator.shuffle(run)
        slop = generator.choice(("", "", "~2", "~4"))
        phrases.append('"' + " ".join(run) + '"' + slop)
    return phrases


@pytest.mark.parametrize("text", PHRASES)
def test_same_matches_and_scores_as_whoosh(bbc: Library, text: str) -> None:
    theirs, ours = whoosh_and_ours(bbc, text)
    assert matched(bbc, ours) == matched(bbc, theirs)
    assert ranked(bbc, ours) == ranked(bbc, theirs)


def test_sampled_phrases_match_as_whoosh(bbc: Library) -> None:
    found = 0
    for text in sample_phrases(bbc, 150, seed=7):
        theirs, ours = whoosh_and_ours(bbc, text)
        if not any(isinstance(leaf, wq.Phrase) for leaf in theirs.leaves()):
            continue  # stop words only, or one word left: no phrase to compare
        assert all(type(leaf) is not wq.Phrase for leaf in ours.leaves()), text
        assert any(isinstance(leaf, FastPhrase) for leaf in ours.leaves()), text
        expected = matched(bbc, theirs)
        assert matched(bbc, ours) == expected, text
        assert ranked(bbc, ours, limit=5) == ranked(bbc, theirs, limit=5), text
        found += bool(expected)
    assert found >= 50  # half the sampled runs occur in the archive: real matches are compared


def test_phrase_in_the_library_search(bbc: Library) -> None:
    result = bbc.search(SearchRequest(query='"prime minister"', limit=5))
    theirs = matched(bbc, parse_query('"prime minister"', bbc._parser).query)
    assert result.total == len(theirs) > 100
    assert all("<mark>" in hit.snippets[0] for hit in result.hits)


def test_deleted_articles_are_not_matched(
    corpora: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("politics") / "politics"
    shutil.copytree(corpora / "bbc" / "politics", folder)
    library = Library(tmp_path_factory.mktemp("deleting") / "data")
    library.add_folder(folder)
    library.sync()
    try:
        before = library.search(SearchRequest(query='"prime minister"')).total
        holding = [
            path
            for path in sorted(folder.iterdir())
            if "prime minister" in path.read_text(errors="replace").lower()
        ][:5]
        for path in holding:
            path.unlink()
        library.sync()
        searcher = library._searcher()
        assert searcher is not None
        phrase = wq.Phrase("body", ["prime", "minist"])
        leaves = searcher.subsearchers or [(searcher, 0)]
        ours = {d + offset for leaf, offset in leaves for d in phrase_docs(leaf, phrase)}
        assert ours == set(searcher.docs_for_query(phrase))
        assert library.search(SearchRequest(query='"prime minister"')).total == before - len(
            holding
        )
    finally:
        library.close()
