"""File names as text that SQLite, Whoosh and JSON can all store.

POSIX file names are bytes. Python decodes the bytes that are not UTF-8 to lone
surrogates (U+DC80..U+DCFF), which SQLite and JSON refuse. They are stored as
characters of the private-use block U+F780..U+F7FF instead, and mapped back
before the file is opened.
"""

from __future__ import annotations

from pathlib import Path

_SURROGATE_BASE = 0xDC00
_PRIVATE_BASE = 0xF700


def path_to_key(path: Path | str) -> str:
    """The storable text of a path."""
    text = str(path)
    if text.isascii():
        return text
    return "".join(
        chr(_PRIVATE_BASE + (ord(ch) - _SURROGATE_BASE)) if 0xDC80 <= ord(ch) <= 0xDCFF else ch
        for ch in text
    )


def key_to_path(key: str) -> Path:
    """The path a stored text stands for."""
    if key.isascii():
        return Path(key)
    return Path(
        "".join(
            chr(_SURROGATE_BASE + (ord(ch) - _PRIVATE_BASE)) if 0xF780 <= ord(ch) <= 0xF7FF else ch
            for ch in key
        )
    )
