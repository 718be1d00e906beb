"""Term tables with fuller hash tables of smaller slots find every word; Whoosh's still read."""

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh.filedb import filetables
from whoosh.filedb.structfile import StructFile

from index import Library, term_table
from index.whoosh_fixes import _ranges_for_key, whoosh_ranges_for_key

FOLDERS = ("bbc/politics", "seeds", "encodings")


@pytest.fixture(scope="module")
def library(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    library = Library(tmp_path_factory.mktemp("terms") / "data")
    for folder in FOLDERS:
        library.add_folder(corpora / folder)
    library.sync()
    yield library
    library.close()


@pytest.fixture(scope="module")
def whoosh_library(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """The same articles with Whoosh's hash tables and entry lengths, as stop 16 wrote them."""
    library = Library(tmp_path_factory.mktemp("whoosh-terms") / "data")
    for folder in FOLDERS:
        library.add_folder(corpora / folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(filetables.HashWriter, "_write_hashes", term_table.whoosh_write_hashes)
        patch.setattr(filetables.HashWriter, "add", term_table.whoosh_add)
        patch.setattr(filetables.OrderedHashWriter, "add", term_table.whoosh_ordered_add)
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
        assert term_table.slot_struct(tindex.extras).size == 8  # Whoosh's slots: 12 bytes
        assert tindex.extras[term_table.LENGTHS_KEY] == term_table.LEB128
        first = tindex.startofdata  # an entry: its two lengths in 2 bytes (Whoosh's: 8), the key
        key, _datapos, _datalen = tindex.key_and_range_at(first)
        assert tindex.dbfile.get(first + 2, len(key)) == key
        ends = [start + count * 8 for start, count in tindex.tables]
        assert ends[:-1] == [start for start, _count in tindex.tables[1:]]  # tables abut


def test_every_word_is_found_and_a_missing_one_is_not(library: Library) -> None:
    for reader, tindex in _term_indexes(library):
        keys = list(tindex.keys())
        assert len(keys) > 10_000
        for key in keys:
            assert next(tindex.ranges_for_key(key), None) is not None  # the engine's reader
        mapped = tindex.dbfile
        try:  # the engine's reader through a file object, as for a file not mapped
            tindex.dbfile = StructFile(io.BytesIO(bytes(mapped._buf)))
            for key in keys[::7]:
                assert next(_ranges_for_key(tindex, key), None) is not None
        finally:
            tindex.dbfile = mapped
        for word in ("zzqxj", "parliamentt", "elections2"):
            key = b"\x00\x00" + word.encode()
            assert list(tindex.ranges_for_key(key)) == []
        assert reader.doc_frequency("body", b"elect") > 50


def test_whoosh_tables_still_read(whoosh_library: Library, library: Library) -> None:
    ours = {key for _reader, tindex in _term_indexes(library) for key in tindex.keys()}  # noqa: SIM118 - iterating gives (key, value) pairs
    for _reader, tindex in _term_indexes(whoosh_library):
        assert term_table.SLOT_KEY not in tindex.extras
        assert term_table.LENGTHS_KEY not in tindex.extras
        assert term_table.slot_struct(tindex.extras) is term_table.WHOOSH_SLOT
        keys = list(tindex.keys())
        assert set(keys) == ours
        for key in keys:
            found = next(tindex.ranges_for_key(key), None)  # the engine's reader
            assert found is not None
            assert found == next(whoosh_ranges_for_key(tindex, key), None)  # Whoosh's
        assert list(tindex.ranges_for_key(b"\x00\x00zzqxj")) == []


def test_slot_counts_always_leave_an_empty_slot() -> None:
    assert term_table.slot_count(0) == 0
    for entries in range(1, 2000):
        count = term_table.slot_count(entries)
        assert entries < count <= entries * 4 // 3 + 1
    assert filetables.HashWriter._write_hashes is term_table._write_hashes
