"""The library: indexing real folders into a real Whoosh index, and searching it."""

import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest

import index.indexer
import index.library as library_module
from index import (
    Filters,
    Library,
    LockBusyError,
    SearchRequest,
    SearchResult,
    SortOrder,
    SyncProgress,
    SyncReport,
)
from index.catalog import Catalog, FileRecord

REPO_ROOT = Path(__file__).resolve().parents[2]


def search(library: Library, query: str, **options: object) -> SearchResult:
    """Every matching article, versions of one story included (tests/index/test_stories.py
    covers their folding)."""
    options.setdefault("collapse", False)
    return library.search(SearchRequest(query, **options))  # type: ignore[arg-type]


def names(result: SearchResult) -> list[str]:
    return [Path(hit.path).name for hit in result.hits]


@contextmanager
def opened(data_dir: Path) -> Iterator[Library]:
    """A second, fresh view of a library's index (as a newly started app would see it)."""
    library = Library(data_dir)
    try:
        yield library
    finally:
        library.close()


@pytest.fixture
def make_library(tmp_path: Path) -> Iterator[Callable[..., Library]]:
    made: list[Library] = []

    def make(*folders: Path, name: str = "data") -> Library:
        library = Library(tmp_path / name)
        for folder in folders:
            library.add_folder(folder)
        made.append(library)
        return library

    yield make
    for library in made:
        library.close()


# =======================================================================================
# BBC: 2,225 real articles in five topic folders, indexed once for the module.
# =======================================================================================


@pytest.fixture(scope="module")
def bbc_run(
    tmp_path_factory: pytest.TempPathFactory, corpora: Path
) -> Iterator[tuple[Library, SyncReport]]:
    library = Library(tmp_path_factory.mktemp("bbc-data"))
    library.add_folder(corpora / "bbc")
    report = library.sync()
    yield library, report
    library.close()


@pytest.fixture(scope="module")
def bbc(bbc_run: tuple[Library, SyncReport]) -> Library:
    return bbc_run[0]


def bbc_files(corpora: Path) -> list[Path]:
    return sorted(p for p in (corpora / "bbc").rglob("*") if p.is_file())


def test_bbc_every_file_is_indexed(bbc_run: tuple[Library, SyncReport], corpora: Path) -> None:
    bbc, report = bbc_run
    files = bbc_files(corpora)
    assert len(files) == 2226  # 2,225 articles and README.TXT

    assert report.added == 2226
    assert report.problems == 0
    assert report.cancelled is False
    assert bbc.count() == 2226
    assert bbc.problems() == []
    assert bbc.folders() == [str((corpora / "bbc").resolve())]


def test_bbc_time_warner_profit(bbc: Library, corpora: Path) -> None:
    result = search(bbc, "Time Warner profit")

    assert result.total >= 1
    first = result.hits[0]
    assert Path(first.path) == (corpora / "bbc" / "business" / "001.txt").resolve()
    assert first.title == "Ad sales boost Time Warner profit"
    assert first.folder == "bbc/business"


def test_bbc_did_you_mean(bbc: Library) -> None:
    result = search(bbc, "goverment spendng")

    assert result.suggestion == "government spending"
    assert search(bbc, "government spending").total > result.total


def test_bbc_no_suggestion_for_a_query_with_many_results(bbc: Library) -> None:
    result = search(bbc, "government spending")

    assert result.total > 50
    assert result.suggestion is None


def test_bbc_byte_identical_copies(bbc: Library, corpora: Path) -> None:
    # business/007.txt and business/253.txt hold the same bytes.
    first_path = corpora / "bbc" / "business" / "007.txt"
    second_path = corpora / "bbc" / "business" / "253.txt"
    assert first_path.read_bytes() == second_path.read_bytes()

    first = bbc.get(str(first_path))
    second = bbc.get(str(second_path))

    assert first is not None
    assert second is not None
    assert first.id != second.id
    assert first.sha256 == second.sha256
    assert first.copies == (second.id,)
    assert second.copies == (first.id,)
    assert Path(first.path) == first_path.resolve()
    assert Path(second.path) == second_path.resolve()


def test_copies_are_found_by_a_short_index_of_the_hash(tmp_path: Path) -> None:
    """Hashes are kept as bytes and looked up by their first 8; rows of before still match."""
    path = tmp_path / "catalog.sqlite3"
    catalog = Catalog(path)
    same, near, other = "ab" * 32, "ab" * 8 + "cd" * 24, "ef" * 32
    catalog.put_files(
        FileRecord(f"/a/{name}.txt", name, "/a", 1, 1, inode, sha)
        for inode, (name, sha) in enumerate(
            [("z", same), ("y", same), ("x", near), ("w", other)], start=1
        )
    )
    assert catalog.ids_with_hash(same) == ["y", "z"]  # by path, the near miss left out
    assert catalog.ids_with_hash(near) == ["x"]
    assert catalog.ids_with_hash("00" * 32) == []
    assert catalog.hashes_of(["z", "x", "missing"]) == {"z": same, "x": near}
    record = catalog.file_by_id("w")
    assert record is not None and record.sha256 == other
    assert catalog.file_rows(["/a/x.txt"])["/a/x.txt"][6] == near
    catalog.close()
    # As an earlier version left it: a row's hash in hex digits, the whole hash indexed.
    db = sqlite3.connect(path)
    db.execute("INSERT INTO files VALUES ('/a/v.txt', 'v', '/a', 1, 1, 9, ?)", (same,))
    db.executescript("DROP INDEX files_hash_prefix; CREATE INDEX files_sha256 ON files (sha256);")
    db.commit()
    stored = {row[0]: row[1] for row in db.execute("SELECT id, typeof(sha256) FROM files")}
    assert stored == {"z": "blob", "y": "blob", "x": "blob", "w": "blob", "v": "text"}
    db.close()
    catalog = Catalog(path)
    assert catalog.ids_with_hash(same) == ["v", "y", "z"]
    assert catalog.hashes_of(["v"]) == {"v": same}
    catalog.close()
    db = sqlite3.connect(path)
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    plan = " ".join(
        str(row[-1])
        for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM files WHERE substr(sha256, 1, 8) IN (?, ?)",
            (b"ab", "ab"),
        )
    )
    db.close()
    assert "files_hash_prefix" in indexes and "files_sha256" not in indexes
    assert "USING INDEX files_hash_prefix" in plan


def test_files_record_their_folder_by_number(tmp_path: Path) -> None:
    """A row holds its folder's number; rows of before (and a taken number) hold its path."""
    path = tmp_path / "catalog.sqlite3"
    catalog = Catalog(path)
    long_folder = "/home/reader/Documents/Saved articles/2022"
    number = hashlib.sha256(b"/taken").digest()[:6]
    catalog._db.execute("INSERT INTO folder_numbers VALUES (?, '/someone else')", (number,))
    catalog.put_files(
        FileRecord(f"{folder}/{name}.txt", name, folder, 1, 1, inode, "ab" * 32)
        for inode, (name, folder) in enumerate(
            [("a", long_folder), ("b", long_folder), ("c", "/taken")], start=1
        )
    )
    catalog._db.execute(  # as a version before stop 18 wrote it
        "INSERT INTO files VALUES ('/old/d.txt', 'd', '/old', 1, 1, 9, ?)", ("cd" * 32,)
    )
    catalog.close()
    with contextlib.closing(sqlite3.connect(path)) as db:
        kinds = dict(db.execute("SELECT id, typeof(folder) FROM files"))
    assert kinds == {"a": "blob", "b": "blob", "c": "text", "d": "text"}
    catalog = Catalog(path)
    assert [catalog.file_by_id(name).folder for name in "abcd"] == [  # type: ignore[union-attr]
        long_folder,
        long_folder,
        "/taken",
        "/old",
    ]
    rows = catalog.file_rows([f"{long_folder}/a.txt", "/old/d.txt"])
    assert rows[f"{long_folder}/a.txt"][2] == long_folder and rows["/old/d.txt"][2] == "/old"
    catalog.close()


def test_copies_added_later_get_their_own_ids(tmp_path: Path, corpora: Path) -> None:
    """A re-sync that adds a few files looks their ids up in the catalog, one at a time."""
    folder = tmp_path / "articles"
    folder.mkdir()
    original = (corpora / "bbc" / "business" / "007.txt").read_bytes()
    (folder / "first.txt").write_bytes(original)
    (folder / "gone.txt").write_bytes((corpora / "bbc" / "business" / "001.txt").read_bytes())
    library = Library(tmp_path / "data")
    try:
        library.add_folder(folder)
        library.sync()
        first = library.get(str(folder / "first.txt"))
        gone = library.get(str(folder / "gone.txt"))
        assert first is not None and gone is not None
        # One run: a copy of the first arrives (its content id is taken), another article
        # leaves (its id stays taken until the run ends), a new one arrives.
        (folder / "copy.txt").write_bytes(original)
        (folder / "gone.txt").unlink()
        (folder / "later.txt").write_bytes(original + b"\n")
        report = library.sync()
        assert (report.added, report.removed) == (2, 1)
        copy = library.get(str(folder / "copy.txt"))
        later = library.get(str(folder / "later.txt"))
        assert copy is not None and later is not None
        assert len({first.id, copy.id, later.id, gone.id}) == 4
        again = library.get(str(folder / "first.txt"))
        assert again is not None and again.id == first.id
        assert copy.copies == (first.id,) and again.copies == (copy.id,)
        assert library.search(SearchRequest("")).total == 3
    finally:
        library.close()


def test_bbc_refugee_highlights_stemmed_forms(bbc: Library) -> None:
    result = search(bbc, "refugee", limit=50)

    assert result.total > 5
    snippets = [s for hit in result.hits for s in hit.snippets]
    assert any("<mark>refugees</mark>" in s.lower() for s in snippets)
    assert any("<mark>refugee</mark>" in s.lower() for s in snippets)
    assert search(bbc, "refugees").total == result.total


def test_bbc_at_most_three_snippets(bbc: Library) -> None:
    result = search(bbc, "government", limit=30)

    counts = [len(hit.snippets) for hit in result.hits]
    assert counts
    assert max(counts) == 3
    assert all(1 <= n <= 3 for n in counts)
    for hit in result.hits:
        assert all("<mark>" in snippet for snippet in hit.snippets)

    fewer = search(bbc, "government", limit=30, snippets=1)
    assert all(len(hit.snippets) == 1 for hit in fewer.hits)


def test_bbc_paging(bbc: Library) -> None:
    whole = search(bbc, "election", limit=20, facets=False)
    second_page = search(bbc, "election", offset=10, limit=10, facets=False)

    assert whole.total == second_page.total > 20
    assert [h.id for h in second_page.hits] == [h.id for h in whole.hits[10:20]]


def test_bbc_folder_facets_and_filter(bbc: Library) -> None:
    result = search(bbc, "profit")

    folders = result.facets["folder"]
    assert set(folders) <= {
        f"bbc/{t}" for t in ("business", "entertainment", "politics", "sport", "tech")
    }
    assert sum(folders.values()) == result.total
    assert max(folders, key=lambda f: folders[f]) == "bbc/business"

    only = search(bbc, "profit", limit=200, filters=Filters(folders=("bbc/tech",)))

    assert {hit.folder for hit in only.hits} == {"bbc/tech"}
    assert len(only.hits) + only.hidden == folders["bbc/tech"]  # versions of a story fold in
    # A facet's own filter does not narrow its counts.
    assert only.facets["folder"] == folders
    assert only.total == folders["bbc/tech"]


def test_bbc_get_by_id_and_path(bbc: Library, corpora: Path) -> None:
    path = corpora / "bbc" / "tech" / "001.txt"
    by_path = bbc.get(str(path))
    assert by_path is not None

    by_id = bbc.get(by_path.id)

    assert by_id == by_path
    assert by_path.folder == "bbc/tech"
    assert by_path.size == path.stat().st_size
    assert by_path.words == len(by_path.text.split())
    assert bbc.get("0123456789abcdef") is None
    assert bbc.get(str(corpora / "bbc" / "tech" / "no-such-file.txt")) is None


def test_bbc_cancelled_search_stops(bbc: Library) -> None:
    from whoosh import query as wq

    from index.library import CANCELLED
    from index.search import SearchCancelledError, _CancellableCollector

    result = bbc.search(SearchRequest("economy"), lambda: True)
    assert (result.total, result.hits, result.message) == (0, (), CANCELLED)
    searcher = bbc._searcher()
    assert searcher is not None
    collector = _CancellableCollector(searcher.collector(limit=10), lambda: True)
    with pytest.raises(SearchCancelledError):  # ranking looks at the flag as it goes
        searcher.search_with_collector(wq.Term("body", "economi"), collector)
    kept = bbc.search(SearchRequest("economy"), lambda: False)
    assert names(kept) == names(bbc.search(SearchRequest("economy"))) and kept.total > 100


def test_bbc_unchanged_resync(bbc: Library) -> None:
    totals: list[int] = []

    report = bbc.sync(progress=lambda p: totals.append(p.total))

    assert report.unchanged == 2226
    assert report.changed == 0
    assert report.problems == 0
    assert set(totals) == {0}
    assert bbc.count() == 2226


def mapped_kb(folder: Path) -> int:
    """How much of the files under `folder` this process holds mapped in memory, in kB."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        parts = line.split()
        if "-" in parts[0] and len(parts) >= 5:
            inside = len(parts) > 5 and parts[5].startswith(str(folder))
        elif inside and parts[0] == "Rss:":
            total += int(parts[1])
    return total


def test_catalog_log_is_emptied_after_a_sync(corpora: Path, tmp_path: Path) -> None:
    """The write-ahead log does not keep a second copy of the catalog once a sync is done."""
    with opened(tmp_path / "data") as library:
        library.add_folder(corpora / "bbc" / "tech")
        report = library.sync()
        catalog = tmp_path / "data" / "catalog.sqlite3"
        log = catalog.with_name("catalog.sqlite3-wal")
        assert report.added == 401
        assert catalog.stat().st_size > 100 * 1024  # the files' rows are in the database
        assert not log.exists() or log.stat().st_size == 0
        assert library.count() == 401
        stories_log = catalog.with_name("stories.sqlite3-wal")  # the stories' own file
        assert catalog.with_name("stories.sqlite3").stat().st_size > 100 * 1024
        assert not stories_log.exists() or stories_log.stat().st_size == 0


def _unused_share(database: Path) -> float:
    """The share of the database's larger tables and indexes that holds nothing (`dbstat`).

    A table of a few rows takes a page of its own whatever is done: those are left out.
    """
    with contextlib.closing(sqlite3.connect(database)) as db:
        size, unused = db.execute(
            "SELECT sum(pgsize), sum(unused) FROM dbstat WHERE name IN "
            "(SELECT name FROM dbstat GROUP BY name HAVING count(*) >= 8)"
        ).fetchone()
    return float(unused / size)


def test_bbc_full_build_leaves_its_databases_compact(bbc: Library) -> None:
    """A build of 2,225 articles rewrites the catalog and the stories with full pages."""
    data = bbc.data_dir
    assert _unused_share(data / "stories.sqlite3") < 0.08  # 2%; 14% as the inserts leave it
    assert _unused_share(data / "catalog.sqlite3") < 0.08  # 6%; 10%
    assert not data.joinpath("catalog.sqlite3-wal").exists() or (
        data.joinpath("catalog.sqlite3-wal").stat().st_size == 0
    )


def test_only_a_sync_that_changed_much_compacts() -> None:
    assert library_module._rewrote_much(SyncReport(added=2225))
    assert library_module._rewrote_much(SyncReport(added=3000, unchanged=10_000))
    assert not library_module._rewrote_much(SyncReport(added=1999))
    assert not library_module._rewrote_much(SyncReport(added=20, unchanged=150_000))
    assert not library_module._rewrote_much(SyncReport(updated=3000, unchanged=150_000))


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads Linux's /proc")
def test_bbc_release_memory_gives_back_index_pages(bbc: Library) -> None:
    queries = ["economy", '"prime minister"', "film OR music", "econom*", "title:music"]
    before = [names(search(bbc, query)) for query in queries]
    held = mapped_kb(bbc.data_dir / "index")

    released = bbc.release_memory()

    assert held > 1000  # the searches read over a megabyte of the index through its maps
    assert released > 0
    assert mapped_kb(bbc.data_dir / "index") < held / 10
    assert [names(search(bbc, query)) for query in queries] == before


# =======================================================================================
# A small news library: the two seeds (read-only, from the corpus) and articles written here.
# =======================================================================================

MINE = {
    "europe/port.md": (
        "---\ntitle: Cranes move again in the port\nauthor: Olena Petrenko\n"
        "source: Harbour Gazette\ndate: 2022-04-02\n---\n\n"
        "Dock workers in Odésa loaded the first cargo in weeks while the city's cranes swung "
        "over the harbour again, officials said on Saturday.\n"
    ),
    "europe/border.md": (
        "---\ntitle: Volunteers at the border\nsource: Harbour Gazette\ndate: 2022-03-05\n---\n\n"
        "Volunteers at the border crossing handed blankets to refugees arriving by train from "
        "Lviv late at night, the charity said in a statement.\n"
    ),
    "europe/keeper-title.md": (
        "---\ntitle: Lighthouse keeper retires\nsource: Coast Weekly\ndate: 2021-06-01\n---\n\n"
        "After forty years tending the lamp on the northern cape, the keeper handed over the "
        "keys to the coastguard this week and moved inland.\n"
    ),
    "asia/keeper-body.md": (
        "---\ntitle: Keeper hands over the keys\nsource: Coast Weekly\ndate: 2023-02-01\n---\n\n"
        "After forty years tending the lighthouse on the northern cape, the keeper handed over "
        "the keys to the coastguard this week and moved inland.\n"
    ),
    "asia/market.txt": (
        "Night market reopens\n\n"
        "The night market in the old town reopened with food stalls and music, drawing large "
        "crowds of families on Friday evening.\n"
    ),
    "asia/markup.txt": (
        "Markup in the manual\n\n"
        "The AT&T engineers wrote <script>alert(1)</script> into the printers' manual, which "
        "confused the printers for weeks on end, the company said.\n"
    ),
}


@pytest.fixture(scope="module")
def news_dirs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("news")
    for relative, text in MINE.items():
        path = base / "mine" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return base


@pytest.fixture(scope="module")
def news(
    tmp_path_factory: pytest.TempPathFactory, corpora: Path, news_dirs: Path
) -> Iterator[Library]:
    library = Library(tmp_path_factory.mktemp("news-data"))
    library.add_folder(corpora / "seeds")
    library.add_folder(news_dirs / "mine")
    report = library.sync()
    assert report.added == 2 + len(MINE)
    assert report.problems == 0
    yield library
    library.close()


SEEDS = {"000_b3affed6fcba6295.txt", "002_4eb3baba7c0f491b.txt"}


@pytest.mark.parametrize("query", ["chmerkovskiy poland", "Baranova", "baranova 27"])
def test_seeds_are_found(news: Library, query: str) -> None:
    result = search(news, query)

    assert set(names(result)) == SEEDS


def test_seeds_titles_in_hits(news: Library) -> None:
    titles = {Path(hit.path).name: hit.title for hit in search(news, "Baranova").hits}

    assert titles["002_4eb3baba7c0f491b.txt"].startswith("'Dancing With The Stars' Pro Returns")
    assert len(titles["000_b3affed6fcba6295.txt"]) <= 100
    assert "RELATED CONTENT" not in titles["000_b3affed6fcba6295.txt"]


def test_refugee_finds_refugees(news: Library) -> None:
    result = search(news, "refugee")

    assert "border.md" in names(result)  # says "refugees"
    assert "000_b3affed6fcba6295.txt" in names(result)  # says "refugee"
    border = next(h for h in result.hits if h.path.endswith("border.md"))
    assert any("<mark>refugees</mark>" in s for s in border.snippets)


@pytest.mark.parametrize("query", ["odesa", "Odesa", "ODESA", "Odésa", "odésa"])
def test_accents_and_case_are_folded(news: Library, query: str) -> None:
    result = search(news, query)

    assert set(names(result)) == SEEDS | {"port.md"}
    port = next(h for h in result.hits if h.path.endswith("port.md"))
    assert any("<mark>Odésa</mark>" in s for s in port.snippets)


def test_title_outweighs_body(news: Library) -> None:
    result = search(news, "lighthouse")

    assert names(result) == ["keeper-title.md", "keeper-body.md"]
    first, second = result.hits[0].score, result.hits[1].score
    assert first is not None and second is not None and first > second


def test_hit_title_is_highlighted(news: Library) -> None:
    hit = search(news, "lighthouse").hits[0]

    assert hit.title_html == "<mark>Lighthouse</mark> keeper retires"


def test_snippets_are_escaped_html(news: Library) -> None:
    result = search(news, "printers")

    assert names(result) == ["markup.txt"]
    snippet = " ".join(result.hits[0].snippets)
    assert "<mark>printers</mark>" in snippet
    assert "AT&amp;T" in snippet
    assert "&lt;script&gt;" in snippet
    assert "<script>" not in snippet


def test_metadata_in_hits(news: Library) -> None:
    hit = search(news, "cranes").hits[0]

    assert hit.title == "Cranes move again in the port"
    assert hit.author == "Olena Petrenko"
    assert hit.source == "Harbour Gazette"
    assert hit.date == datetime(2022, 4, 2)
    assert hit.folder == "mine/europe"
    # The file's hash comes from the catalog (the index no longer stores it).
    assert hit.sha256 == hashlib.sha256(Path(hit.path).read_bytes()).hexdigest()
    article = news.get(hit.id)
    assert article is not None and article.sha256 == hit.sha256
    assert "sha256" not in news._schema.names()


def test_search_json_contract(news: Library) -> None:
    result = search(news, "keeper OR cranes OR refugee")

    data = json.loads(json.dumps(result.to_json()))

    assert {"query", "total", "elapsed_ms", "suggestion", "facets", "hits"} <= set(data)
    assert data["query"] == "keeper OR cranes OR refugee"
    assert data["total"] == result.total == len(data["hits"]) == 5
    assert isinstance(data["elapsed_ms"], int | float)
    assert data["elapsed_ms"] >= 0
    assert data["suggestion"] is None
    assert set(data["facets"]) == {"source", "year", "folder"}
    for counts in data["facets"].values():
        assert all(isinstance(k, str) and isinstance(v, int) for k, v in counts.items())
    for hit in data["hits"]:
        assert {"id", "path", "title", "source", "author", "date", "score", "snippets"} <= set(hit)
        assert isinstance(hit["id"], str)
        assert hit["id"]
        assert Path(hit["path"]).is_file()
        assert isinstance(hit["title"], str)
        assert hit["title"]
        assert isinstance(hit["score"], float)
        assert isinstance(hit["snippets"], list)
        assert all(isinstance(s, str) for s in hit["snippets"])
        assert hit["date"] is None or datetime.fromisoformat(hit["date"])
    port = next(h for h in data["hits"] if h["path"].endswith("port.md"))
    assert port["date"] == "2022-04-02T00:00:00"
    assert port["source"] == "Harbour Gazette"
    assert port["author"] == "Olena Petrenko"
    seed = next(h for h in data["hits"] if h["path"].endswith("000_b3affed6fcba6295.txt"))
    assert seed["date"] is None
    assert seed["source"] is None


def test_a_facet_of_one_value_counts_every_match(tmp_path: Path, corpora: Path) -> None:
    library = Library(tmp_path / "data")
    library.add_folder(corpora / "bbc" / "politics")
    library.sync()
    try:
        for text in ("minister", "", "election OR vote"):
            result = search(library, text)
            assert result.total > 10
            # One folder, no outlets, no dates: the counts come without counting.
            assert result.facets == {"source": {}, "year": {}, "folder": {"politics": result.total}}
            assert sum(result.timeline.values()) == result.total
    finally:
        library.close()


def test_facets(news: Library) -> None:
    result = search(news, "keeper OR cranes OR refugee OR market")

    assert result.total == 6
    assert result.facets["source"] == {"Coast Weekly": 2, "Harbour Gazette": 2}
    assert result.facets["year"] == {"2021": 1, "2022": 2, "2023": 1}
    assert result.facets["folder"] == {"mine/asia": 2, "mine/europe": 3, "seeds": 1}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(sources=("Coast Weekly",)), {"keeper-title.md", "keeper-body.md"}),
        (Filters(years=(2022,)), {"port.md", "border.md"}),
        (Filters(years=(2021, 2023)), {"keeper-title.md", "keeper-body.md"}),
        (Filters(folders=("mine/asia",)), {"keeper-body.md", "market.txt"}),
        (Filters(folders=("seeds",)), {"000_b3affed6fcba6295.txt"}),
        (Filters(sources=("Coast Weekly",), years=(2023,)), {"keeper-body.md"}),
        (Filters(sources=("Nobody",)), set()),
    ],
)
def test_filters(news: Library, filters: Filters, expected: set[str]) -> None:
    result = search(news, "keeper OR cranes OR refugee OR market", filters=filters)

    assert set(names(result)) == expected
    assert result.total == len(expected)


def test_filtered_total_counts_only_what_the_filter_lets_through(
    make_library: Callable[..., Library], tmp_path: Path
) -> None:
    root = tmp_path / "reports"
    for folder in ("north", "south"):
        (root / folder).mkdir(parents=True)
        for n in range(30):
            (root / folder / f"{n:02d}.txt").write_text(
                f"Quarterly report {folder} {n}\n\nThe company reported a profit this quarter, "
                "and the shareholders were pleased with the results of the year.\n",
                encoding="utf-8",
            )
    library = make_library(root)
    library.sync()

    for sort in SortOrder:
        result = search(library, "profit", sort=sort, filters=Filters(folders=("reports/north",)))
        assert {hit.folder for hit in result.hits} == {"reports/north"}
        assert result.total == 30, sort


def test_only_ids_filter(news: Library) -> None:
    everything = search(news, "keeper OR cranes")
    wanted = {everything.hits[0].id}

    result = search(news, "keeper OR cranes", filters=Filters(only_ids=frozenset(wanted)))

    assert {hit.id for hit in result.hits} == wanted
    assert search(news, "keeper", filters=Filters(only_ids=frozenset())).total == 0


# --- sorting ----------------------------------------------------------------------------

SORTABLE = {
    "b.md": ("Beta harbour news", "2022-05-01"),
    "a.md": ("'Alpha' harbour news", "2021-01-15"),
    "c.md": ("charlie harbour news", "2023-09-30"),
    "d.md": ("Delta harbour news", None),
    "e.md": ("echo harbour news", None),
    "f.md": ("Foxtrot harbour news", "2022-05-02"),
}


@pytest.fixture(scope="module")
def sortable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("sortable")
    for name, (title, date) in SORTABLE.items():
        front = f"title: {json.dumps(title)}\n" + (f"date: {date}\n" if date else "")
        (root / name).write_text(
            f"---\n{front}---\n\nThe harbour news of the day, as the harbour master wrote it "
            "down in the harbour log book for everybody to read.\n",
            encoding="utf-8",
        )
    library = Library(tmp_path_factory.mktemp("sortable-data"))
    library.add_folder(root)
    library.sync()
    yield library
    library.close()


def test_sort_newest(sortable: Library) -> None:
    order = names(search(sortable, "harbour", sort=SortOrder.NEWEST))

    assert order[:4] == ["c.md", "f.md", "b.md", "a.md"]
    assert set(order[4:]) == {"d.md", "e.md"}  # undated last


def test_sort_oldest(sortable: Library) -> None:
    order = names(search(sortable, "harbour", sort=SortOrder.OLDEST))

    assert order[:4] == ["a.md", "b.md", "f.md", "c.md"]
    assert set(order[4:]) == {"d.md", "e.md"}  # undated last here too


def test_sort_title(sortable: Library) -> None:
    order = names(search(sortable, "harbour", sort=SortOrder.TITLE))

    # Case does not matter, a leading quote does not count.
    assert order == ["a.md", "b.md", "c.md", "d.md", "e.md", "f.md"]


def test_sort_relevance_returns_everything(sortable: Library) -> None:
    result = search(sortable, "harbour", sort=SortOrder.RELEVANCE)

    assert sorted(names(result)) == sorted(SORTABLE)
    scores = [hit.score for hit in result.hits if hit.score is not None]
    assert len(scores) == len(result.hits)
    assert scores == sorted(scores, reverse=True)


def test_sort_with_paging(sortable: Library) -> None:
    page = names(search(sortable, "harbour", sort=SortOrder.NEWEST, offset=1, limit=2))

    assert page == ["f.md", "b.md"]


# =======================================================================================
# Incremental indexing on folders written here.
# =======================================================================================

ANIMALS = ["aardvark", "buffalo", "cheetah", "dolphin", "elephant"]


def animal_text(animal: str, extra: str = "") -> str:
    return (
        f"The {animal} report\n\n"
        f"Keepers at the city zoo said the {animal} had settled into its new enclosure well "
        f"and was eating normally again after the move last week. {extra}\n"
    )


# An executable-like blob: random bytes and runs of NULs. Not text in any encoding.
BINARY = b"\x7fELF\x02\x01\x01" + b"".join(
    random.Random(1).randbytes(24) + b"\x00" * 8 for _ in range(200)
)


def write_animals(folder: Path, animals: list[str] = ANIMALS) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for animal in animals:
        paths[animal] = folder / f"{animal}.txt"
        paths[animal].write_text(animal_text(animal), encoding="utf-8")
    return paths


def ids_by_word(library: Library, words: list[str]) -> dict[str, str]:
    found = {}
    for word in words:
        result = search(library, word, facets=False)
        assert result.total == 1, f"{word}: {names(result)}"
        found[word] = result.hits[0].id
    return found


def file_count(*folders: Path) -> int:
    return sum(1 for folder in folders for p in folder.rglob("*") if p.is_file())


def test_not_indexed_yet(make_library: Callable[..., Library], tmp_path: Path) -> None:
    library = make_library(tmp_path / "nothing")

    result = search(library, "anything")

    assert result.total == 0
    assert result.message
    assert library.count() == 0
    assert library.get("anything") is None
    assert library.is_indexed() is False


def test_empty_library_can_be_read_again(
    make_library: Callable[..., Library], tmp_path: Path
) -> None:
    folder = tmp_path / "nothing-yet"
    folder.mkdir()
    library = make_library(folder)
    report = library.sync()
    assert report.added == 0

    assert library.count() == 0
    assert search(library, "anything").total == 0
    assert library.count() == 0
    assert library.get("anything") is None


def test_add_folder_twice_and_remove_unknown(
    make_library: Callable[..., Library], tmp_path: Path
) -> None:
    folder = tmp_path / "zoo"
    folder.mkdir()
    library = make_library()

    assert library.add_folder(folder) is True
    assert library.add_folder(folder) is False
    assert library.folders() == [str(folder.resolve())]
    assert library.remove_folder(tmp_path / "elsewhere") is False


def test_add_change_delete(make_library: Callable[..., Library], tmp_path: Path) -> None:
    folder = tmp_path / "zoo"
    paths = write_animals(folder)
    library = make_library(folder)
    assert library.sync().added == 5
    with opened(library.data_dir) as view:
        before = ids_by_word(view, ANIMALS)

    # add
    (folder / "flamingo.txt").write_text(animal_text("flamingo"), encoding="utf-8")
    report = library.sync()
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 0, 0, 5)
    with opened(library.data_dir) as view:
        assert view.count() == 6
        assert search(view, "flamingo").total == 1

    # change
    paths["buffalo"].write_text(animal_text("bison", "It is a bison now."), encoding="utf-8")
    os.utime(paths["buffalo"], ns=(0, paths["buffalo"].stat().st_mtime_ns + 2_000_000_000))
    report = library.sync()
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 5)
    with opened(library.data_dir) as view:
        assert view.count() == 6
        assert search(view, "buffalo").total == 0
        result = search(view, "bison")
        assert result.total == 1
        assert result.hits[0].id == before["buffalo"]  # a changed file keeps its id
        assert result.hits[0].title == "The bison report"

    # delete
    paths["cheetah"].unlink()
    report = library.sync()
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 1, 5)
    with opened(library.data_dir) as view:
        assert view.count() == 5
        assert search(view, "cheetah").total == 0
        assert view.get(before["cheetah"]) is None
        assert view.get(str(paths["cheetah"])) is None


def test_move_and_rename_keep_the_id(make_library: Callable[..., Library], tmp_path: Path) -> None:
    folder = tmp_path / "zoo"
    other = tmp_path / "other-zoo"
    other.mkdir()
    paths = write_animals(folder)
    library = make_library(folder, other)
    library.sync()
    with opened(library.data_dir) as view:
        before = ids_by_word(view, ANIMALS)

    # rename in place
    renamed = folder / "the aardvark, renamed.txt"
    paths["aardvark"].rename(renamed)
    # move into a subfolder
    (folder / "africa").mkdir()
    moved = folder / "africa" / "buffalo.txt"
    paths["buffalo"].rename(moved)
    # move to another folder of the library
    across = other / "cheetah.txt"
    shutil.move(paths["cheetah"], across)

    report = library.sync()

    assert (report.moved, report.added, report.removed, report.updated) == (3, 0, 0, 0)
    with opened(library.data_dir) as view:
        assert view.count() == 5
        assert ids_by_word(view, ANIMALS) == before
        for word, path in (("aardvark", renamed), ("buffalo", moved), ("cheetah", across)):
            article = view.get(before[word])
            assert article is not None
            assert Path(article.path) == path.resolve()
        buffalo = view.get(before["buffalo"])
        cheetah = view.get(before["cheetah"])
        assert buffalo is not None
        assert cheetah is not None
        assert buffalo.folder == "zoo/africa"
        assert cheetah.folder == "other-zoo"
        assert view.get(str(paths["aardvark"])) is None


def test_move_and_edit_keeps_the_id(make_library: Callable[..., Library], tmp_path: Path) -> None:
    folder = tmp_path / "zoo"
    paths = write_animals(folder)
    library = make_library(folder)
    library.sync()
    with opened(library.data_dir) as view:
        before = ids_by_word(view, ["dolphin"])

    (folder / "sea").mkdir()
    target = folder / "sea" / "dolphin.txt"
    paths["dolphin"].rename(target)  # the same file (inode) under the same name, elsewhere
    with target.open("a", encoding="utf-8") as handle:
        handle.write("\nThe porpoise next door was unimpressed by all the fuss.\n")

    report = library.sync()

    assert (report.moved, report.added, report.removed) == (1, 0, 0)
    with opened(library.data_dir) as view:
        assert search(view, "porpoise").hits[0].id == before["dolphin"]
        assert view.count() == 5


def test_unchanged_resync_reads_no_file(
    make_library: Callable[..., Library], tmp_path: Path
) -> None:
    folder = tmp_path / "zoo"
    paths = write_animals(folder)
    library = make_library(folder)
    library.sync()

    # Same size, same modification time, other bytes: only reading the file could tell.
    path = paths["elephant"]
    stat = path.stat()
    data = path.read_bytes()
    path.write_bytes(data.replace(b"elephant", b"mammoth!"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    progress: list[SyncProgress] = []

    report = library.sync(progress=progress.append)

    assert report.unchanged == 5
    assert report.changed == 0
    assert report.problems == 0
    assert [p.total for p in progress] == [0]
    with opened(library.data_dir) as view:
        assert search(view, "elephant").total == 1
        assert search(view, "mammoth").total == 0


def test_byte_identical_copies(make_library: Callable[..., Library], tmp_path: Path) -> None:
    folder = tmp_path / "zoo"
    paths = write_animals(folder)
    shutil.copy2(paths["aardvark"], folder / "aardvark copy.txt")
    library = make_library(folder)
    assert library.sync().added == 6

    with opened(library.data_dir) as view:
        hits = search(view, "aardvark").hits
        assert len(hits) == 2
        first, second = (view.get(hit.id) for hit in hits)
        assert first is not None
        assert second is not None
        assert first.id != second.id
        assert first.copies == (second.id,)
        assert second.copies == (first.id,)

    # A third copy appears later; then one goes away.
    shutil.copy2(paths["aardvark"], folder / "aardvark copy 2.txt")
    assert library.sync().added == 1
    with opened(library.data_dir) as view:
        ids = {hit.id for hit in search(view, "aardvark").hits}
        assert len(ids) == 3
        for article_id in ids:
            article = view.get(article_id)
            assert article is not None
            assert set(article.copies) == ids - {article_id}

    (folder / "aardvark copy.txt").unlink()
    (folder / "aardvark copy 2.txt").unlink()
    assert library.sync().removed == 2
    with opened(library.data_dir) as view:
        article = view.get(str(paths["aardvark"]))
        assert article is not None
        assert article.copies == ()


def test_problems_are_listed_retried_and_cleared(
    make_library: Callable[..., Library], tmp_path: Path
) -> None:
    folder = tmp_path / "zoo"
    write_animals(folder)
    binary = folder / "scan.txt"
    binary.write_bytes(BINARY)
    empty = folder / "empty.md"
    empty.write_bytes(b"")
    library = make_library(folder)

    report = library.sync()

    assert (report.added, report.problems) == (5, 2)
    problems = {Path(p.path).name: p for p in library.problems()}
    assert set(problems) == {"scan.txt", "empty.md"}
    assert "empty" in problems["empty.md"].reason.lower()
    assert problems["scan.txt"].reason
    assert all(isinstance(p.seen, datetime) for p in problems.values())

    # Retried at the next run, still failing.
    report = library.sync()
    assert (report.problems, report.unchanged, report.added) == (2, 5, 0)
    assert {Path(p.path).name for p in library.problems()} == {"scan.txt", "empty.md"}

    # Fixed: indexed, and no longer a problem.
    binary.write_text(animal_text("giraffe"), encoding="utf-8")
    report = library.sync()
    assert (report.added, report.problems) == (1, 1)
    assert [Path(p.path).name for p in library.problems()] == ["empty.md"]
    with opened(library.data_dir) as view:
        assert names(search(view, "giraffe")) == ["scan.txt"]

    # Deleted: no longer a problem either.
    empty.unlink()
    report = library.sync()
    assert report.problems == 0
    assert library.problems() == []


def test_article_that_becomes_unreadable(
    make_library: Callable[..., Library], tmp_path: Path
) -> None:
    folder = tmp_path / "zoo"
    paths = write_animals(folder)
    library = make_library(folder)
    library.sync()

    paths["dolphin"].write_bytes(b"")
    report = library.sync()

    assert report.problems == 1
    assert [Path(p.path).name for p in library.problems()] == ["dolphin.txt"]
    with opened(library.data_dir) as view:
        assert search(view, "dolphin").total == 0
        assert view.count() == 4


def test_truncated_article(
    make_library: Callable[..., Library], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index.indexer, "MAX_TEXT_BYTES", 600)
    folder = tmp_path / "long"
    folder.mkdir()
    words = " ".join(f"word{n}" for n in range(400))
    (folder / "long.txt").write_text(f"A long one\n\n{words} zucchini\n", encoding="utf-8")
    library = make_library(folder)
    library.sync()

    with opened(library.data_dir) as view:
        article = view.get(str(folder / "long.txt"))
        assert article is not None
        assert article.truncated is True
        assert "word0" in article.text
        assert search(view, "zucchini").total == 0
        assert article.to_json()["truncated"] is True


def test_remove_folder(make_library: Callable[..., Library], tmp_path: Path) -> None:
    zoo = tmp_path / "zoo"
    farm = tmp_path / "farm"
    write_animals(zoo)
    write_animals(farm, ["cow", "sheep"])
    library = make_library(zoo, farm)
    library.sync()

    assert library.remove_folder(farm) is True
    assert library.folders() == [str(zoo.resolve())]
    with opened(library.data_dir) as view:
        assert view.count() == 7  # still there until the next sync

    report = library.sync()

    assert report.removed == 2
    with opened(library.data_dir) as view:
        assert view.count() == 5
        assert search(view, "sheep").total == 0
        assert search(view, "aardvark").total == 1
    assert farm.is_dir()  # the files themselves are left alone


def test_library_sees_its_own_sync(make_library: Callable[..., Library], tmp_path: Path) -> None:
    """The same Library object searches, syncs, searches again (as the app does)."""
    folder = tmp_path / "zoo"
    paths = write_animals(folder)
    library = make_library(folder)
    library.sync()
    assert library.count() == 5
    assert search(library, "cheetah").total == 1

    paths["cheetah"].unlink()
    paths["buffalo"].write_text(animal_text("bison"), encoding="utf-8")
    report = library.sync()

    assert (report.removed, report.updated) == (1, 1)
    assert library.count() == 4
    assert search(library, "cheetah").total == 0
    assert search(library, "buffalo").total == 0
    assert search(library, "bison").total == 1


# --- interrupted runs -------------------------------------------------------------------


def test_cancelled_run_is_finished_by_the_next(
    make_library: Callable[..., Library], tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    animals = [f"animal{n:03d}" for n in range(60)]
    write_animals(folder, animals)
    library = make_library(folder)
    stop = False

    def on_progress(progress: SyncProgress) -> None:
        nonlocal stop
        stop = stop or progress.done >= 20

    report = library.sync(progress=on_progress, should_cancel=lambda: stop)

    assert report.cancelled is True
    assert 0 < report.added < 60
    with opened(library.data_dir) as view:
        assert view.is_indexed()
        partial = view.count()
        assert partial == report.added
        assert isinstance(search(view, "animal000"), SearchResult)

    report = library.sync()

    assert report.cancelled is False
    assert report.added == 60 - partial
    with opened(library.data_dir) as view:
        assert view.count() == 60 == file_count(folder)
        for path in folder.iterdir():
            assert view.get(str(path)) is not None
        assert len(ids_by_word(view, animals)) == 60


def test_cancel_while_scanning_removes_nothing(
    make_library: Callable[..., Library], tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    animals = [f"animal{n:03d}" for n in range(60)]
    for start in range(0, 60, 10):  # six folders: the walk asks after each
        write_animals(folder / f"part{start // 10}", animals[start : start + 10])
    library = make_library(folder)
    library.sync()
    with opened(library.data_dir) as view:
        before = ids_by_word(view, animals)
    calls = 0

    def cancel_soon() -> bool:  # the user presses Cancel during the folder scan
        nonlocal calls
        calls += 1
        return calls > 2

    report = library.sync(should_cancel=cancel_soon)

    assert report.cancelled
    assert calls == 3  # stopped in the walk, with four folders not looked at
    assert report.removed == 0
    with opened(library.data_dir) as view:
        assert view.count() == 60

    library.sync()
    with opened(library.data_dir) as view:
        assert view.count() == 60
        assert ids_by_word(view, animals) == before


CHILD_BATCH = 500
_SYNC_CHILD = """
import sys
sys.path.insert(0, {root!r})
from pathlib import Path
import index.indexer
from index import Library

index.indexer.BATCH_DOCS = {batch}  # small batches, so that bbc makes several commits
library = Library(Path({data!r}))
library.add_folder(Path({folder!r}))
library.sync(progress=lambda p: print(p.done, flush=True))
print("finished", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill_at",
    [CHILD_BATCH // 2, CHILD_BATCH + 100],
    ids=["before-the-first-commit", "after-the-first-commit"],
)
def test_killed_sync_leaves_a_usable_index(tmp_path: Path, corpora: Path, kill_at: int) -> None:
    folder = tmp_path / "bbc"
    shutil.copytree(corpora / "bbc", folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    assert len(files) > kill_at
    data = tmp_path / "data"
    code = _SYNC_CHILD.format(
        root=str(REPO_ROOT), data=str(data), folder=str(folder), batch=CHILD_BATCH
    )
    with (tmp_path / "child-stderr.txt").open("w", encoding="utf-8") as errors:
        child = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=errors, text=True
        )
        try:
            assert child.stdout is not None
            for line in child.stdout:
                if line.strip() == "finished":
                    pytest.fail("the indexing run ended before it could be killed")
                if int(line) >= kill_at:
                    child.send_signal(signal.SIGKILL)
                    break
        finally:
            child.kill()
            child.wait()
            if child.stdout is not None:
                child.stdout.close()
    stderr = (tmp_path / "child-stderr.txt").read_text(encoding="utf-8")
    assert child.returncode == -signal.SIGKILL, stderr

    # Each look is a fresh start of the app.
    with opened(data) as library:
        assert library.is_indexed()
    with opened(data) as library:
        assert 0 <= library.count() <= len(files)
    with opened(data) as library:
        assert isinstance(search(library, "Time Warner profit"), SearchResult)
    with opened(data) as library:
        report = library.sync(wait=False)  # the dead run's lock went with it
        assert report.cancelled is False
        assert report.problems == 0

    with opened(data) as library:
        assert library.count() == len(files)
        top = search(library, "Time Warner profit").hits[0]
        assert Path(top.path) == (folder / "business" / "001.txt").resolve()
        for path in files:
            assert library.get(str(path)) is not None, path
        assert library.sync().unchanged == len(files)


# --- a second writer --------------------------------------------------------------------

_LOCK_CHILD = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from index.lock import WriterLock

lock = WriterLock(Path({path!r}))
lock.acquire(wait=False)
print("locked", flush=True)
time.sleep(300)
"""


@contextmanager
def lock_held_elsewhere(data_dir: Path) -> Iterator[subprocess.Popen[str]]:
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _LOCK_CHILD.format(root=str(REPO_ROOT), path=str(data_dir / "writer.lock")),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        yield child
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def test_second_writer_gets_lock_busy(make_library: Callable[..., Library], tmp_path: Path) -> None:
    folder = tmp_path / "zoo"
    write_animals(folder)
    library = make_library(folder)

    with lock_held_elsewhere(library.data_dir) as child:
        with pytest.raises(LockBusyError) as busy:
            library.sync(wait=False)
        assert str(child.pid) in str(busy.value)
        assert library.count() == 0

    report = library.sync(wait=False)  # the other process is gone

    assert report.added == 5


def test_waiting_writer_goes_on_when_the_lock_is_freed(
    make_library: Callable[..., Library], tmp_path: Path
) -> None:
    folder = tmp_path / "zoo"
    write_animals(folder)
    library = make_library(folder)
    told: list[str] = []

    with lock_held_elsewhere(library.data_dir) as child:

        def on_wait(holder: str) -> None:
            told.append(holder)
            child.kill()  # the other run ends while we wait

        report = library.sync(wait=True, on_wait=on_wait)

    assert told == [str(child.pid)]
    assert report.added == 5
