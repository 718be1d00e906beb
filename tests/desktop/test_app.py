"""The application as a whole: first run, screenshots, one instance, watching, responsiveness."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer, QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtNetwork import QLocalSocket
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.app import STARTUP_CHECK_DELAY_MS, build_window, server_name, start_checking_library
from desktop.paths import AppPaths
from desktop.problems_dialog import ProblemsDialog
from desktop.reader import ReaderView
from desktop.resources import sample_archive
from desktop.search_controller import FIRST_PAGE
from index import Library
from tests.desktop.conftest import WindowFactory

WAIT_MS = 30_000


def gui_env() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def test_first_run_shows_the_sample_archive(
    qtbot: QtBot, window_factory: WindowFactory, tmp_path: Path
) -> None:
    window = window_factory.open(tmp_path / "fresh")
    assert window.session.is_sample
    assert window.banner.isVisible()
    with qtbot.waitSignal(window.indexing.finished, timeout=60_000):
        window.indexing.start()
    window.search_bar.set_text("river")
    qtbot.waitUntil(lambda: window.results_model.rowCount() >= 3, timeout=WAIT_MS)
    hit = window.results_model.hit(0)
    assert hit is not None and Path(hit.path).is_relative_to(sample_archive())
    # Adding a folder of one's own replaces the sample.
    articles = tmp_path / "mine"
    articles.mkdir()
    (articles / "owls.txt").write_text("Owls of the valley\n\nBarn owls nest in the mill.\n")
    with qtbot.waitSignal(window.indexing.finished, timeout=60_000):
        window.add_folder_path(articles)
    qtbot.waitUntil(lambda: not window.indexing.is_running(), timeout=60_000)
    assert not window.banner.isVisible()
    window.search_bar.set_text("owls")
    qtbot.waitUntil(
        lambda: (
            window.results_model.rowCount() == 1
            and getattr(window.results_model.hit(0), "path", None)
            == str(articles.resolve() / "owls.txt")
        ),
        timeout=WAIT_MS,
    )


def test_an_indexed_library_is_checked_after_the_first_search(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path, tmp_path: Path
) -> None:
    window = window_factory.open(bbc_base)
    start_checking_library(window)
    assert not window.indexing.is_running()  # the first search goes first
    window.search_bar.set_text("economy")
    qtbot.waitUntil(lambda: window.results_model.rowCount() > 0, timeout=WAIT_MS)
    with qtbot.waitSignal(window.indexing.started, timeout=STARTUP_CHECK_DELAY_MS + WAIT_MS):
        pass
    qtbot.waitUntil(lambda: not window.indexing.is_running(), timeout=60_000)
    # A library never indexed has nothing to search: it is indexed at once.
    fresh = window_factory.open(tmp_path / "fresh")
    start_checking_library(fresh)
    assert fresh.indexing.is_running()
    qtbot.waitUntil(lambda: not fresh.indexing.is_running(), timeout=60_000)


def test_screenshot_command(tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop",
            "--basedir",
            str(tmp_path / "base"),
            "--screenshot",
            str(shot),
            "--query",
            "river",
        ],
        capture_output=True,
        text=True,
        env=gui_env(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    assert not image.isNull()
    assert (image.width(), image.height()) == (1280, 800)


def test_a_second_launch_raises_the_first(qapp: QApplication, tmp_path: Path) -> None:
    base = tmp_path / "base"
    command = [sys.executable, "-m", "desktop", "--basedir", str(base)]
    first = subprocess.Popen(
        command, env=gui_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        name = server_name(AppPaths.resolve(base))
        deadline = time.monotonic() + 60
        while not _listening(name):
            assert first.poll() is None, "the first window exited"
            assert time.monotonic() < deadline, "the first window never started listening"
            time.sleep(0.2)
        second = subprocess.run(
            command, capture_output=True, text=True, env=gui_env(), timeout=60, check=False
        )
        assert second.returncode == 0
        assert "already running" in second.stdout
        assert first.poll() is None  # the first window is still there
    finally:
        first.terminate()
        first.wait(timeout=30)


def _listening(name: str) -> bool:
    socket = QLocalSocket()
    socket.connectToServer(name)
    connected = socket.waitForConnected(100)
    socket.abort()
    return connected


def test_the_window_stays_responsive_while_indexing(
    qtbot: QtBot, window_factory: WindowFactory, tmp_path: Path, corpora: Path
) -> None:
    window = window_factory.open(tmp_path / "base")
    clock = QElapsedTimer()
    gaps: list[int] = []
    heartbeat = QTimer()
    heartbeat.setInterval(10)

    def beat() -> None:
        if clock.isValid():
            gaps.append(clock.restart())
        else:
            clock.start()

    heartbeat.timeout.connect(beat)
    typing = QTimer()
    typing.setInterval(400)
    words = iter(["econ", "economy", "football", "film", "elect", "election", "music"] * 20)
    typing.timeout.connect(lambda: window.search_bar.set_text(next(words, "tax")))
    with qtbot.waitSignal(window.indexing.started, timeout=WAIT_MS):
        window.add_folder_path(corpora / "bbc")
    heartbeat.start()
    typing.start()
    qtbot.waitUntil(lambda: not window.indexing.is_running(), timeout=180_000)
    heartbeat.stop()
    typing.stop()
    assert len(gaps) > 100
    # Disk or index work on the GUI thread would stall it for seconds: this bbc run takes
    # 5-10 s. The 50 ms target is measured by `benchmarks/bench_gui.py --build` (18 ms).
    # Here the test suite, three indexing processes and the searches share two cores, and
    # one heartbeat came 107 ms late once (stop 15's CI), so the line is drawn at 250 ms.
    assert max(gaps) <= 250, sorted(gaps)[-5:]
    assert Library(AppPaths.resolve(tmp_path / "base").library).count() == 2226


def test_watched_folders_are_reindexed(qtbot: QtBot, tmp_path: Path, corpora: Path) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(corpora / "seeds", articles)
    root = tmp_path / "base"
    library = Library(AppPaths.resolve(root).library)
    library.add_folder(articles)
    library.sync()
    library.close()
    window = build_window(AppPaths.resolve(root), watch=True)
    qtbot.addWidget(window)
    try:
        (articles / "new.txt").write_text("Kestrels return\n\nKestrels nest in the old tower.\n")
        with qtbot.waitSignal(window.indexing.finished, timeout=60_000):
            pass
        window.search_bar.set_text("kestrels")
        qtbot.waitUntil(lambda: window.results_model.rowCount() == 1, timeout=WAIT_MS)
    finally:
        window.watcher.stop()
        window.indexing.wait()
        window.session.close()


def test_reader_fetches_nothing_and_runs_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    view = ReaderView()
    qtbot.addWidget(view)
    for url in ("http://example.com/x.png", "https://example.com/", "file:///etc/passwd"):
        assert view.loadResource(int(QTextDocument.ResourceType.ImageResource), QUrl(url)) is None
    articles = tmp_path / "articles"
    articles.mkdir()
    hostile = '<script>alert("x")</script><img src="http://example.com/t.gif"> <a href="http://e.com">l</a>'
    (articles / "hostile.txt").write_text(f"Hostile page\n\n{hostile}\n")
    library = Library(tmp_path / "library")
    library.add_folder(articles)
    library.sync()
    (hit,) = library.search(__import__("index").SearchRequest("hostile")).hits
    article = library.get(hit.id)
    assert article is not None
    view.show_article(article, [])
    text = view.document().toPlainText()
    assert '<script>alert("x")</script>' in text  # shown as text, never run or rendered
    view.setSource(QUrl("http://example.com/"))
    assert '<script>alert("x")</script>' in view.document().toPlainText()
    library.close()


def test_problems_dialog_lists_unreadable_files(qtbot: QtBot, tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "ok.txt").write_text("Fine\n\nA readable article.\n")
    (articles / "noise.txt").write_bytes(os.urandom(4096))
    library = Library(tmp_path / "library")
    library.add_folder(articles)
    library.sync()
    dialog = ProblemsDialog(library.problems())
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1
    path_item, reason_item = dialog.table.item(0, 0), dialog.table.item(0, 1)
    assert path_item is not None and reason_item is not None
    assert path_item.text().endswith("noise.txt")
    assert "not text" in reason_item.text()
    library.close()


@pytest.mark.parametrize("rows", [FIRST_PAGE])
def test_more_results_load_as_the_list_scrolls(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path, rows: int
) -> None:
    window = window_factory.open(bbc_base)
    window.search_bar.set_text("year")
    qtbot.waitUntil(lambda: window.results_model.rowCount() >= rows, timeout=WAIT_MS)
    assert window.results_model.total > rows
    rows = window.results_model.rowCount()  # the view may have asked for more already
    window.results_view.scrollToBottom()
    qtbot.waitUntil(lambda: window.results_model.rowCount() > rows, timeout=WAIT_MS)
