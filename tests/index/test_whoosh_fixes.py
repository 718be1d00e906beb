"""The replacements in index/whoosh_fixes.py give what Whoosh's own code gives."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh.codec.whoosh3 import W3LeafMatcher

from index import Library
from index.whoosh_fixes import whoosh_read_ids, whoosh_read_weights


@pytest.fixture(scope="module")
def library(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    library = Library(tmp_path_factory.mktemp("fixes") / "data")
    library.add_folder(corpora / "bbc" / "business")
    library.add_folder(corpora / "seeds")
    library.sync()
    yield library
    library.close()


def test_blocks_decode_as_whoosh_decodes_them(library: Library) -> None:
    searcher = library._searcher()
    assert searcher is not None
    reader = searcher.reader()
    blocks = 0
    for fieldname in ("body", "title", "folder", "id"):
        for term in list(reader.lexicon(fieldname))[::7]:
            matcher = reader.postings(fieldname, term)
            matcher = getattr(matcher, "child", matcher)  # past the deleted-documents filter
            if not isinstance(matcher, W3LeafMatcher):
                continue  # inlined postings: no blocks
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
