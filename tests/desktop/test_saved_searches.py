"""Saved searches: kept safely, counted by what arrived since last opened, run in the window."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.bookmarks import BookmarkStore
from desktop.paths import AppPaths
from desktop.saved_searches import SavedSearch, SavedSearchStore, new_counts, request_for
from index import Filters, Library, SearchRequest
from tests.desktop.conftest import WindowFactory
from tests.desktop.test_window import WAIT_MS


def test_save_replace_remove_and_reload(tmp_path: Path) -> None:
    path = tmp_path / "saved-searches.json"
    store = SavedSearchStore(path)
    store.save(SavedSearch("Ukraine", "ukraine refugees", periods=("2022",), sort="newest"))
    store.save(SavedSearch("budget", "budget", folders=("bbc/business",)))
    first = store.get("ukraine")
    assert first is not None and first.periods == ("2022",)

    store.save(SavedSearch("UKRAINE", "ukraine", years=(2022,)))  # the same name, any case

    reloaded = SavedSearchStore(path)
    assert [s.name for s in reloaded.all()] == ["budget", "UKRAINE"]
    replaced = reloaded.get("Ukraine")
    assert replaced is not None and replaced.query == "ukraine" and replaced.years == (2022,)
    assert replaced.created == first.created
    assert reloaded.remove("budget") and not reloaded.remove("budget")
    assert json.loads(path.read_text())["version"] == 1
    assert path.with_name(path.name + ".bak").exists()


def test_a_damaged_file_is_set_aside_and_the_backup_restored(tmp_path: Path) -> None:
    path = tmp_path / "saved-searches.json"
    store = SavedSearchStore(path)
    store.save(SavedSearch("one", "a"))
    store.save(SavedSearch("two", "b"))
    path.write_text('{"version": 1, "saved_searches": [{"na', encoding="utf-8")

    reopened = SavedSearchStore(path)

    assert [s.name for s in reopened.all()] == ["one"]
    assert reopened.warning is not None and "saved searches file was damaged" in reopened.warning
    assert len(list(tmp_path.glob("saved-searches.json.damaged-*"))) == 1


def test_new_articles_are_counted_until_the_search_is_opened(tmp_path: Path, corpora: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(corpora / "bbc" / "politics" / "409.txt", folder / "a.txt")
    library = Library(tmp_path / "data")
    bookmarks = BookmarkStore(tmp_path / "bookmarks.json")
    store = SavedSearchStore(tmp_path / "saved.json")
    try:
        library.add_folder(folder)
        library.sync()
        store.save(SavedSearch("tories", "tory"))
        store.save(SavedSearch("tories in 1999", "tory", periods=("1999",)))
        assert new_counts(store.all(), library, bookmarks) == {"tories": 0, "tories in 1999": 0}

        time.sleep(0.05)
        for name in ("politics/374.txt", "politics/282.txt", "tech/001.txt"):
            shutil.copy(corpora / "bbc" / name, folder / name.replace("/", "-"))
        library.sync()

        counts = new_counts(store.all(), library, bookmarks)
        assert counts == {"tories": 2, "tories in 1999": 0}  # the period filter counts too
        store.mark_opened("tories")
        assert new_counts(store.all(), library, bookmarks)["tories"] == 0
        saved = store.get("tories")
        assert saved is not None
        assert library.search(request_for(saved, bookmarks)).total == 3
    finally:
        library.close()


def test_count_arrived_respects_filters(tmp_path: Path, corpora: Path) -> None:
    library = Library(tmp_path / "data")
    try:
        library.add_folder(corpora / "seeds")
        library.sync()
        everything = SearchRequest("chmerkovskiy")
        assert library.count_arrived(everything, since=0) == 2
        assert library.count_arrived(everything, since=time.time() + 1) == 0
        only = SearchRequest("chmerkovskiy", filters=Filters(only_ids=frozenset({"nope"})))
        assert library.count_arrived(only, since=0) == 0
    finally:
        library.close()


def test_save_a_search_in_the_window_and_run_it_again(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path, corpora: Path
) -> None:
    window = window_factory.open(bbc_base)
    window.search_bar.set_text("election")
    window.filter_bar.set_period("")
    combo = window.filter_bar.facet_combos["folder"]
    qtbot.waitUntil(lambda: combo.findData("bbc/politics") >= 0, timeout=WAIT_MS)
    combo.setCurrentIndex(combo.findData("bbc/politics"))
    qtbot.waitUntil(lambda: window.search.query == "election", timeout=WAIT_MS)

    assert window.save_search("Election politics")
    assert window.saved_dock.isVisible()
    assert window.saved_panel.names() == ["Election politics"]
    saved = SavedSearchStore(AppPaths.resolve(bbc_base).saved_searches).get("election politics")
    assert saved is not None and saved.folders == ("bbc/politics",) and saved.query == "election"

    # Somewhere else, later: another query, no filter; then the saved search is opened.
    window.search_bar.set_text("football")
    combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: window.search.query == "football", timeout=WAIT_MS)
    item = window.saved_panel.list.item(0)
    window.saved_panel.list.itemActivated.emit(item)

    def first_folder() -> str | None:
        hit = window.results_model.hit(0)
        return None if hit is None else hit.folder

    qtbot.waitUntil(
        lambda: window.search.query == "election" and first_folder() == "bbc/politics",
        timeout=WAIT_MS,
    )
    assert window.filter_bar.filters().folders == ("bbc/politics",)

    # New articles arrive: the panel counts those each search matches.
    combo.setCurrentIndex(0)
    assert window.save_search("Election anywhere")
    extra = bbc_base / "extra"
    extra.mkdir()
    shutil.copy(corpora / "bbc" / "politics" / "001.txt", extra / "copy.txt")
    window.add_folder_path(extra)
    qtbot.waitUntil(
        lambda: window.saved_panel.names() == ["Election anywhere  (1 new)", "Election politics"],
        timeout=WAIT_MS,
    )
    assert window.saved_panel.list.item(0).font().bold()
    window.saved_panel.list.setCurrentRow(1)
    qtbot.mouseClick(window.saved_panel.remove_button, Qt.MouseButton.LeftButton)
    assert window.saved_panel.names() == ["Election anywhere  (1 new)"]
