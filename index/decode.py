"""Turn the bytes of a text file into text, whatever its encoding."""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass

from charset_normalizer import from_bytes

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Code pages of DOS, old Macs and rare platforms: the detector confuses them with
# the Windows and ISO encodings that saved articles really use, so it never picks them.
_UNLIKELY_ENCODINGS = [
    "cp037",
    "cp273",
    "cp424",
    "cp437",
    "cp500",
    "cp720",
    "cp737",
    "cp775",
    "cp850",
    "cp852",
    "cp855",
    "cp856",
    "cp857",
    "cp858",
    "cp860",
    "cp861",
    "cp862",
    "cp863",
    "cp864",
    "cp865",
    "cp866",
    "cp869",
    "cp875",
    "cp1006",
    "cp1026",
    "cp1125",
    "cp1140",
    "hp_roman8",
    "mac_cyrillic",
    "mac_greek",
    "mac_iceland",
    "mac_latin2",
    "mac_roman",
    "mac_turkish",
    "ptcp154",
    "kz1048",
    "tis_620",
    "iso8859_10",
    "iso8859_14",
    "iso8859_3",
    "cp932",
]

# How much of a file the detector looks at; enough for any real article's encoding.
_SNIFF_BYTES = 256 * 1024


class NotTextError(ValueError):
    """The bytes are not text in any encoding we can recognise."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text decoded from bytes, and the encoding that was used."""

    text: str
    encoding: str


def _utf16_without_bom(data: bytes) -> str | None:
    """Recognise UTF-16 without a BOM: one byte of each pair takes very few values.

    In ASCII text that byte is zero; in Cyrillic, Greek or Hebrew it is one or two
    values (0x04, 0x03, 0x05). The candidate must also decode to printable text.
    """
    sample = data[: 8192 - (8192 % 2)]
    if len(sample) < 8 or b"\x00" not in sample:
        # A text in UTF-16 has zero bytes: in its spaces, line ends, digits and punctuation.
        # Text in one-byte encodings and UTF-8 (nearly every file) has none.
        return None
    for encoding, high in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
        counts = Counter(high)
        common = sum(count for _, count in counts.most_common(3))
        if common < 0.95 * len(high) or len(set(sample[0::2]) | set(sample[1::2])) < 8:
            continue
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        printable = sum(1 for ch in text if ch.isprintable() or ch in "\n\r\t")
        if printable >= 0.97 * len(text) and "\x00" not in text:
            return encoding
    return None


# The bytes that are not control bytes in text (tab, line ends, form feed, escape, NUL).
_NOT_CONTROLS = bytes(b for b in range(256) if b >= 32 or b in (9, 10, 12, 13, 27, 0))


def looks_binary(data: bytes) -> bool:
    """Whether a byte string is binary data rather than text in a one-byte or UTF-8 encoding."""
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        zeros = sample.count(0)
        # A stray NUL or two in a text file is damage, not a sign of binary data.
        if zeros > 8 and zeros > len(sample) // 100:
            return True
    controls = len(sample.translate(None, _NOT_CONTROLS))  # the control bytes left
    # Text has next to no control bytes; random or compressed data has one in ten.
    return controls > max(2, len(sample) * 0.01)


def decode_bytes(data: bytes) -> Decoded:
    """Decode a file's bytes, trying BOMs, UTF-8, UTF-16 and then detection.

    Raises:
        NotTextError: the bytes look like binary data.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(encoding, errors="replace")
            return Decoded(_clean(text), encoding)
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return Decoded(_clean(data.decode(utf16, errors="replace")), utf16)
    if looks_binary(data):
        raise NotTextError("binary data, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if not data.translate(None, _PLAIN_BYTES):
            return Decoded(text, "utf-8")  # no control byte, so nothing to clean (most files)
        return Decoded(_clean(text), "utf-8")
    damaged = _damaged_utf8(data)
    if damaged is not None:
        return Decoded(_clean(data.decode(damaged, errors="replace")), damaged)
    encoding = _detect_encoding(data[:_SNIFF_BYTES])
    return Decoded(_clean(data.decode(encoding, errors="replace")), encoding)


def _detect_encoding(sample: bytes) -> str:
    """Pick the encoding of non-UTF-8 bytes, preferring Windows-1252 among equals.

    The detector often cannot tell single-byte Latin encodings apart on short
    texts; where Windows-1252 reads the bytes as well as the detector's first
    choice, it wins, because it is by far the most common legacy encoding of
    saved articles.
    """
    matches = list(from_bytes(sample, cp_exclusion=_UNLIKELY_ENCODINGS))
    if not matches:
        return "cp1252"
    best = matches[0]
    for match in matches:
        if match.chaos > best.chaos + 0.01 or match.coherence < best.coherence - 0.1:
            continue
        if "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return _preferred_superset(best.encoding)


def _damaged_utf8(data: bytes) -> str | None:
    """The encoding of text that is nearly valid UTF-8, or None.

    A few stray high bytes in otherwise ASCII text are Windows-1252 (as in
    "£15.8m" saved by an old editor); a few broken sequences in real UTF-8 text
    are damage, and the text stays UTF-8.
    """
    decoded = data.decode("utf-8", errors="replace")
    bad = decoded.count("\ufffd")
    if bad > max(3, len(decoded) // 10000):
        return None
    multibyte = sum(1 for ch in decoded if ord(ch) > 127 and ch != "\ufffd")
    if multibyte == 0:
        return "cp1252"
    return "utf-8" if multibyte >= 3 * bad else None


def _preferred_superset(encoding: str) -> str:
    """Prefer the Windows superset of a legacy encoding, as browsers do."""
    name = codecs.lookup(encoding).name
    return {
        "latin-1": "cp1252",
        "iso8859-1": "cp1252",
        "ascii": "cp1252",
        "gb2312": "gb18030",
        "gbk": "gb18030",
        "shift_jis": "cp932",
        "euc_kr": "cp949",
        "iso8859-9": "cp1254",
    }.get(name, name)


_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")  # all but tab and newline
# Every byte but those (`_clean` changes or drops them, line ends included): UTF-8 bytes
# made of these alone decode to text that `_clean` leaves as it is.
_PLAIN_BYTES = bytes(b for b in range(256) if not _CONTROLS.match(chr(b)))


def strip_controls(text: str) -> str:
    """Text without control characters other than tab and newline.

    Escape sequences from an article must never reach a terminal, and NULs no index.
    """
    return _CONTROLS.sub("", text)


def _clean(text: str) -> str:
    """Normalise line ends and drop control characters."""
    return strip_controls(text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n"))
