"""Packed posting blocks hold exactly what Whoosh's blocks hold, and Whoosh's still read."""

import pickle
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import W3LeafMatcher

from index import Library, packed_blocks
from index.whoosh_fixes import whoosh_read_ids, whoosh_read_weights

FIELDS = ("body", "title", "author", "folder", "id", "month")


def _sync(library: Library, folders: list[Path]) -> Library:
    for folder in folders:
        library.add_folder(folder)
    library.sync()
    return library


@pytest.fixture(scope="module")
def libraries(
    corpora: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Library, Library]]:
    """The same articles indexed in packed blocks and in Whoosh's own blocks."""
    folders = [corpora / "bbc" / "business", corpora / "seeds"]
    packed = _sync(Library(tmp_path_factory.mktemp("packed") / "data"), folders)
    plain = Library(tmp_path_factory.mktemp("plain") / "data")  # (a library applies the packing)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(whoosh3.W3PostingsWriter, "_mini_ids", packed_blocks.whoosh_mini_ids)
        patch.setattr(whoosh3.W3PostingsWriter, "_mini_weights", packed_blocks.whoosh_mini_weights)
        patch.setattr(whoosh3.W3PostingsWriter, "_mini_values", packed_blocks.whoosh_mini_values)
        patch.setattr(whoosh3.W3PostingsWriter, "_write_block", packed_blocks.whoosh_write_block)
        _sync(plain, folders)
    yield packed, plain
    packed.close()
    plain.close()


def _leaf_matchers(library: Library, fieldname: str) -> Iterator[tuple[bytes, Any]]:
    searcher = library._searcher()
    assert searcher is not None
    reader = searcher.reader()
    for term in reader.lexicon(fieldname):
        matcher = reader.postings(fieldname, term)
        yield term, getattr(matcher, "child", matcher)  # past the deleted-documents filter


def _postings(library: Library, fieldname: str) -> dict[bytes, list[tuple[str, float, bytes]]]:
    """Every posting of a field, by word: (article id, weight, value)."""
    searcher = library._searcher()
    assert searcher is not None
    ids = {docnum: fields["id"] for docnum, fields in enumerate(searcher.all_stored_fields())}
    found: dict[bytes, list[tuple[str, float, bytes]]] = {}
    for term, matcher in _leaf_matchers(library, fieldname):
        postings = []
        while matcher.is_active():
            postings.append((ids[matcher.id()], matcher.weight(), matcher.value()))
            matcher.next()
        found[term] = sorted(postings)
    return found


def test_packed_blocks_hold_what_whoosh_blocks_hold(libraries: tuple[Library, Library]) -> None:
    packed, plain = libraries
    for fieldname in FIELDS:
        ours, theirs = _postings(packed, fieldname), _postings(plain, fieldname)
        assert ours == theirs, fieldname
        assert sum(map(len, ours.values())) > 0, fieldname


def test_blocks_are_packed_and_whoosh_blocks_decode_as_whoosh_decodes_them(
    libraries: tuple[Library, Library],
) -> None:
    packed, plain = libraries
    kinds = {type(m._data[0]) for _t, m in _leaf_matchers(packed, "body") if _read(m)}
    assert kinds == {bytes}  # every block of the packed index is packed
    blocks = 0
    for fieldname in FIELDS:
        for term, matcher in _leaf_matchers(plain, fieldname):
            if not isinstance(matcher, W3LeafMatcher):
                continue  # inlined postings: no blocks
            assert type(_read(matcher) and matcher._data[0]) is tuple, term
            while matcher.is_active():
                matcher._read_ids()
                matcher._read_weights()
                ours = (tuple(matcher._ids), list(matcher._weights))
                whoosh_read_ids(matcher)
                whoosh_read_weights(matcher)
                assert ours == (tuple(matcher._ids), list(matcher._weights)), (fieldname, term)
                blocks += 1
                matcher._next_block()
    assert blocks > 500


def test_small_blocks_are_stored_as_they_are_and_the_rest_compressed(
    libraries: tuple[Library, Library],
) -> None:
    packed, plain = libraries
    for library, small_ones in ((packed, True), (plain, False)):
        counts = {True: 0, False: 0}
        for fieldname in FIELDS:
            for _term, matcher in _leaf_matchers(library, fieldname):
                if not isinstance(matcher, W3LeafMatcher):
                    continue
                while matcher.is_active():
                    offset, stored = matcher._dataoffset, matcher._nextoffset - matcher._dataoffset
                    data = matcher._postfile.get(offset, stored)
                    if matcher._compression:
                        data = zlib.decompress(data)
                    assert pickle.loads(data)  # noqa: S301 - the test's own index
                    if library is packed:
                        assert data[1] == 5  # pickle protocol 5: bytes stay bytes
                        assert (len(data) >= packed_blocks.SMALL_BLOCK) == bool(
                            matcher._compression
                        )
                    counts[bool(matcher._compression)] += 1
                    matcher._next_block()
        assert counts[True] > 100  # large blocks are compressed in both
        assert (counts[False] > 1000) == small_ones  # Whoosh compresses every block


def _read(matcher: Any) -> bool:
    """Whether the matcher reads blocks; if so, its first block's data is read."""
    if not isinstance(matcher, W3LeafMatcher):
        return False
    matcher._read_data()
    return True
