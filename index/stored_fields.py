"""Stored fields compressed in blocks of 16 articles, with a dictionary of their segment's own.

Whoosh pickles each article's stored fields (protocol 2) and compresses them with zlib, one
article at a time. An article of the scale corpus is 680 bytes of text on average, and each
pickle repeats the same field names, the same folder and path prefix and the same common
words: zlib, starting afresh for every article, found little to share, and the stored
fields took 97 MB for 107 MB of articles.

Here each segment trains a Zstandard dictionary (`DICTIONARY_BYTES`) from its first articles
(`TRAINING_ARTICLES`, or `TRAINING_BYTES` of them), and then compresses its articles 16 at
a time (`BLOCK_ARTICLES`) with it, at Zstandard's level 6: a block shares what its articles
have in common, and the dictionary gives each block what the segment's articles have in
common. A block is stored at its first article's place in Whoosh's column of stored fields;
the places after it stay empty. Reading an article decompresses its block (about 30 µs),
and the block read last is kept for the next article, so a reader walking the articles in
order decompresses each block once. On the 157,595 articles the stored fields take 46 MB,
against 70 MB with stop 17's zlib dictionary and 98 MB as Whoosh writes them (decision 0023).

The dictionary is a file of the segment's own (`DICTIONARY_FILE`, beside its columns). A
segment without one was written before, and reads as it was written: with stop 17's zlib
dictionary (`ZLIB_DICTIONARY_FILE`, one article at a time) or as Whoosh writes them. Whoosh's
own reader cannot read a segment written here: the engine always reads with these functions
installed (`index.whoosh_fixes.apply`).
"""

from __future__ import annotations

import pickle
import zlib
from typing import Any

import zstandard
from whoosh import columns
from whoosh.codec import whoosh3

from index import varints

STORED_COLUMN = "_stored"  # Whoosh's name for the stored fields' column
DICTIONARY_FILE = "_stored_zstd"  # written among the segment's columns
ZLIB_DICTIONARY_FILE = "_stored_zdict"  # stop 17's segments: zlib, one article at a time
DICTIONARY_BYTES = 64 * 1024
# The dictionary is trained once this many articles, or bytes of them, are waiting.
TRAINING_ARTICLES = 1024
TRAINING_BYTES = 4 << 20
BLOCK_ARTICLES = 16
# Against level 3 (Zstandard's default): 6% smaller, for 2 s more over 157,595 articles.
LEVEL = 6
_PROTOCOL = 5
_RAW = columns.VarBytesColumn()  # the same layout as Whoosh's, the bytes as given

whoosh_init = whoosh3.W3PerDocWriter.__init__
whoosh_finish_doc = whoosh3.W3PerDocWriter.finish_doc
whoosh_close = whoosh3.W3PerDocWriter.close
whoosh_stored_fields = whoosh3.W3PerDocReader.stored_fields


def train(samples: list[bytes], size: int = DICTIONARY_BYTES) -> bytes:
    """A Zstandard dictionary for texts like `samples`; empty when they are too few to train."""
    try:
        return bytes(zstandard.train_dictionary(size, list[Any](samples)).as_bytes())
    except zstandard.ZstdError:  # a few short articles: Zstandard refuses to train
        return b""


def _dictionary_data(dictionary: bytes) -> zstandard.ZstdCompressionDict | None:
    return zstandard.ZstdCompressionDict(dictionary) if dictionary else None


def compressor(dictionary: bytes) -> zstandard.ZstdCompressor:
    """A compressor of blocks primed with `dictionary` (none when it is empty)."""
    return zstandard.ZstdCompressor(
        level=LEVEL,
        dict_data=_dictionary_data(dictionary),
        write_checksum=False,
        write_dict_id=False,
    )


def decompressor(dictionary: bytes) -> zstandard.ZstdDecompressor:
    """The decompressor of blocks `compressor(dictionary)` compressed."""
    return zstandard.ZstdDecompressor(dict_data=_dictionary_data(dictionary))


def pack_block(articles: list[bytes]) -> bytes:
    """Pickled articles in one byte string: their lengths (LEB128), then the articles."""
    head = varints.encode(map(len, articles), bytearray([len(articles)]))
    return bytes(head) + b"".join(articles)


def unpack_block(data: bytes) -> list[bytes]:
    """The articles `pack_block` joined."""
    lengths, at = varints.decode(data, 1, data[0])
    articles = []
    for length in lengths:
        articles.append(data[at : at + length])
        at += length
    return articles


def _init(self: Any, codec: Any, storage: Any, segment: Any) -> None:
    """`W3PerDocWriter.__init__`, with a stored fields' column that takes the bytes as given."""
    whoosh_init(self, codec, storage, segment)
    # Whoosh's writer of the column pickles and compresses each value; nothing is in it yet,
    # so it is replaced by a plain writer of the same file.
    whoosh_writer = self._colwriters[STORED_COLUMN]
    self._colwriters[STORED_COLUMN] = _RAW.writer(whoosh_writer._child._dbfile)
    self._rr_compressor = None  # made once the dictionary is trained from the first articles
    waiting: list[tuple[int, bytes]] = []  # (document, pickle) until then
    self._rr_waiting = waiting
    self._rr_waiting_bytes = 0
    block: list[bytes] = []  # the current block's pickles, by place in the block
    self._rr_block = block
    self._rr_block_start = 0


def _finish_doc(self: Any) -> None:
    """`W3PerDocWriter.finish_doc`: the stored fields pickled, and compressed once trained."""
    fields = self._storedfields
    if fields:
        data = pickle.dumps(fields, _PROTOCOL)
        fields.clear()
        if self._rr_compressor is None:
            self._rr_waiting.append((self._docnum, data))
            self._rr_waiting_bytes += len(data)
            if (
                len(self._rr_waiting) >= TRAINING_ARTICLES
                or self._rr_waiting_bytes >= TRAINING_BYTES
            ):
                _train_and_write_waiting(self)
        else:
            _add(self, self._docnum, data)
    self._indoc = False


def _add(self: Any, docnum: int, data: bytes) -> None:
    """One article's pickle into its block; a block is written once the next one starts."""
    start = docnum - docnum % BLOCK_ARTICLES
    if start != self._rr_block_start:
        _write_block(self)
        self._rr_block_start = start
    block = self._rr_block
    block.extend([b""] * (docnum - start - len(block)))  # articles that stored nothing
    block.append(data)


def _write_block(self: Any) -> None:
    if self._rr_block:
        packed = self._rr_compressor.compress(pack_block(self._rr_block))
        self._colwriters[STORED_COLUMN].add(self._rr_block_start, packed)
        self._rr_block = []


def _train_and_write_waiting(self: Any) -> None:
    waiting = self._rr_waiting
    dictionary = train([data for _, data in waiting])
    self._cols.create_file(DICTIONARY_FILE).write(dictionary)
    self._rr_compressor = compressor(dictionary)
    for docnum, data in waiting:
        _add(self, docnum, data)
    waiting.clear()


def _close(self: Any) -> None:
    """`W3PerDocWriter.close`, the articles still waiting for a dictionary written first."""
    if self._indoc:
        _finish_doc(self)
    if self._rr_compressor is None and self._rr_waiting:
        _train_and_write_waiting(self)
    if self._rr_compressor is not None:
        _write_block(self)
    whoosh_close(self)


def _read_file(self: Any, name: str) -> bytes:
    file, offset, length = self._get_column_file(name)
    try:
        return bytes(file.get(offset, length)) if length else b""
    finally:
        file.close()


def _kind(self: Any) -> tuple[str, Any]:
    """How the segment's stored fields were written, and what reads them.

    ("blocks", a decompressor), ("zlib", the dictionary) or ("whoosh", None).
    """
    kind: tuple[str, Any] | None = self.__dict__.get("_rr_kind")
    if kind is None:
        if self.has_column(DICTIONARY_FILE):
            kind = ("blocks", decompressor(_read_file(self, DICTIONARY_FILE)))
        elif self.has_column(ZLIB_DICTIONARY_FILE):
            kind = ("zlib", _read_file(self, ZLIB_DICTIONARY_FILE))
        else:
            kind = ("whoosh", None)
        self._rr_kind = kind
    return kind


def decompress_zlib(data: bytes, dictionary: bytes) -> bytes:
    """An article as stop 17 compressed it: zlib, primed with the segment's dictionary."""
    unpacker = zlib.decompressobj(zdict=dictionary) if dictionary else zlib.decompressobj()
    return unpacker.decompress(data) + unpacker.flush()


def _stored_fields(self: Any, docnum: int) -> dict[str, Any]:
    """`W3PerDocReader.stored_fields` for every kind of segment."""
    kind, how = _kind(self)
    if kind == "whoosh":
        return whoosh_stored_fields(self, docnum)  # type: ignore[no-any-return]
    column = self._cached_reader(STORED_COLUMN, _RAW)
    if kind == "zlib":
        data = column[docnum]
        return pickle.loads(decompress_zlib(data, how)) if data else {}
    start = docnum - docnum % BLOCK_ARTICLES
    last = self.__dict__.get("_rr_last_block")
    if last is not None and last[0] == start:
        articles = last[1]
    else:
        data = column[start]
        articles = unpack_block(how.decompress(data)) if data else []
        self._rr_last_block = (start, articles)
    place = docnum - start
    data = articles[place] if place < len(articles) else b""
    return pickle.loads(data) if data else {}


def apply() -> None:
    """Write stored fields in blocks, and read every kind (idempotent)."""
    whoosh3.W3PerDocWriter.__init__ = _init
    whoosh3.W3PerDocWriter.finish_doc = _finish_doc
    whoosh3.W3PerDocWriter.close = _close
    whoosh3.W3PerDocReader.stored_fields = _stored_fields
