"""Every model passes Qt's model tester, with real data."""

from __future__ import annotations

from pathlib import Path

from pytestqt.modeltest import ModelTester

from desktop.bookmarks import Bookmark
from desktop.bookmarks_panel import BookmarksModel
from desktop.results_model import ResultRole, ResultsModel
from index import Library, SearchRequest


def test_results_model(qtmodeltester: ModelTester, tmp_path: Path, corpora: Path) -> None:
    library = Library(tmp_path / "library")
    library.add_folder(corpora / "bbc" / "sport")
    library.sync()
    model = ResultsModel()
    qtmodeltester.check(model)
    first = library.search(SearchRequest("chelsea", limit=5))
    assert first.total > 5
    model.reset(first)
    qtmodeltester.check(model)
    assert model.rowCount() == 5 and model.canFetchMore(model.index(-1))
    model.append(library.search(SearchRequest("chelsea", offset=5, limit=5)))
    qtmodeltester.check(model)
    assert model.rowCount() == 10
    model.set_bookmarked(frozenset({first.hits[0].id}))
    assert model.index(0).data(ResultRole.BOOKMARKED) is True
    assert model.index(1).data(ResultRole.BOOKMARKED) is False
    assert "chelsea" in model.index(0).data(ResultRole.SNIPPETS)[0].lower()
    library.close()


def test_bookmarks_model(qtmodeltester: ModelTester) -> None:
    model = BookmarksModel()
    qtmodeltester.check(model)
    model.set_bookmarks(
        [
            Bookmark(id="a1", title="First", path="/x/a.txt", tags=("one",), note="n"),
            Bookmark(id="b2", title="Second", path="/x/b.txt"),
        ]
    )
    qtmodeltester.check(model)
    assert model.index(0).data() == "★ First   [one]"
