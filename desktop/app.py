"""Builds the application: its services, the main window, single-instance launch, screenshots."""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop import APP_ID, __version__
from desktop.bookmarks import BookmarkStore
from desktop.indexing import IndexingController
from desktop.main_window import MainWindow
from desktop.paths import AppPaths, storage_problem
from desktop.resources import resource_dir
from desktop.saved_searches import SavedSearchStore
from desktop.session import LibrarySession
from desktop.settings import Settings
from desktop.theme import apply_theme
from desktop.watcher import FolderWatcher
from index import Hit, SearchResult

SCREENSHOT_TIMEOUT_MS = 60_000
STARTUP_CHECK_DELAY_MS = 1500  # the window's first search goes before the library's re-sync


def build_window(paths: AppPaths, watch: bool = True) -> MainWindow:
    """The main window with every service it needs (a QApplication must exist)."""
    session = LibrarySession(paths)
    bookmarks = BookmarkStore(paths.bookmarks)
    settings = Settings(paths.settings)
    pool = QThreadPool.globalInstance()
    indexing = IndexingController(paths.basedir)
    watcher = FolderWatcher(enabled=watch)
    saved = SavedSearchStore(paths.saved_searches)
    window = MainWindow(session, bookmarks, settings, pool, indexing, watcher, saved)
    indexing.setParent(window)
    watcher.setParent(window)
    return window


def start_checking_library(window: MainWindow, at_once: bool = False) -> None:
    """Start the re-sync that brings the library up to date with its folders.

    An indexed library is checked a moment after the window opens: the check runs in
    its own process, but on two cores it slowed the first search (157k articles: first
    results 0.9-1.2 s without it, 1.0-1.5 s with it). A library without an index is
    indexed at once, since there is nothing to search before.
    """
    if at_once or not window.session.current.is_indexed():
        window.indexing.start()
    else:
        QTimer.singleShot(STARTUP_CHECK_DELAY_MS, window.indexing.start)


def server_name(paths: AppPaths) -> str:
    """The local socket a running window listens on (one per data directory)."""
    digest = hashlib.sha256(str(paths.data).encode()).hexdigest()[:12]
    return f"readingroom-{digest}"


def _raise_running_instance(name: str) -> bool:
    """Ask an already running window to come forward; whether there was one."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(300):
        return False
    socket.write(b"raise\n")
    socket.flush()
    socket.waitForBytesWritten(300)
    socket.disconnectFromServer()
    return True


def _listen_for_second_launch(name: str, window: MainWindow) -> QLocalServer:
    server = QLocalServer(window)
    QLocalServer.removeServer(name)  # a stale socket of a crashed run
    server.listen(name)

    def on_connection() -> None:
        connection = server.nextPendingConnection()
        if connection is not None:
            connection.readyRead.connect(connection.readAll)
            connection.disconnected.connect(connection.deleteLater)
        window.showNormal()
        window.raise_()
        window.activateWindow()

    server.newConnection.connect(on_connection)
    return server


class ScreenshotTaker:
    """Waits until the window has loaded (and shown the query's first article), then saves it."""

    def __init__(self, window: MainWindow, target: Path, query: str | None) -> None:
        self.window = window
        self.target = target
        self.query = query
        self.opened = False
        self.done = False
        self.hits: tuple[Hit, ...] | None = None
        window.search.results.connect(self._on_results)
        window.article_shown.connect(lambda _: QTimer.singleShot(400, self.shoot))
        window.indexing.finished.connect(lambda _: QTimer.singleShot(0, self._proceed))
        QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, self.shoot)
        if query:
            window.search_bar.set_text(query)

    def _on_results(self, result: object, append: bool) -> None:
        if not append and isinstance(result, SearchResult):
            self.hits = result.hits
            self._proceed()

    def _proceed(self) -> None:
        """Once indexing is over and results are in: open the first, or take the picture."""
        if self.done or self.opened or self.hits is None or self.window.indexing.is_running():
            return
        if self.query and self.hits:
            self.opened = True
            self.window.open_article(self.hits[0].id)
        else:
            QTimer.singleShot(400, self.shoot)

    def shoot(self) -> None:
        """Save the window as PNG and quit."""
        if self.done:
            return
        self.done = True
        self.target.parent.mkdir(parents=True, exist_ok=True)
        saved = self.window.grab().save(str(self.target), "PNG")
        print(f"Saved {self.target}" if saved else f"Could not save {self.target}")
        self.window.close()
        QApplication.exit(0 if saved else 1)


def run_gui(argv: Sequence[str]) -> int:
    """Open the window and run until it is closed."""
    parser = argparse.ArgumentParser(
        prog="readingroom", description="Open the Reading Room window."
    )
    parser.add_argument("--basedir", help="keep the index, bookmarks and settings under DIR")
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE",
        help="start, wait until loaded, save the window as PNG and exit",
    )
    parser.add_argument("--query", help="with --screenshot: search this first")
    args, qt_args = parser.parse_known_args(list(argv))
    paths = AppPaths.resolve(args.basedir)
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Reading Room")
    app.setApplicationVersion(__version__)
    app.setOrganizationDomain("readingroom.org")
    app.setDesktopFileName(APP_ID)
    icon = resource_dir() / "icons" / "readingroom.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    name = server_name(paths)
    if args.screenshot is None and _raise_running_instance(name):
        print("Reading Room is already running: its window was brought forward.")
        return 0
    try:
        window = build_window(paths, watch=args.screenshot is None)
    except (OSError, sqlite3.Error) as error:
        QMessageBox.critical(None, "Reading Room", f"Reading Room {storage_problem(paths, error)}")
        return 4
    apply_theme(app, str(window.settings.get("appearance/theme")))
    if args.screenshot is None:
        _listen_for_second_launch(name, window)
    else:
        window.resize(1280, 800)
        ScreenshotTaker(window, args.screenshot, args.query)
    window.show()
    window.search_bar.focus()
    start_checking_library(window, at_once=args.screenshot is not None)
    try:
        return app.exec()
    finally:
        window.indexing.cancel()
        window.indexing.wait(10_000)
        QThreadPool.globalInstance().waitForDone(10_000)  # searches still using the library
        window.session.close()
