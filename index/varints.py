"""LEB128 variable-length integers: seven bits a byte, the high bit set on all but the last.

A number under 128 takes one byte, one under 16,384 two. The index writes its positions
(`index.positions`), term entries (`index.term_entries`), block headers
(`index.packed_blocks`) and blocks of stored fields (`index.stored_fields`) with them.
"""

from __future__ import annotations

from collections.abc import Iterable

HIGH_BIT = 0x80


def encode(numbers: Iterable[int], into: bytearray | None = None) -> bytearray:
    """`numbers` (none negative) appended to `into` (a new bytearray when not given)."""
    encoded = bytearray() if into is None else into
    for number in numbers:
        while number >= HIGH_BIT:
            encoded.append((number & 0x7F) | HIGH_BIT)
            number >>= 7
        encoded.append(number)
    return encoded


# Every number of one or two bytes, encoded: looking one up is several times as fast as
# encoding it (positions, term entries and block headers are mostly such numbers).
SMALL_LIMIT = 1 << 14
SMALL = [bytes(encode([number])) for number in range(SMALL_LIMIT)]


def encode_one(number: int) -> bytes:
    """One number (not negative), encoded; from `SMALL` when it is there."""
    return SMALL[number] if number < SMALL_LIMIT else bytes(encode([number]))


def decode(data: bytes, at: int, count: int) -> tuple[list[int], int]:
    """`count` numbers from `data` starting at `at`, and where they end."""
    numbers = []
    for _ in range(count):
        number = shift = 0
        while True:
            byte = data[at]
            at += 1
            number |= (byte & 0x7F) << shift
            if byte < HIGH_BIT:
                break
            shift += 7
        numbers.append(number)
    return numbers, at
