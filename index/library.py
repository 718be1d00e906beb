"""The engine's front door: a library of folders, its index, and searching it.

`Library` is safe to use from several threads for reading (each thread gets its
own Whoosh searcher); `sync` takes an inter-process lock so that only one
indexing run writes at a time.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.index import Index
from whoosh.searching import Searcher

from index.catalog import Catalog
from index.hits import positive_terms, term_spans
from index.lock import WriterLock
from index.models import Article, Hit, Problem, SearchRequest, SearchResult, Story, SyncReport
from index.paths import key_to_path, path_to_key
from index.query import build_parser, expand_fuzzy, parse_query
from index.schema import SCHEMA_VERSION, build_schema
from index.search import SearchCancelledError, run_search
from index.stories import StoryStore
from index.versions import EMPTY_STORIES, StoryMap, related, story_docnums, summary
from index.whoosh_fixes import apply as apply_whoosh_fixes
from index.whoosh_fixes import release_mapped_pages

if TYPE_CHECKING:
    from index.indexer import CancelCheck, ProgressCallback

CANCELLED = "The search was cancelled."


# A sync that changed this many articles, and this share of the library, compacts its
# databases (`sqlite.checkpoint`): a full build does, a day's new articles do not.
COMPACT_AFTER_CHANGES = 2000
COMPACT_AFTER_SHARE = 0.2


def _rewrote_much(report: SyncReport) -> bool:
    changed = report.changed
    library = report.unchanged + report.added + report.updated + report.moved
    return changed >= COMPACT_AFTER_CHANGES and changed >= COMPACT_AFTER_SHARE * library


class IndexDamagedError(RuntimeError):
    """The index cannot be read as it should be."""


class Library:
    """Folders of articles, indexed under one data directory."""

    def __init__(self, data_dir: Path) -> None:
        apply_whoosh_fixes()
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self._index_dir = data_dir / "index"
        self._catalog = Catalog(data_dir / "catalog.sqlite3")
        self._story_store = StoryStore(data_dir / "stories.sqlite3")
        self._lock = WriterLock(data_dir / "writer.lock")
        self._schema = build_schema()
        self._parser = build_parser(self._schema)
        # One Whoosh searcher per thread (searchers are not shared between threads),
        # keyed by thread id: Qt's pool threads outlive the Python thread state.
        self._searchers: dict[int, Searcher] = {}
        self._searchers_lock = threading.Lock()
        self._catalog_lock = threading.Lock()
        self._index: Index | None = None
        self._story_ids: tuple[str, dict[str, str]] = ("", {})  # stories version, id: story

    def close(self) -> None:
        """Release the index and the catalog."""
        self._drop_searchers()
        self._catalog.close()
        self._story_store.close()

    def release_memory(self) -> int:
        """Give back the index pages searches have read (for an idle window); returns bytes.

        Searchers stay open: the next search reads the pages again from the file cache.
        """
        return release_mapped_pages()

    def _drop_searchers(self) -> None:
        with self._searchers_lock:
            searchers, self._searchers = list(self._searchers.values()), {}
        for searcher in searchers:
            searcher.close()

    # folders
    def folders(self) -> list[str]:
        """The library's folders."""
        with self._catalog_lock:
            return self._catalog.folders()

    def add_folder(self, folder: Path) -> bool:
        """Add a folder to the library (indexed by the next `sync`); False if already there."""
        with self._catalog_lock:
            return self._catalog.add_folder(path_to_key(folder.resolve()))

    def remove_folder(self, folder: Path) -> bool:
        """Remove a folder; its articles leave the index at the next `sync`."""
        with self._catalog_lock:
            removed = self._catalog.remove_folder(path_to_key(folder.resolve()))
            if not removed:
                removed = self._catalog.remove_folder(str(folder))
            return removed

    # indexing
    def sync(
        self,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
        wait: bool = True,
        on_wait: Callable[[str], None] | None = None,
        rebuild: bool = False,
    ) -> SyncReport:
        """Bring the index up to date with the folders (with `rebuild`, from scratch).

        An index from another version, or one that cannot be read, is rebuilt
        on its own; `SyncReport.rebuilt` then says why.

        Raises:
            LockBusyError: another indexing run is going and `wait` is false.
        """
        # Imported here: the indexer brings the file readers (trafilatura, lxml), which a
        # window that only searches never needs (its indexing runs in another process).
        from index.indexer import Indexer  # noqa: PLC0415

        self._lock.acquire(wait=wait, on_wait=on_wait)
        try:
            ix, rebuilt = self._open_for_writing(rebuild)
            folders = [str(key_to_path(f)) for f in self.folders()]
            indexer = Indexer(ix, self._catalog, self._story_store)
            report = indexer.sync(folders, progress, should_cancel)
            report.rebuilt = rebuilt
            compact = _rewrote_much(report)
            # The two databases at once: SQLite lets go of the interpreter while it writes.
            with ThreadPoolExecutor(1) as pool:
                stories_done = pool.submit(self._story_store.checkpoint, compact)
                with self._catalog_lock:
                    self._catalog.checkpoint(compact)
                stories_done.result()
            return report
        finally:
            self._lock.release()

    def _open_for_writing(self, rebuild: bool) -> tuple[Index, str | None]:
        """The index to write to, and why it had to be built afresh (None if it did not)."""
        version = self._catalog.get_meta("schema_version")
        state = self._index_state()
        exists = state != "missing"
        reason: str | None = "you asked for it" if rebuild else None
        if rebuild:
            pass
        elif state == "broken":
            reason = "its table of contents could not be read"
        elif self._catalog.get_meta("damaged") == "1":
            reason = "a search could not read it"
        elif exists and version == str(SCHEMA_VERSION):
            try:
                ix = self._open_index()
                self._check(ix)
                return ix, None
            except Exception:  # noqa: BLE001 - a damaged index fails in any way
                reason = "it could not be read"
        elif exists:
            reason = "it was made by another version of Reading Room"
        elif not rebuild and self._catalog.count_files():
            reason = "it was missing"
        self._index = None
        if self._index_dir.exists():
            shutil.rmtree(self._index_dir)
        self._index_dir.mkdir(parents=True)
        ix = whoosh_index.create_in(str(self._index_dir), self._schema)
        with self._catalog.transaction():
            self._catalog.clear_files()
            self._story_store.clear()
            self._catalog.set_meta("schema_version", str(SCHEMA_VERSION))
            self._catalog.set_meta("dirty", None)
            self._catalog.set_meta("damaged", None)
        self._index = ix
        return ix, reason

    def _check(self, ix: Index) -> None:
        """Read the index's table of contents and id list; raise if they are damaged."""
        with ix.searcher() as searcher:
            # Each segment's first id and last stored document touch its term and stored
            # files (reading every id took a second on 150,000 articles); searches probe
            # further. The count is of live articles.
            for leaf in searcher.reader().leaf_readers():
                reader = leaf[0]
                next(iter(reader.lexicon("id")), None)
                if reader.doc_count_all():
                    reader.stored_fields(reader.doc_count_all() - 1)
            indexed = searcher.doc_count()
        if self._catalog.get_meta("dirty") != "1" and indexed != self._catalog.count_files():
            raise IndexDamagedError(
                f"the index holds {indexed} articles, its catalog {self._catalog.count_files()}"
            )

    def _open_index(self) -> Index:
        if self._index is None:
            self._index = whoosh_index.open_dir(str(self._index_dir))
        return self._index

    def is_indexed(self) -> bool:
        """Whether an index exists (even an empty one)."""
        return self._index_state() == "ok"

    def _index_state(self) -> str:
        """Whether the index is "ok", "missing" or "broken" (unreadable table of contents)."""
        try:
            return "ok" if whoosh_index.exists_in(str(self._index_dir)) else "missing"
        except Exception:  # noqa: BLE001 - a damaged table of contents fails in any way
            return "broken"

    def _searcher(self) -> Searcher | None:
        if not self.is_indexed():
            return None
        thread = threading.get_ident()
        with self._searchers_lock:
            searcher = self._searchers.get(thread)
        if searcher is not None and searcher.up_to_date():
            return searcher
        if searcher is not None:
            # A fresh searcher, not `refresh()`: whoosh-reloaded's refresh keeps stale
            # segment readers (deleted articles stay visible) and fails on empty ones.
            searcher.close()
        searcher = self._open_index().searcher()
        with self._searchers_lock:
            self._searchers[thread] = searcher
        return searcher

    # reading
    def search(
        self, request: SearchRequest, cancelled: Callable[[], bool] | None = None
    ) -> SearchResult:
        """Search the library; any query text gives results or a message, never an error.

        `cancelled` is asked now and then while the search runs; once it says yes, the
        search stops and its result says it was cancelled (the window gives up a search
        when a newer query is typed).
        """
        try:
            searcher = self._searcher()
            if searcher is None:
                with self._catalog_lock:
                    indexed_before = self._catalog.count_files() > 0
                if indexed_before:
                    return self._damaged(request, "the index is missing")
                return SearchResult(
                    request.query, 0, 0.0, (), {}, None, "The library has not been indexed yet."
                )
            stories = self._stories(searcher) if request.collapse else EMPTY_STORIES
            result = run_search(searcher, self._parser, request, cancelled, stories)
            return replace(result, hits=tuple(self._with_hashes(result.hits)))
        except SearchCancelledError:
            return SearchResult(request.query, 0, 0.0, (), {}, None, CANCELLED)
        except Exception as error:  # noqa: BLE001 - reported to the user, never raised
            if self._probe_fails():
                return self._damaged(request, "the index cannot be read")
            message = f"This search could not be run ({type(error).__name__}); try other words."
            return SearchResult(request.query, 0, 0.0, (), {}, None, message)

    def _probe_fails(self) -> bool:
        """Whether the index fails a fresh read (not just one query)."""
        self._drop_searchers()
        self._index = None
        try:
            ix = self._open_index()
            self._check(ix)
            with ix.searcher() as searcher:
                searcher.search(wq.Every(), limit=1)
        except Exception:  # noqa: BLE001 - a damaged index fails in any way
            return True
        return False

    def _damaged(self, request: SearchRequest, what: str) -> SearchResult:
        """Say the index is damaged, and remember it so that the next run rebuilds it."""
        self._drop_searchers()
        self._index = None
        try:
            with self._catalog_lock:
                self._catalog.set_meta("damaged", "1")
        except Exception:  # noqa: BLE001, S110 - a read-only catalog: the message still stands
            pass
        message = (
            f"{what.capitalize()}: it looks damaged. `readingroom index` rebuilds it "
            "(the window does so by itself); bookmarks are kept."
        )
        return SearchResult(request.query, 0, 0.0, (), {}, None, message, True)

    def count(self) -> int:
        """How many articles are indexed."""
        try:
            searcher = self._searcher()
            return 0 if searcher is None else int(searcher.doc_count())
        except Exception:  # noqa: BLE001 - a damaged index counts as empty until rebuilt
            return 0

    def get(self, id_or_path: str) -> Article | None:
        """One article by its id or its file's path (None if unknown or unreadable)."""
        try:
            return self._get(id_or_path)
        except Exception:  # noqa: BLE001 - a damaged index: nothing to show until rebuilt
            return None

    def _get(self, id_or_path: str) -> Article | None:
        searcher = self._searcher()
        if searcher is None:
            return None
        fields = searcher.document(id=id_or_path)
        if fields is None:
            # Paths are not indexed (never searched): the catalog knows them.
            candidate = Path(id_or_path).expanduser()
            keys = [path_to_key(candidate.absolute())]
            if candidate.exists():
                keys.append(path_to_key(candidate.resolve()))
            for key in keys:
                with self._catalog_lock:
                    record = self._catalog.file_by_path(key)
                if record is not None:
                    fields = searcher.document(id=record.id)
                    break
        if fields is None:
            return None
        with self._catalog_lock:
            record = self._catalog.file_by_id(fields["id"])
            # The catalog keeps the file's hash; indexes made before stop 18 stored it too.
            sha256 = record.sha256 if record else str(fields.get("sha256", ""))
            copies = self._catalog.ids_with_hash(sha256)
        date = fields.get("date")
        return Article(
            id=fields["id"],
            path=str(key_to_path(fields["path"])),
            folder=fields.get("folder_facet", ""),
            title=fields.get("title", ""),
            text=fields.get("body", ""),
            author=fields.get("author") or None,
            source=fields.get("source") or None,
            date=date if isinstance(date, datetime) else None,
            words=int(fields.get("words", 0)),
            sha256=sha256,
            size=record.size if record else 0,
            mtime=record.mtime_ns / 1e9 if record else 0.0,
            truncated=bool(fields.get("truncated", False)),
            copies=tuple(c for c in copies if c != fields["id"]),
        )

    def has_article(self, article_id: str) -> bool:
        """Whether an article with this id is in the library (a catalog look-up)."""
        with self._catalog_lock:
            return self._catalog.file_by_id(article_id) is not None

    def find_by_hash(self, sha256: str) -> Article | None:
        """An article whose file has exactly these bytes, or None."""
        with self._catalog_lock:
            ids = self._catalog.ids_with_hash(sha256)
        return self.get(ids[0]) if ids else None

    def hit_spans(self, query_text: str, text: str) -> list[tuple[int, int]]:
        """Character ranges in `text` of every word the query matches, stemmed forms included."""
        searcher = self._searcher()
        if searcher is None:
            return []
        reader = searcher.reader()
        query = expand_fuzzy(parse_query(query_text, self._parser).query, reader)
        return term_spans(text, positive_terms(query, reader))

    def problems(self) -> list[Problem]:
        """Files that could not be indexed at the last run, with the reason."""
        with self._catalog_lock:
            problems = self._catalog.problems()
        return [replace(p, path=str(key_to_path(p.path))) for p in problems]

    def count_arrived(self, request: SearchRequest, since: float) -> int:
        """How many articles a search matches that were first indexed after `since` (epoch s)."""
        with self._catalog_lock:
            arrived = self._catalog.arrived_since(since)
        allowed = request.filters.only_ids
        ids = arrived if allowed is None else arrived & allowed
        if not ids:
            return 0
        narrowed = replace(
            request,
            filters=replace(request.filters, only_ids=frozenset(ids)),
            offset=0,
            limit=1,
            snippets=0,
            facets=False,
            suggest=False,
            collapse=False,
        )
        return self.search(narrowed).total

    # stories and related articles
    def _stories(self, searcher: Searcher) -> StoryMap:
        """The stories by document number, for a searcher (cached per index and story state)."""
        version = self._story_store.version()
        if not version:
            return EMPTY_STORIES
        known_version, story_of = self._story_ids
        if known_version != version:
            story_of = self._story_store.story_map()
            self._story_ids = (version, story_of)
        return story_docnums(searcher, story_of, version)

    def story(self, article_id: str) -> Story | None:
        """The versions of an article's story (itself included), or None if it has none."""
        searcher = self._searcher()
        if searcher is None:
            return None
        name = self._story_store.story_of(article_id)
        if name is None:
            return None
        ids = self._story_store.members(name)
        shares = self._story_store.links_of(article_id)
        versions = [summary(fields) for i in ids if (fields := searcher.document(id=i))]
        versions = self._with_hashes(versions)
        versions.sort(key=_by_date)
        return Story(name, tuple(versions), shares)

    def stories(self) -> list[Story]:
        """Every story of two or more versions, the largest first."""
        searcher = self._searcher()
        if searcher is None:
            return []
        found = self._story_store.stories()
        listed = {
            name: [summary(fields) for i in ids if (fields := searcher.document(id=i))]
            for name, ids in found.items()
        }
        # The hashes of every story's versions in one look-up; an article is in one story.
        hashed = {h.id: h for h in self._with_hashes(chain.from_iterable(listed.values()))}
        stories = []
        for name, summaries in listed.items():
            versions = [hashed[hit.id] for hit in summaries]
            if len(versions) > 1:
                stories.append(Story(name, tuple(sorted(versions, key=_by_date))))
        stories.sort(key=lambda s: (-len(s.versions), s.versions[0].title.casefold(), s.id))
        return stories

    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles on the same subject that are not versions of this one, most alike first."""
        searcher = self._searcher()
        if searcher is None:
            return []
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            return []
        name = self._story_store.story_of(article_id)
        versions = self._story_store.members(name) if name else []
        with self._catalog_lock:
            record = self._catalog.file_by_id(article_id)
            copies = self._catalog.ids_with_hash(record.sha256) if record else []
        exclude = {
            d for i in {*versions, *copies} if (d := searcher.document_number(id=i)) is not None
        }
        return self._with_hashes(related(searcher, docnum, exclude, limit, self._stories(searcher)))

    def _with_hashes(self, hits: Iterable[Hit]) -> list[Hit]:
        """Hits with their file's hash, which the catalog keeps (one look-up for them all)."""
        hits = list(hits)
        wanted = [hit.id for hit in hits if not hit.sha256]
        if not wanted:
            return hits
        with self._catalog_lock:
            hashes = self._catalog.hashes_of(wanted)
        return [hit if hit.sha256 else replace(hit, sha256=hashes.get(hit.id, "")) for hit in hits]


def _by_date(hit: Hit) -> tuple[bool, datetime, str]:
    """Oldest first, undated last, then by title."""
    return (hit.date is None, hit.date or datetime.min, hit.title.casefold())
