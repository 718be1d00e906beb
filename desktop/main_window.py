"""The main window: composes the panels and connects them; it holds no search or file logic."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import shiboken6
from PySide6.QtCore import QByteArray, QModelIndex, Qt, QThreadPool, QTimer, QUrl, Signal
from PySide6.QtGui import QActionGroup, QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListView,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import __version__
from desktop.actions import build_actions
from desktop.bookmark_io import BookmarkFiles
from desktop.bookmark_query import split_bookmark_terms
from desktop.bookmarks import Bookmark, BookmarkStore
from desktop.bookmarks_panel import BookmarkDialog, BookmarksPanel
from desktop.filter_bar import FilterBar
from desktop.indexing import IndexingController
from desktop.print_actions import ArticlePrinter
from desktop.problems_dialog import ProblemsDialog
from desktop.reader import MAX_READER_CHARS
from desktop.reader_panel import ReaderPanel
from desktop.reading_list import export_reading_list
from desktop.reading_list_dialog import ReadingListDialog
from desktop.results_delegate import ResultDelegate
from desktop.results_model import ResultsModel
from desktop.saved_panel import SavedSearchesPanel
from desktop.saved_searches import SavedSearch, SavedSearchStore, new_counts
from desktop.search_bar import SearchBar
from desktop.search_controller import SearchController
from desktop.session import LibrarySession
from desktop.settings import Settings
from desktop.story_panel import CompareDialog, StoryPanel
from desktop.theme import apply_theme
from desktop.timeline_widget import TimelineWidget
from desktop.watcher import FolderWatcher
from desktop.workers import Job
from index import Article, Hit, SearchResult, SortOrder, Story, SyncReport, differences

_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class LoadedArticle:
    """An article with its hit ranges, loaded off the GUI thread."""

    article: Article
    body_spans: list[tuple[int, int]]
    title_spans: list[tuple[int, int]]


OPENABLE_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml"})
FOLLOW_FIRST_MS = 250  # results shown this long (typing has paused) before the reader follows
RELATED_SHOWN = 5  # related articles listed under the reader


def _safe_to_open(path: Path) -> bool:
    """Whether handing a file to the desktop opens it rather than runs it."""
    return path.suffix.lower() in OPENABLE_SUFFIXES and not os.access(path, os.X_OK)


def snippet_offset(text: str, snippet_html: str) -> int:
    """Where a result passage starts in the article text (-1 if it cannot be found)."""
    plain = html.unescape(_TAG.sub("", snippet_html))
    words = re.findall(r"\w+", plain)[:8]
    if not words:
        return -1
    match = re.search(r"\W+".join(re.escape(word) for word in words), text)
    return match.start() if match else -1


class MainWindow(QMainWindow):
    """Search box, filters, results, reader, bookmarks and the indexing status.

    Signals:
        article_shown(str): an article is on screen in the reader (its id).
    """

    article_shown = Signal(str)

    def __init__(
        self,
        session: LibrarySession,
        bookmarks: BookmarkStore,
        settings: Settings,
        pool: QThreadPool,
        indexing: IndexingController,
        watcher: FolderWatcher,
        saved: SavedSearchStore,
    ) -> None:
        super().__init__()
        self.saved = saved
        self.session = session
        self.bookmarks = bookmarks
        self.settings = settings
        self.pool = pool
        self.indexing = indexing
        self.watcher = watcher
        self.search = SearchController(session.current, bookmarks, pool, self)
        self.commands = build_actions(self)
        self.results_model = ResultsModel(self)
        self._jobs: set[Job] = set()
        self._load_generation = 0
        self._auto_rebuilt = False
        self._closed = False
        self._loaded: LoadedArticle | None = None
        self.compare_dialog: CompareDialog | None = None
        # While the user types, each pause brings results; the reader follows the first hit
        # once the results have stayed a moment, so loading articles never delays a search.
        self._follow_first = QTimer(self)
        self._follow_first.setSingleShot(True)
        self._follow_first.setInterval(FOLLOW_FIRST_MS)
        self._follow_first.timeout.connect(self._select_first_hit)
        self.setWindowTitle("Reading Room")
        self.setObjectName("MainWindow")
        self._build_ui()
        self._build_menus()
        self.printer = ArticlePrinter(self, settings)
        self.bookmark_files = BookmarkFiles(self, bookmarks)
        self._connect_signals()
        self._restore_state()
        self._refresh_bookmarks()
        self._refresh_saved()
        self._update_library_state()
        self._update_article_actions()

    # building
    def _build_ui(self) -> None:
        self.banner = QFrame(self)
        self.banner.setObjectName("SampleBanner")
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner.setStyleSheet("#SampleBanner { background: palette(alternate-base); }")
        banner_text = QLabel("You are looking at a <b>sample archive</b> —", self.banner)
        self.banner_button = QPushButton("Add your folder…", self.banner)
        self.banner_button.setAccessibleName("Add your folder")
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(8, 4, 8, 4)
        banner_layout.addWidget(banner_text)
        banner_layout.addWidget(self.banner_button)
        banner_layout.addStretch(1)

        self.search_bar = SearchBar(self)
        self.filter_bar = FilterBar(self)
        self.timeline = TimelineWidget(self)
        self.timeline.hide()
        self.results_view = QListView(self)
        self.results_view.setAccessibleName("Results")
        self.results_view.setModel(self.results_model)
        self.delegate = ResultDelegate(self.results_view)
        self.results_view.setItemDelegate(self.delegate)
        self.results_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.results_view.setWordWrap(True)
        self.results_view.setResizeMode(QListView.ResizeMode.Adjust)
        # Several results can be selected (Ctrl/Shift+click) for a reading list.
        self.results_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.empty_label = QLabel(self)
        self.empty_label.setAccessibleName("Results status")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        self.results_stack = QStackedWidget(self)
        self.results_stack.addWidget(self.empty_label)
        self.results_stack.addWidget(self.results_view)

        a = self.commands
        self.reader = ReaderPanel(
            [a.toggle_bookmark],
            [a.previous_hit, a.next_hit],
            [
                a.zoom_out,
                a.zoom_in,
                a.open_original,
                a.show_in_folder,
                a.print_article,
                a.export_pdf,
            ],
            self,
        )
        self.reader.view.setPlaceholderText("Choose a result to read it here.")
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.story_panel = StoryPanel(self)
        self.reader_split = QSplitter(Qt.Orientation.Vertical, self)
        self.reader_split.addWidget(self.reader)
        self.reader_split.addWidget(self.story_panel)
        self.reader_split.setStretchFactor(0, 4)
        self.reader_split.setStretchFactor(1, 1)
        self.splitter.addWidget(self.results_stack)
        self.splitter.addWidget(self.reader_split)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.search_bar)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.timeline)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.bookmarks_panel = BookmarksPanel(self)
        self.bookmarks_dock = QDockWidget("Bookmarks", self)
        self.bookmarks_dock.setObjectName("BookmarksDock")
        self.bookmarks_dock.setWidget(self.bookmarks_panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.bookmarks_dock)
        self.bookmarks_dock.hide()

        self.saved_panel = SavedSearchesPanel(self)
        self.saved_dock = QDockWidget("Saved Searches", self)
        self.saved_dock.setObjectName("SavedSearchesDock")
        self.saved_dock.setWidget(self.saved_panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.saved_dock)
        self.saved_dock.hide()

        self.status_label = QLabel(self)
        self.status_label.setAccessibleName("Status")
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Indexing progress")
        self.progress.setMaximumWidth(220)
        self.eta_label = QLabel(self)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName("Cancel indexing")
        status = self.statusBar()
        status.addWidget(self.status_label, 1)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.eta_label)
        status.addPermanentWidget(self.cancel_button)
        self._show_indexing(False)
        self.resize(1200, 780)

    def _build_menus(self) -> None:
        a = self.commands
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addActions([a.add_folder, a.remove_folder, a.reindex, a.problems])
        file_menu.addSeparator()
        file_menu.addActions([a.print_article, a.print_preview, a.export_pdf, a.export_list])
        self.keep_highlights = file_menu.addAction("Keep &Highlights When Printing")
        self.keep_highlights.setCheckable(True)
        self.keep_highlights.setChecked(bool(self.settings.get("print/highlights")))
        file_menu.addSeparator()
        file_menu.addAction(a.quit)
        edit_menu = menus.addMenu("&Edit")
        edit_menu.addActions([a.copy, a.find])
        view_menu = menus.addMenu("&View")
        view_menu.addActions([a.zoom_in, a.zoom_out, a.zoom_reset])
        view_menu.addSeparator()
        view_menu.addActions([a.show_bookmarks, a.show_saved])
        view_menu.addSeparator()
        themes = QActionGroup(self)
        for action in (a.theme_system, a.theme_light, a.theme_dark):
            themes.addAction(action)
            view_menu.addAction(action)
        go_menu = menus.addMenu("&Go")
        go_menu.addActions([a.focus_search, a.focus_search_alt, a.next_hit, a.previous_hit])
        go_menu.addSeparator()
        go_menu.addActions([a.open_original, a.show_in_folder])
        bookmarks_menu = menus.addMenu("&Bookmarks")
        bookmarks_menu.addActions([a.toggle_bookmark, a.edit_bookmark])
        bookmarks_menu.addSeparator()
        bookmarks_menu.addActions([a.export_bookmarks, a.import_bookmarks])
        bookmarks_menu.addSeparator()
        bookmarks_menu.addActions([a.save_search, a.show_saved])
        help_menu = menus.addMenu("&Help")
        help_menu.addActions([a.syntax_help, a.about])
        # Shortcuts work wherever the focus is, menus or not.
        self.addActions(a.all())

    def _connect_signals(self) -> None:
        a = self.commands
        self.search_bar.query_changed.connect(self.search.set_query)
        self.search_bar.query_submitted.connect(lambda _: self.search.search_now())
        self.search_bar.suggestion_accepted.connect(self.search_bar.set_text)
        self.search_bar.move_to_results.connect(self._focus_results)
        self.search.started.connect(self._on_search_started)
        self.search.results.connect(self._on_results)
        self.search.failed.connect(self._on_search_failed)
        self.results_model.more_wanted.connect(self.search.fetch_more)
        self.results_view.activated.connect(self._on_result_activated)
        self.results_view.clicked.connect(self._on_result_activated)
        self.delegate.snippet_clicked.connect(self._on_snippet_clicked)
        self.delegate.versions_clicked.connect(self.toggle_versions)
        for key, expand in ((Qt.Key.Key_Right, True), (Qt.Key.Key_Left, False)):
            shortcut = QShortcut(QKeySequence(key), self.results_view)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(
                lambda expand=expand: self.toggle_versions(
                    self.results_view.currentIndex().row(), expand
                )
            )
        self.story_panel.open_requested.connect(self.open_article)
        self.story_panel.compare_requested.connect(self.compare_with)
        self.filter_bar.sort_changed.connect(self._on_sort_changed)
        self.filter_bar.filters_changed.connect(self.search.set_filters)
        self.timeline.period_chosen.connect(self.filter_bar.set_period)
        self.filter_bar.bookmarked_only_changed.connect(self.search.set_bookmarked_only)
        self.reader.view.hits_changed.connect(lambda *_: self._update_article_actions())
        self.banner_button.clicked.connect(self.add_folder)
        self.cancel_button.clicked.connect(self.indexing.cancel)
        self.status_label.linkActivated.connect(lambda _: self.show_problems())
        self.indexing.started.connect(lambda: self._show_indexing(True))
        self.indexing.progress.connect(self._on_index_progress)
        self.indexing.finished.connect(self._on_index_finished)
        self.indexing.failed.connect(self._on_index_failed)
        self.watcher.changed.connect(self.reindex)
        self.bookmarks_panel.open_requested.connect(self.open_article)
        self.bookmarks_panel.edit_requested.connect(self.edit_bookmark)
        self.bookmarks_panel.remove_requested.connect(self._remove_bookmark)
        self.bookmarks_dock.visibilityChanged.connect(a.show_bookmarks.setChecked)
        self.saved_dock.visibilityChanged.connect(a.show_saved.setChecked)
        self.saved_panel.open_requested.connect(self.open_saved_search)
        self.saved_panel.save_requested.connect(lambda: self.save_search())
        self.saved_panel.remove_requested.connect(self._remove_saved_search)
        # triggered(checked) would otherwise land in save_search's name.
        a.save_search.triggered.connect(lambda: self.save_search())
        a.export_list.triggered.connect(self.export_reading_list_dialog)
        a.show_saved.toggled.connect(self.saved_dock.setVisible)

        a.add_folder.triggered.connect(self.add_folder)
        a.remove_folder.triggered.connect(self.remove_folder)
        a.reindex.triggered.connect(self.reindex)
        a.problems.triggered.connect(self.show_problems)
        a.print_article.triggered.connect(lambda: self.printer.print_dialog(self._printable()))
        a.print_preview.triggered.connect(lambda: self.printer.preview(self._printable()))
        a.export_pdf.triggered.connect(lambda: self.printer.export_dialog(self._printable()))
        self.keep_highlights.toggled.connect(lambda on: self.settings.set("print/highlights", on))
        a.quit.triggered.connect(self.close)
        a.copy.triggered.connect(self.reader.view.copy)
        a.find.triggered.connect(self.reader.find_bar.open)
        a.focus_search.triggered.connect(self.search_bar.focus)
        a.focus_search_alt.triggered.connect(self.search_bar.focus)
        a.next_hit.triggered.connect(self.reader.view.next_hit)
        a.previous_hit.triggered.connect(self.reader.view.previous_hit)
        a.zoom_in.triggered.connect(lambda: self._zoom(1))
        a.zoom_out.triggered.connect(lambda: self._zoom(-1))
        a.zoom_reset.triggered.connect(lambda: self._zoom(0))
        a.toggle_bookmark.triggered.connect(self.toggle_bookmark)
        a.edit_bookmark.triggered.connect(lambda: self.edit_bookmark(None))
        a.show_bookmarks.toggled.connect(self.bookmarks_dock.setVisible)
        a.export_bookmarks.triggered.connect(self.bookmark_files.export_dialog)
        a.import_bookmarks.triggered.connect(self._import_bookmarks)
        a.open_original.triggered.connect(lambda: self._open_path(original=True))
        a.show_in_folder.triggered.connect(lambda: self._open_path(original=False))
        a.theme_system.triggered.connect(lambda: self.set_theme("system"))
        a.theme_light.triggered.connect(lambda: self.set_theme("light"))
        a.theme_dark.triggered.connect(lambda: self.set_theme("dark"))
        a.syntax_help.triggered.connect(self.search_bar.show_help)
        a.about.triggered.connect(self._about)

    # state
    def _restore_state(self) -> None:
        geometry = str(self.settings.get("window/geometry"))
        if geometry:
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode()))
        sizes = self.settings.get("window/splitter")
        if sizes:
            self.splitter.setSizes([int(s) for s in sizes])
        else:
            self.splitter.setSizes([480, 720])
        self.bookmarks_dock.setVisible(bool(self.settings.get("window/bookmarks_visible")))
        try:
            sort = SortOrder(self.settings.get("search/sort"))
        except ValueError:
            sort = SortOrder.RELEVANCE
        self.filter_bar.set_sort(sort)
        self.search._sort = sort
        self._zoom(int(self.settings.get("reader/zoom")), remember=False)
        theme = str(self.settings.get("appearance/theme"))
        {"light": self.commands.theme_light, "dark": self.commands.theme_dark}.get(
            theme, self.commands.theme_system
        ).setChecked(True)
        last = str(self.settings.get("search/last_query"))
        if last:
            self.search_bar.set_text(last)
        else:
            self.search.search_now()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Remember the window and the last query, and stop background work."""
        self.settings.set("window/geometry", bytes(self.saveGeometry().toBase64().data()).decode())
        self.settings.set("window/splitter", list(self.splitter.sizes()))
        self.settings.set("window/bookmarks_visible", self.bookmarks_dock.isVisible())
        self.settings.set("search/last_query", self.search_bar.edit.text())
        self.watcher.stop()
        self._closed = True
        super().closeEvent(event)

    # library
    def _update_library_state(self) -> None:
        self.banner.setVisible(self.session.is_sample)
        self.indexing.set_library_dir(self.session.current_dir)
        folders = [Path(f) for f in self.session.current.folders()]
        self.watcher.watch(folders)
        self.commands.remove_folder.setEnabled(not self.session.is_sample)

    def add_folder(self) -> None:
        """Ask for a folder and add it to the library."""
        chosen = QFileDialog.getExistingDirectory(
            self, "Add a folder of articles", str(Path.home())
        )
        if chosen:
            self.add_folder_path(Path(chosen))

    def add_folder_path(self, folder: Path) -> None:
        """Add a folder to the user's library and index it in the background."""
        was_sample = self.session.is_sample
        self.session.user.add_folder(folder)
        if was_sample:
            # The sample's run stops; the user's starts as soon as it has (never waiting here).
            self.indexing.cancel()
        self._update_library_state()
        self.search.set_library(self.session.current)
        self.indexing.start()

    def remove_folder(self) -> None:
        """Ask which folder to remove from the library."""
        folders = self.session.user.folders()
        if not folders:
            return
        chosen, ok = QInputDialog.getItem(self, "Remove folder", "Folder:", folders, 0, False)
        if ok and chosen:
            self.session.user.remove_folder(Path(chosen))
            self._update_library_state()
            self.search.set_library(self.session.current)
            self.indexing.start()

    def reindex(self) -> None:
        """Bring the index up to date in the background."""
        self.indexing.start()

    def show_problems(self) -> None:
        """List the files that could not be read."""
        library = self.session.current
        self._run(library.problems, self._show_problems_dialog)

    def _show_problems_dialog(self, problems: object) -> None:
        if isinstance(problems, list):
            ProblemsDialog(problems, self).exec()

    def _show_indexing(self, running: bool) -> None:
        for widget in (self.progress, self.eta_label, self.cancel_button):
            widget.setVisible(running)
        if running:
            self.progress.setRange(0, 0)
            self.eta_label.setText("")
            self.status_label.setText("Indexing…")

    def _on_index_progress(self, done: int, total: int, seconds_left: float) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done:,} / {total:,}")
        if seconds_left >= 0:
            minutes, seconds = divmod(int(seconds_left + 0.5), 60)
            self.eta_label.setText(
                f"{minutes} min {seconds:02d} s left" if minutes else f"{seconds} s left"
            )
        self.status_label.setText("Indexing…")

    def _on_index_finished(self, report: object) -> None:
        if self.indexing.is_running():
            return  # a queued run started at once: keep showing progress
        self._show_indexing(False)
        library = self.session.current
        self._run(lambda: self.bookmarks.reattach(library), self._on_reattached)
        if isinstance(report, SyncReport):
            changed = report.added + report.updated + report.moved + report.removed
            text = (
                "Stopped; the rest is indexed next time."
                if report.cancelled
                else (f"Index up to date ({changed:,} changed).")
            )
            if report.rebuilt:
                notice = f"The index was rebuilt from scratch: {report.rebuilt}."
                text = f"{html.escape(notice)} {text}"
            if report.problems:
                text += f' <a href="problems">{report.problems} file(s) could not be read</a>'
            self.status_label.setText(text)
            if report.changed or report.rebuilt:
                self.search.search_now()  # new results; otherwise the list stays as it is
        else:
            self.search.search_now()

    def _on_reattached(self, count: object) -> None:
        if isinstance(count, int) and count:
            self._refresh_bookmarks()
        self._refresh_saved()

    def _on_index_failed(self, message: str) -> None:
        self.status_label.setText(html.escape(message))

    # searching
    def _on_search_started(self) -> None:
        if self.results_model.rowCount() == 0:
            self.empty_label.setText("Searching…")

    def _on_results(self, result: SearchResult, append: bool) -> None:
        if self._closed:
            return  # a search that finished after the window closed
        if append:
            self.results_model.append(result)
            return
        if result.index_damaged and not self.indexing.is_running() and not self._auto_rebuilt:
            # Once per session: if the rebuild cannot help (a full disk), no endless loop.
            self._auto_rebuilt = True
            self.status_label.setText("The index cannot be read; it is being rebuilt…")
            self.indexing.start(rebuild=True)
        self.results_model.reset(result)
        self._update_article_actions()
        self.filter_bar.update_facets(result.facets)
        self.timeline.set_timeline(result.timeline, self.filter_bar.period)
        if self.search.is_active():
            self.search_bar.show_result(result)
        else:
            count = self.session.current.count()
            self.search_bar.show_message(f"{count:,} articles in the library")
        self._update_empty_state(result)
        self._follow_first.stop()
        if result.hits and self.search.is_active():
            self._follow_first.start()

    def _select_first_hit(self) -> None:
        if self.results_model.rowCount() and not self.results_view.currentIndex().isValid():
            self.results_view.setCurrentIndex(self.results_model.index(0))

    def _update_empty_state(self, result: SearchResult) -> None:
        if self.results_model.rowCount() > 0:
            self.results_stack.setCurrentWidget(self.results_view)
            return
        library = self.session.current
        if self.indexing.is_running() and library.count() == 0:
            text = "Indexing your library… results appear as soon as the first files are in."
        elif not library.folders():
            text = "No library yet. Use <b>File › Add Folder…</b> to add your articles."
        elif not self.search.is_active():
            text = f"Type to search {library.count():,} articles.<br>Press F1 for the syntax."
        else:
            text = f"Nothing found for <b>{html.escape(result.query)}</b>."
            if result.suggestion:
                text += f"<br>Did you mean <b>{html.escape(result.suggestion)}</b>?"
        self.empty_label.setText(text)
        self.results_stack.setCurrentWidget(self.empty_label)

    def _on_search_failed(self, message: str) -> None:
        self.search_bar.show_message(f"The search failed: {message}")

    def _on_sort_changed(self, order: SortOrder) -> None:
        self.settings.set("search/sort", order.value)
        self.search.set_sort(order)

    def _focus_results(self) -> None:
        self.results_view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.results_view.currentIndex().isValid() and self.results_model.rowCount():
            self.results_view.setCurrentIndex(self.results_model.index(0))

    def _on_result_activated(self, index: QModelIndex) -> None:
        hit = self.results_model.hit(index.row())
        if hit is not None:
            self.open_article(hit.id)

    def _on_snippet_clicked(self, row: int, snippet: int) -> None:
        hit = self.results_model.hit(row)
        if hit is not None and snippet < len(hit.snippets):
            self.open_article(hit.id, snippet_html=hit.snippets[snippet])

    # reading
    def open_article(self, article_id: str, snippet_html: str | None = None) -> None:
        """Load an article with its hits off the GUI thread, then show it.

        Only the latest request is shown: a slower earlier load never replaces it.
        """
        library = self.session.current
        query = split_bookmark_terms(self.search.query, self.bookmarks).query
        self._load_generation += 1
        generation = self._load_generation

        def load() -> LoadedArticle | None:
            article = library.get(article_id)
            if article is None:
                return None
            shown = article.text[:MAX_READER_CHARS]
            return LoadedArticle(
                article,
                library.hit_spans(query, shown) if query.strip() else [],
                library.hit_spans(query, article.title) if query.strip() else [],
            )

        def show(loaded: object) -> None:
            if generation != self._load_generation:
                return  # the user has asked for another article since
            if not isinstance(loaded, LoadedArticle):
                self._loaded = None
                self.reader.view.clear_article("This article is no longer in the library.")
                self._update_article_actions()
                return
            self._loaded = loaded
            view = self.reader.view
            view.show_article(loaded.article, loaded.body_spans, loaded.title_spans)
            offset = snippet_offset(loaded.article.text, snippet_html) if snippet_html else -1
            if offset >= 0:
                view.go_near(offset)
            elif view.hit_count:
                view.go_to_hit(1)
            self._update_article_actions()
            self.article_shown.emit(loaded.article.id)
            self._load_story(loaded.article.id, generation)

        self._run(load, show)

    def _load_story(self, article_id: str, generation: int) -> None:
        """Fill the versions and related lists of the article in the reader, off the GUI thread."""
        library = self.session.current
        self.story_panel.show_lists(None, [], article_id)

        def load() -> tuple[Story | None, list[Hit]]:
            return library.story(article_id), library.related(article_id, RELATED_SHOWN)

        def show(found: object) -> None:
            if generation == self._load_generation and isinstance(found, tuple):
                story, related = found
                self.story_panel.show_lists(story, related, article_id)

        self._run(load, show)

    def toggle_versions(self, row: int, expand: bool | None = None) -> None:
        """Show (or hide) the other versions of a story under its row in the results."""
        hit = self.results_model.hit(row)
        if hit is None or hit.versions < 2:
            return
        expanded = self.results_model.is_expanded(row)
        if expand is None:
            expand = not expanded
        if not expand:
            self.results_model.collapse(row)
            return
        if expanded:
            return
        library = self.session.current

        def show(story: object) -> None:
            current = self.results_model.hit(row)
            if isinstance(story, Story) and current is not None and current.id == hit.id:
                self.results_model.expand(row, list(story.versions))

        self._run(lambda: library.story(hit.id), show)

    def compare_with(self, old: Hit) -> None:
        """Show what the article in the reader changes in another version of its story."""
        article = self.current_article()
        if article is None:
            return
        library = self.session.current

        def show(marked: object) -> None:
            if not isinstance(marked, str):
                self.status_label.setText("That version is no longer in the library.")
                return
            self.compare_dialog = CompareDialog(old, article.title, marked, self)
            self.compare_dialog.show()

        def load() -> str | None:
            previous = library.get(old.id)
            return None if previous is None else differences(previous.text, article.text)

        self._run(load, show)

    def current_article(self) -> Article | None:
        """The article in the reader, if any."""
        return self.reader.view.article

    def _printable(self) -> tuple[Article, list[tuple[int, int]]] | None:
        """The article in the reader, with its hits when highlights are to be printed."""
        loaded = self._loaded
        if loaded is None or self.current_article() is None:
            return None
        spans = loaded.body_spans if self.keep_highlights.isChecked() else []
        return loaded.article, spans

    def _update_article_actions(self) -> None:
        article = self.current_article()
        has_article = article is not None
        has_hits = self.reader.view.hit_count > 0
        a = self.commands
        for action in (
            a.print_article,
            a.print_preview,
            a.export_pdf,
            a.edit_bookmark,
            a.open_original,
            a.show_in_folder,
            a.find,
            a.copy,
        ):
            action.setEnabled(has_article)
        a.toggle_bookmark.setEnabled(has_article or self.results_model.rowCount() > 0)
        a.next_hit.setEnabled(has_hits)
        a.previous_hit.setEnabled(has_hits)
        marked = article is not None and self.bookmarks.get(article.id) is not None
        a.toggle_bookmark.setChecked(marked)
        a.toggle_bookmark.setText("★ Bookmarked" if marked else "☆ Bookmark")

    def _zoom(self, steps: int, remember: bool = True) -> None:
        self.reader.view.zoom(steps)
        if remember:
            self.settings.set("reader/zoom", self.reader.view.zoom_level)

    def _open_path(self, original: bool) -> None:
        article = self.current_article()
        if article is None:
            return
        path = Path(article.path)
        target = path if original else path.parent
        if original and not _safe_to_open(path):
            # A file without an article's extension, or an executable one, could be a
            # launcher from an untrusted archive: show where it is instead of opening it.
            target = path.parent
            self.status_label.setText(
                html.escape(
                    f"{path.name} is not opened directly (no article extension or "
                    "executable); its folder is shown instead."
                )
            )
        # A URL handed to the desktop, never a shell command built from the article.
        if not target.exists() or not QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))):
            self.status_label.setText(html.escape(f"Could not open {target}"))

    def set_theme(self, theme: str) -> None:
        """Switch between the system, light and dark themes."""
        self.settings.set("appearance/theme", theme)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About Reading Room",
            f"<b>Reading Room</b> {__version__}<br>An offline archive for your saved articles.",
        )

    # bookmarks
    def _bookmark_target(self) -> Article | Hit | None:
        """The selected result when the list has the focus, else the article in the reader."""
        if self.results_view.hasFocus():
            hit = self.results_model.hit(self.results_view.currentIndex().row())
            if hit is not None:
                return hit
        return self.current_article()

    def toggle_bookmark(self) -> None:
        """Bookmark the selected result or the article in the reader, or remove its bookmark."""
        article = self._bookmark_target()
        if article is None:
            self._update_article_actions()
            return
        if self.bookmarks.get(article.id) is None:
            if self._save_bookmarks(lambda: self.bookmarks.put(Bookmark.from_article(article))):
                self.status_label.setText("Bookmarked. Ctrl+Shift+D adds tags and a note.")
        elif self._save_bookmarks(lambda: self.bookmarks.remove(article.id)):
            self.status_label.setText("Bookmark removed.")

    def edit_bookmark(self, article_id: str | None) -> None:
        """Edit the tags and note of a bookmark (of the article in the reader by default)."""
        bookmark = self.bookmarks.get(article_id) if article_id else None
        article = self.current_article()
        if bookmark is None and article is not None and article_id is None:
            bookmark = self.bookmarks.get(article.id) or Bookmark.from_article(article)
        if bookmark is None:
            return
        dialog = BookmarkDialog(bookmark, list(self.bookmarks.tags()), self)
        if dialog.exec():
            edited = replace(bookmark, tags=dialog.tags(), note=dialog.note())
            self._save_bookmarks(lambda: self.bookmarks.put(edited))

    def _remove_bookmark(self, article_id: str) -> None:
        self._save_bookmarks(lambda: self.bookmarks.remove(article_id))

    def _save_bookmarks(self, change: Callable[[], object]) -> bool:
        """Apply a change to the bookmarks file; say so if it could not be written."""
        try:
            change()
        except OSError as error:
            QMessageBox.warning(
                self,
                "Bookmarks",
                f"The bookmark could not be saved: {error.strerror or error}.\n"
                f"{self.bookmarks.path} still holds your bookmarks as they were.",
            )
            return False
        finally:
            self._refresh_bookmarks()
        return True

    def _import_bookmarks(self) -> None:
        if self.bookmark_files.import_dialog():
            self._refresh_bookmarks()

    def _refresh_bookmarks(self) -> None:
        self.bookmarks_panel.set_bookmarks(self.bookmarks.all())
        self.results_model.set_bookmarked(self.bookmarks.ids())
        self._update_article_actions()
        if self.bookmarks.warning:
            warning, self.bookmarks.warning = self.bookmarks.warning, None
            QTimer.singleShot(0, lambda: QMessageBox.warning(self, "Bookmarks", warning))

    # reading lists
    def selected_ids(self) -> list[str]:
        """The ids of the selected results, in list order."""
        rows = sorted(index.row() for index in self.results_view.selectionModel().selectedRows())
        return [hit.id for row in rows if (hit := self.results_model.hit(row)) is not None]

    def export_reading_list_dialog(self) -> None:
        """Ask what goes in the list and where, then write it (off the GUI thread)."""
        selected = self.selected_ids()
        dialog = ReadingListDialog(len(selected), self.bookmarks.tags(), self.search.query, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        tag = dialog.chosen_tag()
        if tag is not None:
            wanted = self.bookmarks.ids_with_tag(tag)
            selected = [b.id for b in reversed(self.bookmarks.all()) if b.id in wanted]
        safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in dialog.title())
        suggested = Path.home() / f"{safe.strip()[:80] or 'reading list'}.pdf"
        path, _ = QFileDialog.getSaveFileName(
            self, "Export Reading List", str(suggested), "PDF (*.pdf);;Web page (*.html)"
        )
        if path:
            self.export_reading_list(selected, dialog.title(), Path(path))

    def export_reading_list(self, ids: list[str], title: str, path: Path) -> None:
        """Write articles as one PDF (a .pdf path) or HTML file; the status line tells."""
        if path.suffix.lower() not in (".pdf", ".html", ".htm"):
            path = path.with_suffix(".pdf")
        library = self.session.current

        def write() -> str:
            articles = [a for a in (library.get(i) for i in ids) if a is not None]
            if not articles:
                return "None of those articles is in the library any more."
            try:
                export_reading_list(title, articles, path)
            except OSError as error:
                return f"The reading list could not be written: {error}"
            return f"Wrote {path.name}: {len(articles)} articles."

        self.status_label.setText(html.escape(f"Writing {path.name}…"))
        self._run(write, lambda message: self.status_label.setText(html.escape(str(message))))

    # saved searches
    def save_search(self, name: str | None = None) -> bool:
        """Save the current query, filters and sort under a name (asked for when not given)."""
        if name is None:
            suggested = self.search.query.strip()[:60]
            name, ok = QInputDialog.getText(self, "Save Search", "Name:", text=suggested)
            if not ok:
                return False
        filters = self.filter_bar.filters()
        search = SavedSearch(
            name=name,
            query=self.search.query,
            sort=SortOrder(self.filter_bar.sort_combo.currentData()).value,
            sources=filters.sources,
            years=filters.years,
            folders=filters.folders,
            periods=filters.periods,
        )
        try:
            self.saved.save(search)
        except (OSError, ValueError) as error:
            QMessageBox.warning(self, "Save Search", f"The search could not be saved: {error}")
            return False
        self.saved_dock.show()
        self._refresh_saved()
        return True

    def open_saved_search(self, name: str) -> None:
        """Run a saved search in the window; its new articles now count as seen."""
        search = self.saved.get(name)
        if search is None:
            return
        self.filter_bar.apply(search.filters, SortOrder(search.sort))
        self.search_bar.show_query(search.query)
        self.search.set_search(search.query, SortOrder(search.sort), self.filter_bar.filters())
        try:
            self.saved.mark_opened(search.name)
        except OSError as error:
            self.status_label.setText(html.escape(f"Could not note the search as seen: {error}"))
        self._refresh_saved()

    def _remove_saved_search(self, name: str) -> None:
        try:
            self.saved.remove(name)
        except OSError as error:
            QMessageBox.warning(self, "Saved Searches", f"Could not remove it: {error}")
        self._refresh_saved()

    def _refresh_saved(self) -> None:
        """List the saved searches now, and their counts of new articles once counted."""
        searches = self.saved.all()
        self.saved_panel.show_searches(searches, None)
        if self.saved.warning:
            warning, self.saved.warning = self.saved.warning, None
            QTimer.singleShot(0, lambda: QMessageBox.warning(self, "Saved Searches", warning))
        if not searches:
            return
        library, bookmarks = self.session.current, self.bookmarks

        def show(counts: object) -> None:
            if isinstance(counts, dict):
                self.saved_panel.show_searches(searches, counts)

        self._run(lambda: new_counts(searches, library, bookmarks), show)

    # plumbing
    def _run(self, function: Callable[[], object], on_done: Callable[[object], None]) -> None:
        """Run `function` on the pool; `on_done` gets its result on the GUI thread."""
        job = Job(function)
        self._jobs.add(job)

        def done(result: object) -> None:
            if shiboken6.isValid(self):  # the window may have closed meanwhile
                self._jobs.discard(job)
                on_done(result)

        def failed(message: str) -> None:
            if shiboken6.isValid(self):
                self._jobs.discard(job)
                self.status_label.setText(html.escape(message))

        job.signals.done.connect(done)
        job.signals.failed.connect(failed)
        self.pool.start(job)
