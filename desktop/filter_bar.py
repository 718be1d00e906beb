"""Sort order and filters by outlet, year and folder (with counts), and "bookmarked only"."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QWidget

from index import Filters, SortOrder

SORT_LABELS = {
    SortOrder.RELEVANCE: "Relevance",
    SortOrder.NEWEST: "Newest first",
    SortOrder.OLDEST: "Oldest first",
    SortOrder.TITLE: "Title",
}
FACET_LABELS = {"source": "All outlets", "year": "All years", "folder": "All folders"}


class FilterBar(QWidget):
    """A row of combo boxes above the results.

    Signals:
        sort_changed(object): the new `SortOrder`.
        filters_changed(object): the new `Filters`.
        bookmarked_only_changed(bool): whether to show bookmarked articles only.
    """

    sort_changed = Signal(object)
    filters_changed = Signal(object)
    bookmarked_only_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sort_combo = QComboBox(self)
        self.sort_combo.setAccessibleName("Sort order")
        for order, label in SORT_LABELS.items():
            self.sort_combo.addItem(label, order)
        self.facet_combos: dict[str, QComboBox] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        sort_label = QLabel("&Sort:", self)
        sort_label.setBuddy(self.sort_combo)
        layout.addWidget(sort_label)
        layout.addWidget(self.sort_combo)
        for name, label in FACET_LABELS.items():
            combo = QComboBox(self)
            combo.setAccessibleName(label.replace("All ", "Filter by ").rstrip("s"))
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMaximumWidth(260)
            combo.addItem(label, None)
            self.facet_combos[name] = combo
            layout.addWidget(combo)
        self.bookmarked_check = QCheckBox("&Bookmarked only", self)
        self.bookmarked_check.setAccessibleName("Bookmarked only")
        layout.addWidget(self.bookmarked_check)
        layout.addStretch(1)
        self._updating = False
        self.period = ""  # the timeline's chosen period ("2022", "2022-03"), or ""
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.sort_combo.currentIndexChanged.connect(
            lambda _: self.sort_changed.emit(SortOrder(self.sort_combo.currentData()))
        )
        for combo in self.facet_combos.values():
            combo.currentIndexChanged.connect(self._on_facet_changed)
        self.bookmarked_check.toggled.connect(self.bookmarked_only_changed)

    def set_sort(self, order: SortOrder) -> None:
        """Show a sort order without announcing it."""
        self.sort_combo.blockSignals(True)
        self.sort_combo.setCurrentIndex(max(0, self.sort_combo.findData(order)))
        self.sort_combo.blockSignals(False)

    def filters(self) -> Filters:
        """The filters chosen."""
        chosen = {name: combo.currentData() for name, combo in self.facet_combos.items()}
        return Filters(
            sources=(chosen["source"],) if chosen["source"] else (),
            years=(int(chosen["year"]),) if chosen["year"] else (),
            folders=(chosen["folder"],) if chosen["folder"] else (),
            periods=(self.period,) if self.period else (),
        )

    def apply(self, filters: Filters, sort: SortOrder) -> None:
        """Show a saved search's filters and sort order, without announcing them."""
        self.set_sort(sort)
        wanted = {
            "source": filters.sources[0] if filters.sources else None,
            "year": str(filters.years[0]) if filters.years else None,
            "folder": filters.folders[0] if filters.folders else None,
        }
        for name, combo in self.facet_combos.items():
            value = wanted[name]
            combo.blockSignals(True)
            if value is not None and combo.findData(value) < 0:
                combo.addItem(value, value)
            combo.setCurrentIndex(max(0, combo.findData(value)) if value else 0)
            combo.setEnabled(combo.count() > 1)
            combo.blockSignals(False)
        self.period = filters.periods[0] if filters.periods else ""

    def set_period(self, period: str) -> None:
        """Filter by a period of the timeline ("" for all dates)."""
        if period != self.period:
            self.period = period
            self.filters_changed.emit(self.filters())

    def update_facets(self, facets: dict[str, dict[str, int]]) -> None:
        """Offer the values of the current results, with counts, keeping the choice."""
        self._updating = True
        for name, combo in self.facet_combos.items():
            current = combo.currentData()
            counts = dict(facets.get(name, {}))
            if name == "year":
                counts = dict(sorted(counts.items(), reverse=True))
            if current is not None and current not in counts:
                counts[current] = 0
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(FACET_LABELS[name], None)
            for value, count in counts.items():
                combo.addItem(f"{value} ({count})", value)
            combo.setCurrentIndex(max(0, combo.findData(current)) if current else 0)
            combo.setEnabled(combo.count() > 1)
            combo.blockSignals(False)
        self._updating = False

    def _on_facet_changed(self) -> None:
        if not self._updating:
            self.filters_changed.emit(self.filters())
