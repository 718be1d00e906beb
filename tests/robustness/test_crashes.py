"""Crashes, damage and contention: killed runs, broken files, full and read-only disks.

Nothing here may cost an indexed article or a bookmark: after a SIGKILL the index
opens and the next run finishes the job; a damaged bookmarks file is set aside
and its backup restored; a damaged or outdated index is reported and rebuilt; a
disk that cannot be written gives a clear message and leaves what was there.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import random
import re
import resource
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.bookmarks import Bookmark, BookmarkStore
from desktop.paths import AppPaths
from index import Library, SearchRequest, SearchResult
from tests.desktop.conftest import WindowFactory
from tests.robustness.conftest import (
    PYTHON,
    REPO_ROOT,
    article_files,
    readingroom,
    readingroom_command,
    run_child,
    writable_copy,
)

WAIT_MS = 120_000
KILLS = 20
EVERYTHING = SearchRequest("", limit=5000, facets=False, snippets=0, collapse=False)

# An indexing run that commits every 200 articles, so that kills land in commits too.
KILLABLE_RUN = r"""
import sys
from pathlib import Path
import index.indexer
index.indexer.BATCH_DOCS = 200
from index import Library

library = Library(Path(sys.argv[1]))
library.add_folder(Path(sys.argv[2]))
print("started", flush=True)
report = library.sync(progress=lambda p: print(p.done, p.total, flush=True))
print("finished", report.added, report.updated, report.moved, report.removed, flush=True)
"""

BOOKMARK_WRITER = r"""
import sys
from pathlib import Path
from desktop.bookmarks import Bookmark, BookmarkStore

store = BookmarkStore(Path(sys.argv[1]))
who = sys.argv[2]
for number in range(int(sys.argv[3])):
    store.put(Bookmark(id=f"{who}-{number:03d}", title=f"{who} {number}", path=f"/{who}/{number}"))
"""


def assert_one_paragraph(stderr: str) -> None:
    """A message for people: one paragraph, no traceback."""
    text = stderr.strip()
    assert text, "nothing was said"
    assert "Traceback" not in text, text
    assert "\n\n" not in text and len(text.splitlines()) <= 3, text
    assert len(text) < 600, text


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under a folder with a hash of its bytes (lock files only say who holds them)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith(".lock")
    }


def assert_one_entry_per_file(library: Library, folder: Path) -> None:
    files = {str(path) for path in article_files(folder)}
    result = library.search(EVERYTHING)
    ids = [hit.id for hit in result.hits]
    paths = [hit.path for hit in result.hits]
    assert library.count() == len(files), f"{library.count()} entries for {len(files)} files"
    assert result.total == len(files)
    assert len(set(ids)) == len(ids), "an id is listed twice"
    assert sorted(paths) == sorted(files), set(paths) ^ files


def bookmark_some(basedir: Path, query: str, count: int) -> list[Bookmark]:
    paths = AppPaths.resolve(basedir)
    library = Library(paths.library)
    store = BookmarkStore(paths.bookmarks)
    try:
        for hit in library.search(SearchRequest(query, limit=count)).hits:
            article = library.get(hit.id)
            assert article is not None
            store.put(Bookmark.from_article(article, ("kept",), "made before the damage"))
    finally:
        library.close()
    bookmarks = store.all()
    assert len(bookmarks) == count
    return bookmarks


# --- SIGKILL at random moments ---------------------------------------------------------------

_PROGRESS = re.compile(r"started|finished.*|\d+ \d+")


def _where(output: str) -> str:
    # Whole lines of the run's own progress only: a writer process left from the run killed
    # before may still print into the same file as it closes.
    lines = [line for line in output.split("\n")[:-1] if _PROGRESS.fullmatch(line)]
    if not lines:
        return "starting Python"
    last = lines[-1]
    if last == "started":
        return "scanning the folders"
    if last.startswith("finished"):
        return "finished"
    done, total = (int(n) for n in last.split()[:2])
    if done and done % 200 == 0:
        return f"committing after {done}/{total}"
    return f"reading {done}/{total}"


def _make_work(folder: Path, rng: random.Random) -> str:
    """Give the next run something to do: touch articles, or move a folder."""
    if rng.random() < 0.5:
        touched = rng.sample(article_files(folder), 600)
        for path in touched:
            os.utime(path, ns=(time.time_ns(), time.time_ns()))
        return f"touched {len(touched)} files"
    source = rng.choice([p for p in folder.iterdir() if p.is_dir()])
    target = source.with_name(source.name + "_moved")
    source.rename(target)
    return f"moved {source.name}"


@pytest.mark.slow
def test_sigkill_at_random_moments_costs_nothing(tmp_path: Path, corpora: Path) -> None:
    folder = writable_copy(corpora / "bbc", tmp_path / "bbc")
    data = tmp_path / "library"
    rng = random.Random(20251123)
    kills: list[str] = []
    for _attempt in range(200):
        if len(kills) >= KILLS:
            break
        delay = rng.uniform(0.3, 3.5)
        with (tmp_path / "out.txt").open("w+", encoding="utf-8") as out:
            child = subprocess.Popen(
                [PYTHON, "-c", KILLABLE_RUN, str(data), str(folder)],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,
            )
            try:
                child.wait(delay)
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
                child.wait()
                out.seek(0)
                kills.append(f"{delay:.2f} s: {_where(out.read())}")
            else:
                out.seek(0)
                output = out.read()
                assert child.returncode == 0, output
                print(f"run ended by itself ({output.splitlines()[-1]}); {_make_work(folder, rng)}")
                continue
        library = Library(data)
        try:
            result = library.search(SearchRequest("government"))
            assert not result.index_damaged, f"after kill {len(kills)}: {result.message}"
            assert result.message is None, f"after kill {len(kills)}: {result.message}"
            assert library.count() >= 0
        finally:
            library.close()
    print(f"\n{len(kills)} kills; they landed while:")
    for number, landed in enumerate(kills, start=1):
        print(f"  {number:2d}. {landed}")
    assert len(kills) >= KILLS

    library = Library(data)
    fresh = Library(tmp_path / "fresh")
    try:
        report = library.sync()
        assert not report.cancelled
        assert_one_entry_per_file(library, folder)
        # The stories survived the kills too: the same as a build that was never interrupted.
        fresh.add_folder(folder)
        fresh.sync()
        assert story_paths(library) == story_paths(fresh)
        assert story_paths(library)  # the corpus has copies: the check is not empty
    finally:
        library.close()
        fresh.close()


def story_paths(library: Library) -> list[list[str]]:
    return sorted(sorted(v.path for v in story.versions) for story in library.stories())


# --- bookmarks ---------------------------------------------------------------------------------

DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "garbage": lambda good: b'{"version": 1, "bookmarks": [{"id": oops',
    "truncated": lambda good: good[: len(good) // 2],
    "empty": lambda good: b"",
    "binary": lambda good: random.Random(5).randbytes(2048),
    "wrong-shape": lambda good: b"[1, 2, 3]",
}


@pytest.fixture
def message_boxes(qtbot: QtBot) -> Iterator[list[str]]:
    """Close every message box as soon as it shows, and collect what they said."""
    said: list[str] = []

    def close_boxes() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                said.append(widget.text())
                widget.done(0)

    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(close_boxes)
    timer.start()
    yield said
    timer.stop()


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_bookmarks_file_is_set_aside_and_the_backup_restored(
    qtbot: QtBot,
    window_factory: WindowFactory,
    message_boxes: list[str],
    bbc_base: Path,
    damage: str,
) -> None:
    bookmarks = bookmark_some(bbc_base, "government", 3)
    path = AppPaths.resolve(bbc_base).bookmarks
    backup = path.with_name(path.name + ".bak")
    good_before_last = json.loads(backup.read_text(encoding="utf-8"))
    damaged = DAMAGE[damage](path.read_bytes())
    path.write_bytes(damaged)

    window = window_factory.open(bbc_base)
    qtbot.waitUntil(lambda: bool(message_boxes), timeout=WAIT_MS)
    assert "damaged" in message_boxes[0].lower()
    aside = list(path.parent.glob("bookmarks.json.damaged-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged
    restored = {b.id for b in window.bookmarks.all()}
    assert restored == {item["id"] for item in good_before_last["bookmarks"]}
    assert restored < {b.id for b in bookmarks}
    assert json.loads(path.read_text(encoding="utf-8"))["bookmarks"]
    assert window.bookmarks_panel.model.rowCount() == len(restored)


def test_two_processes_adding_bookmarks_lose_none(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bookmarks.json"
    writers = [
        subprocess.Popen([PYTHON, "-c", BOOKMARK_WRITER, str(path), who, "50"], cwd=REPO_ROOT)
        for who in ("first", "second")
    ]
    assert [writer.wait(300) for writer in writers] == [0, 0]
    stored = BookmarkStore(path).all()
    assert len(stored) == 100
    expected = {f"{who}-{n:03d}" for who in ("first", "second") for n in range(50)}
    assert {b.id for b in stored} == expected
    assert not list(path.parent.glob(".bookmarks.json.*")), "temporary files were left"
    assert not list(path.parent.glob("bookmarks.json.damaged-*"))


@pytest.mark.slow
def test_command_lines_adding_bookmarks_at_once_lose_none(bbc_base: Path) -> None:
    library = Library(AppPaths.resolve(bbc_base).library)
    try:
        ids = [hit.id for hit in library.search(SearchRequest("music", limit=8)).hits]
    finally:
        library.close()
    assert len(ids) == 8
    adders = [
        subprocess.Popen(
            readingroom_command(bbc_base, "bookmarks", "add", article_id, "--tag", "parallel"),
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for article_id in ids
    ]
    for adder in adders:
        _, stderr = adder.communicate(timeout=300)
        assert adder.returncode == 0, stderr
    stored = BookmarkStore(AppPaths.resolve(bbc_base).bookmarks).all()
    assert sorted(b.id for b in stored) == sorted(ids)


# --- a damaged or outdated index -------------------------------------------------------------


def _damage_index(index_dir: Path, how: str) -> None:
    """Damage the table of contents, or the biggest file of a segment (compound or not)."""
    toc = next(index_dir.glob("_MAIN_*.toc"))
    files = [p for p in index_dir.iterdir() if p.is_file() and p.name.startswith("MAIN_")]
    segment = max(files, key=lambda p: p.stat().st_size)
    if how == "truncated-segment":
        os.truncate(segment, segment.stat().st_size // 2)
    elif how == "deleted-segment":
        segment.unlink()
    elif how == "deleted-toc":
        toc.unlink()
    elif how == "truncated-toc":
        os.truncate(toc, 100)
    elif how == "garbage-toc":
        toc.write_bytes(random.Random(7).randbytes(toc.stat().st_size))
    else:
        raise AssertionError(how)


INDEX_DAMAGE = [
    "truncated-segment",
    "deleted-segment",
    "deleted-toc",
    "truncated-toc",
    "garbage-toc",
]
# Whoosh leaves the files of an index it failed to open to the garbage collector; each test
# collects them itself, so that the warnings cannot land in another test.
TOLERATE_LEAKED_FILES = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.mark.parametrize("how", INDEX_DAMAGE)
@TOLERATE_LEAKED_FILES[0]
@TOLERATE_LEAKED_FILES[1]
def test_a_damaged_index_is_reported_and_rebuilt(
    collect_leaked_files: None, bbc_base: Path, how: str
) -> None:
    paths = AppPaths.resolve(bbc_base)
    bookmarks = bookmark_some(bbc_base, "election", 4)
    reference = Library(paths.library)
    try:
        expected = reference.search(SearchRequest("government")).total
    finally:
        reference.close()
    _damage_index(paths.library / "index", how)

    # The window's library: it stays open while another process rebuilds the index.
    library = Library(paths.library)
    try:
        damaged = library.search(SearchRequest("government"))
        assert damaged.index_damaged, f"{how}: {damaged.message!r}"
        assert damaged.message and "rebuild" in damaged.message.lower()

        rebuilt = readingroom(bbc_base, "index", "--progress-json")
        assert rebuilt.returncode == 0, rebuilt.describe()
        finished = json.loads(rebuilt.stdout.strip().splitlines()[-1])
        assert finished["event"] == "finished" and finished["rebuilt"], rebuilt.describe()
        print(f"\n{how}: rebuilt because {finished['rebuilt']}")

        again = library.search(SearchRequest("government"))
        assert not again.index_damaged and again.total == expected
        for bookmark in bookmarks:
            article = library.get(bookmark.id)
            assert article is not None, f"bookmark {bookmark.id} lost its article"
            assert article.path == bookmark.path and article.sha256 == bookmark.sha256
    finally:
        library.close()


@pytest.fixture
def collect_leaked_files() -> Iterator[None]:
    """Collect what Whoosh left open after everything else of the test is torn down."""
    yield
    gc.collect()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["truncated-segment", "garbage-toc"])
@TOLERATE_LEAKED_FILES[0]
@TOLERATE_LEAKED_FILES[1]
def test_the_window_rebuilds_a_damaged_index_by_itself(
    collect_leaked_files: None,
    qtbot: QtBot,
    window_factory: WindowFactory,
    bbc_base: Path,
    how: str,
) -> None:
    _damage_index(AppPaths.resolve(bbc_base).library / "index", how)
    window = window_factory.open(bbc_base)
    failures: list[str] = []
    runs: list[int] = []
    window.indexing.failed.connect(failures.append)
    window.indexing.started.connect(lambda: runs.append(len(runs) + 1))
    try:
        window.search_bar.set_text("government")
        with qtbot.waitSignal(window.search.results, timeout=WAIT_MS) as arrived:
            window.search.search_now()
        told = arrived.args[0]
        assert isinstance(told, SearchResult)
        assert told.index_damaged, f"the window was told {told.message!r}: it rebuilds nothing"
        qtbot.waitUntil(lambda: bool(runs), timeout=WAIT_MS)
        qtbot.waitUntil(
            lambda: (
                (not window.indexing.is_running() and window.results_model.rowCount() > 0)
                or bool(failures)
            ),
            timeout=WAIT_MS,
        )
        if failures:
            qtbot.wait(3000)  # room for the window to try again (once would do)
            assert len(runs) <= 2, (
                f"the window started {len(runs)} indexing runs after the rebuild failed "
                f"({failures[0]}) and goes on starting more"
            )
        assert not failures, failures
        assert "rebuilt" in window.status_label.text()
    finally:
        window.search_bar.set_text("")  # no damaged result left to start another rebuild
        window.search.search_now()
        window.indexing.cancel()
        window.indexing.wait(30_000)
        qtbot.wait(200)


def test_an_index_of_another_version_is_rebuilt_with_a_notice(bbc_base: Path) -> None:
    paths = AppPaths.resolve(bbc_base)
    bookmarks = bookmark_some(bbc_base, "film", 2)
    with sqlite3.connect(paths.library / "catalog.sqlite3") as catalog:
        catalog.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    catalog.close()
    finished = readingroom(bbc_base, "index")
    assert finished.returncode == 0, finished.describe()
    assert "The index was rebuilt" in finished.stdout, finished.describe()
    assert "another version" in finished.stdout, finished.describe()
    library = Library(paths.library)
    try:
        assert library.count() == 2226
        for bookmark in bookmarks:
            assert library.get(bookmark.id) is not None
    finally:
        library.close()


# --- disks that cannot be written ------------------------------------------------------------


@pytest.fixture
def read_only_base(bbc_base: Path) -> Iterator[tuple[Path, list[Bookmark]]]:
    bookmarks = bookmark_some(bbc_base, "tax", 2)
    yield bbc_base, bookmarks
    for directory, _subdirs, files in os.walk(bbc_base):
        Path(directory).chmod(0o755)
        for name in files:
            (Path(directory) / name).chmod(0o644)


def _read_only(folder: Path, recursive: bool) -> None:
    if recursive:
        for directory, _subdirs, files in os.walk(folder):
            for name in files:
                (Path(directory) / name).chmod(0o444)
            Path(directory).chmod(0o555)
    folder.chmod(0o555)


@pytest.mark.parametrize("scope", ["whole data folder", "data folder only"])
def test_a_read_only_data_folder_is_said_clearly_and_left_as_it_was(
    tmp_path: Path, read_only_base: tuple[Path, list[Bookmark]], scope: str
) -> None:
    basedir, _bookmarks = read_only_base
    paths = AppPaths.resolve(basedir)
    new_folder = tmp_path / "new articles"
    new_folder.mkdir()
    (new_folder / "fresh.txt").write_text("Fresh article\n\nWords about kestrels.\n")
    library = Library(paths.library)
    try:
        unbookmarked = library.search(SearchRequest("music", limit=1)).hits[0].id
    finally:
        library.close()
    _read_only(paths.data, recursive=scope == "whole data folder")
    before = snapshot(paths.data)

    commands: list[tuple[str, ...]] = [("bookmarks", "add", unbookmarked, "--tag", "new")]
    if scope == "whole data folder":
        commands = [("index", str(new_folder)), ("index",), *commands]
    for arguments in commands:
        finished = readingroom(basedir, *arguments, without_root_powers=True)
        assert finished.returncode == 4, finished.describe()
        assert_one_paragraph(finished.stderr)
        assert snapshot(paths.data) == before, f"{arguments} changed the data folder"


def _limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


# Commits every 50 articles, so the disk can fill after some of the run's batches are in.
BATCHED_CLI = (
    "import sys, index.indexer; index.indexer.BATCH_DOCS = 50; "
    "from desktop.cli import main; raise SystemExit(main(sys.argv[1:]))"
)


def _halfway_limit(library: Path, indexed: int, adding: int) -> int:
    """A file size limit the catalog crosses about halfway through adding `adding` articles.

    Derived from the catalog the first run wrote, so it holds whatever the files' formats
    weigh (a fixed 2 MiB stopped being crossed at all when the stories got smaller).
    """
    catalog = (library / "catalog.sqlite3").stat().st_size
    return catalog + catalog * adding // indexed // 2


@pytest.mark.slow
@pytest.mark.parametrize(
    ("limit", "batched"),
    [(64 * 1024, False), (2 * 1024 * 1024, False), (None, True)],
    ids=["64KiB", "2MiB", "halfway-batches-of-50"],
)
def test_a_full_disk_is_said_clearly_and_the_index_survives(
    tmp_path: Path, corpora: Path, limit: int | None, batched: bool
) -> None:
    folder = writable_copy(corpora / "bbc", tmp_path / "bbc")
    later = tmp_path / "later"
    later.mkdir()
    for name in ("sport", "tech"):
        (folder / name).rename(later / name)
    basedir = tmp_path / "base"
    first = readingroom(basedir, "index", str(folder))
    assert first.returncode == 0, first.describe()
    indexed_before = len(article_files(folder))
    for name in ("sport", "tech"):
        (later / name).rename(folder / name)

    if limit is None:
        adding = len(article_files(folder)) - indexed_before
        limit = _halfway_limit(AppPaths.resolve(basedir).library, indexed_before, adding)
    command = readingroom_command(basedir, "index")
    if batched:
        command = [PYTHON, "-c", BATCHED_CLI, *command[3:]]
    full = run_child(command, preexec_fn=_limit_file_size(limit))
    assert full.returncode == 4, full.describe()
    assert_one_paragraph(full.stderr)
    print(f"\nfile size limit {limit:,} bytes: {full.stderr.strip()}")

    library = Library(AppPaths.resolve(basedir).library)
    try:
        result = library.search(SearchRequest("government"))
        assert not result.index_damaged and result.message is None, result.message
        assert indexed_before <= library.count() <= len(article_files(folder))
        if batched:  # the batches committed before the disk filled are kept
            assert library.count() > indexed_before
    finally:
        library.close()

    again = readingroom(basedir, "index")
    assert again.returncode == 0, again.describe()
    library = Library(AppPaths.resolve(basedir).library)
    try:
        assert_one_entry_per_file(library, folder)
    finally:
        library.close()
