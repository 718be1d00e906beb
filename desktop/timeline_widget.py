"""A small histogram of the current results by month (or year); a click filters to that period."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QFocusEvent,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from desktop.periods import Bar, bars, period_label

HEIGHT = 46
LABEL_HEIGHT = 14
GAP = 2


class TimelineWidget(QWidget):
    """Bars of matches by period, the chosen period drawn in the highlight colour.

    Clicking a bar (or Enter on the focused one) chooses its period; clicking the
    chosen bar again, or Escape, clears it. Left and Right move between bars.

    Signals:
        period_chosen(str): a period ("2022", "2022-03"), or "" for all dates.
    """

    period_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Timeline")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self._bars: list[Bar] = []
        self._chosen = ""
        self._focused = -1

    def sizeHint(self) -> QSize:  # noqa: N802
        """As wide as there is room; a fixed small height."""
        return QSize(400, HEIGHT)

    def set_timeline(self, timeline: dict[str, int], chosen: str) -> None:
        """Show a result's matches by month; `chosen` is the period filtered by (or "")."""
        self._bars = bars(timeline)
        self._chosen = chosen
        periods = [bar.period for bar in self._bars]
        self._focused = periods.index(chosen) if chosen in periods else -1
        self.setVisible(len(self._bars) > 1 or bool(chosen))
        described = ", ".join(f"{bar.label}: {bar.count}" for bar in self._bars if bar.count)
        self.setAccessibleDescription(f"Matches by period. {described}")
        self.update()

    @property
    def bar_periods(self) -> list[str]:
        """The periods of the bars shown, in time order."""
        return [bar.period for bar in self._bars]

    def bar_rect(self, position: int) -> QRectF:
        """Where a bar's column is (its whole height, for clicks)."""
        width = self.width() / max(1, len(self._bars))
        return QRectF(position * width, 0, width, self.height())

    def _bar_at(self, point: QPointF) -> int:
        if not self._bars:
            return -1
        position = int(point.x() / (self.width() / len(self._bars)))
        return position if 0 <= position < len(self._bars) else -1

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        """Draw the bars, with a label under the first, last and chosen ones."""
        painter = QPainter(self)
        palette = self.palette()
        peak = max((bar.count for bar in self._bars), default=0) or 1
        chart = self.height() - LABEL_HEIGHT
        for position, bar in enumerate(self._bars):
            column = self.bar_rect(position)
            height = max(2.0 if bar.count else 0.0, (chart - 4) * bar.count / peak)
            chosen = bar.period == self._chosen
            role = QPalette.ColorRole.Highlight if chosen else QPalette.ColorRole.Mid
            color = palette.color(role)
            if self._chosen and not chosen:
                color.setAlpha(110)
            rect = QRectF(column.left() + GAP / 2, chart - height, column.width() - GAP, height)
            painter.fillRect(rect, color)
            if position == self._focused and self.hasFocus():
                painter.setPen(palette.color(QPalette.ColorRole.Text))
                painter.drawRect(column.adjusted(0.5, 0.5, -0.5, -LABEL_HEIGHT - 0.5))
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawLine(QPointF(0, chart - 0.5), QPointF(self.width(), chart - 0.5))  # baseline
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        font = painter.font()
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        painter.setFont(font)
        if self._bars:
            label_area = QRectF(0, chart, self.width(), LABEL_HEIGHT)
            align = Qt.AlignmentFlag.AlignVCenter
            painter.drawText(label_area, align | Qt.AlignmentFlag.AlignLeft, self._bars[0].label)
            painter.drawText(label_area, align | Qt.AlignmentFlag.AlignRight, self._bars[-1].label)
            unit = "month" if len(self._bars[0].period) == 7 else "year"
            hint = (
                f"{period_label(self._chosen)} (click again for all dates)"
                if self._chosen
                else f"matches by {unit}: click a bar to see that {unit} only"
            )
            painter.drawText(label_area, align | Qt.AlignmentFlag.AlignHCenter, hint)
        painter.end()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Choose the clicked bar's period, or clear it when it was already chosen."""
        position = self._bar_at(event.position())
        if position >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self._focused = position
            self._choose(position)

    def _choose(self, position: int) -> None:
        period = self._bars[position].period
        self._set_chosen("" if period == self._chosen else period)

    def _set_chosen(self, period: str) -> None:
        """Draw the choice at once (the filtered results follow) and announce it."""
        self._chosen = period
        self.update()
        self.period_chosen.emit(period)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Left/Right move between bars, Enter or Space choose, Escape clears."""
        key = event.key()
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and self._bars:
            step = -1 if key == Qt.Key.Key_Left else 1
            start = self._focused if self._focused >= 0 else (len(self._bars) if step < 0 else -1)
            self._focused = min(len(self._bars) - 1, max(0, start + step))
            self.update()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self._focused >= 0:
            self._choose(self._focused)
        elif key == Qt.Key.Key_Escape and self._chosen:
            self._set_chosen("")
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        """Show which bar the keys act on."""
        super().focusInEvent(event)
        self.update()

    def event(self, event: object) -> bool:
        """A tooltip with the bar's period and count."""
        if isinstance(event, QHelpEvent):
            position = self._bar_at(QPointF(event.pos()))
            if position >= 0:
                bar = self._bars[position]
                noun = "article" if bar.count == 1 else "articles"
                QToolTip.showText(event.globalPos(), f"{bar.label}: {bar.count} {noun}", self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)  # type: ignore[arg-type]
