"""The replacements in index/whoosh_fixes.py give what Whoosh's own code gives."""

from pathlib import Path

from whoosh.filedb.filetables import OrderedHashReader

from index import Library
from index.whoosh_fixes import whoosh_closest_key_pos


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
