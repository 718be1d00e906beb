"""Which files are articles, told by their names alone.

Kept apart from `index.extract` (which brings the HTML readers): the walk of a
re-sync asks for every file, also in its helper process, and needs nothing else.
"""

from __future__ import annotations

import re
from pathlib import Path

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})

_KIND_BY_SUFFIX: dict[str, str | None] = {}  # a scan asks once per file, for a few suffixes
_KINDS_KEPT = 1000


def kind_of(path: Path | str) -> str | None:
    """The reader a file name calls for: "text", "markdown", "html", "sniff", or None (skip)."""
    name = path.name if isinstance(path, Path) else path
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot < len(name) - 1 else ""  # as `Path.suffix`
    try:  # remembered as written: a re-sync asks for every file, and most need no `lower`
        return _KIND_BY_SUFFIX[suffix]
    except KeyError:
        kind = _kind_of_suffix(suffix.lower())
    if len(_KIND_BY_SUFFIX) < _KINDS_KEPT:
        _KIND_BY_SUFFIX[suffix] = kind
    return kind


def _kind_of_suffix(suffix: str) -> str | None:
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix == "" or not re.fullmatch(r"\.[A-Za-z][A-Za-z0-9]{0,5}", suffix):
        # No extension (or a dot that is part of the name, "Mr. Smith goes"): look inside.
        return "sniff"
    return None
