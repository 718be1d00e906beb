"""The search box, its query-syntax help, and the line saying what the search found."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from index import SearchResult

_EXAMPLES = [
    ("refugees poland", "both words (any form: refugee, Refugees)"),
    ("ukraine OR russia", "either word"),
    ("ukraine -russia", "without a word (also <code>NOT russia</code>)"),
    ('"prime minister"', "the exact phrase"),
    ("elect*", "words starting with “elect”"),
    ("chmerkovsky~", "words spelled nearly so"),
    ("(tax OR budget) brown", "grouping"),
    (
        "title:budget",
        "in the title; also <code>author:</code> <code>source:</code> <code>folder:</code>",
    ),
    ("date:2022-03..2022-05", "published in a period; also <code>date:2022</code>"),
    ("is:bookmarked", "bookmarked articles; <code>tag:NAME</code> by tag"),
]
SYNTAX_HELP = (
    "<b>Search syntax</b><table cellspacing='4'>"
    + "".join(
        f"<tr><td><code>{html.escape(example)}</code></td><td>{meaning}</td></tr>"
        for example, meaning in _EXAMPLES
    )
    + "</table>"
)


class SyntaxHelp(QFrame):
    """A popover with the query syntax and examples."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        label = QLabel(SYNTAX_HELP, self)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setAccessibleName("Search syntax help")
        layout = QVBoxLayout(self)
        layout.addWidget(label)


class SearchBar(QWidget):
    """The search box with a help button, and the status line under it.

    Signals:
        query_changed(str): the text changed (the controller debounces).
        query_submitted(str): Enter was pressed: search now.
        suggestion_accepted(str): the user clicked "Did you mean …".
        move_to_results(): Down was pressed: go to the result list.
    """

    query_changed = Signal(str)
    query_submitted = Signal(str)
    suggestion_accepted = Signal(str)
    move_to_results = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Search your articles…   (Ctrl+L)")
        self.edit.setAccessibleName("Search")
        self.edit.setClearButtonEnabled(True)
        font = self.edit.font()
        font.setPointSizeF(font.pointSizeF() * 1.25 if font.pointSizeF() > 0 else 12)
        self.edit.setFont(font)
        self.help_button = QToolButton(self)
        self.help_button.setText("?")
        self.help_button.setToolTip("Search syntax")
        self.help_button.setAccessibleName("Search syntax help")
        self.status = QLabel(self)
        self.status.setAccessibleName("Search status")
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.help = SyntaxHelp(self)
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(self.help_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self._suggestion: str | None = None
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.edit.textChanged.connect(self.query_changed)
        self.edit.returnPressed.connect(lambda: self.query_submitted.emit(self.edit.text()))
        self.help_button.clicked.connect(self.show_help)
        self.status.linkActivated.connect(self._on_link)
        self.edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Esc clears the box; Down moves to the results."""
        if (
            watched is self.edit
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
        ):
            if event.key() == Qt.Key.Key_Escape and self.edit.text():
                self.edit.clear()
                return True
            if event.key() == Qt.Key.Key_Down:
                self.move_to_results.emit()
                return True
        return super().eventFilter(watched, event)

    def show_help(self) -> None:
        """Open the syntax popover under the box."""
        self.help.adjustSize()
        self.help.move(self.edit.mapToGlobal(self.edit.rect().bottomLeft()))
        self.help.show()

    def focus(self) -> None:
        """Focus the box and select its text."""
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def set_text(self, text: str) -> None:
        """Put a query in the box (it searches like typing does)."""
        self.edit.setText(text)

    def show_query(self, text: str) -> None:
        """Put a query in the box without announcing it (its search is under way already)."""
        self.edit.blockSignals(True)
        self.edit.setText(text)
        self.edit.blockSignals(False)

    def show_result(self, result: SearchResult) -> None:
        """Say what the search found."""
        self._suggestion = result.suggestion
        noun = "article" if result.total == 1 else "articles"
        parts = [f"<b>{result.total:,}</b> {noun} · {result.elapsed_ms:.0f} ms"]
        if result.hidden:
            parts[0] += f" · {result.rows:,} listed (each story once)"
        if result.suggestion:
            parts.append(f'Did you mean <a href="suggestion">{html.escape(result.suggestion)}</a>?')
        if result.message:
            parts.append(f"<i>{html.escape(result.message)}</i>")
        self.status.setText(" — ".join(parts))

    def show_message(self, text: str) -> None:
        """Show a plain message in the status line."""
        self._suggestion = None
        self.status.setText(html.escape(text))

    def _on_link(self, _link: str) -> None:
        if self._suggestion:
            self.suggestion_accepted.emit(self._suggestion)
