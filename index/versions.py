"""Stories in the results, other versions of an article, related articles and what differs.

The catalog knows which articles are versions of one story (`index/stories.py`);
this module turns that into what a reader sees: a result list where a story
shows once, the versions of an opened article, the articles on the same subject
that are not versions of it, and the words that differ between two versions.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from index.models import Hit
from index.paths import key_to_path
from index.state_cache import StateCache, segment_ids

# Key terms of the opened article searched for, at most.
RELATED_TERMS = 30
# A term in more than this share of the archive (and more than RELATED_MIN_COMMON articles) is
# too common to say what an article is about; the terms searched keep within RELATED_POSTINGS
# (157k articles: 0.8-3 s for all 30 key terms, 25 ms within the budget; bbc: the top five
# share the topic folder 87% of the time with all, 90% within it).
RELATED_COMMON_SHARE = 0.05
RELATED_MIN_COMMON = 500
RELATED_POSTINGS = 3_000
OPENING_CHARS = 220  # a passage's length, as search passages are


class StoryMap:
    """The articles that have other versions, by document number, and each story's members."""

    def __init__(self, by_doc: dict[int, str]) -> None:
        self.by_doc = by_doc
        self.members: dict[str, list[int]] = {}
        for docnum, story in sorted(by_doc.items()):
            self.members.setdefault(story, []).append(docnum)


EMPTY_STORIES = StoryMap({})
# One index and story state at a time: the map is quick to rebuild.
_DOCNUM_CACHE: StateCache[StoryMap] = StateCache(1)


def story_docnums(searcher: Searcher, story_of: Mapping[str, str], version: str) -> StoryMap:
    """The stories by document number, for one searcher.

    Looked up once per index state and story state (`version` changes whenever the
    stories are redrawn); every thread's searcher shares it.
    """

    def story_map() -> StoryMap:
        by_doc = {}
        for article_id, story in story_of.items():
            docnum = searcher.document_number(id=article_id)
            if docnum is not None:
                by_doc[docnum] = story
        return StoryMap(by_doc)

    return _DOCNUM_CACHE.get((segment_ids(searcher.reader()), version), story_map)


def hidden_versions(
    matching: Iterable[int], stories: Mapping[int, str], everything: bool = False
) -> int:
    """How many matches a collapsed list leaves out: every match of a story but its first.

    `everything`: the matches are the whole archive (every version matches).
    """
    if everything:
        return len(stories) - len(set(stories.values()))
    matched = [stories[doc] for doc in stories.keys() & matching]  # a C loop over the matches
    return len(matched) - len(set(matched))


def collapse(ranked: Iterable[int], stories: Mapping[int, str]) -> list[int]:
    """The ranked documents with each story's later versions left out."""
    seen: set[str] = set()
    kept = []
    for doc in ranked:
        story = stories.get(doc)
        if story is not None:
            if story in seen:
                continue
            seen.add(story)
        kept.append(doc)
    return kept


def opening(body: str) -> str:
    """An article's first words as an HTML passage (no ellipses: callers add them)."""
    start = body[:OPENING_CHARS].rsplit(" ", 1)[0] if len(body) > OPENING_CHARS else body
    return html.escape(" ".join(start.split()), quote=False)


def summary(fields: Mapping[str, Any], score: float | None = None) -> Hit:
    """An article as a list shows it: its metadata and its opening words."""
    first_words = opening(str(fields.get("body", "")))
    date = fields.get("date")
    title = str(fields.get("title", ""))
    return Hit(
        id=fields["id"],
        path=str(key_to_path(fields["path"])),
        folder=fields.get("folder_facet", ""),
        title=title,
        source=fields.get("source") or None,
        author=fields.get("author") or None,
        date=date if isinstance(date, datetime) else None,
        score=score,
        snippets=(first_words,) if first_words else (),
        title_html=html.escape(title, quote=False),
        sha256=fields.get("sha256", ""),
    )


def related(
    searcher: Searcher, docnum: int, exclude: set[int], limit: int, stories: StoryMap
) -> list[Hit]:
    """Articles on the same subject as one: its key terms, searched; `exclude` left out.

    A story shows once (its most alike version), as in the result list.

    As Whoosh's `more_like`, the key terms of the stored text come from the Bo1
    model (terms frequent in the article and rare in the archive); the title
    counts as part of the text.
    """
    fields = searcher.stored_fields(docnum)
    text = f"{fields.get('title', '')}\n{fields.get('body', '')}"
    candidates = searcher.key_terms_from_text("body", text, numterms=2 * RELATED_TERMS)
    terms = _affordable(searcher, candidates)
    if not terms:
        return []
    # The key terms choose what to look for; BM25 weighs them, as in any search. (Boosting
    # them by their key-term weight let one rare word rule: "Göring" stems to "gore".)
    query = wq.Or([wq.Term("body", word) for word, _ in terms])
    results = searcher.search(query, limit=limit * 3, mask={docnum, *exclude})
    scores = {hit.docnum: float(hit.score) for hit in results}
    kept = collapse((hit.docnum for hit in results), stories.by_doc)[:limit]
    return [summary(searcher.stored_fields(doc), scores[doc]) for doc in kept]


def _affordable(searcher: Searcher, terms: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The key terms to search for, best first, within a budget of postings to rank.

    A word in a large share of the archive ("music", "might") says little about
    the subject and costs the most to rank (seconds on 150,000 articles): it is
    left out, as is a term whose postings would take the total past the budget.
    """
    common = max(RELATED_MIN_COMMON, RELATED_COMMON_SHARE * searcher.doc_count())
    kept: list[tuple[str, float]] = []
    postings = 0
    for word, weight in terms:
        frequency = searcher.doc_frequency("body", word)
        if frequency > common:
            continue
        if postings + frequency > RELATED_POSTINGS and kept:
            continue  # too costly now: a rarer term further down may still fit
        kept.append((word, weight))
        postings += frequency
        if len(kept) == RELATED_TERMS:
            break
    return kept


_TOKEN = re.compile(r"\s+|[^\s]+")
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+[\"'”’)\]]*|\n+|$)\s*")
MAX_DIFF_TOKENS = 40_000  # words and spaces compared; the rest of a huge text is shown as is
SIMILAR_SENTENCE = 0.6  # a changed sentence shows its changed words; a new one shows whole


def differences(old: str, new: str) -> str:
    """The second text as HTML: what it adds in `<ins>`, what it drops from the first in `<del>`.

    Compared sentence by sentence; a sentence that was edited (most of its words
    kept) shows the words that changed. Paragraph breaks are kept.
    """
    first, second = _sentences(old), _sentences(new)
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    parts: list[str] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(_escape("".join(second[b1:b2])))
        elif op == "replace" and a2 - a1 == b2 - b1:
            for was, now in zip(first[a1:a2], second[b1:b2], strict=True):
                parts.append(_changed_sentence(was, now))
        else:
            parts.append(_replaced("".join(first[a1:a2]), "".join(second[b1:b2])))
    return "".join(parts).replace("\n", "<br>\n")


def _sentences(text: str) -> list[str]:
    tokens = _TOKEN.findall(text)
    kept = "".join(tokens[:MAX_DIFF_TOKENS])
    return [part for part in _SENTENCE.findall(kept) if part]


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _marked(tag: str, text: str) -> str:
    """Text in a tag, the spaces around it outside (so that struck text does not run on)."""
    stripped = text.strip()
    if not stripped:
        return _escape(text)
    start = text.index(stripped[0])
    end = start + len(stripped)
    return f"{_escape(text[:start])}<{tag}>{_escape(stripped)}</{tag}>{_escape(text[end:])}"


def _replaced(old: str, new: str) -> str:
    """Text struck out, then the text that took its place (kept apart by a space)."""
    dropped, added = _marked("del", old), _marked("ins", new)
    if dropped and added and not dropped[-1].isspace():
        dropped += " "
    return dropped + added


def _changed_sentence(old: str, new: str) -> str:
    first, second = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    if matcher.ratio() < SIMILAR_SENTENCE:
        return _replaced(old, new)
    parts: list[str] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(_escape("".join(second[b1:b2])))
            continue
        if a2 > a1:
            parts.append(_marked("del", "".join(first[a1:a2])) + " ")
        if b2 > b1:
            parts.append(_marked("ins", "".join(second[b1:b2])))
    return "".join(parts)


_INS = re.compile(r"<ins>(.*?)</ins>", re.DOTALL)
_DEL = re.compile(r"<del>(.*?)</del>", re.DOTALL)


def restyle(marked: str, added: str, dropped: str) -> str:
    """The `<ins>` and `<del>` of `differences` written another way: "{}" stands for the text."""
    marked = _INS.sub(lambda m: added.format(m.group(1)), marked)
    return _DEL.sub(lambda m: dropped.format(m.group(1)), marked)
