"""The replacements in index/whoosh_fixes.py give what Whoosh's own code gives."""

import io
import shutil
from pathlib import Path

from whoosh import columns
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.filedb.structfile import StructFile
from whoosh.reading import TermNotFound

from index import Library
from index.whoosh_fixes import (
    whoosh_closest_key_pos,
    whoosh_document,
    whoosh_first_id,
    whoosh_read_offsets_and_lengths,
)


def test_term_lookups_find_what_whoosh_finds(corpora: Path, tmp_path: Path) -> None:
    library = Library(tmp_path / "data")
    library.add_folder(corpora / "bbc" / "politics")
    library.sync()
    searcher = library._searcher()
    assert searcher is not None
    checked = 0
    for leaf, _offset in searcher.subsearchers or [(searcher, 0)]:
        index = leaf.reader()._terms._tindex
        assert isinstance(index, OrderedHashReader)
        assert isinstance(index.dbfile._buf, memoryview)  # read in place, not the fallback
        keys = [index.key_at(index._get_pos(index.indexbase + n * index.indexsize))
                for n in range(index.indexlen)]  # fmt: skip
        probes = [b"", b"\x00", b"\xff" * 8, *keys[::3], *(key + b"\x00" for key in keys[::5])]
        probes += [key[:-1] for key in keys[::7] if key]
        for key in probes:
            assert index.closest_key_pos(key) == whoosh_closest_key_pos(index, key), key
            checked += 1
    assert checked > 2000
    library.close()


def test_hash_lookups_and_columns_read_what_whoosh_reads(corpora: Path, tmp_path: Path) -> None:
    library = Library(tmp_path / "data")
    library.add_folder(corpora / "bbc" / "tech")
    library.add_folder(corpora / "seeds")
    library.sync()
    searcher = library._searcher()
    assert searcher is not None
    reader = searcher.reader()
    for leaf, _offset in reader.leaf_readers():
        # Every id and a sample of words, and keys that are not there.
        terms = leaf._terms._tindex
        assert isinstance(terms.dbfile._buf, memoryview)  # read in place, not the fallback
        keys = [key for key, _ in terms.items()]
        probes = [*keys, b"", b"\x00", b"id\xffnot-there", *(key + b"x" for key in keys[::11])]
        found = {key: list(terms.ranges_for_key(key)) for key in probes}
        # Read again through a file object, as a file that is not mapped is read.
        mapped = terms.dbfile
        terms.dbfile = StructFile(io.BytesIO(bytes(mapped._buf)))
        try:
            assert found == {key: list(terms.ranges_for_key(key)) for key in probes}
        finally:
            terms.dbfile = mapped
        assert {key for key in probes if key in terms} == set(keys)
        assert {key for key, ranges in found.items() if ranges} == set(keys)
        # The variable-length columns, read whole and value by value.
        for name in ("folder_facet", "title_sort"):
            column = leaf.column_reader(name, translate=False)
            assert isinstance(column, columns.VarBytesColumn.Reader)
            plain = columns.VarBytesColumn.Reader.__new__(columns.VarBytesColumn.Reader)
            plain.__dict__.update(column.__dict__)
            whoosh_read_offsets_and_lengths(plain)
            assert list(column._offsets) == list(plain._offsets)
            expected = [column[n] for n in range(leaf.doc_count_all())]
            assert list(column) == expected and len(set(expected)) > 1
    library.close()


def test_documents_by_id_are_whooshs_after_edits(corpora: Path, tmp_path: Path) -> None:
    """Looking an id up by its term's entry finds the live document Whoosh's search finds."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for path in sorted((corpora / "bbc" / "politics").glob("*.txt"))[:60]:
        shutil.copy(path, folder / path.name)
    library = Library(tmp_path / "data")
    library.add_folder(folder)
    library.sync()
    for path in sorted(folder.glob("*.txt"))[::4]:  # edited: replaced in a newer segment
        path.write_text(path.read_text() + "\n\nA correction was added.\n")
    library.sync()
    searcher = library._searcher()
    assert searcher is not None
    leaves = searcher.reader().leaf_readers()
    assert len(leaves) > 1 and searcher.reader().has_deletions()
    ids = {term.decode() for leaf, _ in leaves for term in leaf.lexicon("id")}
    replaced = 0  # ids whose term is in a segment whose document was deleted
    for article_id in [*sorted(ids), "not-an-id"]:
        for leaf, _offset in leaves:
            try:
                expected: int | None = whoosh_first_id(leaf, "id", article_id)
            except TermNotFound:
                expected = None
            try:
                found: int | None = leaf.first_id("id", article_id)
            except TermNotFound:
                found = None
            assert found == expected, article_id
            replaced += expected is None and ("id", article_id) in leaf
        assert searcher.document(id=article_id) == whoosh_document(searcher, id=article_id)
    assert replaced == 15
    library.close()
