"""Turn the bytes of a text file into text, whatever its encoding."""

from __future__ import annotations

import codecs
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
    """Recognise UTF-16 without a BOM by the zero bytes of ASCII characters."""
    sample = data[: 4096 - (4096 % 2)]
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_zeros > 0.3 * half and even_zeros < 0.05 * half:
        return "utf-16-le"
    if even_zeros > 0.3 * half and odd_zeros < 0.05 * half:
        return "utf-16-be"
    return None


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
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27, 0))
    return controls > len(sample) * 0.1


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
        return Decoded(_clean(data.decode("utf-8")), "utf-8")
    except UnicodeDecodeError as error:
        # A file that is UTF-8 but for a few damaged bytes stays UTF-8.
        if _mostly_utf8(data, error):
            return Decoded(_clean(data.decode("utf-8", errors="replace")), "utf-8")
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


def _mostly_utf8(data: bytes, error: UnicodeDecodeError) -> bool:
    """Whether a UTF-8 decode failure is local damage in text that is otherwise UTF-8."""
    decoded = data.decode("utf-8", errors="replace")
    bad = decoded.count("\ufffd")
    multibyte = sum(1 for ch in decoded if ord(ch) > 127 and ch != "\ufffd")
    return multibyte >= 3 * bad and bad <= max(3, len(decoded) // 10000)


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


def _clean(text: str) -> str:
    """Normalise line ends and drop NUL characters."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
