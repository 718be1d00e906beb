"""A word field's terms kept as one stream of numbers per segment, and inverted with numpy.

Indexing spent most of a worker's time in Python loops over words: one to look up each
word's term and group its positions by term in a dictionary, one per term to append
them to that term's array, and, when the segment was finished, one per posting to read
them back. `TermStream` leaves the loops over words to C: a document's words are
looked up as terms, and the terms as numbers, with `map`, the stop words left out with
`filter`, and the numbers appended to one array for the whole segment. Only a word never
seen before in this segment takes a step in Python.

When the segment is finished, `inverted` sorts the stream by term with numpy (stably, so
each term's postings stay in document order and its positions ascending), finds the
postings and their frequencies, and encodes every posting's positions at once as the
field's format does (`index.positions`). The postings and bytes are those the dictionary
of positions gave (`tests/index/test_inverting.py` holds the segment files to Whoosh's).

numpy is imported only here, when a segment is finished: the app and the engine's
searching never load it.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from itertools import repeat
from typing import Any

from index.analysis import _MISSING, WORD, _Terms
from index.positions import PackedPositions

# A term's postings, ready for the block writer: the term, and its postings' document
# numbers, frequencies and encoded positions, in document order.
Inverted = tuple[str, list[int], list[int], list[bytes]]
STOP = 0  # the number of a stop word (left out): term numbers start at 1
_LEB128_BYTES = 5  # bytes of the largest gap (below 2**35)
_RUN_WORDS = 30_000  # words inverted at a time: a few MB of arrays and lists


class TermStream:
    """One word field's terms in one segment: a number for each word, document after document."""

    def __init__(self) -> None:
        if array("i").itemsize != 4:
            raise RuntimeError("TermStream needs 4-byte C ints")
        self._empty()

    def _empty(self) -> None:
        """Start again with no words and no terms (a new segment)."""
        self.numbers = array("i")  # each kept word's term number, in the order of the text
        self.starts = array("q")  # where each document's words start in `numbers`
        self.docs = array("i")  # each document's number
        # Each document's first kept word's place among all its words: its position, and the
        # next kept words follow it one by one (as Whoosh's StopFilter numbers them).
        self.firsts = array("i")
        self.term_numbers: dict[str | None, int] = {None: STOP}
        self.terms: list[str] = [""]  # by number; 0 is the stop words'

    def __len__(self) -> int:
        """How many words the stream holds (stop words left out)."""
        return len(self.numbers)

    def add(self, analysis: _Terms, text: str, docnum: int) -> tuple[int, int]:
        """Add one document's text: its length in words (stop words left out) and its new terms."""
        words = WORD.findall(text)
        found = list(map(analysis.cache.get, words, repeat(_MISSING)))
        numbers = list(map(self.term_numbers.get, found))
        new_terms = self._fill(numbers, found, words, analysis) if None in numbers else 0
        kept = list(filter(None, numbers))
        if not kept:
            return 0, new_terms
        first = 0
        while not numbers[first]:
            first += 1
        self.starts.append(len(self.numbers))
        self.docs.append(docnum)
        self.firsts.append(first)
        self.numbers.extend(kept)
        return len(kept), new_terms

    def _fill(
        self, numbers: list[int | None], found: list[str | None], words: list[str], analysis: _Terms
    ) -> int:
        """Number the words whose term was not known yet, new terms first in turn; how many."""
        term_numbers, terms = self.term_numbers, self.terms
        new_terms = 0
        at = numbers.index(None)
        while True:
            term = found[at]
            if term is _MISSING:  # analysed once, then from the cache (if not full)
                term = analysis.term(words[at])
            number = term_numbers.get(term)
            if number is None:
                number = term_numbers[term] = len(terms)
                terms.append(term)  # type: ignore[arg-type]  # None is in term_numbers
                new_terms += 1
            numbers[at] = number
            try:
                at = numbers.index(None, at + 1)
            except ValueError:
                return new_terms

    def inverted(self, encode: Callable[[list[int]], bytes], packed: bool) -> Iterator[Inverted]:
        """Each term's postings, the terms in order; the stream is emptied.

        The terms are taken a run at a time, about `_RUN_WORDS` words each, so that the
        arrays and lists made for them stay small (a few MB).

        Args:
            encode: the field format's encoder of one posting's positions.
            packed: whether that format is `PackedPositions` (LEB128 gaps): then every
                posting's positions are encoded at once.
        """
        import numpy as np

        count = len(self.numbers)
        if not count:
            return
        terms = self.terms
        ordered = sorted(range(1, len(terms)), key=terms.__getitem__)
        rank = np.zeros(len(terms), dtype=np.int32)
        rank[ordered] = np.arange(len(ordered), dtype=np.int32)
        keys = rank[np.frombuffer(self.numbers, dtype=np.int32)]  # each word's term's rank
        del rank
        starts = np.frombuffer(self.starts, dtype=np.int64)
        firsts = np.frombuffer(self.firsts, dtype=np.int32)
        docs = np.frombuffer(self.docs, dtype=np.int32)
        self._empty()  # the old arrays live on in the views until this is done
        words_before = np.cumsum(np.bincount(keys, minlength=len(ordered)))
        low = 0
        while low < len(ordered):
            before = int(words_before[low - 1]) if low else 0
            high = int(np.searchsorted(words_before, before + _RUN_WORDS, "right"))
            high = max(high, low + 1)
            run = np.flatnonzero((keys >= low) & (keys < high))  # its words, in text order
            run_keys = keys[run]
            order = np.argsort(run_keys, kind="stable")  # by term, each in text order
            run, run_keys = run[order], run_keys[order]
            del order
            where = np.searchsorted(starts, run, side="right") - 1  # each word's document
            positions = run - starts[where] + firsts[where]
            new_posting = np.empty(len(run), dtype=bool)
            new_posting[0] = True
            np.not_equal(run_keys[1:], run_keys[:-1], out=new_posting[1:])
            new_posting[1:] |= where[1:] != where[:-1]
            postings = np.flatnonzero(new_posting)
            posting_keys = run_keys[postings]
            term_starts = np.flatnonzero(np.diff(posting_keys, prepend=-1)).tolist()
            term_starts.append(len(postings))
            frequencies = np.diff(postings, append=len(run)).tolist()
            doc_list = docs[where[postings]].tolist()
            if packed:
                values = _leb128_values(positions, postings)
            else:
                places = positions.tolist()
                values = [
                    encode(places[at : at + frequency])
                    for at, frequency in zip(postings.tolist(), frequencies, strict=True)
                ]
            run_terms = [terms[ordered[key]] for key in posting_keys[term_starts[:-1]].tolist()]
            for index, term in enumerate(run_terms):
                first, after = term_starts[index], term_starts[index + 1]
                yield term, doc_list[first:after], frequencies[first:after], values[first:after]
            low = high


def _leb128_values(positions: Any, postings: Any) -> list[bytes]:
    """Each posting's positions as `PackedPositions.encode` writes them, made at once.

    Args:
        positions: the positions of a run of postings, one after another.
        postings: where each posting starts in `positions`.
    """
    import numpy as np

    gaps = positions.copy()
    gaps[1:] -= positions[:-1]
    gaps[postings] = positions[postings]  # a posting's first gap is from 0
    sizes = np.ones(len(gaps), dtype=np.int64)
    for power in range(1, _LEB128_BYTES):
        sizes += gaps >= 1 << (7 * power)
    ends = np.cumsum(sizes)
    encoded = np.empty(int(ends[-1]), dtype=np.uint8)
    for index in range(_LEB128_BYTES):
        with_byte = np.flatnonzero(sizes > index)
        if not len(with_byte):
            break
        byte = (gaps[with_byte] >> (7 * index)) & 0x7F
        byte |= (sizes[with_byte] > index + 1) * 0x80
        encoded[ends[with_byte] - sizes[with_byte] + index] = byte
    data = encoded.tobytes()
    cuts = [0, *ends[np.append(postings[1:], len(gaps)) - 1].tolist()]
    return list(map(data.__getitem__, map(slice, cuts[:-1], cuts[1:])))


def is_packed(format_: Any) -> bool:
    """Whether a field's format writes positions as `TermStream` encodes them at once."""
    return type(format_) is PackedPositions
