"""Stored fields compressed with a segment's dictionary hold what Whoosh stores, in less room."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.codec import whoosh3

from index import Library, stored_fields


def _sync(library: Library, folders: list[Path]) -> Library:
    for folder in folders:
        library.add_folder(folder)
    library.sync()
    return library


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
    ours = _sync(Library(tmp_path_factory.mktemp("ours") / "data"), folders)
    plain = Library(tmp_path_factory.mktemp("plain") / "data")
    with pytest.MonkeyPatch.context() as patch:
        _whoosh_writes_stored_fields(patch)
        _sync(plain, folders)
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
        assert perdoc.has_column(stored_fields.DICTIONARY_FILE)
        dictionary = stored_fields._dictionary(perdoc)
        assert dictionary is not None and 0 < len(dictionary) <= stored_fields.DICTIONARY_BYTES
    assert not any(p.has_column(stored_fields.DICTIONARY_FILE) for p in _segments(plain))
    size = sum(map(_stored_bytes, _segments(ours)))
    whoosh_size = sum(map(_stored_bytes, _segments(plain)))
    assert size < 0.95 * whoosh_size, (size, whoosh_size)  # 9% less: long bbc articles


def test_segments_of_both_kinds_read_side_by_side_and_merge_into_the_new_kind(
    corpora: Path, tmp_path: Path
) -> None:
    library = Library(tmp_path / "data")
    with pytest.MonkeyPatch.context() as patch:
        _whoosh_writes_stored_fields(patch)
        _sync(library, [corpora / "bbc" / "sport"])
    _sync(library, [corpora / "seeds", corpora / "bbc" / "tech"])
    kinds = {p.has_column(stored_fields.DICTIONARY_FILE) for p in _segments(library)}
    assert kinds == {True, False}
    before = _stored(library)
    assert len(before) > 900
    # Whoosh merges by reading each article's stored fields and writing them again.
    ix = whoosh_index.open_dir(str(library._index_dir))
    ix.optimize()
    ix.close()
    library.close()
    library = Library(tmp_path / "data")
    segments = _segments(library)
    assert len(segments) == 1 and segments[0].has_column(stored_fields.DICTIONARY_FILE)
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
    library = _sync(Library(tmp_path / "data"), [folder])
    (segment,) = _segments(library)
    assert segment.has_column(stored_fields.DICTIONARY_FILE)
    stored = _stored(library)
    assert len(stored) == len(list(folder.iterdir())) < stored_fields.TRAINING_ARTICLES
    assert all(len(fields["body"]) > 500 for fields in stored.values())
    library.close()


def test_the_dictionary_ends_with_the_commonest_pieces_and_the_shortest_sample() -> None:
    samples = [b"the cat sat on the mat", b"the dog sat on the log", b"the end"]
    dictionary = stored_fields.train(samples, size=64)
    assert dictionary.endswith(b"the" + b"the end")  # "the" opens every sample
    assert b" sat" in dictionary and b" cat" not in dictionary  # " cat" comes once
    assert len(stored_fields.train(samples * 100, size=40)) <= 40
    assert stored_fields.train([]) == b""
    data = b"the dog sat on the mat, the end"
    packed = stored_fields.compress(data, dictionary)
    assert stored_fields.decompress(packed, dictionary) == data
    assert len(packed) < len(stored_fields.compress(data, b""))
