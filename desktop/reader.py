"""The reader: an article with every hit highlighted, walked from hit to hit.

It renders text the engine extracted, never the original page, and refuses to
load any resource: nothing is fetched from the network, no script runs, and a
click on a link never navigates away from the article.
"""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QTextBrowser, QTextEdit, QWidget

from index import Article

HIT_COLOR = QColor("#ffd54f")
CURRENT_HIT_COLOR = QColor("#ff8f00")
FIND_COLOR = QColor("#80deea")
MAX_HIGHLIGHTS = 5000
# Longer articles are shown up to here (a QTextDocument of many MB freezes the window).
MAX_READER_CHARS = 1_000_000
ALLOWED_SCHEMES = frozenset({"data", "qrc"})


def article_meta(article: Article) -> str:
    """Outlet · author · date, for headers."""
    date = article.date.strftime("%-d %B %Y") if article.date else ""
    return " · ".join(part for part in (article.source, article.author, date) if part)


class ReaderView(QTextBrowser):
    """Shows one article and its hits.

    Signals:
        hits_changed(int, int): the current hit (1-based; 0 for none) and the number of hits.
    """

    hits_changed = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self.setAccessibleName("Article text")
        self._hits: list[QTextCursor] = []
        self._current = -1
        self._body_start = 0
        self._zoom = 0
        self.article: Article | None = None

    # safety
    def loadResource(self, kind: int, url: QUrl | str) -> object:  # noqa: N802
        """Load nothing but embedded data: no network, no files."""
        scheme = QUrl(url).scheme().lower() if isinstance(url, str) else url.scheme().lower()
        if scheme in ALLOWED_SCHEMES:
            return super().loadResource(kind, QUrl(url))
        return None

    def doSetSource(  # noqa: N802
        self,
        name: QUrl | str,
        kind: QTextDocument.ResourceType = QTextDocument.ResourceType.UnknownResource,
    ) -> None:
        """Never navigate: the reader only ever shows the article it was given."""

    # showing
    def clear_article(self, message: str = "") -> None:
        """Show a message instead of an article."""
        self.article = None
        self._hits = []
        self._current = -1
        self.document().clear()
        if message:
            self.setPlainText(message)
        self.hits_changed.emit(0, 0)

    def show_article(
        self,
        article: Article,
        body_spans: list[tuple[int, int]],
        title_spans: list[tuple[int, int]] | None = None,
    ) -> None:
        """Show an article with the given hit ranges (character offsets in title and text)."""
        self.article = article
        document = self.document()
        document.clear()
        cursor = QTextCursor(document)
        default = QTextCharFormat()

        title_format = QTextCharFormat()
        base_size = self.font().pointSizeF()
        title_format.setFontPointSize(base_size * 1.6 if base_size > 0 else 16)
        title_format.setFontWeight(QFont.Weight.Bold)
        cursor.setBlockFormat(_spaced(0, 6))
        cursor.insertText(article.title, title_format)
        title_start = 0

        meta_format = QTextCharFormat()
        meta_format.setForeground(self.palette().placeholderText())
        for line in (article_meta(article), article.path):
            if line:
                cursor.insertBlock(_spaced(0, 2), default)
                cursor.insertText(line, meta_format)
        cursor.insertBlock(_spaced(12, 0), default)
        self._body_start = cursor.position()
        shown = article.text[:MAX_READER_CHARS]
        self._insert_paragraphs(cursor, shown, default)
        if len(article.text) > len(shown) or article.truncated:
            note = QTextCharFormat()
            note.setFontItalic(True)
            cursor.insertBlock(_spaced(12, 0), default)
            cursor.insertText(
                "This article is very long: the reader shows its beginning. "
                "Open the original file to read it all.",
                note,
            )

        hits: list[QTextCursor] = []
        for start, end in (title_spans or [])[:MAX_HIGHLIGHTS]:
            hits.append(self._mark(title_start + start, title_start + end))
        visible = [span for span in body_spans if span[1] <= len(shown)]
        for start, end in visible[: MAX_HIGHLIGHTS - len(hits)]:
            hits.append(self._mark(self._body_start + start, self._body_start + end))
        self._hits = hits
        self._current = -1
        self.setExtraSelections([])
        self.moveCursor(QTextCursor.MoveOperation.Start)
        self.hits_changed.emit(0, len(hits))

    @staticmethod
    def _insert_paragraphs(cursor: QTextCursor, text: str, char_format: QTextCharFormat) -> None:
        """The text, one block per line, with one even gap between paragraphs.

        Blank lines stay in the document (hit positions are offsets into the text:
        a block break counts one character, like the newline) but take no height.
        Formats are set as blocks are made: changing them afterwards is quadratic.
        """
        paragraph = _spaced(9, 0)
        blank = QTextBlockFormat()
        blank.setLineHeight(0, QTextBlockFormat.LineHeightTypes.FixedHeight.value)
        for number, line in enumerate(text.split("\n")):
            block_format = paragraph if line.strip() else blank
            if number == 0:
                cursor.setBlockFormat(block_format)
            else:
                cursor.insertBlock(block_format, char_format)
            if line:
                cursor.insertText(line, char_format)

    def _mark(self, start: int, end: int) -> QTextCursor:
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        highlight = QTextCharFormat()
        highlight.setBackground(HIT_COLOR)
        highlight.setForeground(QColor("#1b1b1b"))
        cursor.mergeCharFormat(highlight)
        return cursor

    # hits
    @property
    def hit_count(self) -> int:
        """How many hits the article shows."""
        return len(self._hits)

    @property
    def current_hit(self) -> int:
        """The current hit, 1-based (0: none yet)."""
        return self._current + 1

    def go_to_hit(self, number: int) -> None:
        """Make hit `number` (1-based) current and scroll to it."""
        if not self._hits:
            return
        self._current = (number - 1) % len(self._hits)
        hit = self._hits[self._current]
        selection = QTextEdit.ExtraSelection()
        selection.cursor = hit
        current = QTextCharFormat()
        current.setBackground(CURRENT_HIT_COLOR)
        current.setForeground(QColor("#000000"))
        selection.format = current
        self.setExtraSelections([selection])
        caret = QTextCursor(hit)
        caret.clearSelection()
        self.setTextCursor(caret)
        self.ensureCursorVisible()
        self.hits_changed.emit(self._current + 1, len(self._hits))

    def next_hit(self) -> None:
        """The next hit (after the last, the first)."""
        self.go_to_hit(self._current + 2)

    def previous_hit(self) -> None:
        """The previous hit (before the first, the last)."""
        self.go_to_hit(self._current if self._current > 0 else len(self._hits))

    def go_near(self, text_offset: int) -> None:
        """Make current the first hit at or after an offset in the article text."""
        position = self._body_start + text_offset
        for number, hit in enumerate(self._hits, start=1):
            if hit.selectionStart() >= position:
                self.go_to_hit(number)
                return
        if self._hits:
            self.go_to_hit(len(self._hits))

    # find in article
    def find_text(self, text: str, backward: bool = False, again: bool = False) -> bool:
        """Select the next (or previous) occurrence of any text; wraps around.

        With `again` (the text was edited), the search starts at the current match,
        so typing "th" then "the" stays on the same place.
        """
        if not text:
            return False
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        start = QTextCursor(self.textCursor())
        if again:
            start.setPosition(start.selectionStart())
        found = self.document().find(text, start, flags)
        if found.isNull():
            start = QTextCursor(self.document())
            if backward:
                start.movePosition(QTextCursor.MoveOperation.End)
            found = self.document().find(text, start, flags)
        if found.isNull():
            return False
        self.setTextCursor(found)
        self.ensureCursorVisible()
        return True

    # zoom
    def zoom(self, steps: int) -> None:
        """Zoom in (positive) or out (negative) by steps; 0 resets."""
        change = -self._zoom if steps == 0 else steps
        if change > 0:
            self.zoomIn(change)
        elif change < 0:
            self.zoomOut(-change)
        self._zoom += change

    @property
    def zoom_level(self) -> int:
        """Zoom steps from the default size."""
        return self._zoom


def _spaced(top: float, bottom: float) -> QTextBlockFormat:
    block = QTextBlockFormat()
    block.setTopMargin(top)
    block.setBottomMargin(bottom)
    return block
