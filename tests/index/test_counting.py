"""Counting with set algebra finds exactly the documents Whoosh's matchers find."""

import shutil
from pathlib import Path

from whoosh import query as wq

from index import Library
from index.counting import matching_docnums
from index.models import Filters
from index.query import expand_fuzzy, parse_query
from index.search import _filter_query, _restrict

QUERIES = [
    "government",
    "mobile phone",
    "oil OR gas",
    "(mobile OR phone) technology",
    "election NOT labour",
    "music -rock",
    '"prime minister"',
    '"world cup" england',
    "comput*",
    "econ*mic",
    "goverment~",
    "title:election",
    "author:smith",
    "date:2005",
    "date:2004-12..2005-03 oil",
    "NOT film",
    "zzzunknownword",
    "the",
    "",
]


def check(library: Library) -> int:
    searcher = library._searcher()
    assert searcher is not None
    checked = 0
    for text in QUERIES:
        # An empty query lists every article, as a search runs it (filters then browse).
        query = parse_query(text, library._parser).query if text else wq.Every()
        query = expand_fuzzy(query, searcher.reader())
        for filters in (Filters(), Filters(years=(2004,)), Filters(folders=("politics",))):
            restricted = _restrict(query, _filter_query(searcher, filters))
            ours = matching_docnums(searcher, restricted)
            theirs = list(searcher.docs_for_query(restricted))
            assert len(ours) == len(set(ours))
            assert sorted(ours) == sorted(theirs), (text, filters)
            checked += len(theirs)
    return checked


def test_counts_match_whoosh_on_bbc_with_deletions(corpora: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bbc"
    shutil.copytree(corpora / "bbc", folder)
    library = Library(tmp_path / "data")
    library.add_folder(folder)
    library.sync()
    assert check(library) > 5000
    # Deleted documents stay in their segment, marked: they must not be counted.
    for path in sorted((folder / "politics").glob("*.txt"))[:60]:
        path.unlink()
    for path in sorted((folder / "sport").glob("*.txt"))[:5]:
        path.write_text("Updated\n\nA government football story.\n", encoding="utf-8")
    report = library.sync()
    assert report.removed == 60 and report.updated == 5
    assert check(library) > 5000
    library.close()
