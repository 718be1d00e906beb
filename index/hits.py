"""Where a query's words occur in an article's full text, for the reader's highlights.

Every form that matches is found: the text is analysed like the index analyses
it (stemming, case and accent folding), and prefix, wildcard and fuzzy words are
expanded against the index's vocabulary. Words under NOT are not highlighted.
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.reading import IndexReader

from index.schema import text_analyzer

HIGHLIGHT_FIELDS = ("title", "body")


def _as_text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def positive_terms(node: wq.Query, reader: IndexReader) -> set[str]:
    """The analysed words a query looks for in the title or body, expanded."""
    found: set[str] = set()
    if isinstance(node, wq.Not):
        return found
    if isinstance(node, wq.AndNot):
        return positive_terms(node.a, reader)
    if isinstance(node, wq.Phrase):
        if node.fieldname in HIGHLIGHT_FIELDS:
            found.update(_as_text(word) for word in node.words)
        return found
    if node.is_leaf():
        fieldname = getattr(node, "fieldname", None)
        if fieldname not in HIGHLIGHT_FIELDS:
            return found
        if isinstance(node, wq.MultiTerm):
            for count, term in enumerate(node._btexts(reader)):
                if count >= 512:
                    break
                found.add(_as_text(term))
        elif isinstance(node, wq.Term):
            found.add(_as_text(node.text))
        return found
    for child in node.children():
        found |= positive_terms(child, reader)
    return found


def term_spans(text: str, terms: set[str], limit: int = 10_000) -> list[tuple[int, int]]:
    """Character ranges of the words of `text` whose analysed form is one of `terms`.

    At most `limit` ranges, from the start: enough to read, and bounded for huge files.
    """
    spans: list[tuple[int, int]] = []
    if not terms or not text:
        return spans
    for token in text_analyzer()(text, chars=True, positions=False, mode="index"):
        if token.text in terms:
            spans.append((token.startchar, token.endchar))
            if len(spans) >= limit:
                break
    return spans
