"""The reader panel: toolbar (star, hit navigator, zoom, file actions), article, find bar."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.reader import ReaderView


class FindBar(QWidget):
    """Find any text in the article (Ctrl+F); Enter finds the next, Shift+Enter the previous."""

    def __init__(self, view: ReaderView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Find in article…")
        self.edit.setAccessibleName("Find in article")
        self.status = QLabel(self)
        previous_button = QToolButton(self)
        previous_button.setText("▲")
        previous_button.setAccessibleName("Find previous")
        next_button = QToolButton(self)
        next_button.setText("▼")
        next_button.setAccessibleName("Find next")
        close_button = QToolButton(self)
        close_button.setText("✕")
        close_button.setAccessibleName("Close find bar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.edit, 1)
        layout.addWidget(previous_button)
        layout.addWidget(next_button)
        layout.addWidget(self.status)
        layout.addWidget(close_button)
        self.edit.returnPressed.connect(lambda: self.find_text(backward=False))
        self.edit.textChanged.connect(lambda _: self.find_text(backward=False, again=True))
        previous_button.clicked.connect(lambda: self.find_text(backward=True))
        next_button.clicked.connect(lambda: self.find_text(backward=False))
        close_button.clicked.connect(self.hide)
        for keys, slot in (
            (QKeySequence("Shift+Return"), lambda: self.find_text(backward=True)),
            (QKeySequence(Qt.Key.Key_Escape), self.hide),
        ):
            # Only while typing in the find box: Esc elsewhere keeps its own meaning.
            shortcut = QShortcut(keys, self.edit, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.hide()

    def open(self) -> None:
        """Show the bar with the focus in it."""
        self.show()
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def find_text(self, backward: bool, again: bool = False) -> bool:
        """Find the text typed (`again`: from the current match, as it grows), or say so."""
        found = self._view.find_text(self.edit.text(), backward=backward, again=again)
        self.status.setText("" if found or not self.edit.text() else "Not found")
        return found


class ReaderPanel(QWidget):
    """The article with a toolbar above it and the find bar below."""

    def __init__(
        self,
        leading_actions: Sequence[QAction],
        navigation_actions: Sequence[QAction],
        trailing_actions: Sequence[QAction],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = ReaderView(self)
        self.find_bar = FindBar(self.view, self)
        self.hit_label = QLabel("", self)
        self.hit_label.setAccessibleName("Hit position")
        self.hit_label.setMinimumWidth(90)
        self.hit_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.toolbar = QToolBar("Reader", self)
        self.toolbar.setAccessibleName("Reader toolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in leading_actions:
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        if navigation_actions:
            self.toolbar.addAction(navigation_actions[0])
            self.toolbar.addWidget(self.hit_label)
            for action in navigation_actions[1:]:
                self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        for action in trailing_actions:
            self.toolbar.addAction(action)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.find_bar)
        self.view.hits_changed.connect(self._on_hits_changed)

    def _on_hits_changed(self, current: int, total: int) -> None:
        if total == 0:
            self.hit_label.setText("no hits" if self.view.article is not None else "")
        elif current == 0:
            self.hit_label.setText(f"{total} hits")
        else:
            self.hit_label.setText(f"hit {current} of {total}")
