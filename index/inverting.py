"""A segment writer that inverts its documents in memory: Whoosh's files, written without its pool.

Whoosh's `SegmentWriter` turns every posting into a tuple, sorts them in a pool that
pickles them to temporary files one at a time and merges them back, reads each
posting's field length back from the lengths column it has just written, and hands
the postings to its block writer one call at a time. Writing a segment of 10,000
articles that way spent 44 of its 75 profiled seconds in the pool and the length
look-ups alone.

`InvertingWriter` keeps each term's postings in one array as the documents arrive
(document number, frequency, positions), in document order, so nothing needs
sorting but the terms. When the segment is finished it fills Whoosh's block writer
a block at a time rather than a posting at a time. Everything else is Whoosh's own
code: the per-document writer (stored fields, lengths, columns), the block encoding,
the term table. The files are byte for byte those `SegmentWriter` writes
(`tests/index/test_inverting.py`), so readers, merges and re-syncs cannot tell them
apart.

It takes the documents the engine gives its segment workers: no `_boost` or
`_stored_` keys, no term vectors and no separate spelling fields.
"""

from __future__ import annotations

from array import array
from itertools import compress
from typing import Any

from whoosh.fields import FieldType
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from index.analysis import FastText

# Any other field's postings: document number and weight, one after another (as doubles,
# which hold both exactly), and each posting's encoded value (shared among equal values).
_Postings = tuple["array[float]", list[bytes]]
# Rough sizes in memory, for `estimated_bytes`: a term with its container and key, a
# FastText posting's number and frequency, a position, another field's posting.
_TERM_BYTES, _POSTING_BYTES, _POSITION_BYTES, _OTHER_POSTING_BYTES = 200, 8, 4, 24


def _stored_length(length: int) -> int:
    """A field length as Whoosh reads it back from its one-byte lengths column."""
    code = length_to_byte(length) if length else 0
    return byte_to_length(code) if code else 0


class InvertingWriter(SegmentWriter):  # type: ignore[misc]  # Whoosh has no type information
    """`SegmentWriter` with the postings inverted in memory instead of in Whoosh's pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling():
                raise ValueError(f"InvertingWriter writes no term vectors or spellings ({name})")
        self._failed = False
        # Each FastText term's postings: document number, frequency and positions, one after
        # another; any other field's as `_Postings`.
        self._positions: dict[str, dict[str, array[int]]] = {}
        self._postings: dict[str, dict[bytes, _Postings]] = {}
        # Each indexed field's length in each document, as the postings are written with it.
        self._lengths: dict[str, array[int]] = {}
        self._values: dict[bytes, bytes] = {}  # each distinct encoded value, once
        self._estimated = 0

    def add_document(self, **fields: Any) -> None:
        """Add one document, as `SegmentWriter.add_document` does for the engine's fields."""
        self._check_state()
        if self._failed:
            raise RuntimeError("a document failed half-added: cancel this writer")
        if any(name.startswith("_") for name in fields):
            raise ValueError("InvertingWriter takes no _boost or _stored_ values")
        schema = self.schema
        fieldnames = sorted(fields)
        self._check_fields(schema, fieldnames)
        docnum = self.docnum
        writer = self.perdocwriter
        writer.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = self._invert(fieldname, field, value, docnum) if field.indexed else 0
                writer.add_field(fieldname, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    writer.add_column_value(fieldname, column, field.to_column_value(value))
        except Exception:
            # Some of its postings may be in: the segment can only be cancelled now.
            self._failed = True
            writer.cancel_doc()
            raise
        writer.finish_doc()
        self._added = True
        self.docnum += 1

    def _invert(self, fieldname: str, field: FieldType, value: Any, docnum: int) -> int:
        """Add one field's postings; its length in this document (0 if not scorable)."""
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            lengths = self._lengths[fieldname] = array("I")
        if len(lengths) <= docnum - self.docbase:
            lengths.extend(bytes(docnum - self.docbase + 1 - len(lengths)))
        if isinstance(field, FastText) and isinstance(value, str):
            terms = self._positions.setdefault(fieldname, {})
            found = field._term_maker().positions(value)
            length = 0
            new_terms = 0
            for term, places in found.items():
                packed = terms.get(term)
                if packed is None:
                    packed = terms[term] = array("I")
                    new_terms += 1
                packed.append(docnum)
                packed.append(len(places))
                packed.extend(places)
                length += len(places)
            self._estimated += (
                new_terms * _TERM_BYTES + len(found) * _POSTING_BYTES + length * _POSITION_BYTES
            )
        else:
            byterms = self._postings.setdefault(fieldname, {})
            interned = self._values
            length = 0
            for tbytes, freq, weight, vbytes in field.index(value):
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
        if not field.scorable:
            length = 0
        lengths[docnum - self.docbase] = _stored_length(length)
        return length

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
            name for name, terms in [*self._positions.items(), *self._postings.items()] if terms
        }
        for fieldname in sorted(inverted):
            field = self.schema[fieldname]
            fieldwriter.start_field(fieldname, field)
            lengths = self._lengths[fieldname]
            if fieldname in self._positions:
                encode, boost = field.format.encode, field.format.field_boost
                terms = self._positions.pop(fieldname)
                singles: dict[int, bytes] = {}
                for term in sorted(terms):
                    docs, weights, values = _unpacked(terms.pop(term), encode, boost, singles)
                    self._write_term(term.encode("utf-8"), docs, weights, values, lengths)
            else:
                byterms = self._postings.pop(fieldname)
                for tbytes in sorted(byterms):
                    numbers, values = byterms.pop(tbytes)
                    docs = list(map(int, numbers[0::2]))
                    self._write_term(tbytes, docs, numbers[1::2].tolist(), values, lengths)
            fieldwriter.finish_field()
        self.fieldwriter.close()

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


def _unpacked(
    postings: array[int], encode: Any, boost: float, singles: dict[int, bytes]
) -> tuple[list[int], list[float], list[bytes]]:
    """A FastText term's document numbers, weights and encoded positions.

    Most postings hold one position: their encodings are kept in `singles`.
    """
    docs: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    at, end = 0, len(postings)
    while at < end:
        frequency = postings[at + 1]
        docs.append(postings[at])
        weights.append(frequency * boost)
        if frequency == 1:
            value = singles.get(postings[at + 2])
            if value is None:
                value = singles[postings[at + 2]] = encode(postings[at + 2 : at + 3])
            values.append(value)
        else:
            values.append(encode(postings[at + 2 : at + 2 + frequency]))
        at += 2 + frequency
    return docs, weights, values
