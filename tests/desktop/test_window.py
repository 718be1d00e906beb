"""The window, driven like a user would: type, wait, read, walk the hits, bookmark, restart."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QListView, QTextBrowser, QWidget
from pytestqt.qtbot import QtBot

from desktop import search_controller
from desktop.bookmarks import BookmarkStore
from desktop.main_window import MainWindow
from desktop.paths import AppPaths
from desktop.results_model import ResultRole
from index import Hit, Library, SearchRequest, SearchResult
from index.library import CANCELLED
from tests.desktop.conftest import WindowFactory
from tests.index.test_library import mapped_kb

WAIT_MS = 20_000


def search_for(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.search_bar.edit.clear()
    qtbot.keyClicks(window.search_bar.edit, text)
    qtbot.waitUntil(
        lambda: (
            window.search.query == text
            and window.results_model.rowCount() > 0
            and window.results_model.hit(0) is not None
        ),
        timeout=WAIT_MS,
    )


def open_first(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.article_shown, timeout=WAIT_MS):
        window.results_view.setFocus()
        window.results_view.setCurrentIndex(window.results_model.index(0))
        qtbot.keyClick(window.results_view, Qt.Key.Key_Return)


def hit_at(window: MainWindow, row: int) -> Hit:
    hit = window.results_model.hit(row)
    assert hit is not None
    return hit


def hit_texts(window: MainWindow) -> list[str]:
    return [cursor.selectedText() for cursor in window.reader.view._hits]


def test_type_a_query_read_and_walk_the_hits(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    assert not window.banner.isVisible()  # the user's library, not the sample
    search_for(qtbot, window, "Time Warner profit")
    first = window.results_model.hit(0)
    assert first is not None and first.path.endswith("business/001.txt")
    assert "<mark>" in " ".join(first.snippets)
    assert "1</b> article" in window.search_bar.status.text()

    open_first(qtbot, window)
    view = window.reader.view
    assert view.article is not None and view.article.id == first.id
    texts = hit_texts(window)
    # Every hit is highlighted, stemmed forms included ("profits" for "profit").
    assert {"Time", "Warner", "profit", "profits"} <= set(texts)
    assert view.current_hit == 1
    assert window.reader.hit_label.text() == f"hit 1 of {len(texts)}"
    qtbot.keyClick(window, Qt.Key.Key_F3)
    assert view.current_hit == 2
    assert window.reader.hit_label.text() == f"hit 2 of {len(texts)}"
    qtbot.keyClick(window, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(window, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert view.current_hit == len(texts)  # wraps around to the last hit


def test_clicking_a_passage_opens_the_reader_there(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    search_for(qtbot, window, "Time Warner profit")
    hit = window.results_model.hit(0)
    assert hit is not None and len(hit.snippets) >= 2
    with qtbot.waitSignal(window.article_shown, timeout=WAIT_MS):
        window.open_article(hit.id, snippet_html=hit.snippets[-1])
    view = window.reader.view
    # The current hit lies in the last passage, not at the top of the article.
    assert view.current_hit > 1
    passage_start = view.textCursor().position() - view._body_start
    assert view.article is not None
    assert passage_start > len(view.article.text) // 3


def test_find_in_article_and_zoom(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    search_for(qtbot, window, "Time Warner profit")
    open_first(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.reader.find_bar.isVisible()
    qtbot.keyClicks(window.reader.find_bar.edit, "Google")
    assert window.reader.view.textCursor().selectedText() == "Google"
    qtbot.keyClicks(window.reader.find_bar.edit, "zzzz")
    assert window.reader.find_bar.status.text() == "Not found"
    size = window.reader.view.font().pointSizeF()
    window.commands.zoom_in.trigger()
    assert window.reader.view.font().pointSizeF() > size
    window.commands.zoom_reset.trigger()
    assert window.reader.view.font().pointSizeF() == size


def test_bookmark_survives_restart_reindex_and_move(
    qtbot: QtBot, window_factory: WindowFactory, tmp_path: Path, corpora: Path
) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(corpora / "bbc" / "tech", articles / "tech")
    root = tmp_path / "base"
    library = Library(AppPaths.resolve(root).library)
    library.add_folder(articles)
    library.sync()
    library.close()

    window = window_factory.open(root)
    search_for(qtbot, window, "broadband")
    open_first(qtbot, window)
    article = window.current_article()
    assert article is not None
    qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.commands.toggle_bookmark.isChecked()
    assert window.results_model.index(0).data(ResultRole.BOOKMARKED)
    window.close()

    # A new window over the same base directory finds the bookmark again.
    window = window_factory.open(root)
    assert article.id in {b.id for b in window.bookmarks.all()}
    assert window.bookmarks_panel.model.rowCount() == 1
    search_for(qtbot, window, "is:bookmarked")
    assert window.results_model.rowCount() == 1
    assert hit_at(window, 0).id == article.id

    # Move the file and re-index: the bookmark follows it.
    moved = articles / "elsewhere" / "renamed.txt"
    moved.parent.mkdir()
    Path(article.path).rename(moved)
    with qtbot.waitSignal(window.indexing.finished, timeout=60_000) as finished:
        window.reindex()
    assert finished.args[0].moved == 1
    window.search.search_now()
    qtbot.waitUntil(
        lambda: window.results_model.rowCount() == 1 and hit_at(window, 0).path == str(moved),
        timeout=WAIT_MS,
    )
    assert hit_at(window, 0).id == article.id
    assert BookmarkStore(AppPaths.resolve(root).bookmarks).get(article.id) is not None


def test_old_results_never_replace_newer_ones(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    shown: list[str] = []
    window.search.results.connect(lambda result, append: shown.append(result.query))
    window.search.set_query("economy")
    window.search.search_now()
    window.search.set_query("football")
    window.search.search_now()
    qtbot.waitUntil(lambda: "football" in shown, timeout=WAIT_MS)
    qtbot.wait(300)
    assert shown == ["football"]
    assert window.results_model.hit(0) is not None
    assert "football" in window.search.query


def test_a_newer_query_stops_the_search_under_way(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    """The older search gives up instead of running to the end: typing is answered sooner."""
    window = window_factory.open(bbc_base)
    library = window.session.current
    answers: list[tuple[str, str | None]] = []
    search = library.search

    def recording(
        request: SearchRequest, cancelled: Callable[[], bool] | None = None
    ) -> SearchResult:
        result = search(request, cancelled)
        answers.append((result.query, result.message))
        return result

    library.search = recording  # type: ignore[method-assign]
    window.search.set_query("said OR people OR year OR government")
    window.search.search_now()
    window.search.set_query("football")
    window.search.search_now()
    qtbot.waitUntil(lambda: any(q == "football" for q, _ in answers), timeout=WAIT_MS)
    assert answers[0] == ("said OR people OR year OR government", CANCELLED)
    assert answers[-1] == ("football", None)
    qtbot.waitUntil(lambda: window.results_model.total > 0, timeout=WAIT_MS)
    assert "football" in window.search.query


def test_did_you_mean_applies_the_suggestion(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    qtbot.keyClicks(window.search_bar.edit, "goverment spendng")
    qtbot.waitUntil(lambda: "Did you mean" in window.search_bar.status.text(), timeout=WAIT_MS)
    assert "Nothing found" in window.empty_label.text()
    window.search_bar.status.linkActivated.emit("suggestion")
    assert window.search_bar.edit.text() == "government spending"
    qtbot.waitUntil(lambda: window.results_model.rowCount() > 0, timeout=WAIT_MS)


def test_did_you_mean_waits_until_typing_stops(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    """While typing, the unfinished word is not respelled; once typing stops, it is."""
    window = window_factory.open(bbc_base)
    answers: list[tuple[str, str | None]] = []
    window.search.results.connect(
        lambda result, _append: answers.append((result.query, result.suggestion))
    )
    qtbot.keyClicks(window.search_bar.edit, "spendng")
    qtbot.waitUntil(lambda: any(s for q, s in answers if q == "spendng"), timeout=WAIT_MS)
    final = [s for q, s in answers if q == "spendng"]
    assert final[0] is None  # the search made while typing
    assert final[-1] == "spending"  # the one made once typing stopped
    assert all(s is None for q, s in answers if q != "spendng")


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads Linux's /proc")
def test_idle_window_gives_back_the_index_pages(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once searching pauses, the index pages read by the searches leave the window's memory."""
    monkeypatch.setattr(search_controller, "RELEASE_AFTER_MS", 200)
    window = window_factory.open(bbc_base)
    index_dir = window.session.current.data_dir / "index"
    search_for(qtbot, window, "economy OR film OR music OR election")
    held = mapped_kb(index_dir)
    assert held > 500
    qtbot.waitUntil(lambda: mapped_kb(index_dir) < held / 10, timeout=WAIT_MS)
    search_for(qtbot, window, "prime minister")  # and searching goes on as before
    assert window.results_model.total > 0


def test_filters_and_sort(qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path) -> None:
    window = window_factory.open(bbc_base)
    search_for(qtbot, window, "election")
    total = window.results_model.total
    folders = window.filter_bar.facet_combos["folder"]
    assert folders.count() > 2
    politics = folders.findData("bbc/politics")
    assert politics > 0 and "(" in folders.itemText(politics)
    folders.setCurrentIndex(politics)
    qtbot.waitUntil(lambda: 0 < window.results_model.total < total, timeout=WAIT_MS)
    assert all(
        hit_at(window, row).folder == "bbc/politics"
        for row in range(window.results_model.rowCount())
    )
    sort = window.filter_bar.sort_combo
    with qtbot.waitSignal(window.search.results, timeout=WAIT_MS):
        sort.setCurrentIndex(sort.findText("Title"))
    assert window.results_model.rowCount() > 2
    titles = [hit_at(window, r).title.casefold() for r in range(3)]
    assert titles == sorted(titles)


def test_escape_clears_and_shortcuts_focus_the_box(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    search_for(qtbot, window, "chelsea")
    window.results_view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.search_bar.edit.hasFocus()
    qtbot.keyClick(window.search_bar.edit, Qt.Key.Key_Escape)
    assert window.search_bar.edit.text() == ""
    qtbot.waitUntil(lambda: window.results_model.rowCount() == 0, timeout=WAIT_MS)
    assert "Type to search" in window.empty_label.text()


def test_every_control_has_an_accessible_name(
    window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    kinds = (QLineEdit, QListView, QComboBox, QTextBrowser, QCheckBox)

    def inside_combo(widget: QWidget) -> bool:
        parent = widget.parentWidget()
        while parent is not None:
            if isinstance(parent, QComboBox):
                return True
            parent = parent.parentWidget()
        return False

    unnamed = [
        widget
        for kind in kinds
        for widget in window.findChildren(kind)
        if not widget.accessibleName() and not inside_combo(widget)
    ]
    assert unnamed == []
    for action in window.commands.all():
        if action.shortcut().toString():
            assert action.shortcut().toString() in "; ".join(
                s.toString() for s in action.shortcuts()
            )


def test_theme_toggle_changes_the_palette(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    window.commands.theme_dark.trigger()
    qtbot.waitUntil(lambda: window.palette().window().color().lightness() < 80)
    window.commands.theme_light.trigger()
    qtbot.waitUntil(lambda: window.palette().window().color().lightness() > 180)
    assert window.settings.get("appearance/theme") == "light"


def test_window_remembers_query_and_splitter(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    search_for(qtbot, window, "olympic")
    # Smaller than the offscreen screen (800x600), which would clamp a restored geometry.
    window.resize(720, 520)
    window.splitter.setSizes([250, 450])
    sizes = window.splitter.sizes()
    window.close()
    again = window_factory.open(bbc_base)
    assert again.search_bar.edit.text() == "olympic"
    assert again.size() == window.size()
    assert again.splitter.sizes() == sizes


def test_ctrl_d_in_the_results_bookmarks_the_selected_result(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    search_for(qtbot, window, "olympic")
    window.results_view.setFocus()
    window.results_view.setCurrentIndex(window.results_model.index(1))
    qtbot.keyClick(window.results_view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    second = hit_at(window, 1)
    assert window.bookmarks.ids() == frozenset({second.id})
    assert window.results_model.index(1).data(ResultRole.BOOKMARKED)
    qtbot.keyClick(window.results_view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.bookmarks.ids() == frozenset()
