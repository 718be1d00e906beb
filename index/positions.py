"""Word positions in a posting, written as variable-length integers: 1.6 bytes a posting, not 9.

Whoosh's `Positions` format writes a posting's positions as a 4-byte count and then a
pickled list of the gaps between them (8 bytes for one position even in the engine's
shorter pickle, `packed_blocks.encode_positions`). Postings with positions are four
fifths of the index's postings, and most hold one or two positions.

`PackedPositions` writes the same gaps as LEB128 variable-length integers: seven bits a
byte, the high bit set on every byte but a number's last. A gap under 128 takes one byte
and one under 16,384 two; the count is the number of bytes without the high bit. Encoding
looks each gap up in a table of the encoded numbers under 16,384, which made it 2.7 times
as fast as the pickle. When every byte is under 128 (every gap is), decoding is
`accumulate` over the bytes, in C.

The format is the field's, pickled into the index's schema: an index written before keeps
Whoosh's `Positions` in its schema and reads and writes as before (decision 0023).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate
from operator import sub

from whoosh import formats

from index import varints

_TABLE_LIMIT = varints.SMALL_LIMIT  # numbers of one or two bytes
_CONTINUATION_BYTES = bytes(range(varints.HIGH_BIT, 256))
_varint = varints.encode_one
_ENCODED = varints.SMALL


def encode_gaps(numbers: Sequence[int]) -> bytes:
    """The gaps between ascending `numbers` (the first from 0), as LEB128 integers."""
    if len(numbers) <= 1:
        if not numbers:
            return b""
        first = numbers[0]
        return _ENCODED[first] if first < _TABLE_LIMIT else _varint(first)
    gaps = [numbers[0], *map(sub, numbers[1:], numbers[:-1])]
    try:
        return b"".join([_ENCODED[gap] for gap in gaps])
    except IndexError:  # a gap of 16,384 or more (a list index is never negative here)
        return b"".join([_ENCODED[gap] if gap < _TABLE_LIMIT else _varint(gap) for gap in gaps])


def decode_gaps(encoded: bytes) -> list[int]:
    """The ascending numbers whose gaps `encode_gaps` wrote.

    In C when every gap after the first is under 128 (the first, a place in the article,
    often is not): `accumulate` over the bytes.
    """
    if not encoded:
        return []
    end = 0
    while encoded[end] >= varints.HIGH_BIT:  # the first gap's bytes
        end += 1
        if end == len(encoded):
            break
    rest = encoded[end + 1 :]
    if not rest or max(rest) < varints.HIGH_BIT:
        (first,), _end = varints.decode(encoded, 0, 1)
        return list(accumulate(rest, initial=first))
    gaps, _end = varints.decode(encoded, 0, count_gaps(encoded))
    return list(accumulate(gaps))


def count_gaps(encoded: bytes) -> int:
    """How many numbers `encoded` holds: its bytes without the high bit."""
    return len(encoded.translate(None, _CONTINUATION_BYTES))


class PackedPositions(formats.Positions):  # type: ignore[misc]  # no type information
    """Whoosh's `Positions` (frequency, weight, positions), the positions as LEB128 gaps."""

    def encode(self, poslist: Sequence[int]) -> bytes:
        """A posting's positions, ascending."""
        return encode_gaps(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        """The positions `encode` wrote."""
        return decode_gaps(valuestring)

    def decode_frequency(self, valuestring: bytes) -> int:
        """How many positions the posting has."""
        return count_gaps(valuestring)

    def decode_weight(self, valuestring: bytes) -> float:
        """The posting's weight, as Whoosh's `Positions` gives it."""
        return float(count_gaps(valuestring) * self.field_boost)
