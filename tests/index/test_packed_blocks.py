"""Packed posting blocks hold exactly what Whoosh's blocks hold, and Whoosh's still read.

The plain library is written as stop 16 and Whoosh wrote it: Whoosh's blocks and
Whoosh's `Positions` in its schema. It stands for a library made before, which the engine
must still read.
"""

import pickle
import pickletools
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import formats
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.util.numeric import length_to_byte
from whoosh.util.numlists import delta_encode

from index import Library, analysis, packed_blocks
from index.models import SearchRequest
from index.positions import PackedPositions, decode_gaps, encode_gaps
from index.whoosh_fixes import whoosh_read_ids, whoosh_read_weights
from tests.index.libraries import synced

FIELDS = ("body", "title", "author", "folder", "id", "month")


@pytest.fixture(scope="module")
def libraries(
    corpora: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Library, Library]]:
    """The same articles indexed in packed blocks and in Whoosh's own blocks."""
    folders = [corpora / "bbc" / "business", corpora / "seeds"]
    packed = synced(Library(tmp_path_factory.mktemp("packed") / "data"), folders)
    with pytest.MonkeyPatch.context() as patch:
        # The text fields keep Whoosh's own positions format in this library's schema.
        patch.setattr(analysis, "PackedPositions", formats.Positions)
        plain = Library(tmp_path_factory.mktemp("plain") / "data")  # (which applies the packing)
        patch.setattr(whoosh3.W3PostingsWriter, "_write_block", packed_blocks.whoosh_write_block)
        patch.setattr(formats.Positions, "encode", packed_blocks.whoosh_encode_positions)
        patch.setattr(
            whoosh3.W3PostingsWriter, "finish_postings", packed_blocks.whoosh_finish_postings
        )
        synced(plain, folders)
    yield packed, plain
    packed.close()
    plain.close()


def _first_form_write_block(self: Any, last: bool = False) -> None:
    """Stop 17's `_write_block`: blocks in the first packed form, Whoosh's tag and headers."""
    postfile = self._postfile
    if not self._blockcount:
        postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
    self._terminfo.add_block(self)
    weights = packed_blocks.whoosh_mini_weights(self)
    if isinstance(weights, tuple):
        weights = packed_blocks._pack("d", weights)
    values = packed_blocks.whoosh_mini_values(self)
    if isinstance(values, tuple):
        values = (packed_blocks._pack("I", map(len, values)), b"".join(values))
    ids = packed_blocks._pack("I", delta_encode(self._ids))
    data = pickle.dumps((ids, weights, values), 3)
    compression = self._compression if len(data) >= packed_blocks.SMALL_BLOCK else 0
    if compression:
        data = zlib.compress(data, compression)
    lengths = (length_to_byte(self._minlength), length_to_byte(self._maxlength))
    info = pickle.dumps((len(self._ids), self._ids[-1], self._maxweight, compression, *lengths), 2)
    length = len(info) + len(data)
    postfile.write_int(-length if last else length)
    postfile.write(info)
    postfile.write(data)
    self._blockcount += 1
    self._new_block()


@pytest.fixture(scope="module")
def first_form(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """The same articles as stop 17 wrote them: the first packed form, Whoosh's positions."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(analysis, "PackedPositions", formats.Positions)
        library = Library(tmp_path_factory.mktemp("first-form") / "data")
        patch.setattr(whoosh3.W3PostingsWriter, "_write_block", _first_form_write_block)
        synced(library, [corpora / "bbc" / "business", corpora / "seeds"])
    yield library
    library.close()


def test_blocks_of_the_first_packed_form_still_read(
    first_form: Library, libraries: tuple[Library, Library]
) -> None:
    packed, _plain = libraries
    forms = {len(m._data) for _t, m in _leaf_matchers(first_form, "body") if _read(m)}
    assert forms == {3}
    assert {type(m._data[0]) for _t, m in _leaf_matchers(first_form, "body") if _read(m)} == {bytes}
    for fieldname in FIELDS:
        assert _postings(first_form, fieldname) == _postings(packed, fieldname), fieldname
    request = SearchRequest(query='"interest rates" OR "chief executive"', limit=50)
    ours, theirs = packed.search(request), first_form.search(request)
    assert [hit.id for hit in ours.hits] == [hit.id for hit in theirs.hits]
    assert ours.total == theirs.total > 10


def _leaf_matchers(library: Library, fieldname: str) -> Iterator[tuple[bytes, Any]]:
    searcher = library._searcher()
    assert searcher is not None
    reader = searcher.reader()
    for term in reader.lexicon(fieldname):
        matcher = reader.postings(fieldname, term)
        yield term, getattr(matcher, "child", matcher)  # past the deleted-documents filter


def _postings(library: Library, fieldname: str) -> dict[bytes, list[tuple[str, float, Any]]]:
    """Every posting of a field, by word: (article id, weight, value or positions)."""
    searcher = library._searcher()
    assert searcher is not None
    ids = {docnum: fields["id"] for docnum, fields in enumerate(searcher.all_stored_fields())}
    form = searcher.schema[fieldname].format
    found: dict[bytes, list[tuple[str, float, Any]]] = {}
    for term, matcher in _leaf_matchers(library, fieldname):
        postings = []
        while matcher.is_active():
            value = matcher.value()
            if form.supports("positions"):  # encoded each way: compared decoded
                value = (form.decode_frequency(value), form.decode_positions(value))
            postings.append((ids[matcher.id()], matcher.weight(), value))
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
    kinds = {len(m._data) for _t, m in _leaf_matchers(packed, "body") if _read(m)}
    assert kinds == {4}  # every block of the packed index is in the second packed form
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
                        assert data[0] != pickle.PROTO[0]  # no protocol mark
                        assert not _memo_or_frame(data)
                        assert not _calls(data)  # as protocol 3 writes bytes
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


def _memo_or_frame(data: bytes) -> list[str]:
    """The opcodes of a pickle that only share objects or frame them."""
    wasted = ("MEMOIZE", "FRAME")
    return [
        op.name for op, _, _ in pickletools.genops(data) if "PUT" in op.name or op.name in wasted
    ]


def _calls(data: bytes) -> list[str]:
    """The opcodes of a pickle that call a function (protocol 2 writes bytes as a call)."""
    return [op.name for op, _, _ in pickletools.genops(data) if "GLOBAL" in op.name]


def _blocks(library: Library, fieldname: str) -> Iterator[tuple[bytes, Any, int]]:
    """Each term's blocks: the term, its matcher at the block, and the block's whole size."""
    for term, matcher in _leaf_matchers(library, fieldname):
        if not isinstance(matcher, W3LeafMatcher):
            continue
        start = matcher._baseoffset
        while matcher.is_active():
            yield term, matcher, matcher._nextoffset - start
            start = matcher._nextoffset
            matcher._next_block()


def _header(matcher: Any) -> tuple[Any, ...]:
    """What a block's header says (but compression: Whoosh compresses every block)."""
    return (
        matcher._blocklength,
        float(matcher._maxweight),
        matcher._minlength,
        matcher._maxlength,
        matcher._lastblock,
    )


def test_headers_and_positions_are_written_in_fewer_bytes(
    libraries: tuple[Library, Library],
) -> None:
    packed, plain = libraries
    assert all(len(_segments(library)) == 1 for library in libraries)  # the same documents
    sizes = {}
    headers: dict[bool, dict[bytes, list[tuple[Any, ...]]]] = {True: {}, False: {}}
    for library in (packed, plain):
        ours = library is packed
        blocks = list(_blocks(library, "body"))
        assert len(blocks) > 5000
        for term, matcher, _size in blocks:
            first = matcher._postfile.get(matcher._startoffset, 4)
            if ours:
                assert first[:1] == packed_blocks.COMPACT_MARK and matcher._rr_compact
            else:
                assert first == whoosh3.WHOOSH3_HEADER_MAGIC and not matcher._rr_compact
            headers[ours].setdefault(term, []).append((matcher._maxid, *_header(matcher)))
        singles = [size for _term, matcher, size in blocks if matcher._blocklength == 1]
        sizes[ours] = sum(singles) / len(singles)
    assert headers[True] == headers[False]  # what Whoosh's headers say, block by block
    # One posting: 20 bytes against Whoosh's 107 (and 59 in the engine's first packed form).
    assert sizes[True] < 25 and sizes[False] > 100
    form = formats.Positions()
    assert len(packed_blocks.encode_positions(form, [7])) == 8
    assert len(packed_blocks.whoosh_encode_positions(form, [7])) == 13
    for positions in ([], [0], [46], [5, 300, 70_000, 2**31 + 5], list(range(0, 9000, 3))):
        encoded = packed_blocks.encode_positions(form, positions)
        assert form.decode_positions(encoded) == positions
        assert form.decode_frequency(encoded) == len(positions)


def _segments(library: Library) -> list[Any]:
    searcher = library._searcher()
    assert searcher is not None
    return [reader for reader, _base in searcher.reader().leaf_readers()]


def test_a_lone_posting_without_a_value_is_kept_in_its_term_entry(
    libraries: tuple[Library, Library],
) -> None:
    packed, plain = libraries
    for library, inlined in ((packed, True), (plain, False)):
        searcher = library._searcher()
        assert searcher is not None
        reader = searcher.reader()
        ids = list(reader.lexicon("id"))
        assert len(ids) > 500
        assert all(reader.term_info("id", term).is_inlined() == inlined for term in ids)
        lone_words = [t for t in reader.lexicon("body") if reader.doc_frequency("body", t) == 1]
        assert len(lone_words) > 1000
        assert not any(reader.term_info("body", term).is_inlined() for term in lone_words)
        for term in ids[::50]:  # an article found by its id, its entry alone
            article = library.get(term.decode())
            assert article is not None and article.id == term.decode()


def test_text_fields_keep_positions_as_variable_length_gaps(
    libraries: tuple[Library, Library],
) -> None:
    packed, plain = libraries
    for library, kind in ((packed, PackedPositions), (plain, formats.Positions)):
        searcher = library._searcher()
        assert searcher is not None
        for fieldname in ("body", "title", "author", "source"):
            assert type(searcher.schema[fieldname].format) is kind, fieldname
    form = PackedPositions(field_boost=3.0)
    assert [len(encode_gaps(positions)) for positions in ([7], [127], [128], [16_383])] == [
        1, 1, 2, 2,
    ]  # fmt: skip
    assert len(encode_gaps([5, 9, 300, 320])) == 5
    cases: tuple[list[int], ...] = (
        [],
        [0],
        [46],
        [200, 201, 250],  # a first gap of two bytes, the rest of one
        [20_000],
        [0, 1, 2],
        [5, 300, 70_000, 2**31 + 5],
        list(range(0, 9000, 3)),
    )
    for positions in cases:
        encoded = form.encode(positions)
        assert decode_gaps(encoded) == form.decode_positions(encoded) == positions
        assert form.decode_frequency(encoded) == len(positions)
        assert form.decode_weight(encoded) == 3.0 * len(positions)


def test_phrases_find_the_same_articles_in_either_form(
    libraries: tuple[Library, Library],
) -> None:
    packed, plain = libraries
    found = 0
    for text in ('"chief executive"', '"interest rates"', '"the firm said"', 'title:"oil"'):
        request = SearchRequest(query=text, limit=50, snippets=1, facets=False, collapse=False)
        ours, theirs = packed.search(request), plain.search(request)
        assert ours.total == theirs.total, text
        assert [hit.id for hit in ours.hits] == [hit.id for hit in theirs.hits], text
        assert [hit.snippets for hit in ours.hits] == [hit.snippets for hit in theirs.hits], text
        found += ours.total
    assert found > 50
