"""Stored fields in blocks with a segment's dictionary hold what Whoosh stores, in less room."""

import pickle
import random
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.codec import whoosh3

from index import Library, stored_fields
from tests.index.libraries import synced

_ZLIB_DICTIONARY = b" the of and to in said that for"


def _stop17_finish_doc(self: Any) -> None:
    """Stop 17's writer: each article alone, zlib primed with the segment's dictionary."""
    fields = self._storedfields
    if fields:
        if not self.__dict__.get("_test_dictionary_written"):
            self._cols.create_file(stored_fields.ZLIB_DICTIONARY_FILE).write(_ZLIB_DICTIONARY)
            self._test_dictionary_written = True
        packer = zlib.compressobj(3, zdict=_ZLIB_DICTIONARY)
        data = packer.compress(pickle.dumps(fields, 5)) + packer.flush()
        self._colwriters[stored_fields.STORED_COLUMN].add(self._docnum, data)
        fields.clear()
    self._indoc = False


def _whoosh_writes_stored_fields(patch: pytest.MonkeyPatch) -> None:
    """Undo the writing half of `stored_fields.apply` (the reader reads both kinds)."""
    patch.setattr(whoosh3.W3PerDocWriter, "__init__", stored_fields.whoosh_init)
    patch.setattr(whoosh3.W3PerDocWriter, "finish_doc", stored_fields.whoosh_finish_doc)
    patch.setattr(whoosh3.W3PerDocWriter, "close", stored_fields.whoosh_close)


@pytest.fixture(scope="module")
def libraries(
    corpora: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Library, Library]]:
    """The same articles with their stored fields written each way."""
    folders = [corpora / "bbc" / "business", corpora / "seeds", corpora / "encodings"]
    ours = synced(Library(tmp_path_factory.mktemp("ours") / "data"), folders)
    plain = Library(tmp_path_factory.mktemp("plain") / "data")
    with pytest.MonkeyPatch.context() as patch:
        _whoosh_writes_stored_fields(patch)
        synced(plain, folders)
    yield ours, plain
    ours.close()
    plain.close()


def _stored(library: Library) -> dict[str, dict[str, Any]]:
    searcher = library._searcher()
    assert searcher is not None
    return {fields["id"]: fields for fields in searcher.all_stored_fields()}


def _segments(library: Library) -> list[Any]:
    """Each segment's per-document reader."""
    searcher = library._searcher()
    assert searcher is not None
    return [reader._perdoc for reader, _base in searcher.reader().leaf_readers()]


def _stored_bytes(perdoc: Any) -> int:
    _file, _offset, length = perdoc._get_column_file(stored_fields.STORED_COLUMN)
    return int(length)


def test_every_article_stores_what_whoosh_stores(libraries: tuple[Library, Library]) -> None:
    ours, plain = libraries
    stored = _stored(ours)
    assert stored == _stored(plain)
    assert len(stored) > 700
    assert all(fields["body"] and fields["path"] for fields in stored.values())


def test_segments_carry_their_dictionary_and_store_less(
    libraries: tuple[Library, Library],
) -> None:
    ours, plain = libraries
    for perdoc in _segments(ours):
        assert stored_fields._kind(perdoc)[0] == "blocks"
        dictionary = stored_fields._read_file(perdoc, stored_fields.DICTIONARY_FILE)
        assert 0 < len(dictionary) <= stored_fields.DICTIONARY_BYTES
    assert {stored_fields._kind(p)[0] for p in _segments(plain)} == {"whoosh"}
    size = sum(map(_stored_bytes, _segments(ours)))
    whoosh_size = sum(map(_stored_bytes, _segments(plain)))
    assert size < 0.8 * whoosh_size, (size, whoosh_size)  # long bbc articles


def test_articles_read_alike_in_any_order(libraries: tuple[Library, Library]) -> None:
    ours, _plain = libraries
    (perdoc, *_others) = _segments(ours)
    count = perdoc.doc_count_all()
    assert count > 2 * stored_fields.BLOCK_ARTICLES
    in_order = [perdoc.stored_fields(docnum) for docnum in range(count)]
    shuffled = list(range(count))
    random.Random(4).shuffle(shuffled)
    assert all(perdoc.stored_fields(docnum) == in_order[docnum] for docnum in shuffled)
    assert all(fields["body"] for fields in in_order)


def test_segments_of_every_kind_read_side_by_side_and_merge_into_the_new_kind(
    corpora: Path, tmp_path: Path
) -> None:
    library = Library(tmp_path / "data")
    with pytest.MonkeyPatch.context() as patch:
        _whoosh_writes_stored_fields(patch)
        synced(library, [corpora / "bbc" / "sport"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(whoosh3.W3PerDocWriter, "finish_doc", _stop17_finish_doc)
        synced(library, [corpora / "bbc" / "entertainment"])
    synced(library, [corpora / "seeds", corpora / "bbc" / "tech"])
    kinds = {stored_fields._kind(p)[0] for p in _segments(library)}
    assert kinds == {"whoosh", "zlib", "blocks"}
    before = _stored(library)
    assert len(before) > 900
    # Whoosh merges by reading each article's stored fields and writing them again.
    ix = whoosh_index.open_dir(str(library._index_dir))
    ix.optimize()
    ix.close()
    library.close()
    library = Library(tmp_path / "data")
    segments = _segments(library)
    assert len(segments) == 1 and stored_fields._kind(segments[0])[0] == "blocks"
    assert _stored(library) == before
    article = next(iter(before))
    found = library.get(article)
    assert found is not None and found.text == before[article]["body"]
    library.close()


def test_a_segment_of_a_few_articles_trains_its_dictionary_when_it_closes(
    corpora: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "seeds"
    shutil.copytree(corpora / "seeds", folder)
    library = synced(Library(tmp_path / "data"), [folder])
    (segment,) = _segments(library)
    assert stored_fields._kind(segment)[0] == "blocks"
    stored = _stored(library)
    assert len(stored) == len(list(folder.iterdir())) < stored_fields.TRAINING_ARTICLES
    assert all(len(fields["body"]) > 500 for fields in stored.values())
    library.close()


def test_blocks_pack_their_articles_and_a_dictionary_makes_them_smaller() -> None:
    articles = [b"", b"x" * 300, b"the end", b"", pickle.dumps({"body": "a" * 20_000})]
    assert stored_fields.unpack_block(stored_fields.pack_block(articles)) == articles
    samples = [f"article {n}: the council said the harbour will open".encode() for n in range(400)]
    dictionary = stored_fields.train(samples, size=2048)
    assert 0 < len(dictionary) <= 2048
    assert stored_fields.train(samples[:2]) == b""  # too few to train: no dictionary
    block = stored_fields.pack_block(samples[-8:])
    for trained in (dictionary, b""):
        packed = stored_fields.compressor(trained).compress(block)
        assert stored_fields.decompressor(trained).decompress(packed) == block
    with_dictionary = stored_fields.compressor(dictionary).compress(block)
    assert len(with_dictionary) < len(stored_fields.compressor(b"").compress(block))
