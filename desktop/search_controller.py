"""Search as you type: debounced, off the GUI thread, never an old query over a new one."""

from __future__ import annotations

import threading
from dataclasses import replace

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from desktop.bookmark_query import BookmarkTerms, split_bookmark_terms
from desktop.bookmarks import BookmarkStore
from desktop.workers import Job
from index import Filters, Library, SearchRequest, SearchResult, SortOrder
from index.search import SUGGEST_BELOW

FIRST_PAGE = 10  # more than the list shows at once: what is ranked and highlighted while typing
PAGE_SIZE = 30  # each further page, loaded as the list scrolls
SEARCH_PRIORITY = 1
# A search runs once typing pauses this long. Searches take tens of ms, so a short pause
# keeps results under the fingers; a newer search's results always replace an older one's.
TYPING_PAUSE_MS = 40
RESPELL_AFTER_MS = 500
# Once searching pauses this long, the index pages the searches read are given back to the
# system (they stay in its file cache): an idle window keeps only its own memory.
RELEASE_AFTER_MS = 3000


class SearchController(QObject):
    """Owns the current query, its filters and sort order, and runs searches.

    Each search carries a generation number; a result whose generation is not the
    latest is dropped, so a slow old query never replaces a newer one.

    Signals:
        started(): a search for the current query began.
        results(object, bool): a `SearchResult`, and whether it is a further page.
        failed(str): the engine reported an error.
    """

    started = Signal()
    results = Signal(object, bool)
    failed = Signal(str)

    def __init__(
        self,
        library: Library,
        bookmarks: BookmarkStore,
        pool: QThreadPool,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._bookmarks = bookmarks
        self._pool = pool
        self._query = ""
        self._sort = SortOrder.RELEVANCE
        self._filters = Filters()
        self._bookmarked_only = False
        self._generation = 0
        self._loaded = 0
        self._total = 0
        self._fetching = False
        # The searches under way (kept alive here), each with the flag that a newer query
        # sets to make it stop: its answer would be dropped anyway.
        self._jobs: dict[Job, threading.Event] = {}
        # One first-page search at a time: Python runs one thread at a time, so a second
        # search would only slow the first. A query typed meanwhile runs when it ends.
        self._running: int | None = None  # the generation of the first-page search under way
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TYPING_PAUSE_MS)
        self._timer.timeout.connect(self.search_now)
        # While typing, the word being typed is mostly unfinished: "did you mean" would
        # respell it (and costs most of such a search). It is asked for once typing stops.
        self._typing = False
        self._respell_timer = QTimer(self)
        self._respell_timer.setSingleShot(True)
        self._respell_timer.setInterval(RESPELL_AFTER_MS)
        self._respell_timer.timeout.connect(self._respell)
        self._release_timer = QTimer(self)
        self._release_timer.setSingleShot(True)
        self._release_timer.setInterval(RELEASE_AFTER_MS)
        self._release_timer.timeout.connect(self._release_memory)

    @property
    def generation(self) -> int:
        """The number of the latest search."""
        return self._generation

    @property
    def query(self) -> str:
        """The current query text."""
        return self._query

    def set_library(self, library: Library) -> None:
        """Search another library from now on (the sample or the user's)."""
        self._library = library
        self.search_now()

    def set_query(self, text: str) -> None:
        """The user typed: search after a short pause."""
        self._query = text
        self._typing = True
        self._respell_timer.stop()
        self._timer.start()

    def _respell(self) -> None:
        """Typing has stopped on a query that found little: search again, with "did you mean"."""
        self._typing = False
        self.search_now()

    def set_sort(self, sort: SortOrder) -> None:
        """Change the sort order and search again at once."""
        self._sort = sort
        self.search_now()

    def set_filters(self, filters: Filters) -> None:
        """Change the facet filters and search again at once."""
        self._filters = filters
        self.search_now()

    def set_search(self, query: str, sort: SortOrder, filters: Filters) -> None:
        """Change query, sort order and filters together (a saved search) and search once."""
        self._query, self._sort, self._filters = query, sort, filters
        self._typing = False
        self._timer.stop()
        self._respell_timer.stop()
        self.search_now()

    def set_bookmarked_only(self, only: bool) -> None:
        """Show bookmarked articles only, or all."""
        self._bookmarked_only = only
        self.search_now()

    def is_active(self) -> bool:
        """Whether there is anything to search for (a query, a filter or bookmarks only)."""
        return bool(
            self._query.strip()
            or self._bookmarked_only
            or self._filters.sources
            or self._filters.years
            or self._filters.folders
        )

    def _request(self, offset: int) -> tuple[SearchRequest, BookmarkTerms]:
        terms = split_bookmark_terms(self._query, self._bookmarks)
        allowed = terms.allowed
        if self._bookmarked_only:
            ids = self._bookmarks.ids()
            allowed = ids if allowed is None else allowed & ids
        filters = replace(self._filters, only_ids=allowed)
        request = SearchRequest(
            query=terms.query,
            sort=self._sort,
            filters=filters,
            offset=offset,
            limit=FIRST_PAGE if offset == 0 else PAGE_SIZE,
            facets=offset == 0,
            suggest=not self._typing,
        )
        return request, terms

    def search_now(self) -> None:
        """Search for the current query now (or as soon as the running search ends)."""
        self._timer.stop()
        self._generation += 1
        for stale in self._jobs.values():
            stale.set()  # searches under way stop at their next look at the flag
        if self._running is not None:
            return  # the running search's answer is stale already: this one follows it
        self._loaded = 0
        self._total = 0
        self._fetching = False
        if not self.is_active():
            empty = SearchResult(self._query, 0, 0.0, (), {})
            self.results.emit(empty, False)
            return
        self.started.emit()
        self._running = self._generation
        self._run(*self._request(0), append=False)

    def _release_memory(self) -> None:
        if self._running is None and not self._fetching:
            library = self._library
            self._pool.start(Job(library.release_memory))

    def _first_page_ended(self) -> None:
        ended, self._running = self._running, None
        if ended != self._generation:
            self.search_now()  # the query changed while it ran

    def can_fetch_more(self) -> bool:
        """Whether the current query has more hits than are shown."""
        return not self._fetching and self._loaded < self._total

    def fetch_more(self) -> None:
        """Load the next page of the current query."""
        if self.can_fetch_more():
            self._fetching = True
            self._run(*self._request(self._loaded), append=True)

    def _run(self, request: SearchRequest, terms: BookmarkTerms, append: bool) -> None:
        generation = self._generation
        library = self._library
        stale = threading.Event()
        job = Job(lambda: terms.apply_to(library.search(request, stale.is_set)))
        self._jobs[job] = stale

        def on_done(result: object) -> None:
            if not shiboken6.isValid(self):
                return  # the window closed while the search ran
            self._jobs.pop(job, None)
            self._release_timer.start()
            if not append:
                self._first_page_ended()
            if generation != self._generation or not isinstance(result, SearchResult):
                return  # an older query's answer: a newer one is on its way
            self._fetching = False
            self._loaded += len(result.hits)
            self._total = result.rows  # a story counts once
            if not append and self._typing and result.total < SUGGEST_BELOW:
                self._respell_timer.start()
            self.results.emit(result, append)

        def on_failed(message: str) -> None:
            if not shiboken6.isValid(self):
                return
            self._jobs.pop(job, None)
            if not append:
                self._first_page_ended()
            if generation == self._generation:
                self._fetching = False
                self.failed.emit(message)

        job.signals.done.connect(on_done)
        job.signals.failed.connect(on_failed)
        self._pool.start(job, SEARCH_PRIORITY)  # ahead of article loads waiting in the pool
