"""The bars of a timeline: matches by month, or by year when they span more than three years."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_MONTH_BARS = 36
_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: a period ("2022" or "2022-03") and how many matches fall in it."""

    period: str
    count: int

    @property
    def label(self) -> str:
        """The period as people read it: "Mar 2022" or "2022"."""
        return period_label(self.period)


def is_period(text: str) -> bool:
    """Whether a text names a year ("2022") or a month ("2022-03")."""
    return bool(_PERIOD.match(text))


def period_label(period: str) -> str:
    """A month as people read it ("2022-03" as "Mar 2022"); a year as itself."""
    if len(period) == 7:
        return f"{_MONTHS[int(period[5:]) - 1]} {period[:4]}"
    return period


def bars(timeline: dict[str, int]) -> list[Bar]:
    """Bars from first to last period with matches, empty periods between included.

    Months while they fit in `MAX_MONTH_BARS`, else years.
    """
    months = sorted(m for m in timeline if is_period(m) and len(m) == 7)
    if not months:
        return []
    first, last = _index(months[0]), _index(months[-1])
    if last - first < MAX_MONTH_BARS:
        return [Bar(_month(i), timeline.get(_month(i), 0)) for i in range(first, last + 1)]
    years: dict[str, int] = {}
    for month in months:
        years[month[:4]] = years.get(month[:4], 0) + timeline[month]
    start, end = int(months[0][:4]), int(months[-1][:4])
    return [Bar(str(y), years.get(str(y), 0)) for y in range(start, end + 1)]


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:]) - 1


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def format_timeline(timeline: dict[str, int], width: int = 40) -> str:
    """The timeline as text: one line per period, with a bar of # marks."""
    shown = bars(timeline)
    if not shown:
        return "Timeline: no dates"
    peak = max(bar.count for bar in shown) or 1
    lines = ["Timeline (published, else the file's date):"]
    for bar in shown:
        marks = "#" * max(1 if bar.count else 0, round(bar.count / peak * width))
        lines.append(f"  {bar.label:>8}  {bar.count:>6}  {marks}")
    return "\n".join(lines)
