"""The result list as a real list model: one row per hit, pages appended as the list scrolls."""

from __future__ import annotations

import html
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from index import Hit, SearchResult

ModelIndex = QModelIndex | QPersistentModelIndex


class ResultRole(IntEnum):
    """Data roles of the result list."""

    HIT = Qt.ItemDataRole.UserRole + 1
    ID = Qt.ItemDataRole.UserRole + 2
    TITLE_HTML = Qt.ItemDataRole.UserRole + 3
    META = Qt.ItemDataRole.UserRole + 4
    SNIPPETS = Qt.ItemDataRole.UserRole + 5
    BOOKMARKED = Qt.ItemDataRole.UserRole + 6
    PATH = Qt.ItemDataRole.UserRole + 7
    VERSIONS = Qt.ItemDataRole.UserRole + 8  # "▸ 3 versions · BBC, Reuters", or ""
    IS_VERSION = Qt.ItemDataRole.UserRole + 9  # a version shown under its story's row


def hit_meta(hit: Hit) -> str:
    """The line under a title: outlet · date · folder."""
    date = hit.date.strftime("%-d %b %Y") if hit.date else ""
    return " · ".join(part for part in (hit.source or "", date, hit.folder) if part)


class ResultsModel(QAbstractListModel):
    """The hits of the current query.

    Signals:
        more_wanted(): the view scrolled to the end and more hits exist.
    """

    more_wanted = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hits: list[Hit] = []
        self._total = 0
        self._bookmarked: frozenset[str] = frozenset()
        self._versions: dict[str, list[str]] = {}  # an expanded row's id: its versions' ids

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        """Rows: the hits loaded so far (a list has no children)."""
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """The hit's data for a role."""
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return html.escape(hit.path)  # a file name must never render as rich text
        if role == ResultRole.PATH:
            return hit.path
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{hit.title}. {hit_meta(hit)}"
        if role == ResultRole.HIT:
            return hit
        if role == ResultRole.ID:
            return hit.id
        if role == ResultRole.TITLE_HTML:
            return hit.title_html or hit.title
        if role == ResultRole.META:
            return hit_meta(hit)
        if role == ResultRole.SNIPPETS:
            return list(hit.snippets)
        if role == ResultRole.BOOKMARKED:
            return hit.id in self._bookmarked
        if role == ResultRole.VERSIONS:
            return self._versions_line(index.row())
        if role == ResultRole.IS_VERSION:
            return self._is_version(index.row())
        return None

    def _versions_line(self, row: int) -> str:
        hit = self._hits[row]
        if hit.versions < 2 or self._is_version(row):
            return ""
        arrow = "▾" if hit.id in self._versions else "▸"
        outlets = " · " + ", ".join(hit.outlets) if hit.outlets else ""
        return f"{arrow} {hit.versions} versions{outlets}"

    def _is_version(self, row: int) -> bool:
        hit = self._hits[row]
        return any(hit.id in ids for ids in self._versions.values())

    def is_expanded(self, row: int) -> bool:
        """Whether a story's row shows its versions beneath it."""
        hit = self.hit(row)
        return hit is not None and hit.id in self._versions

    def expand(self, row: int, versions: list[Hit]) -> None:
        """Show a story's other versions beneath its row."""
        hit = self.hit(row)
        if hit is None or hit.id in self._versions:
            return
        listed = {h.id for h in self._hits}
        others = [v for v in versions if v.id != hit.id and v.id not in listed]
        self._versions[hit.id] = [v.id for v in others]
        if others:
            self.beginInsertRows(QModelIndex(), row + 1, row + len(others))
            self._hits[row + 1 : row + 1] = others
            self.endInsertRows()
        self.dataChanged.emit(self.index(row), self.index(row), [ResultRole.VERSIONS])

    def collapse(self, row: int) -> None:
        """Hide the versions shown beneath a story's row."""
        hit = self.hit(row)
        if hit is None or hit.id not in self._versions:
            return
        count = len(self._versions.pop(hit.id))
        if count:
            self.beginRemoveRows(QModelIndex(), row + 1, row + count)
            del self._hits[row + 1 : row + 1 + count]
            self.endRemoveRows()
        self.dataChanged.emit(self.index(row), self.index(row), [ResultRole.VERSIONS])

    def roleNames(self) -> dict[int, QByteArray]:  # noqa: N802
        """Names of the custom roles."""
        names = dict(super().roleNames())
        names.update({int(role): QByteArray(role.name.lower().encode()) for role in ResultRole})
        return names

    def canFetchMore(self, parent: ModelIndex) -> bool:  # noqa: N802
        """Whether more hits exist than are loaded."""
        shown = len(self._hits) - sum(len(ids) for ids in self._versions.values())
        return not parent.isValid() and shown < self._total

    def fetchMore(self, parent: ModelIndex) -> None:  # noqa: N802
        """Ask for the next page (it arrives later, through `append`)."""
        if self.canFetchMore(parent):
            self.more_wanted.emit()

    def reset(self, result: SearchResult) -> None:
        """Show a new query's first page."""
        self.beginResetModel()
        self._hits = list(result.hits)
        self._versions = {}
        self._total = result.rows
        self.endResetModel()

    def append(self, result: SearchResult) -> None:
        """Add a further page of the current query."""
        known = {hit.id for hit in self._hits}
        new = [hit for hit in result.hits if hit.id not in known]
        self._total = result.rows
        if not new:
            return
        first = len(self._hits)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._hits.extend(new)
        self.endInsertRows()

    def set_bookmarked(self, ids: frozenset[str]) -> None:
        """Which articles carry a star."""
        if ids == self._bookmarked:
            return
        self._bookmarked = ids
        if self._hits:
            self.dataChanged.emit(
                self.index(0), self.index(len(self._hits) - 1), [ResultRole.BOOKMARKED]
            )

    def hit(self, row: int) -> Hit | None:
        """The hit in a row, or None."""
        return self._hits[row] if 0 <= row < len(self._hits) else None

    @property
    def total(self) -> int:
        """How many rows the query has in all (each story once)."""
        return self._total
