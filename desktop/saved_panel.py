"""The saved searches panel: each search with the articles that arrived since it was opened."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.saved_searches import SavedSearch

NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class SavedSearchesPanel(QWidget):
    """A list of saved searches, "(3 new)" after those with new articles.

    Signals:
        open_requested(str): run this saved search in the window.
        save_requested(): save the window's current search.
        remove_requested(str): forget this saved search.
    """

    open_requested = Signal(str)
    save_requested = Signal()
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Saved searches")
        self.list.setWordWrap(True)
        self.empty = QLabel("No saved searches yet.\nSearch, then press Ctrl+Shift+S.", self)
        self.empty.setWordWrap(True)
        self.save_button = QPushButton("Save Current Search…", self)
        self.save_button.setAccessibleName("Save current search")
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setAccessibleName("Remove saved search")
        self.remove_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.empty)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.list.itemActivated.connect(lambda item: self.open_requested.emit(item.data(NAME_ROLE)))
        self.list.currentItemChanged.connect(
            lambda current, _: self.remove_button.setEnabled(current is not None)
        )
        self.save_button.clicked.connect(self.save_requested)
        self.remove_button.clicked.connect(self._remove)
        self._counts: dict[str, int] = {}
        self.show_searches([], {})

    def _remove(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.remove_requested.emit(item.data(NAME_ROLE))

    def show_searches(self, searches: list[SavedSearch], new: dict[str, int] | None) -> None:
        """List the saved searches with their counts of new articles (None: the last known)."""
        if new is None:
            new = self._counts
        self._counts = new
        current = self.list.currentItem()
        chosen = current.data(NAME_ROLE) if current is not None else None
        self.list.clear()
        for search in searches:
            count = new.get(search.name, 0)
            item = QListWidgetItem(f"{search.name}  ({count} new)" if count else search.name)
            item.setData(NAME_ROLE, search.name)
            item.setToolTip(html.escape(search.describe()))
            if count:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.list.addItem(item)
            if search.name == chosen:
                self.list.setCurrentItem(item)
        self.empty.setVisible(not searches)
        self.list.setVisible(bool(searches))

    def names(self) -> list[str]:
        """The texts of the list's rows (for tests and accessibility checks)."""
        return [self.list.item(i).text() for i in range(self.list.count())]
