"""Menu actions and their shortcuts reach what they name (the real dialogs, answered)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog
from pytestqt.qtbot import QtBot

from desktop.paths import AppPaths
from desktop.saved_searches import SavedSearchStore
from tests.desktop.conftest import WindowFactory
from tests.desktop.test_window import WAIT_MS


def answer_name_dialog(name: str, tries: int = 200) -> None:
    """Type a name into the input dialog that is about to open (within 4 s), and accept it."""

    def answer(left: int) -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QInputDialog):
            dialog.setTextValue(name)
            dialog.accept()
        elif left:
            QTimer.singleShot(20, lambda: answer(left - 1))

    QTimer.singleShot(20, lambda: answer(tries))


def test_save_search_from_the_menu_and_its_shortcut(
    qtbot: QtBot, window_factory: WindowFactory, bbc_base: Path
) -> None:
    window = window_factory.open(bbc_base)
    window.search_bar.set_text("election")
    qtbot.waitUntil(lambda: window.search.query == "election", timeout=WAIT_MS)
    store_path = AppPaths.resolve(bbc_base).saved_searches

    answer_name_dialog("From the menu")
    window.commands.save_search.trigger()
    saved = SavedSearchStore(store_path).get("from the menu")
    assert saved is not None and saved.query == "election"

    answer_name_dialog("From the shortcut")
    window.activateWindow()  # shortcuts reach the active window only
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    qtbot.keyClick(
        window,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(
        lambda: SavedSearchStore(store_path).get("from the shortcut") is not None,
        timeout=WAIT_MS,
    )
    assert window.saved_panel.names() == ["From the menu", "From the shortcut"]
