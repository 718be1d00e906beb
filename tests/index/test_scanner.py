"""The walk of a re-sync: what it finds, alone or shared with its helper process."""

import errno
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

import index.indexer
from index import Library, SearchRequest
from index.catalog import Catalog
from index.scanner import CHUNK_CHARS, CHUNK_FILES, Indexed, Scan, ScanHelper, _chunks, scan

BBC_FILES = 2225 + 1  # the articles and the corpus's README.TXT
ARCHIVE_FILES = BBC_FILES + 60 + 1  # and the long names, and the note deep in sport/


def _summary(found: Scan) -> tuple[object, ...]:
    return (
        sorted(found.keys),
        sorted(found.to_read),
        found.unchanged,
        found.still_unreadable,
        sorted((p.key, p.reason, p.is_folder) for p in found.problems),
    )


@pytest.fixture(scope="module")
def archive(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The BBC corpus (2,225 articles, 510 in one folder) and the odd things archives hold."""
    root = tmp_path_factory.mktemp("walk") / "archive"
    shutil.copytree(corpora / "bbc", root / "bbc")
    long_names = root / "long names"
    long_names.mkdir()
    for n in range(60):  # more characters than one chunk holds
        (long_names / f"{n:02d} {'a report from the harbour ' * 8}.txt").write_text(f"report {n}")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "secret.txt").write_text("not indexed")
    (root / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (root / "gone.txt").symlink_to(root / "nowhere.txt")
    os.mkfifo(root / "pipe.txt")
    (root / "bbc" / "sport" / "deeper" / "still").mkdir(parents=True)
    (root / "bbc" / "sport" / "deeper" / "still" / "note.md").write_text("# A note\n\nFound.")
    return root


@pytest.fixture
def indexed_archive(archive: Path, tmp_path: Path) -> Iterator[tuple[Library, Path]]:
    """A library of a copy of `archive`, indexed, then changed as a week of saving does."""
    folder = tmp_path / "archive"
    shutil.copytree(archive, folder, symlinks=True, ignore=shutil.ignore_patterns("pipe.txt"))
    os.mkfifo(folder / "pipe.txt")
    library = Library(tmp_path / "data")
    library.add_folder(folder)
    library.sync()
    business = sorted((folder / "bbc" / "business").iterdir())
    for path in business[:3]:
        path.write_text(path.read_text(encoding="latin-1") + "\nUpdated with harbourmaster news.")
    for path in business[3:5]:
        path.unlink()
    (folder / "bbc" / "tech" / "new.txt").write_text("Harbourmaster robots arrive")
    yield library, folder
    library.close()


def _both_ways(library: Library, folder: Path, helper: ScanHelper) -> tuple[Scan, Scan]:
    """The walk alone, and shared with `helper` (which is closed after)."""
    alone = _walk(library, folder, None)
    with helper:
        return alone, _walk(library, folder, helper)


def _walk(library: Library, folder: Path, helper: ScanHelper | None) -> Scan:
    catalog = Catalog(library.data_dir / "catalog.sqlite3")
    try:
        return scan([folder], Indexed.load(catalog), helper=helper)
    finally:
        catalog.close()


def test_the_walk_finds_articles_and_says_what_it_cannot_read(archive: Path) -> None:
    found = scan([archive], Indexed())
    names = {Path(key).name for key in found.keys}
    assert len(found.keys) == ARCHIVE_FILES
    assert "secret.txt" not in names  # hidden
    assert "photo.jpg" not in names  # not an article
    reasons = {Path(p.key).name: p.reason for p in found.problems}
    assert reasons == {
        "gone.txt": "A symbolic link whose target is missing",
        "pipe.txt": "Not a regular file (a pipe, socket or device)",
    }
    assert len(found.to_read) == len(found.keys)  # nothing was indexed: everything is read


def test_the_helper_finds_what_the_walk_alone_finds(
    indexed_archive: tuple[Library, Path],
) -> None:
    library, folder = indexed_archive
    helper = ScanHelper(library.data_dir / "catalog.sqlite3")
    alone, shared = _both_ways(library, folder, helper)

    assert helper.failure is None
    assert helper.sent >= 2  # the helper looked at part of the walk
    assert _summary(shared) == _summary(alone)
    to_read = sorted(Path(s.key).name for s in alone.to_read)
    assert len(to_read) == 4  # three changed, one new
    assert "new.txt" in to_read
    assert alone.unchanged == ARCHIVE_FILES - 3 - 2


def test_a_helper_that_dies_leaves_its_chunks_to_the_walk(
    indexed_archive: tuple[Library, Path],
) -> None:
    library, folder = indexed_archive
    helper = ScanHelper(library.data_dir / "catalog.sqlite3")
    os.kill(helper._process.pid, signal.SIGKILL)
    helper._process.join()
    alone, shared = _both_ways(library, folder, helper)

    assert helper.failure is not None
    assert "stopped" in helper.failure
    assert _summary(shared) == _summary(alone)


def test_a_helper_that_fails_says_why_and_the_walk_goes_on(
    indexed_archive: tuple[Library, Path], tmp_path: Path
) -> None:
    library, folder = indexed_archive
    helper = ScanHelper(tmp_path)  # a folder, not a catalog: the helper cannot load it
    alone, shared = _both_ways(library, folder, helper)

    assert helper.failure is not None
    assert "Traceback" in helper.failure  # the helper's own account
    assert _summary(shared) == _summary(alone)


def test_chunks_stay_small_enough_for_the_pipe(corpora: Path) -> None:
    business = sorted(path.name for path in (corpora / "bbc" / "business").iterdir())
    long_names = [f"{n:03d} {'a report from the harbour ' * 9}.txt" for n in range(300)]
    for names in (business, long_names):
        chunks = list(_chunks(names))
        assert [name for chunk in chunks for name in chunk] == names
        assert max(len(chunk) for chunk in chunks) <= CHUNK_FILES
        assert max(sum(map(len, chunk)) for chunk in chunks) <= CHUNK_CHARS
    assert len(business) > CHUNK_FILES
    assert len(list(_chunks(business))) == 2


def test_a_large_library_re_syncs_with_a_helper(
    indexed_archive: tuple[Library, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    library, folder = indexed_archive
    started: list[ScanHelper] = []

    class Counted(ScanHelper):
        def __init__(self, catalog_path: Path) -> None:
            super().__init__(catalog_path)
            started.append(self)

    monkeypatch.setattr(index.indexer, "HELPER_MIN_FILES", 1000)
    monkeypatch.setattr(index.indexer, "ScanHelper", Counted)

    report = library.sync()

    assert len(started) == 1
    assert started[0].sent > 0
    assert started[0].failure is None
    assert (report.updated, report.added, report.removed) == (3, 1, 2)
    assert report.unchanged == ARCHIVE_FILES - 3 - 2
    found = library.search(SearchRequest("harbourmaster", collapse=False))
    assert found.total == 4
    assert library.sync().unchanged == ARCHIVE_FILES - 2 + 1


def test_a_folder_inside_another_counts_its_files_once(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "archive"
    shutil.copytree(archive / "bbc", folder)
    library = Library(tmp_path / "data")
    try:
        library.add_folder(folder / "sport")  # the inner one first
        library.add_folder(folder)
        first = library.sync()
        assert first.added == BBC_FILES + 1
        monkeypatch.setattr(index.indexer, "HELPER_MIN_FILES", 1000)
        again = library.sync()
        assert again.unchanged == BBC_FILES + 1
        assert (again.added, again.updated, again.removed) == (0, 0, 0)
    finally:
        library.close()


def test_a_helper_that_cannot_start_leaves_the_walk_to_the_sync(
    indexed_archive: tuple[Library, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    library, _folder = indexed_archive

    class NoProcesses(ScanHelper):
        def __init__(self, catalog_path: Path) -> None:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(index.indexer, "HELPER_MIN_FILES", 1000)
    monkeypatch.setattr(index.indexer, "ScanHelper", NoProcesses)

    report = library.sync()

    assert (report.updated, report.added, report.removed) == (3, 1, 2)
    assert report.unchanged == ARCHIVE_FILES - 3 - 2
