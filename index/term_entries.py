"""A word's entry in the term table in 10 to 16 bytes, not 35 to 51.

Whoosh's entry for a word (`W3TermInfo`) is a fixed 23-byte record (flags, total weight,
document count, shortest and longest field length, best weight, first and last document),
then either an 8-byte offset and a 4-byte length of the postings, or a pickle of the
postings kept in the entry. Most words of an archive are rare: a word found once took 35
bytes, and an article's id, whose one posting the entry keeps (`packed_blocks`), 51.

A compact entry starts with a flags byte of 2 or more (Whoosh writes 0 or 1) and holds the
same numbers as variable-length integers (`index.positions`), the last document as its gap
from the first. The weights are written as Whoosh's 4-byte floats would read back: as
whole numbers when they are (nearly always), else as those floats. A lone posting kept in
the entry, the first document at the term's weight and without a value, is not written
again. Anything else the entry may hold is written as Whoosh writes it.

Entries of either kind read alike, so segments written before keep working (decision 0023).
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length, length_to_byte

from index import varints

_INLINED = 1  # as Whoosh's flag: the postings are in the entry
_COMPACT = 2
COMPACT_FLAGS = _COMPACT  # an entry with its postings elsewhere (`inverting._lone_posting`)
_LONE = 4  # the entry's one posting is implied: the first document, at the term's weight
_FLOATS = 8  # the weights are 4-byte floats rather than whole numbers
_FLOAT = struct.Struct("!f")  # as Whoosh packs a weight
_TWO_FLOATS = struct.Struct("!ff")
# The most bytes before a compact entry's extent: flags, five numbers and two lengths.
_HEAD_BYTES = 1 + 5 * 10 + 2

whoosh_to_bytes = whoosh3.W3TermInfo.to_bytes
whoosh_from_bytes = whoosh3.W3TermInfo.from_bytes.__func__
whoosh_read_weight = whoosh3.W3TermInfo.read_weight.__func__
whoosh_read_doc_freq = whoosh3.W3TermInfo.read_doc_freq.__func__
whoosh_read_min_and_max_length = whoosh3.W3TermInfo.read_min_and_max_length.__func__
whoosh_read_max_weight = whoosh3.W3TermInfo.read_max_weight.__func__


def _as_read(weight: float) -> float:
    """A weight as Whoosh's 4-byte float gives it back."""
    (rounded,) = _FLOAT.unpack(_FLOAT.pack(weight))
    return float(rounded)


def to_bytes(self: Any) -> bytes:
    """`W3TermInfo.to_bytes`, compact when the entry's numbers allow it."""
    minid, maxid, inlined = self._minid, self._maxid, self._inlined
    offset, length = self._offset, self._length
    if minid is None or maxid is None or maxid < minid or self._df < 0:
        return whoosh_to_bytes(self)  # type: ignore[no-any-return]
    if inlined is None and not (isinstance(offset, int) and isinstance(length, int)):
        return whoosh_to_bytes(self)  # type: ignore[no-any-return]
    if inlined is None:
        return extent_entry(
            self._df,
            self._weight,
            self._maxweight,
            self._minlength,
            self._maxlength,
            minid,
            maxid,
            offset,
            length,
        )
    head = _numbers(self._df, self._weight, self._maxweight, self._minlength, self._maxlength)
    if inlined == ((minid,), (_as_read(self._weight),), (None,)):
        return _inlined(head, minid, maxid, None)
    return _inlined(head, minid, maxid, pickle.dumps(inlined, 2))


def lone_entry(
    df: int,
    weight: float,
    best: float,
    minlength: int | None,
    maxlength: int,
    minid: int,
    maxid: int,
) -> bytes:
    """A compact entry that holds the term's lone posting: `minid`, at the term's weight."""
    return _inlined(_numbers(df, weight, best, minlength, maxlength), minid, maxid, None)


def _inlined(head: bytearray, minid: int, maxid: int, postings: bytes | None) -> bytes:
    """An entry that holds its postings: pickled after its documents, or none for a lone one."""
    head[0] |= _INLINED if postings is not None else _INLINED | _LONE
    varints.encode([minid, maxid - minid], head)
    return bytes(head) if postings is None else bytes(head + postings)


def extent_entry(
    df: int,
    weight: float,
    best: float,
    minlength: int | None,
    maxlength: int,
    minid: int,
    maxid: int,
    offset: int,
    length: int,
) -> bytes:
    """A compact entry for postings written at `offset` in the postings file.

    The term's document count, total and best weight, shortest and longest field length
    (None for none), first and last document, and where its postings are.
    """
    head = _numbers(df, weight, best, minlength, maxlength)
    varints.encode([minid, maxid - minid, offset, length], head)
    return bytes(head)


def _numbers(
    df: int, weight: float, best: float, minlength: int | None, maxlength: int
) -> bytearray:
    """A compact entry's flags byte and the numbers every entry holds."""
    weight, best = _as_read(weight), _as_read(best)
    head = bytearray([_COMPACT])
    if weight >= 0 and best >= 0 and weight.is_integer() and best.is_integer():
        varints.encode([df, int(weight), int(best)], head)
    else:
        head[0] |= _FLOATS
        varints.encode([df], head)
        head += _TWO_FLOATS.pack(weight, best)
    head.append(length_to_byte(minlength))  # (0 for None, as Whoosh writes it)
    head.append(length_to_byte(maxlength))
    return head


def from_bytes(cls: Any, data: bytes) -> Any:
    """`W3TermInfo.from_bytes` for entries of both kinds."""
    flags = data[0]
    if flags < _COMPACT:
        return whoosh_from_bytes(cls, data)
    info = cls()
    if flags & _FLOATS:
        (df,), at = varints.decode(data, 1, 1)
        weight, best = _TWO_FLOATS.unpack_from(data, at)
        at += _TWO_FLOATS.size
    else:
        (df, weight, best), at = varints.decode(data, 1, 3)
        weight, best = float(weight), float(best)
    info._df, info._weight, info._maxweight = df, weight, best
    info._minlength = byte_to_length(data[at])
    info._maxlength = byte_to_length(data[at + 1])
    if flags & _INLINED:
        (minid, gap), at = varints.decode(data, at + 2, 2)
        if flags & _LONE:
            info._inlined = ((minid,), (weight,), (None,))
        else:
            info._inlined = pickle.loads(data[at:])  # noqa: S301 - the entry the engine wrote
    else:
        (minid, gap, info._offset, info._length), at = varints.decode(data, at + 2, 4)
    info._minid, info._maxid = minid, minid + gap
    return info


def _head(dbfile: Any, datapos: int) -> Any | None:
    """The compact entry at `datapos`, read without its extent; None for Whoosh's kind."""
    if dbfile.get_byte(datapos) < _COMPACT:
        return None
    data = bytes(dbfile.get(datapos, _HEAD_BYTES)) + bytes(_HEAD_BYTES)  # (it may cut in two)
    # Read as a lone posting's entry: the head alone, whatever follows it.
    return from_bytes(whoosh3.W3TermInfo, bytes([data[0] | _INLINED | _LONE]) + data[1:])


def _read(whoosh_read: Any, numbers: Callable[[Any], Any]) -> classmethod[Any, Any, Any]:
    """A `W3TermInfo.read_*` class method for entries of both kinds.

    It gives `numbers` of a compact entry's head, or calls Whoosh's own reader for Whoosh's.
    """

    def read(cls: Any, dbfile: Any, datapos: int) -> Any:
        info = _head(dbfile, datapos)
        return whoosh_read(cls, dbfile, datapos) if info is None else numbers(info)

    return classmethod(read)


def apply() -> None:
    """Write compact entries (idempotent); both kinds read alike."""
    term_info = whoosh3.W3TermInfo
    term_info.to_bytes = to_bytes
    term_info.from_bytes = classmethod(from_bytes)
    term_info.read_weight = _read(whoosh_read_weight, attrgetter("_weight"))
    term_info.read_doc_freq = _read(whoosh_read_doc_freq, attrgetter("_df"))
    term_info.read_min_and_max_length = _read(
        whoosh_read_min_and_max_length, attrgetter("_minlength", "_maxlength")
    )
    term_info.read_max_weight = _read(whoosh_read_max_weight, attrgetter("_maxweight"))
