"""Stored fields compressed with a dictionary of their own segment's text.

Whoosh pickles each article's stored fields (protocol 2) and compresses them with zlib, one
article at a time. An article of the scale corpus is 680 bytes on average, and each pickle
repeats the same field names, the same folder and path prefix and the same common words:
zlib, starting afresh for every article, found little to share, and the stored fields took
97 MB for 107 MB of articles.

Here each segment trains a small dictionary (`DICTIONARY_BYTES`) from its first articles:
their most common pieces of text, the most common last, and the shortest article's pickle,
which holds every field name. zlib starts each article with that dictionary as if it had
just read it (`zdict`), and the pickle uses a current protocol. On the 157,595 articles the
stored fields take 70 MB, for half a second more of compression (decision 0022).

The dictionary is a file of the segment's own (`DICTIONARY_FILE`, beside its columns). A
segment without one was written by Whoosh's code and still reads as Whoosh reads it, so
indexes written before keep working and change as their segments are rewritten. Whoosh's own
reader cannot read a segment written here (zlib needs the dictionary): the engine always
reads with these functions installed (`index.whoosh_fixes.apply`).
"""

from __future__ import annotations

import pickle
import re
import zlib
from collections import Counter
from typing import Any

from whoosh import columns
from whoosh.codec import whoosh3

STORED_COLUMN = "_stored"  # Whoosh's name for the stored fields' column
DICTIONARY_FILE = "_stored_zdict"  # written among the segment's columns
DICTIONARY_BYTES = 4096
# The dictionary is trained once this many articles, or bytes of them, are waiting.
TRAINING_ARTICLES = 256
TRAINING_BYTES = 1 << 20
LEVEL = 3  # zlib's level, as Whoosh compresses
_PROTOCOL = 5
# A piece of text: a run of non-space bytes (UTF-8 letters included), after one space.
_PIECE = re.compile(rb" ?[^\x00-\x20]{1,24}")
_SKELETON_BYTES = 1024  # the most of the shortest article kept for its field names
_RAW = columns.VarBytesColumn()  # the same layout as Whoosh's, the bytes as given

whoosh_init = whoosh3.W3PerDocWriter.__init__
whoosh_finish_doc = whoosh3.W3PerDocWriter.finish_doc
whoosh_close = whoosh3.W3PerDocWriter.close
whoosh_stored_fields = whoosh3.W3PerDocReader.stored_fields


def train(samples: list[bytes], size: int = DICTIONARY_BYTES) -> bytes:
    """A zlib dictionary for texts like `samples`: common pieces, then the shortest sample.

    zlib's matches are cheapest near the end of the dictionary, so the most common pieces
    come last, before the shortest sample (every field name, a path, a folder).
    """
    if not samples:
        return b""
    skeleton = min(samples, key=len)[:_SKELETON_BYTES]
    counts: Counter[bytes] = Counter()
    for sample in samples:
        counts.update(_PIECE.findall(sample))
    pieces: list[bytes] = []
    total = len(skeleton)
    for piece, count in counts.most_common():
        if count < 2 or total + len(piece) > size:
            break
        if len(piece) >= 3:  # shorter pieces cost zlib as much to point at as to spell out
            pieces.append(piece)
            total += len(piece)
    pieces.reverse()
    return b"".join(pieces) + skeleton


def compress(data: bytes, dictionary: bytes) -> bytes:
    """`data` compressed by zlib, primed with `dictionary` when there is one."""
    packer = zlib.compressobj(LEVEL, zdict=dictionary) if dictionary else zlib.compressobj(LEVEL)
    return packer.compress(data) + packer.flush()


def decompress(data: bytes, dictionary: bytes) -> bytes:
    """What `compress(data, dictionary)` was given."""
    unpacker = zlib.decompressobj(zdict=dictionary) if dictionary else zlib.decompressobj()
    return unpacker.decompress(data) + unpacker.flush()


def _init(self: Any, codec: Any, storage: Any, segment: Any) -> None:
    """`W3PerDocWriter.__init__`, with a stored fields' column that takes the bytes as given."""
    whoosh_init(self, codec, storage, segment)
    # Whoosh's writer of the column pickles and compresses each value; nothing is in it yet,
    # so it is replaced by a plain writer of the same file.
    whoosh_writer = self._colwriters[STORED_COLUMN]
    self._colwriters[STORED_COLUMN] = _RAW.writer(whoosh_writer._child._dbfile)
    self._rr_dictionary = None  # trained from the first articles
    waiting: list[tuple[int, bytes]] = []  # (document, pickle) until then
    self._rr_waiting = waiting
    self._rr_waiting_bytes = 0


def _finish_doc(self: Any) -> None:
    """`W3PerDocWriter.finish_doc`: the stored fields pickled, and compressed once trained."""
    fields = self._storedfields
    if fields:
        data = pickle.dumps(fields, _PROTOCOL)
        fields.clear()
        if self._rr_dictionary is None:
            self._rr_waiting.append((self._docnum, data))
            self._rr_waiting_bytes += len(data)
            if (
                len(self._rr_waiting) >= TRAINING_ARTICLES
                or self._rr_waiting_bytes >= TRAINING_BYTES
            ):
                _train_and_write_waiting(self)
        else:
            self._colwriters[STORED_COLUMN].add(self._docnum, compress(data, self._rr_dictionary))
    self._indoc = False


def _train_and_write_waiting(self: Any) -> None:
    waiting = self._rr_waiting
    dictionary = self._rr_dictionary = train([data for _, data in waiting])
    self._cols.create_file(DICTIONARY_FILE).write(dictionary)
    column = self._colwriters[STORED_COLUMN]
    for docnum, data in waiting:
        column.add(docnum, compress(data, dictionary))
    waiting.clear()


def _close(self: Any) -> None:
    """`W3PerDocWriter.close`, the articles still waiting for a dictionary written first."""
    if self._indoc:
        _finish_doc(self)
    if self._rr_dictionary is None and self._rr_waiting:
        _train_and_write_waiting(self)
    whoosh_close(self)


def _dictionary(self: Any) -> bytes | None:
    """The segment's dictionary; None for a segment written by Whoosh's code."""
    try:
        return self._rr_dictionary  # type: ignore[no-any-return]
    except AttributeError:
        pass
    dictionary = None
    if self.has_column(DICTIONARY_FILE):
        file, offset, length = self._get_column_file(DICTIONARY_FILE)
        try:
            dictionary = bytes(file.get(offset, length)) if length else b""
        finally:
            file.close()
    self._rr_dictionary = dictionary
    return dictionary


def _stored_fields(self: Any, docnum: int) -> dict[str, Any]:
    """`W3PerDocReader.stored_fields` for both kinds of segment."""
    dictionary = _dictionary(self)
    if dictionary is None:
        return whoosh_stored_fields(self, docnum)  # type: ignore[no-any-return]
    data = self._cached_reader(STORED_COLUMN, _RAW)[docnum]
    return pickle.loads(decompress(data, dictionary)) if data else {}


def apply() -> None:
    """Write stored fields with a dictionary, and read both kinds (idempotent)."""
    whoosh3.W3PerDocWriter.__init__ = _init
    whoosh3.W3PerDocWriter.finish_doc = _finish_doc
    whoosh3.W3PerDocWriter.close = _close
    whoosh3.W3PerDocReader.stored_fields = _stored_fields
