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
"""

from __future__ import annotations

import struct
from itertools import starmap
from typing import Any

from whoosh.filedb import filetables

whoosh_write_hashes = filetables.HashWriter._write_hashes
_EMPTY = (0, 0)  # no entry starts at 0: the file's header is there
SLOT_KEY = "rr_slot"  # in a hash file's extras: the struct of its slots, when not Whoosh's
NARROW_SLOT = struct.Struct("!II")  # the key's hash, where the key is stored
WHOOSH_SLOT = filetables._pointer  # "!Iq"


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
    """Write the shorter hash tables (idempotent); both kinds read alike."""
    filetables.HashWriter._write_hashes = _write_hashes
