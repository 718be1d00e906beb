"""Fixtures for the window: real libraries in temporary base directories."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.app import build_window
from desktop.main_window import MainWindow
from desktop.paths import AppPaths
from index import Library


def make_paths(root: Path) -> AppPaths:
    return AppPaths.resolve(root)


def indexed_base(tmp_path_factory: pytest.TempPathFactory, name: str, *folders: Path) -> Path:
    """A new base directory whose library holds these folders, indexed."""
    root = tmp_path_factory.mktemp(name)
    library = Library(make_paths(root).library)
    for folder in folders:
        library.add_folder(folder)
    library.sync()
    library.close()
    return root


@pytest.fixture(scope="session")
def bbc_indexed(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Path:
    """A base directory whose library is the whole bbc corpus, indexed once per session."""
    return indexed_base(tmp_path_factory, "bbc-base", corpora / "bbc")


@pytest.fixture
def bbc_base(tmp_path: Path, bbc_indexed: Path) -> Path:
    """A private copy of the indexed bbc base directory: settings and bookmarks stay per test."""
    root = tmp_path / "base"
    shutil.copytree(bbc_indexed, root)
    return root


def open_window(qtbot: QtBot, root: Path) -> MainWindow:
    window = build_window(make_paths(root), watch=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


class WindowFactory:
    """Opens windows over base directories and closes them after the test."""

    def __init__(self, qtbot: QtBot) -> None:
        self._qtbot = qtbot
        self.windows: list[MainWindow] = []

    def open(self, root: Path) -> MainWindow:
        window = open_window(self._qtbot, root)
        self.windows.append(window)
        return window

    def close_all(self) -> None:
        for window in self.windows:
            window.indexing.cancel()
            window.indexing.wait(10_000)
            window.close()
        QThreadPool.globalInstance().waitForDone(10_000)
        QApplication.processEvents()
        for window in self.windows:
            window.session.close()


@pytest.fixture
def window_factory(qtbot: QtBot) -> Iterator[WindowFactory]:
    factory = WindowFactory(qtbot)
    yield factory
    factory.close_all()
