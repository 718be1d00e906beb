"""Read a plain-text article: headline, byline, outlet and date from its first lines.

Saved articles carry leftovers of the page they came from: photo credits, tag
lines, "RELATED CONTENT". Those lines are recognised here and never become the
title or part of the indexed text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from index.dates import parse_date_line

TITLE_MAX_CHARS = 100

# Lines that belong to the page around an article, compared after normalisation.
_FURNITURE = frozenset(
    item.strip()
    for item in """
    related content|related|related articles|related stories|related coverage|related links
    more on this story|more from|read more|read next|see also|recommended|recommended for you
    you may also like|trending|top stories|most read|most popular|advertisement|advertisements
    sponsored|sponsored content|ad|story continues below|story continues below advertisement
    continue reading|continue reading below|scroll to continue|advertisement scroll to continue
    share|share this|share this article|share this story|share on facebook|share on twitter
    tweet|email|print|comments|comment|view comments|show comments|leave a comment|subscribe
    sign up|sign up for our newsletter|follow us|listen|listen to this article|skip to content
    skip advertisement|click here|loading|image|photo|video|watch|gallery|back to top
    """.replace("\n", "|").split("|")
    if item.strip()
)

_CREDIT = re.compile(
    r"""(?ix)
    ^(photo|photograph|image|picture|credit|source\ image)s?\s*(by\b|:|credit)
    | \b(getty\ images|shutterstock|ap\ photo|afp\ via\ getty|reuters/|epa-efe|alamy)\b
    | ^\S.{0,60}\s\|\s*@\w+$          # "instagram | @handle"
    | ^@\w+$
    | ^(©|\(c\)|copyright\b)
    """
)
_BYLINE = re.compile(r"(?i)^(?:by|written by|words by|story by|von|par|por)\s+(?P<rest>.+)$")
_SOURCE_LINE = re.compile(r"(?i)^(?:source|published by|publisher|outlet|from)\s*:\s*(?P<s>.+)$")
_DATELINE_SOURCE = re.compile(
    r"^[A-Z][A-Za-z .,'-]{1,40}\((?P<s>Reuters|AP|AFP|UPI|dpa|Bloomberg)\)"
)
_NAME = re.compile(
    r"^(?:[A-Z][\w'’.-]*\.?)(?:\s+(?:[A-Z][\w'’.-]*|de|van|von|da|di|le|la|bin)){1,3}$"
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")
_WORD = re.compile(r"\w+")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class PlainArticle:
    """The parts of a plain-text article."""

    title: str
    text: str
    author: str | None
    source: str | None
    date: datetime | None
    has_headline: bool


def _normalise(line: str) -> str:
    return " ".join(_WORD.findall(line.casefold()))


def is_furniture(line: str) -> bool:
    """Whether a line is page furniture (a "related" block, share buttons, a photo credit)."""
    stripped = line.strip()
    if not stripped:
        return False
    if len(stripped) > 160:
        return False
    if _normalise(stripped) in _FURNITURE:
        return True
    return bool(_CREDIT.search(stripped))


def _word_count(line: str) -> int:
    return len(_WORD.findall(line))


def looks_like_headline(line: str, followed_by_blank: bool) -> bool:
    """Whether the first line of a file reads as a headline rather than a sentence."""
    stripped = line.strip()
    words = _word_count(stripped)
    if not stripped or words == 0 or words > 25 or len(stripped) > 200:
        return False
    if is_furniture(stripped):
        return False
    if stripped[-1] in ".,;:" and not stripped.endswith("..."):
        # A full sentence: unless the file sets it apart and it is short.
        return followed_by_blank and words <= 12
    return True


def _looks_like_body(line: str) -> bool:
    words = _word_count(line)
    return words >= 14 or (words >= 6 and line.rstrip()[-1:] in '.!?"”')


def _looks_like_tag_line(line: str) -> bool:
    """A short all-lower-case line such as a caption tag ("maksim chmerkovskiy")."""
    stripped = line.strip()
    return (
        stripped == stripped.lower()
        and _word_count(stripped) <= 6
        and stripped[-1:] not in ".!?"
        and any(ch.isalpha() for ch in stripped)
    )


def _split_byline(rest: str) -> tuple[str, str | None]:
    """Split "Jane Doe, The Outlet" or "Jane Doe | Outlet" into author and outlet."""
    parts = re.split(r"\s*(?:,|\||—|–|\s-\s|\bfor\b)\s*", rest, maxsplit=1)
    author = parts[0].strip()
    outlet = parts[1].strip() if len(parts) > 1 and parts[1].strip() else None
    if outlet and (parse_date_line(outlet) or _word_count(outlet) > 6):
        outlet = None
    return author, outlet


def derive_title(text: str) -> str:
    """A short title made from the opening sentence, for articles without a headline."""
    for paragraph in text.split("\n"):
        paragraph = paragraph.strip()
        if paragraph and not is_furniture(paragraph):
            break
    else:
        return ""
    sentence = _SENTENCE_END.split(paragraph, maxsplit=1)[0].strip()
    sentence = sentence.rstrip(".").strip()
    if len(sentence) <= TITLE_MAX_CHARS:
        return sentence
    cut = sentence[:TITLE_MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;:—–- ")
    return cut + "…"


def parse_plain_text(text: str, detect_headline: bool = True) -> PlainArticle:
    """Find the headline, byline, outlet and date of a plain-text article, and drop furniture.

    With `detect_headline` false (the title is known from elsewhere), the first
    line is always part of the text.
    """
    lines = [line.rstrip() for line in text.split("\n")]
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    title = ""
    has_headline = False
    if index < len(lines):
        first = lines[index].strip()
        next_blank = index + 1 >= len(lines) or not lines[index + 1].strip()
        if detect_headline and looks_like_headline(first, next_blank):
            title = first
            has_headline = True
            index += 1

    author: str | None = None
    source: str | None = None
    date: datetime | None = None
    body: list[str] = []
    in_front = True
    front_lines = 0
    for line in lines[index:]:
        stripped = line.strip()
        if not stripped:
            body.append("")
            continue
        if is_furniture(stripped):
            continue
        if in_front and front_lines < 8 and not _looks_like_body(stripped):
            front_lines += 1
            found_date = parse_date_line(stripped)
            if found_date is not None and date is None:
                date = found_date
                continue
            if (match := _BYLINE.match(stripped)) and author is None:
                author, byline_source = _split_byline(match["rest"])
                source = source or byline_source
                continue
            if (match := _SOURCE_LINE.match(stripped)) and source is None:
                source = match["s"].strip()
                continue
            if has_headline and author is None and _NAME.match(stripped):
                author = stripped
                continue
            if has_headline and _looks_like_tag_line(stripped):
                continue
        else:
            in_front = False
            if source is None and not body and (match := _DATELINE_SOURCE.match(stripped)):
                source = match["s"]
        body.append(stripped)

    body_text = "\n".join(body)
    if "\n\n\n" in body_text:
        body_text = _BLANK_LINES.sub("\n\n", body_text)
    body_text = body_text.strip()
    if not title:
        title = derive_title(body_text)
    return PlainArticle(
        title=title,
        text=body_text,
        author=author,
        source=source,
        date=date,
        has_headline=has_headline,
    )
