"""Recognise publication dates written the ways articles write them."""

from __future__ import annotations

import re
from datetime import datetime

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_PREFIX = r"(?:(?:published|updated|posted|date|first published)\s*(?:on|:)?\s*)?"
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
_TAIL = r"(?:\s*(?:[,|•·-]|at)?\s*\d{1,2}[:.]\d{2}.*)?$"
_PATTERNS = [
    re.compile(
        rf"(?i)^{_PREFIX}(?P<year>\d{{4}})-(?P<mnum>\d{{1,2}})-(?P<day>\d{{1,2}})(?:[T ].*)?$"
    ),
    re.compile(
        rf"(?i)^{_PREFIX}{_WEEKDAY}{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}}){_TAIL}"
    ),
    re.compile(
        rf"(?i)^{_PREFIX}{_WEEKDAY}(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>\d{{4}}){_TAIL}"
    ),
]


def parse_date_line(line: str) -> datetime | None:
    """The date a short line states ("March 25, 2022", "Published: 2022-03-25"), or None."""
    stripped = line.strip()
    if len(stripped) > 80:
        return None
    for pattern in _PATTERNS:
        match = pattern.match(stripped)
        if match is None:
            continue
        groups = match.groupdict()
        month = int(groups["mnum"]) if groups.get("mnum") else _MONTHS[groups["month"].lower()]
        try:
            return datetime(int(groups["year"]), month, int(groups["day"]))
        except ValueError:
            return None
    return None


def parse_date_value(value: object) -> datetime | None:
    """A date from metadata (front matter, meta tags): a date, a datetime or an ISO-like string."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if hasattr(value, "year") and hasattr(value, "month") and hasattr(value, "day"):
        return datetime(value.year, value.month, value.day)  # a datetime.date
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        try:
            return datetime(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    return parse_date_line(text)
