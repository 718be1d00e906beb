"""Fixes for slow paths in Whoosh 2.7, applied when the engine is imported.

1. Whoosh (and whoosh-reloaded, frozen upstream) looks up a field's length
   column with a file-system check on every posting when the field has no such
   column (unscored fields: IDs, keywords). It never caches the negative
   answer, so writing a segment made hundreds of thousands of `stat` calls; on
   bbc that was a quarter of the indexing time.
2. A segment reader builds a new column reader each time it is asked, and a
   column reader of variable-length values first reads the offsets of every
   document. Each search that sorts or counts facets asked again: on 40,000
   articles, 22 ms of every search went there. Readers are kept per segment
   reader (one per searcher and thread in this engine).

3. Over several segments, `terms_within` (fuzzy words, "did you mean") fell back to
   computing the edit distance to every word of the field in Python (a second per
   misspelt word on 150,000 articles); each segment can walk its own words with an
   automaton, which is what it does on one segment.

4. Opening a file inside a compound segment copied it into memory (a `BytesIO`
   over the memory map): a searcher held the whole index in RAM, 600 MB for
   150,000 articles. The files are now read from the memory map in place.

5. Each searcher mapped each segment afresh, and every map counts the pages it has read
   as the process's own: with a searcher per thread, the window held the same index
   pages two or three times (260 MB of mapped index for 150,000 articles). Searchers
   now share one read-only map per segment file.

6. A block of postings was decoded with Python generators: document numbers summed
   from their gaps one by one, a block of equal weights built one float at a time.
   `itertools.accumulate` and array repetition do the same in C (every search reads
   hundreds of blocks); and blocks are now written packed (index/packed_blocks.py).

7. Finding a word in a segment's term index (each step of a fuzzy word's walk, each
   "did you mean") was a binary search whose every probe read the key through five
   Python calls; it now reads the memory map directly (fuzzy words 40% faster).

8. A column of variable-length values (folders, title sort keys) worked out each
   document's offset in a Python loop when opened, and was read value by value:
   0.15 s of the first search that counts folders on 150,000 articles. The offsets are
   summed with `itertools.accumulate`, and a whole column is read as one slice.

9. Finding a key in a hash file (a word's entry in a segment, an article by its id) read
   each slot and key through a Python call on the file; it now reads the memory map in
   place, as 7 does.

10. Finding a document by a unique field (an article by its id) opened the term's postings
    in every segment (`first_id`), and `Searcher.document` ran a whole query. A term in one
    document of a segment names it in its entry; `document` is now what Whoosh documents
    it to be, `stored_fields(document_number(...))`. Story members on 157,595 articles:
    0.19 s to 0.08 s; fetching the texts that grouping their stories checks: 4.7 s less.

The segments are immutable once written, so caching the answers of 1 and 2, and
sharing the maps of 5, is safe.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading
import weakref
from array import array
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

from whoosh import columns
from whoosh.codec import whoosh3
from whoosh.filedb.compound import CompoundStorage, StorageError
from whoosh.filedb.filetables import HashReader, OrderedHashReader
from whoosh.filedb.structfile import BufferFile
from whoosh.reading import MultiReader, ReaderClosed, SegmentReader, TermNotFound
from whoosh.searching import Searcher

from index import packed_blocks, stored_fields, term_entries, term_table, varints


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
        return reader


def _column_reader(
    self: Any, fieldname: str, column: Any = None, reverse: bool = False, translate: bool = True
) -> Any:
    if self.is_closed:
        raise ReaderClosed
    fieldobj = self.schema[fieldname]
    column = column or fieldobj.column_type
    if not column:
        raise ValueError(f"No column for field {fieldname!r} in {self!r}")
    cache: dict[tuple[str, type, bool, bool], Any] = self.__dict__.setdefault("_rr_columns", {})
    key = (fieldname, type(column), reverse, translate)
    reader = cache.get(key)
    if reader is not None:
        return reader
    if self._perdoc.has_column(fieldname):
        reader = self._perdoc.column_reader(fieldname, column)
        if reverse:
            reader.set_reverse()
    else:  # no column file in this segment: every document has the default
        reader = columns.EmptyColumnReader(column.default_value(reverse), self.doc_count_all())
    if translate:
        reader = columns.TranslatingColumnReader(reader, fieldobj.from_column_value)
    cache[key] = reader
    return reader


def _terms_within(
    self: Any, fieldname: str, text: str, maxdist: int, prefix: int = 0
) -> Iterator[str]:
    seen: set[str] = set()
    for reader in self.readers:
        for word in reader.terms_within(fieldname, text, maxdist, prefix):
            if word not in seen:
                seen.add(word)
                yield word


class _MapReader:
    """A read-only file over part of a memory map, reading without copying the rest."""

    __slots__ = ("_end", "_map", "_pos", "_start")

    def __init__(self, source: Any, offset: int, length: int) -> None:
        self._map = source
        self._start = offset
        self._end = offset + length
        self._pos = offset

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = self._end if size is None or size < 0 else min(self._end, start + size)
        self._pos = max(start, end)
        return bytes(self._map[start:end])

    def peek(self, size: int = 0) -> memoryview:
        """The bytes from the position on, without moving it and without copying them.

        Python's unpickler reads ahead with this when a file has it: a posting block's
        header is then one read, not one for each of its parts.
        """
        return memoryview(self._map)[self._pos : min(self._end, self._pos + max(size, 1))]

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        stop = self._map.find(b"\n", self._pos, self._end)
        end = self._end if stop < 0 else stop + 1
        if size is not None and size >= 0:
            end = min(end, self._pos + size)
        return self.read(end - self._pos)

    def seek(self, position: int, whence: int = 0) -> int:
        base = {0: self._start, 1: self._pos, 2: self._end}[whence]
        self._pos = base + position
        return self._pos - self._start

    def tell(self) -> int:
        return self._pos - self._start

    def close(self) -> None:
        self._map = b""


class _MappedFile(BufferFile):  # type: ignore[misc]  # Whoosh has no type information
    """Whoosh's buffer file for a part of a compound segment, minus the copy."""

    def __init__(self, source: Any, offset: int, length: int, name: str) -> None:
        self._buf = memoryview(source)[offset : offset + length]
        self._name = name
        self.file = _MapReader(source, offset, length)
        self.onclose = None
        self.is_real = False
        self.is_closed = False

    def close(self) -> None:
        if not self.is_closed:
            self._buf.release()
            self.file.close()
            self.is_closed = True


def _open_compound_file(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    if self.is_closed:
        raise StorageError("Storage was closed")
    if not self._source:
        return _original_open_file(self, name, *args, **kwargs)
    offset, length = self.range(name)
    return _MappedFile(self._source, offset, length, name)


_original_open_file = CompoundStorage.open_file

# One map per segment file (device, inode, size, modification time), while anyone uses it.
_maps: weakref.WeakValueDictionary[tuple[int, int, int, int], mmap.mmap] = (
    weakref.WeakValueDictionary()
)
_maps_lock = threading.Lock()


def _shared_map(fileno: int) -> mmap.mmap:
    """A read-only map of the open file `fileno`, shared with other readers of that file."""
    info = os.fstat(fileno)
    key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    with _maps_lock:
        source = _maps.get(key)
        if source is None or source.closed:
            source = mmap.mmap(fileno, 0, access=mmap.ACCESS_READ)
            _maps[key] = source
        return source


def release_mapped_pages() -> int:
    """Let the kernel take back the index pages the maps hold; returns the bytes released.

    The pages stay in the file cache, so the next search maps them again cheaply; until
    then they no longer count as this process's memory. For an idle window.
    """
    advice = getattr(mmap, "MADV_DONTNEED", None)
    if advice is None:  # not on this system
        return 0
    with _maps_lock:
        sources = [source for source in _maps.values() if not source.closed]
    released = 0
    for source in sources:
        try:
            source.madvise(advice)
        except (OSError, ValueError):  # closed meanwhile: nothing to release
            continue
        released += len(source)
    return released


def _compound_init(self: Any, dbfile: Any, use_mmap: bool = True, basepos: int = 0) -> None:
    self._file = dbfile
    self.is_closed = False
    dbfile.seek(basepos)
    self._diroffset = dbfile.read_long()
    self._dirlength = dbfile.read_int()
    dbfile.seek(self._diroffset)
    self._dir = dbfile.read_pickle()
    self._options = dbfile.read_pickle()
    self._locks = {}
    self._source = None
    if use_mmap and hasattr(dbfile, "fileno"):
        try:
            self._source = _shared_map(dbfile.fileno())
        except (OSError, ValueError):  # no map (out of address space, odd file): read it
            return
        dbfile.close()
        self._file = None


def _compound_close(self: Any) -> None:
    if self.is_closed:
        raise StorageError("Already closed")
    self.is_closed = True
    # The map is shared: it closes when the last reader lets go of it.
    self._source = None
    if self._file:
        self._file.close()


# Whoosh's own block decoding, kept to test the replacements against.
whoosh_read_ids = whoosh3.W3LeafMatcher._read_ids
whoosh_read_weights = whoosh3.W3LeafMatcher._read_weights


whoosh_closest_key_pos = OrderedHashReader.closest_key_pos
_KEY_LENGTH = struct.Struct("!I")  # Whoosh's: a key's length, first of the (key, value) lengths
_WHOOSH_LENGTHS_SIZE = 8  # Whoosh's: the key's and the value's lengths come before the key


def _closest_key_pos(self: Any, key: bytes) -> int | None:
    """Where `key`, or the next key after it, is stored (Whoosh's, reading the map in place)."""
    buf = getattr(self.dbfile, "_buf", None)
    if not isinstance(buf, memoryview) or not isinstance(key, bytes):
        return whoosh_closest_key_pos(self, key)  # type: ignore[no-any-return]
    position_at = self.__dict__.get("_rr_position_at")
    if position_at is None:
        position_at = self._rr_position_at = struct.Struct(
            "!" + self.extras["indextype"]
        ).unpack_from
    leb128 = self._rr_leb128  # the entries' lengths: two variable-length integers, or 8 bytes
    base, size = self.indexbase, self.indexsize
    low, high = 0, self.indexlen
    while low < high:
        middle = (low + high) // 2
        (position,) = position_at(buf, base + middle * size)
        if not leb128:
            (length,) = _KEY_LENGTH.unpack_from(buf, position)
            start = position + _WHOOSH_LENGTHS_SIZE
        elif buf[position] < varints.HIGH_BIT and buf[position + 1] < varints.HIGH_BIT:  # most
            length, start = buf[position], position + 2
        else:
            length, _datalen, start = term_table.entry_lengths(self, position)
        if buf[start : start + length].tobytes() < key:
            low = middle + 1
        else:
            high = middle
    if low == self.indexlen:
        return None
    (position,) = position_at(buf, base + low * size)
    return int(position)


whoosh_read_offsets_and_lengths = columns.VarBytesColumn.Reader._read_offsets_and_lengths


def _read_offsets_and_lengths(self: Any) -> None:
    """Whoosh's, with the offsets summed in C when the column did not store them."""
    dbfile, doccount = self._dbfile, self._doccount
    lastbyte = self._basepos + self._length - 1
    lens_code = chr(dbfile.get_byte(lastbyte))
    if lens_code == "X" or not doccount:  # offsets stored (or nothing to sum): Whoosh's way
        whoosh_read_offsets_and_lengths(self)
        return
    lengths = dbfile.get_array(
        lastbyte - struct.calcsize(lens_code) * doccount, lens_code, doccount
    )
    offsets = array("L", accumulate(lengths, initial=0))
    offsets.pop()  # the end of the last value
    self._offsets, self._lengths = offsets, lengths


def _iter_var_bytes(self: Any) -> Iterator[bytes]:
    """Every document's value, sliced from one read of the column's values."""
    ends = list(accumulate(self._lengths))
    data = self._dbfile.get(self._basepos, ends[-1] if ends else 0)
    return map(data.__getitem__, map(slice, [0, *ends[:-1]], ends))


whoosh_ranges_for_key = HashReader.ranges_for_key


def _ranges_for_key(self: Any, key: bytes) -> Iterator[tuple[int, int]]:
    """Where the values of `key` are stored (Whoosh's, for both sizes of slot).

    A mapped file is read in place, without a call to its file object for each probe.
    """
    if not isinstance(key, bytes):
        yield from whoosh_ranges_for_key(self, key)
        return
    keyhash = self.hashfn(key)
    tablestart, numslots = self.tables[keyhash & 255]
    if not numslots:
        return
    slot = self._rr_slot  # (`term_table._read_extras`)
    read = _reader_of(self.dbfile)
    size = slot.size
    tableend = tablestart + numslots * size
    slotpos = tablestart + ((keyhash >> 8) % numslots) * size
    for _ in range(numslots):
        slothash, itempos = slot.unpack(read(slotpos, size))
        if not itempos:
            return  # an empty slot ends the probe
        if slothash == keyhash:
            keylen, datalen, start = term_table.entry_lengths(self, itempos)
            if keylen == len(key) and read(start, keylen) == key:
                yield (start + keylen, datalen)
        slotpos += size
        if slotpos == tableend:
            slotpos = tablestart


def _reader_of(dbfile: Any) -> Callable[[int, int], bytes | memoryview]:
    """A function reading `length` bytes at a place of the file: in its map when it has one."""
    buf = getattr(dbfile, "_buf", None)
    if not isinstance(buf, memoryview):
        return dbfile.get  # type: ignore[no-any-return]
    mapped: memoryview = buf

    def read(position: int, length: int) -> memoryview:
        return mapped[position : position + length]

    return read


whoosh_first_id = SegmentReader.first_id
whoosh_document = Searcher.document


def _first_id(self: Any, fieldname: str, text: Any) -> int:
    """Whoosh's, read from the term's entry when the term is in one document."""
    info = self.term_info(fieldname, text)  # raises TermNotFound, as Whoosh's does
    docnum = info.min_id()
    if info.doc_frequency() != 1 or docnum is None:
        return int(whoosh_first_id(self, fieldname, text))
    if self.is_deleted(docnum):  # replaced: a later segment may hold the live one
        raise TermNotFound((fieldname, text))
    return int(docnum)


def _document(self: Any, **kw: Any) -> Any:
    """Whoosh's, by `document_number` (a term look-up) when one field is given."""
    if len(kw) != 1:
        return whoosh_document(self, **kw)
    docnum = self.document_number(**kw)
    return None if docnum is None else self.stored_fields(docnum)


def apply() -> None:
    """Install the fixes (idempotent)."""
    whoosh3.W3PerDocReader._cached_reader = _cached_reader
    SegmentReader.column_reader = _column_reader
    MultiReader.terms_within = _terms_within
    CompoundStorage.open_file = _open_compound_file
    CompoundStorage.__init__ = _compound_init
    CompoundStorage.close = _compound_close
    packed_blocks.apply()
    stored_fields.apply()
    term_table.apply()
    term_entries.apply()
    OrderedHashReader.closest_key_pos = _closest_key_pos
    columns.VarBytesColumn.Reader._read_offsets_and_lengths = _read_offsets_and_lengths
    columns.VarBytesColumn.Reader.__iter__ = _iter_var_bytes
    HashReader.ranges_for_key = _ranges_for_key
    SegmentReader.first_id = _first_id
    Searcher.document = _document
