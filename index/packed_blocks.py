"""Posting blocks that decode without building a Python object per posting, in few bytes.

Whoosh writes each block of up to 128 postings as one compressed pickle of three
tuples: the gaps between document numbers, the weights, and each posting's encoded
positions. Unpickling such a block builds some 400 objects, 128 of them the
positions that counting and ranking never look at; it was most of a common word's
search time (70 µs a block, 160 blocks for a word in 20,000 articles).

Blocks written here (`_packed`) hold the same things packed into byte strings, each in the
narrowest array that holds its numbers: the gaps between document numbers (the last
number is in the header, so a one-posting block has no gaps), the weights when they
differ (whole numbers as small integers), and the positions joined, after their lengths.
Unpickling one is a handful of objects; the numbers become arrays in C, and the positions
are cut apart only when a phrase asks for them.

The block is pickled with protocol 3, where Whoosh's protocol 2 turns each byte string
into a call to `codecs.encode` (seven times slower to unpickle), without a memo, a frame
or the protocol mark. Whoosh compresses every block with zlib, even one of 36 bytes that
zlib makes longer; a block under `SMALL_BLOCK` bytes is stored as it is (decision 0021).
Its header holds what Whoosh's holds (count, last document, best weight, compression,
field lengths) as variable-length integers rather than a pickle, and a term's blocks start
with one byte rather than Whoosh's four (`block_bytes`, decision 0023). Most blocks
hold one posting: such a block takes 20 bytes, against 59 at stop 17 and 107 as Whoosh
writes it.

Blocks written before still read: a term's blocks have compact headers when they start
with `COMPACT_MARK`, and a block's data is in the current form when it holds four things,
in the first packed form when its gaps are bytes, and else in Whoosh's. Indexes written
before keep working, and are rewritten in the current form as their segments are merged.
`tests/index/test_packed_blocks.py` holds every posting of a packed index to the same
index written by Whoosh.
"""

from __future__ import annotations

import io
import pickle
import struct
import sys
import threading
import zlib
from array import array
from collections.abc import Sequence
from itertools import accumulate
from operator import sub
from typing import Any

from whoosh import formats
from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.util.numlists import delta_encode

from index import varints

_BIG_ENDIAN = sys.byteorder == "big"  # the packed numbers are stored little-endian
# A pickled block shorter than this is not compressed: zlib's own header and checksum take
# 11 bytes, and a one-posting block (36 bytes) came out longer than it went in.
SMALL_BLOCK = 64
_PROTOCOL = 3  # bytes as bytes, and no frame
_COUNT = struct.Struct("!I")  # a posting's position count, as Whoosh's `Positions` packs it
_PROTOCOL_MARK = 2  # the bytes of a pickle's PROTO opcode, which the unpickler does not need
# A term's blocks with compact headers start with this byte; Whoosh's start with "W3Bl".
COMPACT_MARK = b"\x01"
_COMPRESSED = 1  # a compact header's flags
_BEST_IS_DOUBLE = 2
_COMPRESSION = 3  # the zlib level of a compressed block (Whoosh's); any level reads back
_DOUBLE = struct.Struct("<d")
_HEADER_BYTES = 5 * 4 + 8 + 2  # the most a compact header takes
# The narrow arrays' type codes, each with the largest number it holds.
_NARROW = (("B", 0xFF), ("H", 0xFFFF), ("I", 0xFFFF_FFFF))


class _Pickler(threading.local):
    """A pickler of blocks in fast mode (no memo) and its buffer, for each thread."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.pickler = pickle.Pickler(self.buffer, _PROTOCOL)
        self.pickler.fast = True


_pickler = _Pickler()


def _pack(typecode: str, numbers: Any) -> bytes:
    packed = array(typecode, numbers)
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed.tobytes()


def _unpack(typecode: str, data: bytes) -> array[Any]:
    numbers = array(typecode)
    numbers.frombytes(data)
    if _BIG_ENDIAN:
        numbers.byteswap()
    return numbers


# Whoosh's own block writers and readers, for blocks of string ids and for the tests.
whoosh_mini_ids = whoosh3.W3PostingsWriter._mini_ids
whoosh_mini_weights = whoosh3.W3PostingsWriter._mini_weights
whoosh_mini_values = whoosh3.W3PostingsWriter._mini_values
whoosh_read_values = whoosh3.W3LeafMatcher._read_values
whoosh_write_block = whoosh3.W3PostingsWriter._write_block
whoosh_read_header = whoosh3.W3LeafMatcher._read_header
whoosh_goto = whoosh3.W3LeafMatcher._goto
whoosh_encode_positions = formats.Positions.encode
whoosh_finish_postings = whoosh3.W3PostingsWriter.finish_postings


def narrow(numbers: Sequence[int]) -> bytes:
    """Whole numbers, not negative, in the narrowest array that holds them, after its type code."""
    largest = max(numbers, default=0)
    typecode = next((code for code, limit in _NARROW if largest <= limit), "Q")
    return typecode.encode() + _pack(typecode, numbers)


def _widen(data: bytes) -> array[Any]:
    """The numbers `_narrow` packed."""
    return _unpack(chr(data[0]), data[1:])


def _packed(self: Any) -> tuple[bytes, Any, Any, bytes | None]:
    """A buffered block's data in the second packed form (`packed_data`)."""
    return packed_data(self._ids, whoosh_mini_weights(self), whoosh_mini_values(self))


def packed_data(
    ids: Sequence[int], weights: Any, values: Any
) -> tuple[bytes, Any, Any, bytes | None]:
    """A block's data in the second packed form: (id gaps, weights, values, value lengths).

    `weights` and `values` are as Whoosh minifies them (`_mini_weights`, `_mini_values`),
    or the weights already packed (bytes).

    - The gaps between the block's document numbers; the header holds the last number,
      from which the first is found. A one-posting block has none.
    - The weights: None when all are 1.0 (as Whoosh writes it), empty when all equal the
      block's best weight (kept in the header), else whole numbers as a narrow array or
      other numbers as doubles.
    - The values joined and their lengths (none for a single value); a field without
      values of varying length keeps Whoosh's form, and no lengths.
    """
    gaps = narrow(list(map(sub, ids[1:], ids[:-1]))) if len(ids) > 1 else b""
    if isinstance(weights, float):
        weights = b""  # all equal to the best, which the header holds
    elif isinstance(weights, tuple):
        if all(weight >= 0 and float(weight).is_integer() for weight in weights):
            weights = narrow(list(map(int, weights)))
        else:
            weights = b"d" + _pack("d", weights)
    if not isinstance(values, tuple):
        return gaps, weights, values, None  # None, or fixed-size values already joined
    lengths = narrow(list(map(len, values))) if len(values) > 1 else b""
    return gaps, weights, b"".join(values), lengths


def _dumps(obj: Any) -> bytes:
    """`pickle.dumps` (protocol 3) without a memo: a block shares no object.

    Its puts would be wasted bytes. A pickler in fast mode keeps no memo; one per thread is
    reused.
    """
    buffer = _pickler.buffer
    buffer.seek(0)
    buffer.truncate()
    _pickler.pickler.dump(obj)
    return buffer.getvalue()


def encode_positions(self: Any, positions: Any) -> bytes:
    """`Positions.encode` in fewer bytes, as Whoosh's `decode_positions` still reads them.

    Whoosh writes the count, then a protocol 2 pickle of the gaps between positions: for
    one position, 4 + 9 bytes. Here the pickle has no protocol mark, no memo and no stop
    (Whoosh's decoder adds the stop when it is missing): 4 + 4 bytes.
    """
    gaps = list(delta_encode(positions))
    # pickle.dumps opens a list with PROTO 2, EMPTY_LIST, BINPUT 0 and ends it with STOP.
    return _COUNT.pack(len(gaps)) + b"]" + pickle.dumps(gaps, 2)[5:-1]


def finish_postings(self: Any) -> Any:
    """`W3PostingsWriter.finish_postings`, a lone posting without a value kept in the entry.

    An article's id (and a folder, a year or a month found in one article) has one posting
    and no value: a block of 59 bytes and 12 more in the term's entry to point at it. Its
    entry holds it instead (20 bytes), as Whoosh's `inlinelimit` meant to, and Whoosh's
    reader gives it back as a `ListMatcher`. (Whoosh's own check is one posting short, and
    the call it would make is misspelt, `set_inline`.) Words with positions keep their
    block: counting and ranking read blocks.
    """
    if self._blockcount or len(self._ids) != 1 or self._values:
        return whoosh_finish_postings(self)
    terminfo = self._terminfo
    terminfo.add_block(self)
    terminfo.set_inlined(self._ids, self._weights, (None,))  # as a block reads back
    self._terminfo = None  # between terms, as Whoosh leaves it
    return terminfo


def _write_block(self: Any, last: bool = False) -> None:
    """`W3PostingsWriter._write_block`: packed data behind a compact header (`block_bytes`).

    A term's blocks start with `COMPACT_MARK` instead of Whoosh's 4-byte tag.
    """
    postfile = self._postfile
    if self._byteids:  # ids that are strings (term vectors): Whoosh's own block
        whoosh_write_block(self, last)
        return
    if not self._blockcount:
        postfile.write(COMPACT_MARK)
    self._terminfo.add_block(self)
    ids = self._ids
    postfile.write(
        block_bytes(
            _packed(self),
            len(ids),
            ids[-1],
            self._maxweight,
            self._minlength,
            self._maxlength,
            last,
            self._compression,
        )
    )
    self._blockcount += 1
    self._new_block()


def block_bytes(
    data: tuple[bytes, Any, Any, bytes | None],
    count: int,
    maxid: int,
    best: float,
    minlength: int | None,
    maxlength: int,
    last: bool,
    compression: int,
) -> bytes:
    """A block as it is written: its compact header, then its data (`packed_data`).

    The data is pickled with protocol 3, without a memo or the protocol mark (the unpickler
    reads any opcode without it); a block under `SMALL_BLOCK` bytes is not compressed.

    The header holds what Whoosh's holds, as variable-length integers (9 bytes for a lone
    posting): the data's length (doubled, plus one for the term's last block), a flags byte
    (compressed; best weight not whole), the posting count, the last document, the best
    weight (a whole number, or a double) and the shortest and longest field lengths (as
    Whoosh's length bytes; None for none).
    """
    pickled = _dumps(data)[_PROTOCOL_MARK:]
    if len(pickled) < SMALL_BLOCK:
        compression = 0
    if compression:
        pickled = zlib.compress(pickled, compression)
    whole = float(best).is_integer() and best >= 0
    flags = (_COMPRESSED if compression else 0) | (0 if whole else _BEST_IS_DOUBLE)
    header = varints.encode([len(pickled) << 1 | last, flags, count, maxid])
    if whole:
        varints.encode([int(best)], header)
    else:
        header += _DOUBLE.pack(best)
    header.append(length_to_byte(minlength))
    header.append(length_to_byte(maxlength))
    header += pickled
    return bytes(header)


def read_header(self: Any) -> None:
    """`W3LeafMatcher._read_header`: a term's blocks of either kind, by their first byte."""
    postfile = self._postfile
    self._rr_compact = postfile.get(self._startoffset, 1) == COMPACT_MARK
    if self._rr_compact:
        self._baseoffset = self._startoffset + 1
    else:
        whoosh_read_header(self)


def goto(self: Any, position: int) -> None:
    """`W3LeafMatcher._goto`: the block at `position`, its header read, its data left unread."""
    if not self._rr_compact:
        whoosh_goto(self, position)
        return
    self._data = self._ids = self._weights = self._values = None
    self._i = 0
    head = bytes(self._postfile.get(position, _HEADER_BYTES))
    (length, flags, count, maxid), at = varints.decode(head, 0, 4)
    if flags & _BEST_IS_DOUBLE:
        (best,) = _DOUBLE.unpack_from(head, at)
        at += _DOUBLE.size
    else:
        (whole,), at = varints.decode(head, at, 1)
        best = float(whole)
    self._lastblock = bool(length & 1)
    self._blocklength, self._maxid, self._maxweight = count, maxid, best
    self._compression = _COMPRESSION if flags & _COMPRESSED else 0
    self._minlength = byte_to_length(head[at])
    self._maxlength = byte_to_length(head[at + 1])
    self._dataoffset = position + at + 2
    self._nextoffset = self._dataoffset + (length >> 1)


def _form(data: tuple[Any, ...]) -> int:
    """Which form a block's data has: 2 (`_packed`), 1 (the first packed form) or 0 (Whoosh's)."""
    if len(data) == 4:
        return 2
    return 1 if type(data[0]) is bytes else 0


def read_ids(self: Any) -> None:
    """The block's document numbers (`W3LeafMatcher._read_ids`)."""
    if self._data is None:
        self._read_data()
    data = self._data
    form = _form(data)
    if form == 2:
        if data[0]:
            gaps = _widen(data[0])
            self._ids = tuple(accumulate(gaps, initial=self._maxid - sum(gaps)))
        else:
            self._ids = (self._maxid,)
        return
    ids = _unpack("I", data[0]) if form else data[0]
    self._ids = ids if self._byteids else tuple(accumulate(ids))


def read_weights(self: Any) -> None:
    """The block's weights (`W3LeafMatcher._read_weights`); equal weights are stored once."""
    if self._data is None:
        self._read_data()
    weights = self._data[1]
    if weights is None:
        weights = 1.0
    elif weights == b"":
        weights = float(self._maxweight)  # (the second form) all equal to the best
    if isinstance(weights, float):
        self._weights = array("f", [weights]) * self._blocklength
    elif type(weights) is bytes:
        if _form(self._data) == 1:
            self._weights = _unpack("d", weights)
        else:
            numbers = _widen(weights)
            self._weights = numbers if numbers.typecode == "d" else array("d", numbers)
    else:
        self._weights = weights


def read_values(self: Any) -> None:
    """The block's values, e.g. encoded positions (`W3LeafMatcher._read_values`)."""
    if self._data is None:
        self._read_data()
    data = self._data
    form = _form(data)
    if form == 2:
        joined, lengths = data[2], data[3]
        if lengths is None:
            whoosh_read_values(self)  # Whoosh's form, at the same place
            return
        if not lengths:
            self._values = (joined,)
            return
        lengths = _widen(lengths)
    elif form == 1 and isinstance(data[2], tuple):
        lengths, joined = data[2]
        lengths = _unpack("I", lengths)
    else:
        whoosh_read_values(self)
        return
    ends = list(accumulate(lengths))
    starts = [0, *ends[:-1]]
    self._values = tuple(map(joined.__getitem__, map(slice, starts, ends)))


def apply() -> None:
    """Write packed blocks and read both kinds (idempotent)."""
    whoosh3.W3PostingsWriter._write_block = _write_block
    whoosh3.W3LeafMatcher._read_header = read_header
    whoosh3.W3LeafMatcher._goto = goto
    whoosh3.W3PostingsWriter.finish_postings = finish_postings
    formats.Positions.encode = encode_positions
    whoosh3.W3LeafMatcher._read_ids = read_ids
    whoosh3.W3LeafMatcher._read_weights = read_weights
    whoosh3.W3LeafMatcher._read_values = read_values
