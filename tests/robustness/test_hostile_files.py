"""A hostile library: files that are not what they claim, cannot be read, or change under the run.

One library is built per module and indexed twice in child processes that run
without root's power to ignore file modes: first through the engine, with files
vanishing, growing and being replaced from the progress callback; then through
the real command line. Every readable article must be found, every other file
listed with a reason a user understands, and the window must show it all.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from desktop.paths import AppPaths
from desktop.problems_dialog import ProblemsDialog, display_path
from desktop.reader import MAX_READER_CHARS
from index import Library, SearchRequest
from index.extract import MAX_TEXT_BYTES
from tests.desktop.conftest import WindowFactory
from tests.robustness.conftest import (
    PYTHON,
    Finished,
    assert_user_reason,
    readingroom,
    run_child,
    search_in_window,
    unprivileged,
)

WAIT_MS = 60_000
MAX_CHILD_RSS_MB = 800
HUGE_BYTES = 200 * 1024 * 1024
HUGE_START_WORD = "hugestartword"
HUGE_END_WORD = "hugeendword"
GROWN_WORD = "growntailword"
REPLACED_OLD_WORD = "replacedoldword"
DEEP_LEVELS = 120
TOKEN = "hostiletoken"

# Run 1: the engine in a child process; the progress callback changes files under the run.
# Files are read in sorted order, so a trigger sorts just before its victim.
ENGINE_RUN = r"""
import json, os, sys
from pathlib import Path
from index import Library

library_dir, folder, plan_file = sys.argv[1:4]
plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
library = Library(Path(library_dir))
library.add_folder(Path(folder))
mutated = []

def progress(state):
    for step in plan:
        if state.current != step["trigger"] or step["action"] in mutated:
            continue
        mutated.append(step["action"])
        victim = step["victim"]
        if step["action"] == "disappear":
            os.unlink(victim)
        elif step["action"] == "grow":
            with open(victim, "a", encoding="utf-8") as handle:
                handle.write(step["text"])
        else:
            spare = os.path.join(os.path.dirname(victim), ".replacement")
            with open(spare, "w", encoding="utf-8") as handle:
                handle.write(step["text"])
            os.replace(spare, victim)

report = library.sync(progress=progress)
library.close()
print(json.dumps({"problems": report.problems, "added": report.added, "mutated": mutated}))
"""


def article(number: int, title: str, extra: str = "") -> str:
    """A short plain-text article carrying its unique token."""
    return (
        f"{title}\n\nThis article carries the word {TOKEN}{number:02d} so that a search finds "
        f"it. {extra}\nA second paragraph keeps it long enough to read like an article.\n"
    )


@dataclass
class HostileLibrary:
    """The library on disk and what each of its files should become."""

    root: Path
    basedir: Path
    # token -> the path of the one article that carries it
    readable: dict[str, str] = field(default_factory=dict)
    # path -> words, one of which the reason should contain
    unreadable: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # paths that may be listed as problems or be found (the path is longer than the system allows)
    either: dict[str, str] = field(default_factory=dict)
    locked: list[Path] = field(default_factory=list)
    huge: str = ""
    plan: list[dict[str, str]] = field(default_factory=list)

    def add(self, relative: str | bytes, data: bytes) -> str:
        raw = os.fsencode(self.root) + b"/" + os.fsencode(relative)
        descriptor = os.open(raw, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return os.fsdecode(raw)

    def readable_file(self, number: int, relative: str | bytes, data: bytes) -> str:
        path = self.add(relative, data)
        self.readable[f"{TOKEN}{number:02d}"] = path
        return path

    def unreadable_file(self, relative: str | bytes, data: bytes, *why: str) -> str:
        path = self.add(relative, data)
        self.unreadable[path] = why
        return path


def build_library(root: Path, basedir: Path) -> HostileLibrary:
    root.mkdir()
    lib = HostileLibrary(root.resolve(), basedir)
    root = lib.root
    rng = random.Random(20251123)

    # Ordinary articles, so that the hostile ones have company.
    lib.readable_file(1, "plain.txt", article(1, "A plain article").encode())
    lib.readable_file(
        2,
        "front_matter.md",
        f"---\ntitle: Markdown with front matter\nauthor: Ada Lovelace\n---\n\n"
        f"{article(2, 'Body')}".encode(),
    )
    lib.readable_file(
        3,
        "page.html",
        f"<html><head><title>A saved page</title></head><body><article><p>"
        f"{article(3, 'A saved page')}</p></article></body></html>".encode(),
    )

    # Not text, or nothing at all.
    lib.unreadable_file("random_binary.txt", rng.randbytes(64 * 1024), "not text", "binary")
    lib.unreadable_file("random_binary.html", rng.randbytes(64 * 1024), "not text", "binary")
    lib.unreadable_file("zero_filled.html", bytes(32 * 1024), "not text", "binary", "no text")
    lib.unreadable_file("empty.txt", b"", "empty")
    lib.unreadable_file("empty.md", b"", "empty")
    lib.unreadable_file("empty.html", b"", "empty")
    lib.unreadable_file(b"empty with a bad name \xe9\xff.txt", b"", "empty")

    # Text that is damaged or in an unexpected encoding.
    lib.readable_file(4, "nul_bytes.txt", article(4, "Text with NUL bytes").encode() + b"\0 \0\0")
    broken = article(5, "Invalid UTF-8", "caf\u00e9 cr\u00e8me").encode()
    lib.readable_file(5, "invalid_utf8.txt", broken + b"\xff\xfe\xc3\x28 \xe2\x82 \x80\x81\n")
    lib.readable_file(
        6, "utf16le_latin.txt", article(6, "UTF-16 without a BOM").encode("utf-16-le")
    )
    cyrillic = article(7, "Статья без метки порядка байтов", "Простой русский текст статьи.")
    lib.readable_file(7, "utf16le_cyrillic.txt", cyrillic.encode("utf-16-le"))
    lib.readable_file(8, "utf16be_cyrillic.txt", cyrillic.replace("07", "08").encode("utf-16-be"))

    # Hostile HTML.
    lib.readable_file(
        9,
        "truncated.html",
        f"<!doctype html><html><head><title>Cut short</title></head><body><article><p>"
        f"{article(9, 'Cut short')}</p><p>The download stopped in the mid".encode(),
    )
    depth = 10_000
    lib.readable_file(
        10,
        "nested_10000_deep.html",
        (
            "<html><head><title>Deep</title></head><body>"
            + "<div>" * depth
            + f"<p>{article(10, 'Nested ten thousand deep')}</p>"
            + "</div>" * depth
            + "</body></html>"
        ).encode(),
    )
    lib.readable_file(
        11,
        "declares_utf8_is_cp1252.html",
        (
            '<html><head><meta charset="utf-8"><title>Declared UTF-8</title></head><body>'
            f"<article><p>{article(11, 'Declared UTF-8', 'The café served crème brûlée.')}"
            "</p></article></body></html>"
        ).encode("cp1252"),
    )
    lib.readable_file(
        12,
        "declares_latin1_is_utf8.html",
        (
            '<html><head><meta http-equiv="Content-Type" content="text/html; '
            'charset=iso-8859-1"><title>Declared Latin-1</title></head><body><article><p>'
            f"{article(12, 'Declared Latin-1', 'Her résumé mentions Zürich.')}"
            "</p></article></body></html>"
        ).encode(),
    )

    # Links: two that point at each other, one to nowhere, one folder link to its parent.
    os.symlink("loop_b.txt", root / "loop_a.txt")
    os.symlink("loop_a.txt", root / "loop_b.txt")
    os.symlink("nowhere.txt", root / "dangling.txt")
    for name in ("loop_a.txt", "loop_b.txt", "dangling.txt"):
        lib.unreadable[str(root / name)] = ("link",)
    (root / "sub").mkdir()
    lib.readable_file(13, "sub/inside.txt", article(13, "Next to a link to its parent").encode())
    os.symlink("..", root / "sub" / "up")

    # Permissions (the indexing children run without root's powers).
    locked_folder = root / "locked_folder"
    locked_folder.mkdir()
    (locked_folder / "hidden_inside.txt").write_text(article(90, "Behind a locked door"))
    lib.unreadable[str(locked_folder)] = ("permission",)
    lib.unreadable_file("locked_file.txt", article(91, "Locked").encode(), "permission")
    lib.locked = [locked_folder, root / "locked_file.txt"]

    # Not a file at all.
    os.mkfifo(root / "fifo.txt")
    lib.unreadable[str(root / "fifo.txt")] = ("not a regular file", "pipe")

    # Names.
    lib.readable_file(14, "name with  spaces .txt", article(14, "Spaces").encode())
    lib.readable_file(15, "name with\na newline.txt", article(15, "Newline").encode())
    lib.readable_file(16, "emoji 📰🦉 name.txt", article(16, "Emoji").encode())
    lib.readable_file(17, b"not utf8 caf\xe9 \xff\xfe name.txt", article(17, "Bytes").encode())

    # Deeper than 100 levels, and a path longer than the system allows.
    deep = root / "deep"
    for level in range(DEEP_LEVELS):
        deep = deep / f"level{level:03d}"
    deep.mkdir(parents=True)
    lib.readable_file(18, str(deep.relative_to(root) / "bottom.txt"), article(18, "Deep").encode())
    lib.either[f"{TOKEN}19"] = _beyond_path_max(root, article(19, "Beyond PATH_MAX").encode())

    # 200 MB of text: indexed up to the limit, with a word near each end.
    lib.huge = lib.readable_file(20, "huge.txt", b"")
    paragraph = (
        b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
        b"incididunt ut labore et dolore magna aliqua.\n"
    )
    chunk = paragraph * (4 * 1024 * 1024 // len(paragraph))
    with Path(lib.huge).open("wb") as handle:
        opening = article(20, "A huge file", f"It opens with {HUGE_START_WORD}.").encode()
        handle.write(opening)
        written = len(opening)
        while written < HUGE_BYTES - 1024:
            handle.write(chunk)
            written += len(chunk)
        handle.write(f"\nIt closes with {HUGE_END_WORD}.\n".encode())

    # Files that change under the run: each trigger sorts just before its victim.
    changes = [
        ("disappear", 21, "", ""),
        ("grow", 22, f"\nA line appended during the run: {GROWN_WORD}.\n", ""),
        (
            "replace",
            23,
            article(23, "The replacement", "It took the old file's place."),
            REPLACED_OLD_WORD,
        ),
    ]
    for position, (action, number, text, old_word) in enumerate(changes, start=1):
        trigger = lib.readable_file(
            40 + number,
            f"m{position}_{action}_a_trigger.txt",
            article(40 + number, "Trigger").encode(),
        )
        original = article(number, f"Victim that will {action}", old_word).encode()
        victim = lib.add(f"m{position}_{action}_b_victim.txt", original)
        if action == "disappear":
            lib.unreadable[victim] = ("disappeared", "no longer", "missing", "not found")
        else:
            lib.readable[f"{TOKEN}{number:02d}"] = victim
        lib.plan.append({"action": action, "trigger": trigger, "victim": victim, "text": text})

    for path in lib.locked:
        path.chmod(0)
    return lib


def _beyond_path_max(root: Path, data: bytes) -> str:
    """An article at the bottom of a path longer than PATH_MAX (made through folder handles)."""
    names = [f"long_{level:02d}_" + "n" * 90 for level in range(45)]
    directory = os.open(root, os.O_RDONLY)
    try:
        for name in names:
            os.mkdir(name, dir_fd=directory)
            inner = os.open(name, os.O_RDONLY, dir_fd=directory)
            os.close(directory)
            directory = inner
        descriptor = os.open("beyond.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=directory)
        os.write(descriptor, data)
        os.close(descriptor)
    finally:
        os.close(directory)
    return str(root.joinpath(*names, "beyond.txt"))


@dataclass
class IndexedTwice:
    """The library, the two runs, and what the command line reports after each."""

    lib: HostileLibrary
    engine_run: Finished
    engine_report: dict[str, object]
    cli_run: Finished
    problems_after_first: list[dict[str, str]]
    problems_after_second: list[dict[str, str]]


def cli_json(basedir: Path, *args: str) -> object:
    finished = readingroom(basedir, *args, "--json")
    assert finished.returncode == 0, finished.describe()
    return json.loads(finished.stdout)


def problems_of(basedir: Path) -> list[dict[str, str]]:
    rows = cli_json(basedir, "problems")
    assert isinstance(rows, list)
    return rows


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexedTwice]:
    top = tmp_path_factory.mktemp("hostile")
    lib = build_library(top / "library", top / "base")
    plan_file = top / "plan.json"
    plan_file.write_text(json.dumps(lib.plan), encoding="utf-8")
    try:
        library_dir = AppPaths.resolve(lib.basedir).library
        engine_run = run_child(
            unprivileged(
                [PYTHON, "-c", ENGINE_RUN, str(library_dir), str(lib.root), str(plan_file)]
            )
        )
        assert engine_run.returncode == 0, engine_run.describe()
        engine_report = json.loads(engine_run.stdout.strip().splitlines()[-1])
        problems_after_first = problems_of(lib.basedir)
        cli_run = readingroom(lib.basedir, "index", without_root_powers=True)
        assert cli_run.returncode == 0, cli_run.describe()
        yield IndexedTwice(
            lib,
            engine_run,
            engine_report,
            cli_run,
            problems_after_first,
            problems_of(lib.basedir),
        )
    finally:
        for path in lib.locked:
            path.chmod(stat.S_IRWXU)


pytestmark = pytest.mark.slow


def test_both_runs_complete_in_bounded_memory(indexed: IndexedTwice) -> None:
    lib = indexed.lib
    print(
        f"\nhostile library: {len(lib.readable)} readable articles, "
        f"{len(lib.unreadable)} unreadable files, {len(lib.either)} beyond PATH_MAX; "
        f"engine run peak memory {indexed.engine_run.max_rss_mb:.0f} MB, "
        f"command line run {indexed.cli_run.max_rss_mb:.0f} MB"
    )
    assert indexed.engine_report["mutated"] == ["disappear", "grow", "replace"]
    assert indexed.engine_run.max_rss_mb < MAX_CHILD_RSS_MB, indexed.engine_run.describe()
    assert indexed.cli_run.max_rss_mb < MAX_CHILD_RSS_MB, indexed.cli_run.describe()
    assert "Traceback" not in indexed.engine_run.stderr + indexed.cli_run.stderr


def test_every_readable_article_is_found_once(indexed: IndexedTwice) -> None:
    lib = indexed.lib
    result = cli_json(lib.basedir, "search", f"{TOKEN}*", "--limit", "500")
    assert isinstance(result, dict)
    found = [hit["path"] for hit in result["hits"]]
    complaints = [
        f"{token} is not found: {path!r}"
        for token, path in lib.readable.items()
        if path not in found
    ]
    complaints.extend(
        f"listed {found.count(path)} times (a folder link was followed?): {path!r}"
        for path in sorted(set(found))
        if found.count(path) > 1
    )
    library = Library(AppPaths.resolve(lib.basedir).library)
    try:
        for token, path in lib.readable.items():
            hits = [hit.path for hit in library.search(SearchRequest(token)).hits]
            if path in found and hits != [path]:
                complaints.append(f"{token} finds {hits}, not just {path!r}")
    finally:
        library.close()
    assert not complaints, "\n".join(complaints)


def test_every_unreadable_file_is_listed_with_a_plain_reason(indexed: IndexedTwice) -> None:
    lib = indexed.lib
    problems = {row["path"]: row["reason"] for row in indexed.problems_after_first}
    complaints: list[str] = []
    for path, reason in problems.items():
        try:
            assert_user_reason(reason, path)
        except AssertionError as error:
            complaints.append(str(error).splitlines()[0])
    for path, words in lib.unreadable.items():
        if path not in problems:
            complaints.append(f"not listed as a problem: {path!r}")
        elif not any(word in problems[path].lower() for word in words):
            complaints.append(f"{path!r}: {problems[path]!r} says none of {words}")
    library = Library(AppPaths.resolve(lib.basedir).library)
    try:
        for token, path in lib.either.items():
            listed = any(path.startswith(problem) for problem in problems)
            if not listed and library.search(SearchRequest(token)).total != 1:
                complaints.append(f"{token} ({len(path)} characters of path) is lost")
    finally:
        library.close()
    wrongly = set(problems) & set(lib.readable.values())
    complaints.extend(f"a readable article is listed as a problem: {p!r}" for p in wrongly)
    assert not complaints, "\n".join(complaints)


def test_the_huge_file_is_indexed_up_to_the_limit(indexed: IndexedTwice) -> None:
    basedir = indexed.lib.basedir
    shown = cli_json(basedir, "show", indexed.lib.huge)
    assert isinstance(shown, dict)
    assert shown["truncated"] is True
    assert len(str(shown["text"]).encode()) <= MAX_TEXT_BYTES
    start = cli_json(basedir, "search", HUGE_START_WORD)
    end = cli_json(basedir, "search", HUGE_END_WORD)
    assert isinstance(start, dict) and isinstance(end, dict)
    assert [hit["id"] for hit in start["hits"]] == [shown["id"]]
    assert end["total"] == 0


def test_a_second_run_adds_no_problems_for_unchanged_files(indexed: IndexedTwice) -> None:
    changed = {step["victim"] for step in indexed.lib.plan}
    first = {
        r["path"]: r["reason"] for r in indexed.problems_after_first if r["path"] not in changed
    }
    second = {
        r["path"]: r["reason"] for r in indexed.problems_after_second if r["path"] not in changed
    }
    new = {path: reason for path, reason in second.items() if first.get(path) != reason}
    dropped = {path: reason for path, reason in first.items() if path not in second}
    assert not new, f"the second run found new problems in unchanged files: {new}"
    # The files did not change: what could not be read still cannot, and is still listed.
    assert not dropped, f"the second run no longer lists these unchanged files: {dropped}"


def test_files_changing_during_the_run(indexed: IndexedTwice) -> None:
    lib = indexed.lib
    steps = {step["action"]: step for step in lib.plan}
    first = {row["path"]: row["reason"] for row in indexed.problems_after_first}
    second = {row["path"] for row in indexed.problems_after_second}
    gone = steps["disappear"]["victim"]
    assert gone in first  # it vanished between the listing and the reading
    assert gone not in second  # and is forgotten once it is known to be gone
    library = Library(AppPaths.resolve(lib.basedir).library)
    try:
        assert library.search(SearchRequest(f"{TOKEN}21")).total == 0
        grown = library.search(SearchRequest(GROWN_WORD)).hits
        assert [hit.path for hit in grown] == [steps["grow"]["victim"]]
        replaced = library.search(SearchRequest(f"{TOKEN}23")).hits
        assert [hit.path for hit in replaced] == [steps["replace"]["victim"]]
        assert library.search(SearchRequest(REPLACED_OLD_WORD)).total == 0
        article = library.get(steps["replace"]["victim"])
        assert article is not None and "took the old file's place" in article.text
    finally:
        library.close()


def test_the_window_shows_the_hostile_library(
    qtbot: QtBot, window_factory: WindowFactory, indexed: IndexedTwice
) -> None:
    lib = indexed.lib
    window = window_factory.open(lib.basedir)
    assert not window.session.is_sample
    for token, path in sorted(lib.readable.items()):
        if token == f"{TOKEN}10":
            continue  # the page nested 10,000 deep: see test_every_readable_article_is_found_once
        result = search_in_window(qtbot, window, token)
        assert [hit.path for hit in result.hits] == [path], token
        hit = window.results_model.hit(0)
        assert hit is not None and hit.path == path
        with qtbot.waitSignal(window.article_shown, timeout=WAIT_MS) as shown:
            window.open_article(hit.id)
        assert shown.args == [hit.id]
        view = window.reader.view
        assert view.article is not None and view.article.path == path
        assert view.hit_count >= 1, f"{token} is not highlighted in {path!r}"
        if not any(0xDC80 <= ord(ch) <= 0xDCFF for ch in path):
            assert path in view.toPlainText()  # raw bytes of a name cannot be shown as text

    # The 200 MB article: the reader shows its beginning and says so.
    result = search_in_window(qtbot, window, HUGE_START_WORD)
    assert [hit.path for hit in result.hits] == [lib.huge]
    beats: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(100)
    heartbeat.timeout.connect(lambda: beats.append(time.monotonic()))
    heartbeat.start()
    beats.append(time.monotonic())
    with qtbot.waitSignal(window.article_shown, timeout=WAIT_MS):
        window.open_article(result.hits[0].id)
    beats.append(time.monotonic())
    heartbeat.stop()
    # Reported, not asserted (no timed assertions): how long the window could not react.
    stall = max(later - earlier for earlier, later in itertools.pairwise(beats))
    print(f"\nopening the 200 MB article: the window did not react for {stall:.1f} s at most")
    text = window.reader.view.toPlainText()
    assert HUGE_START_WORD in text and HUGE_END_WORD not in text
    assert len(text) <= MAX_READER_CHARS + 2_000
    assert "very long" in text

    problems = window.session.current.problems()
    dialog = ProblemsDialog(problems, window)
    qtbot.addWidget(dialog)
    listed = set()
    for row in range(dialog.table.rowCount()):
        path_item, reason_item = dialog.table.item(row, 0), dialog.table.item(row, 1)
        assert path_item is not None and reason_item is not None
        listed.add((path_item.text(), reason_item.text()))
    expected = {(display_path(problem.path), problem.reason) for problem in problems}
    assert listed and listed == expected
