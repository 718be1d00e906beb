"""Draws a result: title, outlet · date · folder, and the highlighted passages.

A click on a passage opens the reader at that passage (`snippet_clicked`).
"""

from __future__ import annotations

import html

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QMouseEvent,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.results_model import ResultRole

PADDING = 8
STAR_COLOR = QColor("#f2b400")
STAR_WIDTH = 24
VERSION_INDENT = 24
MARK_STYLE = "span.hit { background-color: #ffd54f; color: #1b1b1b; }"

ModelIndex = QModelIndex | QPersistentModelIndex


def marks_to_spans(snippet: str) -> str:
    """Qt's rich text knows no `<mark>`: highlight through a class instead."""
    return snippet.replace("<mark>", '<span class="hit">').replace("</mark>", "</span>")


def text_colors(option: QStyleOptionViewItem) -> tuple[QColor, QColor]:
    """An entry's text colour (selected or not), and the dimmer one of its details line."""
    selected = bool(option.state & QStyle.StateFlag.State_Selected)
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
    color = option.palette.color(role)
    dim = QColor(color)
    dim.setAlpha(170)
    return color, dim


def _indent(index: ModelIndex) -> int:
    """Versions shown under their story's row are set in."""
    return VERSION_INDENT if index.data(ResultRole.IS_VERSION) else 0


class ResultDelegate(QStyledItemDelegate):
    """Renders result rows as small rich-text documents.

    Signals:
        snippet_clicked(int, int): the row, and which of its passages was clicked.
        versions_clicked(int): the row whose "N versions" line was clicked.
    """

    snippet_clicked = Signal(int, int)
    versions_clicked = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def _document(self, option: QStyleOptionViewItem, index: ModelIndex) -> QTextDocument:
        text, dim = text_colors(option)
        document = QTextDocument()
        document.setDocumentMargin(0)
        document.setDefaultFont(option.font)
        document.setDefaultStyleSheet(
            f"{MARK_STYLE} p {{ margin: 0; }} "
            f"p.meta {{ color: {dim.name(dim.NameFormat.HexArgb)}; }} "
            f"p.snippet {{ margin-top: 4px; }} p.versions {{ margin-top: 2px; }}"
        )
        title = marks_to_spans(index.data(ResultRole.TITLE_HTML) or "")
        meta = html.escape(index.data(ResultRole.META) or "")
        snippets = index.data(ResultRole.SNIPPETS) or []
        color = text.name()
        versions = html.escape(index.data(ResultRole.VERSIONS) or "")
        if index.data(ResultRole.IS_VERSION):
            meta = f"↳ another version · {meta}"
        parts = [f'<p style="color:{color}"><b style="font-size:large">{title}</b></p>']
        parts.append(f'<p class="meta">{meta}</p>')
        if versions:
            parts.append(f'<p class="versions"><a href="versions">{versions}</a></p>')
        parts.extend(
            f'<p class="snippet" style="color:{color}">… {marks_to_spans(s)} …</p>'
            for s in snippets
        )
        document.setHtml("".join(parts))
        width = option.rect.width() - 2 * PADDING - STAR_WIDTH - _indent(index)
        document.setTextWidth(max(width, 120))
        return document

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        """Draw one result."""
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else None
        text = option.text
        option.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        option.text = text
        document = self._document(option, index)
        rect = option.rect
        painter.save()
        painter.translate(rect.left() + PADDING + _indent(index), rect.top() + PADDING)
        context = QAbstractTextDocumentLayout.PaintContext()
        document.documentLayout().draw(painter, context)
        painter.restore()
        star = "★" if index.data(ResultRole.BOOKMARKED) else ""
        if star:
            painter.save()
            painter.setPen(STAR_COLOR)
            star_rect = QRectF(
                rect.right() - STAR_WIDTH - PADDING / 2,
                rect.top() + PADDING,
                STAR_WIDTH,
                STAR_WIDTH,
            )
            painter.drawText(star_rect, Qt.AlignmentFlag.AlignCenter, star)
            painter.restore()
        painter.save()
        painter.setPen(option.palette.color(QPalette.ColorRole.Mid))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:  # noqa: N802
        """The height the result needs at the list's width."""
        self.initStyleOption(option, index)
        document = self._document(option, index)
        height = int(document.size().height()) + 2 * PADDING + 1
        return QSize(option.rect.width(), height)

    def editorEvent(  # noqa: N802
        self, event: QEvent, model: object, option: QStyleOptionViewItem, index: ModelIndex
    ) -> bool:
        """Tell which passage a click landed on."""
        if event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            document = self._document(option, index)
            rect = option.rect
            local = QPointF(
                event.position().x() - rect.left() - PADDING - _indent(index),
                event.position().y() - rect.top() - PADDING,
            )
            position = document.documentLayout().hitTest(local, Qt.HitTestAccuracy.FuzzyHit)
            if position >= 0:
                block = document.findBlock(position).blockNumber()
                first_snippet = 3 if index.data(ResultRole.VERSIONS) else 2
                if block == 2 and first_snippet == 3:
                    self.versions_clicked.emit(index.row())
                    return True
                if block >= first_snippet:
                    self.snippet_clicked.emit(index.row(), block - first_snippet)
                    return True  # handled: the view must not also open the article at the top
        return False
