"""Compact term entries hold what Whoosh's entries hold, and Whoosh's still read."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import W3TermInfo

from index import Library, term_entries
from index.models import SearchRequest
from tests.index.libraries import synced

ATTRIBUTES = ("_weight", "_df", "_minlength", "_maxlength", "_maxweight", "_minid", "_maxid")


@pytest.fixture(scope="module")
def libraries(
    corpora: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Library, Library]]:
    """The same articles with compact entries and with Whoosh's (as written before)."""
    folders = [corpora / "bbc" / "politics", corpora / "seeds"]
    compact = synced(Library(tmp_path_factory.mktemp("compact") / "data"), folders)
    plain = Library(tmp_path_factory.mktemp("plain") / "data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(W3TermInfo, "to_bytes", term_entries.whoosh_to_bytes)
        synced(plain, folders)
    yield compact, plain
    compact.close()
    plain.close()


def _entries(library: Library) -> Iterator[tuple[tuple[str, bytes], Any, int, bytes]]:
    """Each term, its hash reader, and its entry's place and bytes."""
    searcher = library._searcher()
    assert searcher is not None
    for reader, _base in searcher.reader().leaf_readers():
        terms = reader._terms
        tindex = terms._tindex
        for key, value in tindex.items():
            datapos, _length = next(tindex.ranges_for_key(key))
            yield terms._keydecoder(key), tindex.dbfile, datapos, value


def _numbers(info: Any) -> tuple[Any, ...]:
    extent = info._inlined if info.is_inlined() else (info._offset, info._length)
    return (*(getattr(info, name) for name in ATTRIBUTES), extent)


def test_every_entry_reads_as_whoosh_wrote_it(libraries: tuple[Library, Library]) -> None:
    compact, plain = libraries
    theirs = {}
    sizes = {True: 0, False: 0}
    for term, _dbfile, _datapos, value in _entries(plain):
        assert value[0] < 2  # Whoosh's kind
        theirs[term] = W3TermInfo.from_bytes(value)
        sizes[False] += len(value)
    count = 0
    for term, dbfile, datapos, value in _entries(compact):
        assert value[0] >= 2, term
        ours = W3TermInfo.from_bytes(value)
        whoosh = theirs[term]
        whoosh._length = whoosh._length and whoosh._length[0]  # Whoosh's reader keeps a tuple
        assert _numbers(ours) == _numbers(whoosh), term
        # Whoosh's readers of single numbers, at the entry's place in the file.
        assert W3TermInfo.read_weight(dbfile, datapos) == whoosh.weight()
        assert W3TermInfo.read_doc_freq(dbfile, datapos) == whoosh.doc_frequency()
        assert W3TermInfo.read_max_weight(dbfile, datapos) == whoosh.max_weight()
        assert W3TermInfo.read_min_and_max_length(dbfile, datapos) == (
            whoosh.min_length(),
            whoosh.max_length(),
        )
        sizes[True] += len(value)
        count += 1
    assert count == len(theirs) > 5_000
    assert sizes[True] < 0.45 * sizes[False]  # 16 bytes against 37 a word here


def test_searches_give_the_same_results_on_either_kind(libraries: tuple[Library, Library]) -> None:
    compact, plain = libraries
    for text in ("election", "blair OR brown", '"general election"', "tax*", "author:smith"):
        request = SearchRequest(query=text, limit=30, snippets=1, facets=True, collapse=False)
        ours, theirs = compact.search(request), plain.search(request)
        assert ours.total == theirs.total, text
        assert [(hit.id, hit.score) for hit in ours.hits] == [
            (hit.id, hit.score) for hit in theirs.hits
        ], text
        assert ours.facets == theirs.facets
    assert compact.search(SearchRequest(query="election")).total > 50


def test_unusual_entries_round_trip() -> None:
    def entry(**numbers: Any) -> Any:
        info = W3TermInfo()
        info._weight, info._df, info._minlength, info._maxlength = 2.5, 2, 3, 900
        info._maxweight, info._minid, info._maxid = 1.5, 70_000, 2**31
        info._offset, info._length = 2**40, 5
        for name, number in numbers.items():
            setattr(info, "_" + name, number)
        return info

    cases = [
        entry(),  # weights that are not whole: 4-byte floats
        entry(weight=3.0, maxweight=3.0, minlength=None),
        entry(weight=1e9 + 1, maxweight=7.0),  # rounded as a 4-byte float rounds it
        entry(offset=None, inlined=((4, 9), (1.0, 2.0), (b"a", b"b")), minid=4, maxid=9),
        entry(
            offset=None,
            inlined=((4,), (2.0,), (None,)),
            weight=2.0,
            maxweight=2.0,
            df=1,
            minid=4,
            maxid=4,
        ),  # fmt: skip
    ]
    for info in cases:
        data = info.to_bytes()
        assert data[0] >= 2
        assert len(data) < len(term_entries.whoosh_to_bytes(info))
        back = W3TermInfo.from_bytes(data)
        whoosh = term_entries.whoosh_from_bytes(W3TermInfo, term_entries.whoosh_to_bytes(info))
        whoosh._length = whoosh._length and whoosh._length[0]
        assert _numbers(back) == _numbers(whoosh)
    lone = cases[-1].to_bytes()
    assert len(lone) == 8  # flags, count, two weights, two lengths, an id and a gap; no pickle
    unknown = entry(minid=None, maxid=None)  # no documents: Whoosh's kind, as Whoosh writes it
    assert unknown.to_bytes() == term_entries.whoosh_to_bytes(unknown)
    assert whoosh3.W3TermInfo.to_bytes is term_entries.to_bytes
