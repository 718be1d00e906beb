"""Stories in the window: a story shows once and unfolds; the reader lists versions and related."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from desktop.results_delegate import PADDING
from desktop.results_model import ResultRole
from desktop.story_panel import _PADDING as _ENTRY_PADDING
from desktop.story_panel import StoryPanel
from index import Hit, SearchRequest
from tests.desktop.conftest import WindowFactory, indexed_base
from tests.desktop.test_window import WAIT_MS, search_for


def first_story_row(window: MainWindow) -> int:
    model = window.results_model
    return next(r for r in range(model.rowCount()) if model.hit(r).versions > 1)  # type: ignore[union-attr]


def click_versions_line(qtbot: QtBot, window: MainWindow, row: int) -> None:
    """A real mouse click on the "N versions" line of a result."""
    view = window.results_view
    index = window.results_model.index(row)
    view.scrollTo(index)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    option.rect = view.visualRect(index)
    document = window.delegate._document(option, index)
    block = document.findBlockByNumber(2)
    assert block.text().startswith(("▸", "▾"))
    line = document.documentLayout().blockBoundingRect(block)
    point = QPoint(
        int(option.rect.left() + PADDING + 20), int(option.rect.top() + PADDING + line.center().y())
    )
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)


def test_a_story_shows_once_and_unfolds(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    search_for(qtbot, window, "tory conference")
    model = window.results_model
    final = window.session.current.search(SearchRequest("tory conference"))
    # The final query's results, not an earlier one's still on screen while typing.
    qtbot.waitUntil(lambda: f"<b>{final.total:,}</b>" in window.search_bar.status.text())
    qtbot.waitUntil(lambda: "listed (each story once)" in window.search_bar.status.text())
    row = first_story_row(window)
    hit = model.hit(row)
    assert hit is not None
    assert model.index(row).data(ResultRole.VERSIONS).startswith(f"▸ {hit.versions} versions")
    rows = model.rowCount()

    click_versions_line(qtbot, window, row)
    qtbot.waitUntil(lambda: model.rowCount() == rows + hit.versions - 1, timeout=WAIT_MS)
    assert model.index(row + 1).data(ResultRole.IS_VERSION)
    assert model.index(row).data(ResultRole.VERSIONS).startswith("▾")

    window.results_view.setFocus()
    window.results_view.setCurrentIndex(model.index(row))
    qtbot.keyClick(window.results_view, Qt.Key.Key_Left)
    assert model.rowCount() == rows
    qtbot.keyClick(window.results_view, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: model.rowCount() == rows + hit.versions - 1, timeout=WAIT_MS)


def test_the_reader_lists_versions_and_related_and_compares(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    search_for(qtbot, window, "tory conference")
    # The engine's own list, not the window's: while typing, the window may still show an
    # earlier query's results ("tory", whose first story is another one).
    found = window.session.current.search(SearchRequest("tory conference"))
    hit = next(h for h in found.hits if h.versions > 1)
    panel = window.story_panel

    with qtbot.waitSignal(window.article_shown, timeout=WAIT_MS):
        window.open_article(hit.id)
    qtbot.waitUntil(lambda: panel.versions.count() == hit.versions - 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.related.count() == 5, timeout=WAIT_MS)
    assert "% of the text shared" in panel.versions.item(0).text()
    story = window.session.current.story(hit.id)
    assert story is not None
    related_ids = [panel.related.item(i).data(Qt.ItemDataRole.UserRole + 1) for i in range(5)]
    assert not set(related_ids) & {v.id for v in story.versions}
    stories = [window.session.current.story(i) for i in related_ids]
    named = [s.id for s in stories if s is not None]
    assert len(named) == len(set(named))  # a related story shows once

    panel.versions.setCurrentRow(0)
    assert panel.compare_button.isEnabled()
    qtbot.mouseClick(panel.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.compare_dialog is not None, timeout=WAIT_MS)
    dialog = window.compare_dialog
    assert dialog is not None and dialog.isVisible()
    shown = dialog.text.toHtml()
    assert "line-through" in shown and "#c8f0c8" in shown  # dropped and added words
    dialog.close()

    other = panel.versions.item(0).data(Qt.ItemDataRole.UserRole + 1)
    with qtbot.waitSignal(window.article_shown, timeout=WAIT_MS):
        panel.versions.itemActivated.emit(panel.versions.item(0))
    assert window.reader.view.article is not None
    assert window.reader.view.article.id == other


@pytest.fixture(scope="module")
def news_indexed(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Path:
    """A base directory with the saved news pages (dated 2018 and 2019) indexed."""
    return indexed_base(tmp_path_factory, "news-base", corpora / "html-news")


def test_clicking_a_bar_of_the_timeline_filters_to_its_period(
    qtbot: QtBot, window_factory: WindowFactory, news_indexed: Path
) -> None:
    window = window_factory.open(news_indexed)
    search_for(qtbot, window, "said")
    timeline = window.timeline
    qtbot.waitUntil(timeline.isVisible, timeout=WAIT_MS)
    every = window.session.current.search(SearchRequest("said"))
    assert timeline.bar_periods[0] <= min(every.timeline)
    busiest = max(every.timeline, key=lambda m: every.timeline[m])
    position = timeline.bar_periods.index(busiest)
    centre = timeline.bar_rect(position).center().toPoint()

    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.waitUntil(
        lambda: (
            window.filter_bar.period == busiest
            and f"<b>{every.timeline[busiest]:,}</b>" in window.search_bar.status.text()
        ),
        timeout=WAIT_MS,
    )
    first = window.results_model.hit(0)
    assert first is not None and (first.date is None or f"{first.date:%Y-%m}" == busiest)
    assert timeline.bar_periods.index(busiest) == position  # every bar stays

    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=centre)  # again: all dates
    qtbot.waitUntil(
        lambda: (
            window.filter_bar.period == ""
            and f"<b>{every.total:,}</b>" in window.search_bar.status.text()
        ),
        timeout=WAIT_MS,
    )
    timeline.setFocus()
    qtbot.keyClick(timeline, Qt.Key.Key_Left)
    qtbot.keyClick(timeline, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.filter_bar.period == timeline.bar_periods[-1], timeout=WAIT_MS)
    qtbot.keyClick(timeline, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.filter_bar.period == "", timeout=WAIT_MS)


def _darkest_by_row(panel: StoryPanel, row: int) -> list[int]:
    """For each pixel row of a list entry: how much darker its darkest pixel is than the
    background (0 where nothing is drawn)."""
    view = panel.related
    rect = view.visualItemRect(view.item(row))
    image = view.viewport().grab(rect).toImage()
    background = image.pixelColor(1, image.height() // 2).lightness()  # the left padding
    return [
        max(
            background - image.pixelColor(x, y).lightness()
            for x in range(_ENTRY_PADDING, image.width() - _ENTRY_PADDING)
        )
        for y in range(image.height())
    ]


def test_related_entries_show_their_title_over_a_dimmer_line(qtbot: QtBot) -> None:
    """Title and folder drawn as one entry: the title, then a dimmer line; nothing clipped."""
    panel = StoryPanel()
    qtbot.addWidget(panel)
    hits = [
        Hit(
            f"id{n}",
            f"/tmp/a{n}.txt",
            "wiki-split/AA_wiki_50",
            f"Alfred Rosenberg {n}",
            None,
            None,
            None,
            None,
            (),
        )
        for n in range(3)
    ]
    panel.resize(760, 300)
    panel.show_lists(None, hits, "other")
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.related.item(0).text() == "Alfred Rosenberg 0\nwiki-split/AA_wiki_50"
    darkness = _darkest_by_row(panel, 0)
    inked = [value > 60 for value in darkness]
    assert not any(inked[: _ENTRY_PADDING - 1]), darkness  # nothing above the title: not cut
    assert not inked[-1], darkness
    starts = [y for y in range(1, len(inked)) if inked[y] and not inked[y - 1]]
    assert len(starts) == 2, darkness  # two lines of text with a gap between them
    title, line = max(darkness[: starts[1]]), max(darkness[starts[1] :])
    assert title > line + 20, darkness  # the folder line is dimmer than the title
