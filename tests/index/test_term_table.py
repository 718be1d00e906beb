"""Term tables with fuller hash tables find every word, by the engine's reader and Whoosh's."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh.filedb import filetables

from index import Library, term_table
from index.whoosh_fixes import whoosh_ranges_for_key


@pytest.fixture(scope="module")
def library(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    library = Library(tmp_path_factory.mktemp("terms") / "data")
    for folder in (corpora / "bbc" / "politics", corpora / "seeds", corpora / "encodings"):
        library.add_folder(folder)
    library.sync()
    yield library
    library.close()


def _term_indexes(library: Library) -> list[tuple[Any, Any]]:
    """Each segment's reader and its term table's hash reader."""
    searcher = library._searcher()
    assert searcher is not None
    return [(reader, reader._terms._tindex) for reader, _ in searcher.reader().leaf_readers()]


def test_each_table_has_a_third_more_slots_than_entries(library: Library) -> None:
    for reader, tindex in _term_indexes(library):
        slots = [numslots for _start, numslots in tindex.tables]
        words = sum(1 for _ in reader.all_terms())
        assert words > 10_000
        assert sum(slots) < 1.4 * words  # Whoosh's tables: 2 slots a word
        assert all(count == 0 or count >= 2 for count in slots)


def test_every_word_is_found_and_a_missing_one_is_not(library: Library) -> None:
    for reader, tindex in _term_indexes(library):
        keys = list(tindex.keys())
        assert len(keys) > 10_000
        for key in keys:
            assert next(tindex.ranges_for_key(key), None) is not None  # the engine's reader
        for key in keys[::7]:  # Whoosh's reader, slot by slot through its file object
            assert next(whoosh_ranges_for_key(tindex, key), None) is not None
        for word in ("zzqxj", "parliamentt", "elections2"):
            key = b"\x00\x00" + word.encode()
            assert list(tindex.ranges_for_key(key)) == []
            assert list(whoosh_ranges_for_key(tindex, key)) == []
        assert reader.doc_frequency("body", b"elect") > 50


def test_slot_counts_always_leave_an_empty_slot() -> None:
    assert term_table.slot_count(0) == 0
    for entries in range(1, 2000):
        count = term_table.slot_count(entries)
        assert entries < count <= entries * 4 // 3 + 1
    assert filetables.HashWriter._write_hashes is term_table._write_hashes
