"""Under the reader: the other versions of the article's story, and related articles.

Both lists are filled off the GUI thread once the article is shown. A version can
be opened, or compared with the article in the reader (`CompareDialog`).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.results_delegate import ModelIndex, text_colors
from desktop.results_model import hit_meta
from index import Hit, Story, restyle

_ID = Qt.ItemDataRole.UserRole + 1
_HIT = Qt.ItemDataRole.UserRole + 2
INS_STYLE = "background-color: #c8f0c8; color: #0b3d0b;"
DEL_STYLE = "color: #a01010; text-decoration: line-through;"


_PADDING = 4  # around an entry's two lines


class _EntryDelegate(QStyledItemDelegate):
    """An entry as its title in bold over a dimmer line (note, outlet, date, folder).

    With both lines in one font and colour, the second line read as an entry of its own.
    The item's text keeps both lines, for screen readers; a long line is cut short
    with "…" and shown whole in the tooltip.
    """

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        title = QFont(option.font)
        title.setBold(True)
        line = QFont(option.font)
        if option.font.pointSizeF() > 0:
            line.setPointSizeF(option.font.pointSizeF() * 0.9)
        else:  # a font sized in pixels (a style sheet's)
            line.setPixelSize(max(1, round(option.font.pixelSize() * 0.9)))
        return title, line

    def sizeHint(  # noqa: N802 - Qt's name
        self, option: QStyleOptionViewItem, index: ModelIndex
    ) -> QSize:
        title, line = self._fonts(option)
        device = option.widget  # measured for the view's screen, as the painter draws
        heights = [
            (QFontMetrics(font, device) if device else QFontMetrics(font)).height()
            for font in (title, line)
        ]
        height = sum(heights) + 3 * _PADDING
        return QSize(0, height)  # as wide as the list: long lines end in "…" instead

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: ModelIndex,
    ) -> None:
        styled = QStyleOptionViewItem(option)
        self.initStyleOption(styled, index)
        # The item's own text: the option's has its line break turned into U+2028.
        title, _, line = str(index.data(Qt.ItemDataRole.DisplayRole) or "").partition("\n")
        styled.text = ""  # the background, selection and focus only
        style = styled.widget.style() if styled.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, styled, painter, styled.widget)
        color, dim = text_colors(styled)
        title_font, line_font = self._fonts(styled)
        area = styled.rect.adjusted(_PADDING, _PADDING, -_PADDING, -_PADDING)
        painter.save()
        top = area.top()
        for text, font, pen in ((title, title_font, color), (line, line_font, dim)):
            painter.setFont(font)
            metrics = painter.fontMetrics()
            painter.setPen(pen)
            elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, area.width())
            painter.drawText(area.left(), top + metrics.ascent(), elided)  # from the baseline
            top += metrics.height() + _PADDING
        painter.restore()


def _item(hit: Hit, note: str = "") -> QListWidgetItem:
    meta = hit_meta(hit)
    line = " · ".join(part for part in (note, meta) if part)  # the note first: not cut off
    item = QListWidgetItem(f"{hit.title or '(untitled)'}\n{line}")
    item.setData(_ID, hit.id)
    item.setData(_HIT, hit)
    title = html.escape(hit.title or "(untitled)")
    item.setToolTip(f"<b>{title}</b><br>{html.escape(line)}<br>{html.escape(hit.path)}")
    return item


class StoryPanel(QWidget):
    """Other versions of the story, and related articles.

    Signals:
        open_requested(str): open this article in the reader.
        compare_requested(object): compare this version (a `Hit`) with the article in the reader.
    """

    open_requested = Signal(str)
    compare_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.versions_label = QLabel("Other versions of this story", self)
        self.versions = QListWidget(self)
        self.versions.setAccessibleName("Other versions of this story")
        self.compare_button = QPushButton("Compare with this article", self)
        self.compare_button.setAccessibleName("Compare versions")
        self.compare_button.setEnabled(False)
        self.related_label = QLabel("Related articles", self)
        self.related = QListWidget(self)
        self.related.setAccessibleName("Related articles")
        self._entries = _EntryDelegate(self)
        for widget in (self.versions, self.related):
            widget.setItemDelegate(self._entries)
            widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            widget.setAlternatingRowColors(True)
            widget.itemActivated.connect(lambda item: self.open_requested.emit(item.data(_ID)))
        self.versions.currentItemChanged.connect(
            lambda current, _: self.compare_button.setEnabled(current is not None)
        )
        self.compare_button.clicked.connect(self._compare)
        versions_box = QVBoxLayout()
        versions_box.setAlignment(Qt.AlignmentFlag.AlignTop)
        versions_box.addWidget(self.versions_label)
        versions_box.addWidget(self.versions, 1)
        versions_box.addWidget(self.compare_button, 0, Qt.AlignmentFlag.AlignLeft)
        related_box = QVBoxLayout()
        related_box.setAlignment(Qt.AlignmentFlag.AlignTop)
        related_box.addWidget(self.related_label)
        related_box.addWidget(self.related, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(versions_box, 1)
        layout.addLayout(related_box, 1)
        self.show_lists(None, [], "")

    def _compare(self) -> None:
        item = self.versions.currentItem()
        if item is not None:
            self.compare_requested.emit(item.data(_HIT))

    def show_lists(self, story: Story | None, related: list[Hit], opened_id: str) -> None:
        """Fill both lists for the article in the reader (None and [] empty them)."""
        self.versions.clear()
        self.related.clear()
        others = [v for v in story.versions if v.id != opened_id] if story else []
        for version in others:
            share = story.shares.get(version.id) if story else None
            note = f"{share:.0%} of the text shared" if share is not None else ""
            self.versions.addItem(_item(version, note))
        for hit in related:
            self.related.addItem(_item(hit))
        count = len(others)
        self.versions_label.setText(
            f"Other versions of this story ({count})" if count else "No other version of this story"
        )
        self.versions.setVisible(bool(count))
        self.compare_button.setVisible(bool(count))
        self.compare_button.setEnabled(False)
        self.related_label.setText("Related articles" if related else "No related articles")
        self.related.setVisible(bool(related))


def styled_differences(marked: str) -> str:
    """`<ins>`/`<del>` as spans Qt's rich text can show (it has no styles for those tags)."""
    return restyle(
        marked, f'<span style="{INS_STYLE}">{{}}</span>', f'<span style="{DEL_STYLE}">{{}}</span>'
    )


class CompareDialog(QDialog):
    """What one version changes in another: added words marked green, dropped ones struck out."""

    def __init__(self, old: Hit, new_title: str, marked: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare versions")
        self.resize(760, 640)
        heading = QLabel(self)
        heading.setTextFormat(Qt.TextFormat.RichText)
        heading.setWordWrap(True)
        old_title = html.escape(old.title)
        heading.setText(
            f"<b>{html.escape(new_title)}</b><br>compared with <b>{old_title}</b>: "
            f'<span style="{INS_STYLE}">added</span> · <span style="{DEL_STYLE}">dropped</span>'
        )
        self.text = QTextBrowser(self)
        self.text.setAccessibleName("Differences")
        self.text.setOpenLinks(False)  # nothing in an article may open or load anything
        self.text.setOpenExternalLinks(False)
        self.text.setHtml(styled_differences(marked))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
