"""A segment's term table with fewer and smaller slots in its hash tables.

Whoosh finds a word's entry through 256 hash tables of 12-byte slots (the key's hash and
an 8-byte place in the file), each table twice as long as its entries: 24 bytes a word, in
a term table of 82 bytes a word on the scale corpus (712,538 words in 6 segments). Here
each table has a third more slots than entries (decision 0022), and a slot's place takes
4 bytes when the file is under 4 GB (decision 0023), as the file's extras say
(`SLOT_KEY`): 10.7 bytes a word. A lookup probes slots until it finds the word or an empty
slot: about 2.5 probes for a word that is there and 8.5 for one that is not, against 1.5
and 2.5. Each probe is one read of the memory map (`whoosh_fixes._ranges_for_key`, which
reads both slot sizes); a search looks up a few words per segment.

Each entry starts with its key's and its value's lengths: Whoosh writes them as two 4-byte
integers, here as two variable-length integers (2 bytes for a word's entry), as the
extras say (`LENGTHS_KEY`). The readers of entries (`_key_at`, `_key_and_range_at`,
`_ranges`, and the engine's look-ups) read both ways.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from itertools import starmap
from typing import Any

from whoosh.filedb import filetables

from index import varints

whoosh_write_hashes = filetables.HashWriter._write_hashes
whoosh_add = filetables.HashWriter.add
whoosh_ordered_add = filetables.OrderedHashWriter.add
whoosh_read_extras = filetables.HashReader._read_extras
whoosh_key_at = filetables.HashReader.key_at
whoosh_key_and_range_at = filetables.HashReader.key_and_range_at
whoosh_ranges = filetables.HashReader._ranges
_EMPTY = (0, 0)  # no entry starts at 0: the file's header is there
SLOT_KEY = "rr_slot"  # in a hash file's extras: the struct of its slots, when not Whoosh's
LENGTHS_KEY = "rr_lengths"  # in a hash file's extras: how each entry's lengths are written
LEB128 = "leb128"  # two variable-length integers (index.varints), not Whoosh's 8 bytes
_WHOOSH_LENGTHS = struct.Struct("!ii")
_MOST_LENGTH_BYTES = 2 * 5  # two variable-length integers under 2**35
_ENTRY_READ = 2 + 62  # an entry's lengths and a key of up to 62 bytes, read in one call
NARROW_SLOT = struct.Struct("!II")  # the key's hash, where the key is stored
WHOOSH_SLOT = filetables._pointer  # "!Iq"


def _add(self: Any, key: bytes, value: bytes) -> int:
    """`HashWriter.add`: the key's and the value's lengths as variable-length integers.

    Returns the entry's place. Only entries are written between two calls, so the place
    is where the last entry ended: asking the file (`tell`, a system call) for each of a
    segment's 100,000 words took 4% of a worker's time.
    """
    position: int | None = self._rr_end
    if position is None:
        position = int(self.dbfile.tell())
    entry = bytes(varints.encode((len(key), len(value)))) + key + value
    self.dbfile.write(entry)
    self._rr_end = position + len(entry)
    keyhash = self.hashfn(key)
    self.buckets[keyhash & 255].append((keyhash, position))
    return position


def _ordered_add(self: Any, key: bytes, value: bytes) -> None:
    """`OrderedHashWriter.add`: keys in order, each entry's place kept, without a `tell`."""
    if key <= self.lastkey:
        raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
    self.index.append(_add(self, key, value))
    self.lastkey = key


def _read_extras(self: Any) -> None:
    """`HashReader._read_extras`, noting how the file writes its slots and entries' lengths."""
    whoosh_read_extras(self)
    self._rr_slot = slot_struct(self.extras)
    self._rr_leb128 = self.extras.get(LENGTHS_KEY) == LEB128


def entry_lengths(reader: Any, position: int) -> tuple[int, int, int]:
    """The entry at `position`: its key's length, its value's length, and its key's place."""
    head = reader.dbfile.get(position, _MOST_LENGTH_BYTES)
    if not reader._rr_leb128:
        keylen, datalen = _WHOOSH_LENGTHS.unpack_from(head)
        return keylen, datalen, position + _WHOOSH_LENGTHS.size
    keylen, datalen = head[0], head[1]
    if keylen < varints.HIGH_BIT and datalen < varints.HIGH_BIT:  # nearly every entry
        return keylen, datalen, position + 2
    (keylen, datalen), end = varints.decode(bytes(head), 0, 2)
    return keylen, datalen, position + end


def _key_at(self: Any, pos: int) -> bytes:
    """`HashReader.key_at` for both ways of writing lengths."""
    if not self._rr_leb128:
        return whoosh_key_at(self, pos)  # type: ignore[no-any-return]
    keylen, _datalen, keypos = entry_lengths(self, pos)
    return self.dbfile.get(keypos, keylen)  # type: ignore[no-any-return]


def _key_and_range_at(self: Any, pos: int) -> tuple[bytes, int, int] | None:
    """`HashReader.key_and_range_at` for both ways of writing lengths.

    A walk over the words (fuzzy words, suggestions) calls this for each word: a word's
    entry is read with one call to the file when its key is short.
    """
    if not self._rr_leb128:
        return whoosh_key_and_range_at(self, pos)  # type: ignore[no-any-return]
    if pos >= self.endofdata:
        return None
    chunk = self.dbfile.get(pos, _ENTRY_READ)
    keylen, datalen = chunk[0], chunk[1]
    if keylen < varints.HIGH_BIT and datalen < varints.HIGH_BIT and keylen + 2 <= len(chunk):
        return chunk[2 : 2 + keylen], pos + 2 + keylen, datalen
    keylen, datalen, keypos = entry_lengths(self, pos)
    return self.dbfile.get(keypos, keylen), keypos + keylen, datalen


def _ranges(
    self: Any, pos: int | None = None, eod: int | None = None
) -> Iterator[tuple[int, int, int, int]]:
    """`HashReader._ranges`: (key's place, its length, value's place, its length) of each entry."""
    if not self._rr_leb128:
        yield from whoosh_ranges(self, pos, eod)
        return
    pos = pos or self.startofdata
    eod = eod or self.endofdata
    while pos < eod:
        keylen, datalen, keypos = entry_lengths(self, pos)
        datapos = keypos + keylen
        yield keypos, keylen, datapos, datalen
        pos = datapos + datalen


def slot_struct(extras: dict[str, Any]) -> struct.Struct:
    """The struct of a hash file's slots, from its extras."""
    return NARROW_SLOT if extras.get(SLOT_KEY) == NARROW_SLOT.format else WHOOSH_SLOT


def slot_count(entries: int) -> int:
    """Slots for a table of `entries`: a third more, and always one empty (a probe's end)."""
    return entries * 4 // 3 + 1 if entries else 0


def _write_hashes(self: Any) -> None:
    """`HashWriter._write_hashes`, with shorter tables of smaller slots.

    Each table is a third longer than its entries, not twice, and its slots take 8 bytes
    rather than 12 when every place fits in 4 bytes.
    """
    dbfile = self.dbfile
    last = max((position for entries in self.buckets for _hash, position in entries), default=0)
    packing = NARROW_SLOT if last < 1 << 32 else WHOOSH_SLOT
    if packing is NARROW_SLOT:
        self.extras[SLOT_KEY] = NARROW_SLOT.format
    self.extras[LENGTHS_KEY] = LEB128  # as `_add` wrote them
    for entries in self.buckets:
        numslots = slot_count(len(entries))
        self.directory.append((dbfile.tell(), numslots))
        table = [_EMPTY] * numslots
        for keyhash, position in entries:
            slot = (keyhash >> 8) % numslots
            while table[slot] != _EMPTY:  # linear probing, as Whoosh's reader follows it
                slot = (slot + 1) % numslots
            table[slot] = (keyhash, position)
        dbfile.write(b"".join(starmap(packing.pack, table)))


def apply() -> None:
    """Write the shorter hash tables and lengths (idempotent); both kinds read alike."""
    filetables.HashWriter._write_hashes = _write_hashes
    filetables.HashWriter._rr_end = None  # where the last entry ended (`_add`)
    filetables.HashWriter.add = _add
    filetables.OrderedHashWriter.add = _ordered_add
    # Whoosh's kind, until a reader reads its file's extras.
    filetables.HashReader._rr_slot = WHOOSH_SLOT
    filetables.HashReader._rr_leb128 = False
    filetables.HashReader._read_extras = _read_extras
    filetables.HashReader.key_at = _key_at
    filetables.HashReader.key_and_range_at = _key_and_range_at
    filetables.HashReader._ranges = _ranges
