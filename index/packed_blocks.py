"""Posting blocks that decode without building a Python object per posting.

Whoosh writes each block of up to 128 postings as one compressed pickle of three
tuples: the gaps between document numbers, the weights, and each posting's encoded
positions. Unpickling such a block builds some 400 objects, 128 of them the
positions that counting and ranking never look at; it was most of a common word's
search time (70 µs a block, 160 blocks for a word in 20,000 articles).

Blocks written here hold the same three things packed into byte strings: the gaps
as 32-bit integers, the weights as doubles (when they differ), and the positions
joined, after their lengths. Unpickling one is a handful of objects; the numbers
become arrays in C, and the positions are cut apart only when a phrase asks for
them. The block's header (count, last document, best weight, lengths) is Whoosh's.

The block is pickled with protocol 3, where Whoosh's protocol 2 turns each byte string
into a call to `codecs.encode` (99 bytes for a one-posting block instead of 36, and seven
times slower to unpickle). Whoosh compresses every block with zlib, even one of 36 bytes
that zlib makes longer; a block under `SMALL_BLOCK` bytes is stored as it is, which the
block's header says, as Whoosh's own reader expects (decision 0021).

Most blocks hold one posting, so their framing counts (decision 0022): the block and its
header are pickled without a memo (nothing in them is shared) and without protocol 4's
frame, and a header's best weight that is a whole number is pickled as an integer (2 bytes
instead of 9). A one-position posting's positions are 8 bytes instead of 13
(`encode_positions`). A one-posting block went from 82 bytes to 59.

Blocks in Whoosh's own form still read: a block is packed when its gaps are bytes
(Whoosh's are a tuple), so indexes written before keep working and are repacked as
their segments are rewritten. `tests/index/test_packed_blocks.py` holds every
posting of a packed index to the same index written by Whoosh.
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
from whoosh.util.numeric import length_to_byte
from whoosh.util.numlists import delta_encode

_BIG_ENDIAN = sys.byteorder == "big"  # the packed numbers are stored little-endian
# A pickled block shorter than this is not compressed: zlib's own header and checksum take
# 11 bytes, and a one-posting block (36 bytes) came out longer than it went in.
SMALL_BLOCK = 64
_PROTOCOL = 3  # bytes as bytes, and no frame
_HEADER_PROTOCOL = 2  # as Whoosh writes it
_COUNT = struct.Struct("!I")  # a posting's position count, as Whoosh's `Positions` packs it
_PROTOCOL_MARK = 2  # the bytes of a pickle's PROTO opcode, which the unpickler does not need
# The narrow arrays' type codes, each with the largest number it holds.
_NARROW = (("B", 0xFF), ("H", 0xFFFF), ("I", 0xFFFF_FFFF))


class _Picklers(threading.local):
    """A pickler and its buffer per protocol, for each thread."""

    def __init__(self) -> None:
        self.by_protocol: dict[int, tuple[io.BytesIO, pickle.Pickler]] = {}


_picklers = _Picklers()


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
whoosh_encode_positions = formats.Positions.encode
whoosh_finish_postings = whoosh3.W3PostingsWriter.finish_postings


def _narrow(numbers: Sequence[int]) -> bytes:
    """Whole numbers, not negative, in the narrowest array that holds them, after its type code."""
    largest = max(numbers, default=0)
    typecode = next((code for code, limit in _NARROW if largest <= limit), "Q")
    return typecode.encode() + _pack(typecode, numbers)


def _widen(data: bytes) -> array[Any]:
    """The numbers `_narrow` packed."""
    return _unpack(chr(data[0]), data[1:])


def _packed(self: Any) -> tuple[bytes, Any, Any, bytes | None]:
    """A block's data in the second packed form: (id gaps, weights, values, value lengths).

    - The gaps between the block's document numbers; the header holds the last number,
      from which the first is found. A one-posting block has none.
    - The weights: None when all are 1.0 (as Whoosh writes it), empty when all equal the
      block's best weight (kept in the header), else whole numbers as a narrow array or
      other numbers as doubles.
    - The values joined and their lengths (none for a single value); a field without
      values of varying length keeps Whoosh's form, and no lengths.
    """
    ids = self._ids
    gaps = _narrow(list(map(sub, ids[1:], ids[:-1]))) if len(ids) > 1 else b""
    weights = whoosh_mini_weights(self)
    if isinstance(weights, float):
        weights = b""  # all equal to the best, which the header holds
    elif isinstance(weights, tuple):
        if all(weight >= 0 and float(weight).is_integer() for weight in weights):
            weights = _narrow(list(map(int, weights)))
        else:
            weights = b"d" + _pack("d", weights)
    values = whoosh_mini_values(self)
    if not isinstance(values, tuple):
        return gaps, weights, values, None  # None, or fixed-size values already joined
    lengths = _narrow(list(map(len, values))) if len(values) > 1 else b""
    return gaps, weights, b"".join(values), lengths


def _dumps(obj: Any, protocol: int) -> bytes:
    """`pickle.dumps` without a memo: a block shares no object, so its puts are wasted bytes.

    A pickler in fast mode keeps no memo; one per thread and protocol is reused.
    """
    picklers = _picklers.by_protocol
    pair = picklers.get(protocol)
    if pair is None:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol)
        pickler.fast = True
        pair = picklers[protocol] = (buffer, pickler)
    buffer, pickler = pair
    buffer.seek(0)
    buffer.truncate()
    pickler.dump(obj)
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
    """`W3PostingsWriter._write_block`: protocol 3 without a memo, small blocks not compressed."""
    postfile = self._postfile
    if not self._blockcount:
        postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
    self._terminfo.add_block(self)
    # Without the protocol mark (2 bytes): the unpickler reads any opcode without it.
    packed: tuple[Any, ...]
    if self._byteids:  # ids that are strings (term vectors): Whoosh's form
        packed = (whoosh_mini_ids(self), whoosh_mini_weights(self), whoosh_mini_values(self))
    else:
        packed = _packed(self)
    data = _dumps(packed, _PROTOCOL)[_PROTOCOL_MARK:]
    compression = self._compression if len(data) >= SMALL_BLOCK else 0
    if compression:
        data = zlib.compress(data, compression)
    ids = self._ids
    best = self._maxweight
    if type(best) is float and best.is_integer():
        best = int(best)  # 1 rather than 1.0: 2 bytes rather than 9
    # The header holds what Whoosh's does: count, last id, best weight, compression, lengths.
    info = _dumps(
        (
            len(ids),
            ids[-1],
            best,
            compression,
            length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
        ),
        _HEADER_PROTOCOL,
    )[_PROTOCOL_MARK:]
    length = len(info) + len(data)
    postfile.write_int(-length if last else length)  # negative: the term's last block
    postfile.write(info)
    postfile.write(data)
    self._blockcount += 1
    self._new_block()


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
    whoosh3.W3PostingsWriter.finish_postings = finish_postings
    formats.Positions.encode = encode_positions
    whoosh3.W3LeafMatcher._read_ids = read_ids
    whoosh3.W3LeafMatcher._read_weights = read_weights
    whoosh3.W3LeafMatcher._read_values = read_values
