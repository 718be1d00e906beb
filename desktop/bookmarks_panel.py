"""The bookmarks panel: filter, open, edit and remove bookmarks; and the edit dialog."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.bookmarks import Bookmark, normalise_tags

ModelIndex = QModelIndex | QPersistentModelIndex
BOOKMARK_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_TEXT_ROLE = Qt.ItemDataRole.UserRole + 2


class BookmarksModel(QAbstractListModel):
    """The bookmarks, newest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bookmarks: list[Bookmark] = []

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        """One row per bookmark."""
        return 0 if parent.isValid() else len(self._bookmarks)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Title, tags and note for display; the bookmark itself for `BOOKMARK_ROLE`."""
        if not index.isValid() or not 0 <= index.row() < len(self._bookmarks):
            return None
        bookmark = self._bookmarks[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            tags = f"   [{', '.join(bookmark.tags)}]" if bookmark.tags else ""
            return f"★ {bookmark.title}{tags}"
        if role == Qt.ItemDataRole.ToolTipRole:
            parts = (bookmark.path, bookmark.note)
            return "<br>".join(html.escape(part) for part in parts if part)
        if role == BOOKMARK_ROLE:
            return bookmark
        if role == SEARCH_TEXT_ROLE:
            return " ".join((bookmark.title, *bookmark.tags, bookmark.note, bookmark.source or ""))
        return None

    def set_bookmarks(self, bookmarks: list[Bookmark]) -> None:
        """Show these bookmarks."""
        self.beginResetModel()
        self._bookmarks = list(bookmarks)
        self.endResetModel()


class BookmarksPanel(QWidget):
    """Lists bookmarks with a filter box and buttons.

    Signals:
        open_requested(str): the user wants to read the bookmarked article (its id).
        edit_requested(str): the user wants to edit a bookmark's tags and note.
        remove_requested(str): the user removes a bookmark.
    """

    open_requested = Signal(str)
    edit_requested = Signal(str)
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = BookmarksModel(self)
        self._proxy = QSortFilterProxyModel(self)
        self._proxy.setSourceModel(self.model)
        self._proxy.setFilterRole(SEARCH_TEXT_ROLE)
        self._proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter bookmarks…")
        self.filter_edit.setAccessibleName("Filter bookmarks")
        self.filter_edit.setClearButtonEnabled(True)
        self.list = QListView(self)
        self.list.setModel(self._proxy)
        self.list.setAccessibleName("Bookmarks")
        self.list.setUniformItemSizes(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.empty_label = QLabel("No bookmarks yet. Press Ctrl+D on an article to add one.")
        self.empty_label.setWordWrap(True)
        self.open_button = QPushButton("Open", self)
        self.edit_button = QPushButton("Edit…", self)
        self.remove_button = QPushButton("Remove", self)
        for button, name in (
            (self.open_button, "Open bookmark"),
            (self.edit_button, "Edit bookmark"),
            (self.remove_button, "Remove bookmark"),
        ):
            button.setAccessibleName(name)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._connect_signals()
        self._update_state()

    def _connect_signals(self) -> None:
        self.filter_edit.textChanged.connect(self._proxy.setFilterFixedString)
        self.list.activated.connect(lambda _: self._emit(self.open_requested))
        self.open_button.clicked.connect(lambda: self._emit(self.open_requested))
        self.edit_button.clicked.connect(lambda: self._emit(self.edit_requested))
        self.remove_button.clicked.connect(lambda: self._emit(self.remove_requested))
        self.list.selectionModel().selectionChanged.connect(self._update_state)

    def set_bookmarks(self, bookmarks: list[Bookmark]) -> None:
        """Show these bookmarks."""
        self.model.set_bookmarks(bookmarks)
        self._update_state()

    def selected_id(self) -> str | None:
        """The id of the selected bookmark, or None."""
        index = self.list.currentIndex()
        bookmark = index.data(BOOKMARK_ROLE) if index.isValid() else None
        return bookmark.id if isinstance(bookmark, Bookmark) else None

    def _emit(self, signal: Any) -> None:
        article_id = self.selected_id()
        if article_id is not None:
            signal.emit(article_id)

    def _update_state(self) -> None:
        has_any = self.model.rowCount() > 0
        self.empty_label.setVisible(not has_any)
        selected = self.selected_id() is not None
        for button in (self.open_button, self.edit_button, self.remove_button):
            button.setEnabled(selected)


class BookmarkDialog(QDialog):
    """Edit a bookmark's tags and note."""

    def __init__(self, bookmark: Bookmark, known_tags: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Edit bookmark")
        self.tags_edit = QLineEdit(", ".join(bookmark.tags), self)
        self.tags_edit.setAccessibleName("Tags")
        hint = ", ".join(known_tags[:8])
        self.tags_edit.setPlaceholderText(
            f"comma-separated, e.g. {hint}" if hint else "comma-separated"
        )
        self.note_edit = QPlainTextEdit(bookmark.note, self)
        self.note_edit.setAccessibleName("Note")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        title = QLabel(f"<b>{html.escape(bookmark.title)}</b>")
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setWordWrap(True)
        form.addRow(title)
        form.addRow("&Tags:", self.tags_edit)
        form.addRow("&Note:", self.note_edit)
        form.addRow(buttons)
        self.resize(460, 300)

    def tags(self) -> tuple[str, ...]:
        """The tags typed."""
        return normalise_tags(self.tags_edit.text())

    def note(self) -> str:
        """The note typed."""
        return self.note_edit.toPlainText().strip()
