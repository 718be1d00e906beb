"""The fast indexing analysis gives exactly the terms, weights and positions of Whoosh's chain."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.fields import TEXT

from index.analysis import FastText
from index.decode import decode_bytes
from index.schema import TITLE_BOOST, name_analyzer, text_analyzer

Postings = list[tuple[bytes, int, float, list[int]]]


def both(text: str, stemming: bool = True, boost: float = 1.0) -> tuple[Postings, Postings]:
    """Each field's postings, the positions decoded (each format encodes them its own way)."""
    analyzer = text_analyzer() if stemming else name_analyzer()
    fast = FastText(stemming=stemming, analyzer=analyzer, field_boost=boost)
    plain = TEXT(analyzer=analyzer, field_boost=boost)
    return _decoded(fast, text), _decoded(plain, text)


def _decoded(field: TEXT, text: str) -> Postings:
    form = field.format
    return sorted(
        (term, frequency, weight, form.decode_positions(value))
        for term, frequency, weight, value in field.index(text)
    )


def test_the_seed_articles_index_the_same(corpora: Path) -> None:
    for path in sorted((corpora / "seeds").iterdir()):
        text = decode_bytes(path.read_bytes()).text
        fast, plain = both(text)
        assert fast == plain
        assert len(fast) > 100  # a real article, not an empty comparison
        fast, plain = both(text, stemming=False, boost=TITLE_BOOST)
        assert fast == plain


def test_bbc_articles_index_the_same(corpora: Path) -> None:
    paths = sorted((corpora / "bbc").rglob("*.txt"))[::50]
    assert len(paths) > 40
    for path in paths:
        text = decode_bytes(path.read_bytes()).text
        assert both(text)[0] == both(text)[1], path


def test_legacy_encoded_texts_index_the_same(corpora: Path) -> None:
    paths = sorted(p for p in (corpora / "encodings").rglob("*") if p.is_file())[::10]
    assert len(paths) > 20
    for path in paths:
        text = decode_bytes(path.read_bytes()[:20_000]).text
        fast, plain = both(text)
        assert fast == plain, path


def test_leading_stop_words_keep_their_place() -> None:
    fast, plain = both("The cat and the hat. İstanbul, café* e.g. U.S.A. x")
    assert fast == plain
    terms = dict((term, value) for term, _freq, _weight, value in fast)
    assert b"cat" in terms and b"cafe*" in terms and b"the" not in terms


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["the", "a", "Of", "and", "İ", "ß", "Ǆ", "café", "*", ".", "e.g", " "]),
            st.text(max_size=12),
        ),
        max_size=40,
    ),
    st.booleans(),
)
def test_any_text_indexes_the_same(pieces: list[str], stemming: bool) -> None:
    text = " ".join(pieces)
    fast, plain = both(text, stemming=stemming)
    assert fast == plain


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from([*"ab.*. _-\n\téİß٣", "..", "a.b", "*.", "x" * 40]), max_size=60))
def test_words_are_whooshs_words(pieces: list[str]) -> None:
    text = "".join(pieces)
    from whoosh.analysis.tokenizers import default_pattern

    from index.analysis import WORD

    theirs = [match.span() for match in default_pattern.finditer(text)]
    assert [match.span() for match in WORD.finditer(text)] == theirs


def test_words_of_real_articles_are_whooshs_words(corpora: Path) -> None:
    from whoosh.analysis.tokenizers import default_pattern

    from index.analysis import WORD

    paths = [*sorted((corpora / "bbc").rglob("*.txt"))[::7], *(corpora / "seeds").iterdir()]
    paths += sorted(p for p in (corpora / "encodings").rglob("*") if p.is_file())
    for path in paths:
        text = decode_bytes(path.read_bytes()[:50_000]).text
        theirs = [match.span() for match in default_pattern.finditer(text)]
        assert [match.span() for match in WORD.finditer(text)] == theirs, path


def test_fast_highlighting_gives_whooshs_passages(corpora: Path, tmp_path: Path) -> None:
    """The same passages, marked the same, as Whoosh's highlighter on real articles."""
    from whoosh import highlight

    from index import Library
    from index.analysis import FastHighlighter
    from index.search import SNIPPET_CHARS, SNIPPET_SURROUND, MarkFormatter

    library = Library(tmp_path / "data")
    library.add_folder(corpora / "bbc" / "tech")
    library.sync()
    searcher = library._searcher()
    assert searcher is not None
    compared = 0
    queries = ("mobile phone", "games OR music", '"broadband"', "comput*", "title:apple")
    more = ("the us market", "said OR says", "apple microsoft google sony nintendo", "e-mail")
    for text, terms in [(q, True) for q in queries] + [(q, False) for q in queries + more]:
        query = library._parser.parse(text)
        results = searcher.search(query, limit=20, terms=terms)
        for field in ("body", "title"):
            made = []
            for highlighter in (highlight.Highlighter, FastHighlighter):
                results.highlighter = highlighter(
                    fragmenter=highlight.ContextFragmenter(
                        maxchars=SNIPPET_CHARS, surround=SNIPPET_SURROUND
                    ),
                    formatter=MarkFormatter(),
                )
                made.append([hit.highlights(field, top=3) for hit in results])
            assert made[0] == made[1], (text, field)
            compared += sum(1 for passage in made[1] if "<mark>" in passage)
    library.close()
    assert compared > 150


def _fragments(fragments: object) -> list[tuple[int, int, list[tuple[int, int, str]]]]:
    return [
        (f.startchar, f.endchar, [(t.startchar, t.endchar, t.text) for t in f.matches])
        for f in fragments  # type: ignore[attr-defined]
    ]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["river", "Rivers", "the", "The", "a", ".", "e.g", "river.bank", "*", "x" * 90]
            ),
            st.sampled_from([" ", "  " * 30, "\n", ", ", "...", "-" * 120, ";" * 40]),
            st.text(alphabet="abcdefgh ér.", max_size=15),
        ),
        max_size=80,
    ),
    st.sampled_from([frozenset({"river"}), frozenset({"river", "the"}), frozenset({"bank", ""})]),
    st.integers(min_value=1, max_value=120),
    st.integers(min_value=5, max_value=300),
)
def test_passages_are_whooshs_on_any_text(
    pieces: list[str], words: frozenset[str], surround: int, maxchars: int
) -> None:
    """The fused passage loop cuts the passages Whoosh's `ContextFragmenter` cuts."""
    from whoosh import highlight

    from index.analysis import _context_fragments

    text = "".join(pieces)
    field = FastText(stemming=True, analyzer=text_analyzer())
    fragmenter = highlight.ContextFragmenter(maxchars=maxchars, surround=surround, charlimit=900)
    ours = _fragments(_context_fragments(field, text, words, fragmenter))
    tokens = highlight.set_matched_filter(field.highlight_tokens(text), words)
    theirs = _fragments(fragmenter.fragment_tokens(text, tokens))
    assert ours == theirs


def test_passages_reach_back_over_a_long_gap() -> None:
    """A match after a long run of punctuation: its passage opens at the words before it."""
    from whoosh import highlight

    from index.analysis import _context_fragments

    field = FastText(stemming=True, analyzer=text_analyzer())
    words = frozenset({"river"})
    text = "x " * 100 + "aa bb" + "-" * 130 + " river and more words" * 3 + " tail " * 50
    for surround, maxchars in ((120, 300), (20, 60), (150, 500)):
        fragmenter = highlight.ContextFragmenter(maxchars=maxchars, surround=surround)
        ours = _fragments(_context_fragments(field, text, words, fragmenter))
        tokens = highlight.set_matched_filter(field.highlight_tokens(text), words)
        theirs = _fragments(fragmenter.fragment_tokens(text, tokens))
        assert ours == theirs, (surround, maxchars)
