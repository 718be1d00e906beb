"""A segment writer that inverts its documents in memory: Whoosh's files, written without its pool.

Whoosh's `SegmentWriter` turns every posting into a tuple, sorts them in a pool that
pickles them to temporary files one at a time and merges them back, reads each
posting's field length back from the lengths column it has just written, and hands
the postings to its block writer one call at a time. Writing a segment of 10,000
articles that way spent 44 of its 75 profiled seconds in the pool and the length
look-ups alone.

`InvertingWriter` keeps a word field's words as one stream of term numbers
(`index.term_streams`, decision 0027), inverted with numpy when the segment is finished,
and any other field's postings in an array for each term as the documents arrive (in
document order, so nothing needs sorting but the terms). A word field's terms are written
as bytes directly: each term's blocks and entry are made from its numbers by the
functions the engine's patched Whoosh writer uses too (`packed_blocks.block_bytes`,
`term_entries.extent_entry`; decision 0024). Other terms go to Whoosh's block writer a
block at a time rather than a posting at a time. Whoosh's own code writes the rest:
the per-document files (stored fields, lengths, columns, filled here field by field as
planned once per set of field names) and the term table. The files are byte for byte
those `SegmentWriter` writes (`tests/index/test_inverting.py`), so readers, merges and
re-syncs cannot tell them apart.

It takes the documents the engine gives its segment workers: no `_boost` or
`_stored_` keys, no term vectors and no separate spelling fields.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from itertools import compress
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.codec.whoosh3 import _lenfield as _length_column
from whoosh.fields import FieldType
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from index import packed_blocks, term_entries, varints
from index.analysis import FastText
from index.term_streams import TermStream, is_packed

# Any other field's postings: document number and weight, one after another (as doubles,
# which hold both exactly), and each posting's encoded value (shared among equal values).
_Postings = tuple["array[float]", list[bytes]]
# What `add_document` does with one field: its name, the field, whether it is indexed, its
# term stream (a FastText field's), whether it is stored, its column, and its
# lengths.
_FieldPlan = tuple[str, FieldType, bool, "TermStream | None", bool, Any, "array[int]"]
# Rough sizes in memory, for `estimated_bytes`: a term with its container and key, a word
# of a FastText field (about what its postings took before they were streams, decision
# 0027: the segments stay the same size), another field's posting.
_TERM_BYTES, _WORD_BYTES, _OTHER_POSTING_BYTES = 200, 9, 24
_KNOWN_VALUES = 10_000  # the values of a field remembered with their postings
# Whole numbers below this are exact as 4-byte floats, as Whoosh keeps a block's weights.
_EXACT_FLOATS = 2**24


class InvertingWriter(SegmentWriter):  # type: ignore[misc]  # Whoosh has no type information
    """`SegmentWriter` with the postings inverted in memory instead of in Whoosh's pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling():
                raise ValueError(f"InvertingWriter writes no term vectors or spellings ({name})")
        self._failed = False
        # Each FastText field's words, as term numbers (`TermStream`); any other field's
        # postings as `_Postings`, by term.
        self._streams: dict[str, TermStream] = {}
        self._postings: dict[str, dict[bytes, _Postings]] = {}
        # Each indexed field's length in each document, as the postings are written with it.
        self._lengths: dict[str, array[int]] = {}
        self._values: dict[bytes, bytes] = {}  # each distinct encoded value, once
        self._plans: dict[tuple[str, ...], list[_FieldPlan]] = {}
        # The postings of each value of a field that is not unique, up to `_KNOWN_VALUES`.
        self._indexed: defaultdict[str, dict[str, tuple[Any, ...]]] = defaultdict(dict)
        self._estimated = 0

    def add_document(self, **fields: Any) -> None:
        """Add one document, as `SegmentWriter.add_document` does for the engine's fields.

        What to do with each field is worked out once for each set of field names
        (`_plan`); the per-document writer's stored fields and columns are filled here
        rather than through its calls for each field.
        """
        self._check_state()
        if self._failed:
            raise RuntimeError("a document failed half-added: cancel this writer")
        fieldnames = tuple(sorted(fields))
        plan = self._plans.get(fieldnames)
        if plan is None:
            plan = self._plans[fieldnames] = self._plan(fieldnames)
        docnum = self.docnum
        writer = self.perdocwriter
        writer.start_doc(docnum)
        stored = writer._storedfields
        try:
            for name, field, indexed, text_terms, keep, column, lengths in plan:
                value = fields[name]
                if value is None:
                    continue
                if indexed:
                    if text_terms is not None and isinstance(value, str):
                        length = self._invert_text(text_terms, field, value, docnum)
                    else:
                        length = self._invert(name, field, value, docnum)
                    # The length as Whoosh keeps it: one byte in the lengths column.
                    code = length_to_byte(length) if length else 0
                    if len(lengths) < docnum - self.docbase:
                        lengths.extend(bytes(docnum - self.docbase - len(lengths)))
                    lengths.append(byte_to_length(code) if code else 0)
                    if length:
                        writer.add_column_value(_length_column(name), LENGTHS_COLUMN, code)
                        writer._fieldlengths[name] += length
                if keep:
                    stored[name] = value
                if column:
                    writer.add_column_value(name, column, field.to_column_value(value))
        except Exception:
            # Some of its postings may be in: the segment can only be cancelled now.
            self._failed = True
            writer.cancel_doc()
            raise
        writer.finish_doc()
        self._added = True
        self.docnum += 1

    def _plan(self, fieldnames: tuple[str, ...]) -> list[_FieldPlan]:
        """For each of a document's fields, in name order, what `add_document` does with it."""
        if any(name.startswith("_") for name in fieldnames):
            raise ValueError("InvertingWriter takes no _boost or _stored_ values")
        schema = self.schema
        self._check_fields(schema, fieldnames)
        plan: list[_FieldPlan] = []
        for name in fieldnames:
            field = schema[name]
            indexed = bool(field.indexed)
            lengths = self._lengths.setdefault(name, array("I")) if indexed else array("I")
            text_terms = None
            if indexed and isinstance(field, FastText):
                text_terms = self._streams.setdefault(name, TermStream())
            plan.append(
                (name, field, indexed, text_terms, field.stored, field.column_type, lengths)
            )
        return plan

    def _invert_text(self, stream: TermStream, field: FastText, text: str, docnum: int) -> int:
        """Add a FastText field's words to its stream; its length in this document."""
        if not text:
            return 0
        length, new_terms = stream.add(field._term_maker(), text, docnum)
        self._estimated += new_terms * _TERM_BYTES + length * _WORD_BYTES
        return length if field.scorable else 0

    def _invert(self, fieldname: str, field: FieldType, value: Any, docnum: int) -> int:
        """Add any other field's postings; its length in this document (0 if not scorable)."""
        byterms = self._postings.setdefault(fieldname, {})
        interned = self._values
        length = 0
        # A field whose values repeat (a folder, a year) is analysed once for each value.
        known = None if field.unique or not isinstance(value, str) else self._indexed[fieldname]
        indexed = None if known is None else known.get(value)
        if indexed is None:
            indexed = tuple(field.index(value))
            if known is not None and len(known) < _KNOWN_VALUES:
                known[value] = indexed
        for tbytes, freq, weight, vbytes in indexed:
            postings = byterms.get(tbytes)
            if postings is None:
                postings = byterms[tbytes] = (array("d"), [])
                self._estimated += _TERM_BYTES
            numbers, values = postings
            numbers.append(docnum)
            numbers.append(weight)
            values.append(interned.setdefault(vbytes, vbytes))
            length += freq
            self._estimated += _OTHER_POSTING_BYTES
        return length if field.scorable else 0

    def estimated_bytes(self) -> int:
        """About how much memory the postings held so far take."""
        return self._estimated

    def _flush_segment(self) -> None:
        """Close the per-document files and write the postings, field by field, term by term."""
        if self._failed:
            raise RuntimeError("a document failed half-added: cancel this writer")
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        # Only the fields with postings, in name order, as Whoosh's pool yields them.
        inverted = {
            name for name, terms in [*self._streams.items(), *self._postings.items()] if terms
        }
        base = self.docbase
        for fieldname in sorted(inverted):
            field = self.schema[fieldname]
            fieldwriter.start_field(fieldname, field)
            lengths = self._lengths[fieldname]
            if fieldname in self._streams:
                self._write_positions(field, self._streams.pop(fieldname), lengths)
            else:
                add_entry = fieldwriter._tindex.add
                prefix = pack_ushort(fieldwriter._fieldid)
                byterms = self._postings.pop(fieldname)
                for tbytes in sorted(byterms):
                    numbers, values = byterms.pop(tbytes)
                    if len(numbers) == 2 and not values[0] and not lengths[int(numbers[0]) - base]:
                        # An article's id: its lone posting is kept in its entry (packed_blocks).
                        doc, weight = int(numbers[0]), numbers[1]
                        add_entry(
                            prefix + tbytes,
                            term_entries.lone_entry(1, weight, weight, None, 0, doc, doc),
                        )
                        continue
                    docs = list(map(int, numbers[0::2]))
                    self._write_term(tbytes, docs, numbers[1::2].tolist(), values, lengths)
            fieldwriter.finish_field()
        self.fieldwriter.close()

    def _write_positions(self, field: FastText, stream: TermStream, lengths: array[int]) -> None:
        """A FastText field's terms: their blocks and entries made directly, as bytes.

        The same bytes as Whoosh's block and term writers make through `_write_term`
        (`tests/index/test_inverting.py`), without a writer object's calls for each
        posting, block and term: most terms have one posting, and a segment holds some
        100,000 terms. A term whose numbers the short way does not cover takes
        `_write_term`.
        """
        fieldwriter = self.fieldwriter
        postfile = fieldwriter._postfile
        add_entry = fieldwriter._tindex.add
        prefix = pack_ushort(fieldwriter._fieldid)
        limit = fieldwriter._postwriter._blocklimit
        compression = fieldwriter._postwriter._compression
        encode, boost = field.format.encode, field.format.field_boost
        # The weights are whole numbers (frequencies times a whole boost) when the boost is.
        whole = int(boost) if boost >= 1 and float(boost).is_integer() else 0
        base = self.docbase
        offset = postfile.tell()
        codes = _LengthCodes()
        for term, docs, frequencies, values in stream.inverted(encode, is_packed(field.format)):
            tbytes = term.encode("utf-8")
            if len(docs) == 1 and whole:  # most terms: the short way of `_lone_posting`
                weight, value = whole * frequencies[0], values[0]
                code = codes[lengths[docs[0] - base]]
                if code and weight < _EXACT_FLOATS and len(value) < _LONE_VALUE_BYTES:
                    written, entry = _lone_posting(docs[0], weight, code, value, offset)
                    postfile.write(written)
                    add_entry(prefix + tbytes, entry)
                    offset += len(written)
                    continue
            field_lengths = [lengths[doc - base] for doc in docs]
            weights = frequencies if whole == 1 else [whole * f for f in frequencies]
            if not (whole and min(field_lengths) and max(weights) < _EXACT_FLOATS):
                self._write_term(tbytes, docs, [boost * f for f in frequencies], values, lengths)
                offset = postfile.tell()
                continue
            written = _term_postings(docs, weights, values, field_lengths, limit, compression)
            postfile.write(written)
            add_entry(
                prefix + tbytes,
                term_entries.extent_entry(
                    len(docs),
                    sum(weights),
                    max(weights),
                    min(field_lengths),
                    max(field_lengths),
                    docs[0],
                    docs[-1],
                    offset,
                    len(written),
                ),
            )
            offset += len(written)

    def _write_term(
        self,
        tbytes: bytes,
        docs: list[int],
        weights: list[float],
        values: list[bytes],
        lengths: array[int],
    ) -> None:
        """One term's postings, handed to Whoosh's block writer a block at a time."""
        fieldwriter = self.fieldwriter
        fieldwriter.start_term(tbytes)
        blocks = fieldwriter._postwriter
        limit = blocks._blocklimit
        base = self.docbase
        count = len(docs)
        for start in range(0, count, limit):
            end = min(start + limit, count)
            block_docs = docs[start:end]
            block_weights = weights[start:end]
            blocks._ids = array("I", block_docs)
            blocks._weights = array("f", block_weights)
            blocks._values = list(filter(None, values[start:end]))
            # As `add_posting` keeps them: weights as given, lengths only when not zero.
            blocks._maxweight = max(0, *block_weights)
            block_lengths = [lengths[doc - base] for doc in block_docs]
            known = list(compress(block_lengths, block_lengths))
            blocks._minlength = min(known) if known else None
            blocks._maxlength = max(known, default=0)
            if end < count:
                blocks._write_block(last=False)
        # The last block is left to `finish_term`, as Whoosh's writer leaves it: it writes the
        # block, or puts a lone posting without a value in the term's entry (packed_blocks).
        fieldwriter.finish_term()


class _LengthCodes(dict[int, int]):
    """Each field length's byte as Whoosh keeps it (`length_to_byte`), worked out once."""

    def __missing__(self, length: int) -> int:
        code = self[length] = length_to_byte(length) if length else 0
        return code


# A lone posting's block data as `packed_blocks.block_bytes` pickles it (protocol 3, fast
# mode, without the protocol mark): (b"", weights, value, b""), the weights None for 1.0
# and b"" for the header's best weight; then the value's length and bytes, then the end.
_LONE_DATA_HEAD = {True: b"(C\x00NC", False: b"(C\x00C\x00C"}
_LONE_DATA_TAIL = b"C\x00t."
# Values shorter than this keep the data under `packed_blocks.SMALL_BLOCK` (no compression)
# and its length in one byte.
_LONE_VALUE_BYTES = packed_blocks.SMALL_BLOCK - 12
_varint = varints.encode_one


def _lone_posting(
    doc: int, weight: int, code: int, value: bytes, offset: int
) -> tuple[bytes, bytes]:
    """A term's one posting as `_term_postings` writes it, and its `extent_entry`, made directly.

    The weight is a whole number under `_EXACT_FLOATS`, `code` the field length's byte (not
    0), and the value shorter than `_LONE_VALUE_BYTES`. A segment's terms are mostly such:
    `tests/index/test_inverting.py` holds these bytes to the long way's.
    """
    data = _LONE_DATA_HEAD[weight == 1] + bytes((len(value),)) + value + _LONE_DATA_TAIL
    doc_bytes, weight_bytes, codes = _varint(doc), _varint(weight), bytes((code, code))
    # Header: data length (doubled, plus one: the term's last block), flags 0, one posting,
    # the document, the best weight, the shortest and longest field lengths.
    written = b"".join(
        (
            packed_blocks.COMPACT_MARK,
            bytes((len(data) << 1 | 1, 0, 1)),
            doc_bytes,
            weight_bytes,
            codes,
            data,
        )
    )
    # Entry: flags, one document, total and best weight, lengths, first document, last minus
    # first (0), where the postings are and their length.
    entry = b"".join(
        (
            bytes((term_entries.COMPACT_FLAGS, 1)),
            weight_bytes,
            weight_bytes,
            codes,
            doc_bytes,
            b"\x00",
            _varint(offset),
            bytes((len(written),)),
        )
    )
    return written, entry


def _term_postings(
    docs: list[int],
    weights: list[int],
    values: list[bytes],
    field_lengths: list[int],
    limit: int,
    compression: int,
) -> bytes:
    """A term's blocks, as `packed_blocks._write_block` writes them, after `COMPACT_MARK`.

    The weights are whole numbers under `_EXACT_FLOATS` (as Whoosh's 4-byte floats keep
    them), the values are not empty, and no field length is 0.
    """
    if len(docs) == 1:  # most terms: one block of one posting, whose weight is the best
        weight, length = weights[0], field_lengths[0]
        data = (b"", None if weight == 1 else b"", values[0], b"")
        block = packed_blocks.block_bytes(
            data, 1, docs[0], weight, length, length, True, compression
        )
        return packed_blocks.COMPACT_MARK + block
    blocks = [packed_blocks.COMPACT_MARK]
    count = len(docs)
    for start in range(0, count, limit):
        end = min(start + limit, count)
        block_docs, block_weights = docs[start:end], weights[start:end]
        # The weights packed as `packed_data` packs Whoosh's minified weights.
        first = block_weights[0]
        packed_weights: bytes | None = b""  # all equal: the header's best weight
        if block_weights.count(first) != len(block_weights):
            packed_weights = packed_blocks.narrow(block_weights)
        elif first == 1:
            packed_weights = None
        block_lengths = field_lengths[start:end]
        blocks.append(
            packed_blocks.block_bytes(
                packed_blocks.packed_data(block_docs, packed_weights, tuple(values[start:end])),
                end - start,
                block_docs[-1],
                max(block_weights),
                min(block_lengths),
                max(block_lengths),
                end == count,
                compression,
            )
        )
    return b"".join(blocks)
