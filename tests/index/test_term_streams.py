"""A term stream gives each term the postings the word-by-word analysis gives it."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index import term_streams
from index.analysis import _Terms
from index.positions import decode_gaps, encode_gaps
from index.term_streams import TermStream

Postings = dict[str, list[tuple[int, list[int]]]]


@pytest.fixture(scope="module")
def texts(corpora: Path) -> list[tuple[int, str]]:
    """Real articles with some made-up ones, under document numbers with gaps among them."""
    files = sorted((corpora / "bbc" / "business").glob("*.txt"))[:150]
    files += sorted((corpora / "seeds").iterdir())
    real = [path.read_text(encoding="utf-8", errors="replace") for path in files]
    made_up = [
        "",  # no words
        "the and of a to in",  # only stop words: no posting, length 0
        "The Zebra zebras ZEBRA, the zebra.",  # one term many times, after a stop word
        # A word first found past position 16,384 and one past 2,097,152 / 128: gaps of
        # three bytes in LEB128.
        " ".join(["filler"] * 20_000) + " faraway",
        "café cafe CAFÉ naïve \U0001d518nicode",  # accents folded; beyond the BMP
    ]
    texts = [*real, *made_up]
    return [(3 * number + 1, text) for number, text in enumerate(texts)]


def _reference(texts: list[tuple[int, str]], stemming: bool) -> Postings:
    """Each term's (document, positions) as `_Terms.positions` finds them, word by word."""
    analysis = _Terms(stemming)
    postings: Postings = {}
    for doc, text in texts:
        for term, places in analysis.positions(text).items():
            postings.setdefault(term, []).append((doc, places))
    return postings


def _streamed(
    texts: list[tuple[int, str]], stemming: bool, packed: bool = True
) -> tuple[Postings, dict[int, int]]:
    """The same from a `TermStream`, and the length it gave each document."""
    stream = TermStream()
    analysis = _Terms(stemming)
    lengths = {doc: stream.add(analysis, text, doc)[0] for doc, text in texts}
    postings: Postings = {}
    terms_in_order = []
    for term, docs, frequencies, values in stream.inverted(encode_gaps, packed):
        terms_in_order.append(term)
        assert len(docs) == len(frequencies) == len(values)
        for doc, frequency, value in zip(docs, frequencies, values, strict=True):
            assert value == encode_gaps(decode_gaps(value))  # as PackedPositions writes it
            places = decode_gaps(value)
            assert len(places) == frequency
            postings.setdefault(term, []).append((doc, places))
    assert terms_in_order == sorted(terms_in_order)
    assert len(terms_in_order) == len(set(terms_in_order))
    assert not len(stream) and stream.terms == [""]  # emptied for the next segment
    return postings, lengths


@pytest.mark.parametrize("stemming", [True, False], ids=["stems", "names"])
def test_the_same_postings_as_word_by_word(texts: list[tuple[int, str]], stemming: bool) -> None:
    reference = _reference(texts, stemming)
    streamed, lengths = _streamed(texts, stemming)
    assert streamed == reference
    assert len(streamed) > 3000
    for doc, length in lengths.items():
        assert length == sum(
            len(places) for postings in reference.values() for d, places in postings if d == doc
        )
    faraway = _Terms(stemming).term("faraway")
    assert faraway is not None
    assert streamed[faraway] == [(3 * (len(texts) - 2) + 1, [20_000])]
    assert "zebra" in streamed and "the" not in streamed


def test_small_runs_give_the_same_postings(
    texts: list[tuple[int, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inverted a few words at a time: runs cut between terms, a term longer than a run."""
    monkeypatch.setattr(term_streams, "_RUN_WORDS", 50)
    streamed, _lengths = _streamed(texts, stemming=True)
    assert streamed == _reference(texts, stemming=True)
    assert len(streamed["filler"][0][1]) == 20_000  # one term, 400 runs' worth


def test_another_format_encodes_each_posting(texts: list[tuple[int, str]]) -> None:
    """A library written before `PackedPositions` keeps its format's own encoding."""
    stream = TermStream()
    analysis = _Terms(True)
    for doc, text in texts[:40]:
        stream.add(analysis, text, doc)

    def encode(places: list[int]) -> bytes:
        return repr(places).encode()

    reference = _reference(texts[:40], stemming=True)
    seen = 0
    for term, docs, _frequencies, values in stream.inverted(encode, packed=False):
        expected = reference[term]
        assert docs == [doc for doc, _places in expected]
        assert values == [encode(places) for _doc, places in expected]
        seen += 1
    assert seen == len(reference)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(0, 2**34), min_size=1, max_size=6, unique=True).map(sorted),
        min_size=1,
        max_size=30,
    )
)
def test_positions_encoded_at_once_as_one_by_one(postings: list[list[int]]) -> None:
    import numpy as np

    positions = np.array([place for places in postings for place in places], dtype=np.int64)
    starts = np.cumsum([0, *map(len, postings[:-1])])
    encoded = term_streams._leb128_values(positions, starts)
    assert encoded == [encode_gaps(places) for places in postings]
