"""Fast indexing analysis: the same terms and positions as the Whoosh analyzer chain, 4x faster.

Whoosh analyzes text through a chain of generators passing a Token object
(tokenizer, lower case, accent folding, stop words, stems), several Python calls
per word. Indexing 150,000 articles spends most of its time there. `FastText`
is a TEXT field that, when indexing, does the same in one loop with a cache from
the raw word to its final term; queries and highlighting still go through the
field's ordinary analyzer. `tests/index/test_analysis.py` holds the two to the
same output on real and generated text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from whoosh import formats, highlight
from whoosh.analysis import STOP_WORDS, Token
from whoosh.fields import TEXT
from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

from index.positions import PackedPositions

# Whoosh's word expression (`RegexTokenizer`'s default) in a form that never backtracks: runs
# of word characters joined by single dots, as possessive repeats. The same words, 25% faster
# (`tests/index/test_analysis.py`): indexing and every passage scan every word with it.
WORD = re.compile(r"[\w*]++(?:\.[\w*]++)*+")
# Raw words remembered with their term: about 15 MB. Once full, new words are analysed
# each time; the commonest words come early, so the cache keeps serving most words.
_CACHE_LIMIT = 100_000
_MISSING = "\u0000missing"  # not a term: no term holds a NUL
# One cache for each kind of analysis, shared by every field of the process: each segment
# a worker writes reads the schema afresh, and would otherwise start with an empty cache
# (about 100,000 words analysed again for each segment).
_CACHES: dict[bool, dict[str, str | None]] = {True: {}, False: {}}


class _Terms:
    """Maps a raw word to its indexed term (or None for a stop word), with a cache."""

    def __init__(self, stemming: bool) -> None:
        self.stemming = stemming
        self.cache = _CACHES[bool(stemming)]

    def term(self, word: str) -> str | None:
        """The term of one word, from the cache when it is there."""
        term = self.cache.get(word, _MISSING)
        return self._analyse(word) if term is _MISSING else term

    def _analyse(self, word: str) -> str | None:
        folded = word.lower().translate(accent_map)
        if not folded or folded in STOP_WORDS:
            term = None
        else:
            term = stem(folded) if self.stemming else folded
        if len(self.cache) < _CACHE_LIMIT:
            self.cache[word] = term
        return term

    def positions(self, text: str) -> dict[str, list[int]]:
        """Each term of `text` with its positions, numbered as Whoosh's StopFilter does.

        The first kept word keeps its place among all words; the words after it
        are numbered one after another, the stop words left out.
        """
        found: dict[str, list[int]] = {}
        cache = self.cache
        pos = -1
        for index, word in enumerate(WORD.findall(text)):
            term = cache.get(word, _MISSING)  # `self.term`, inlined: the indexing hot loop
            if term is _MISSING:
                term = self._analyse(word)
            if term is None:
                continue
            pos = index if pos < 0 else pos + 1
            places = found.get(term)
            if places is None:
                found[term] = [pos]
            else:
                places.append(pos)
        return found


class FastHighlighter(highlight.Highlighter):  # type: ignore[misc]  # no type information
    """Whoosh's highlighter, tokenizing a FastText field in one loop instead of the chain."""

    def highlight_hit(
        self,
        hitobj: Any,
        fieldname: str,
        text: str | None = None,
        top: int = 3,
        minscore: int = 1,
        strict_phrase: bool = False,
    ) -> str:
        """The best passages of a hit's field, formatted."""
        results = hitobj.results
        field = results.searcher.schema[fieldname]
        if not isinstance(field, FastText) or strict_phrase:
            return str(super().highlight_hit(hitobj, fieldname, text, top, minscore, strict_phrase))
        if text is None:
            text = str(hitobj[fieldname])
        # The query's words are the same for every hit: looked up (and prefixes expanded
        # against the index) once per result list and field, not once per hit.
        known: dict[str, frozenset[str]] = results.__dict__.setdefault("_rr_words", {})
        words = known.get(fieldname)
        if words is None:
            if results.has_matched_terms():
                bterms = [term for term in results.matched_terms() if term[0] == fieldname]
            else:
                bterms = results.query_terms(expand=True, fieldname=fieldname)
            words = known[fieldname] = frozenset(field.from_bytes(term[1]) for term in bterms)
        if type(self.fragmenter) is highlight.ContextFragmenter:
            fragments = _context_fragments(field, text, words, self.fragmenter)
        else:
            tokens = highlight.set_matched_filter(field.highlight_tokens(text), words)
            tokens = self._merge_matched_tokens(tokens)
            fragments = self.fragmenter.fragment_tokens(text, tokens)
        best = highlight.top_fragments(fragments, top, self.scorer, self.order, minscore=minscore)
        return str(self.formatter.format(best))


def _context_fragments(
    field: FastText, text: str, words: frozenset[str], fragmenter: highlight.ContextFragmenter
) -> Iterator[highlight.Fragment]:
    """Whoosh's `ContextFragmenter` over `highlight_tokens`, fused into one loop.

    The chain it replaces passed every word of the article through four generators
    as a Token object; here a word that matches nothing is a pair of offsets, and only
    matched words become tokens. Whoosh's `_merge_matched_tokens` is left out: it only
    merges overlapping tokens, and words found by one regular expression never overlap.
    The passages are the same (`tests/index/test_analysis.py`).
    """
    maxchars, surround, charlimit = fragmenter.maxchars, fragmenter.surround, fragmenter.charlimit
    terms = field._term_maker()
    cache, analyse = terms.cache, terms._analyse
    # A stop word matches only if the query looks for one (its folded form); mostly not.
    stops_wanted = not words.isdisjoint(STOP_WORDS) or "" in words
    first: int | None = None
    # The starts of the words before the next match, from the earliest that may open its
    # passage (Whoosh's deque, trimmed as it goes; here trimmed only when a match comes).
    starts: list[int] = []
    trimmed_to = 0  # starts before this index are out of reach (trimmed)
    last_end = 0  # the end of the last word added to `starts`
    countdown = -1
    matches: list[Token] = []
    endchar = 0
    currentlen = 0
    for match in WORD.finditer(text):
        startchar, endchar = match.span()
        if charlimit and endchar > charlimit:
            break
        tlength = endchar - startchar
        word = match.group()
        term = cache.get(word, _MISSING)
        if term is _MISSING:
            term = analyse(word)
        if term is None:  # a stop word
            stopped = True
            if stops_wanted:
                term = word.lower().translate(accent_map)
                matched = term in words
            else:
                matched = False
        else:
            stopped = False
            matched = term in words
        if countdown < 0 and not matched:
            starts.append(startchar)
            last_end = endchar
            continue
        if currentlen + tlength > maxchars:
            countdown = 0
        elif matched:
            countdown = surround
            if first is None:
                # Whoosh keeps the starts within `surround` of the end of the last word
                # added: the first of them opens the passage.
                reach = last_end - surround
                while trimmed_to < len(starts) and starts[trimmed_to] < reach:
                    trimmed_to += 1
                if trimmed_to < len(starts):
                    first = starts[trimmed_to]
                else:
                    first = startchar
                    countdown += surround
            token = Token(positions=True, chars=True, removestops=False, mode="index")
            token.text, token.startchar, token.endchar = term, startchar, endchar
            token.boost, token.stopped, token.matched = 1.0, stopped, True
            matches.append(token)
        if countdown >= 0:
            currentlen += tlength
            countdown -= tlength
            if countdown <= 0:
                yield highlight.mkfrag(text, matches, startchar=first, endchar=endchar)
                matches, first, currentlen = [], None, 0
                starts, trimmed_to = [], 0
    if matches:
        yield highlight.mkfrag(text, matches, startchar=first, endchar=endchar)


class FastText(TEXT):  # type: ignore[misc]  # Whoosh has no type information
    """A TEXT field indexed by `_Terms` instead of its analyzer chain.

    Args:
        stemming: whether the analyzer ends with English stems (the body and title)
            or not (names and outlets). The analyzer passed must be the matching
            chain from `index.schema`.
        **kwargs: as for Whoosh's TEXT.
    """

    format: formats.Format

    def __init__(self, stemming: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stemming = stemming
        form: formats.Format = self.format
        if type(form) is formats.Positions:  # positions in fewer bytes (index.positions)
            self.format = PackedPositions(field_boost=form.field_boost)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_terms", None)  # the cache is rebuilt, never pickled into the index
        return state

    def _term_maker(self) -> _Terms:
        terms: _Terms | None = self.__dict__.get("_terms")
        if terms is None:
            terms = self.__dict__["_terms"] = _Terms(self.stemming)
        return terms

    def term_of(self, word: str) -> str | None:
        """The term one word is indexed as, or None for a stop word."""
        return self._term_maker().term(word)

    def words_of(self, text: str, term: str) -> list[str]:
        """The words of `text` (lower-cased) that are indexed as `term`, as often as they occur."""
        terms = self._term_maker()
        return [word.lower() for word in WORD.findall(text) if terms.term(word) == term]

    def highlight_tokens(self, text: str) -> Iterator[Token]:
        """The tokens Whoosh's chain gives a highlighter: stop words too, marked stopped.

        One Token object is reused, as Whoosh's tokenizer does.
        """
        terms = self._term_maker()
        token = Token(positions=True, chars=True, removestops=False, mode="index")
        pos = -1
        for index, match in enumerate(WORD.finditer(text)):
            word = match.group()
            term = terms.term(word)
            token.startchar, token.endchar = match.span()
            token.boost = 1.0
            if term is None:
                token.text = word.lower().translate(accent_map)
                token.stopped = True
                token.pos = index
            else:
                pos = index if pos < 0 else pos + 1
                token.text = term
                token.stopped = False
                token.pos = pos
            yield token

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        """(term bytes, frequency, weight, encoded positions) for each term of `value`."""
        if not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        boost = self.format.field_boost
        encode = self.format.encode
        for term, places in self._term_maker().positions(value).items():
            yield term.encode("utf-8"), len(places), len(places) * boost, encode(places)
