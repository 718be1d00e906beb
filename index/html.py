"""Read a saved web page: the article's main text and its metadata, without the page around it."""

from __future__ import annotations

import html as htmllib
import re

import lxml.html
import trafilatura
from lxml.etree import ParserError

from index.dates import parse_date_value
from index.decode import decode_bytes, strip_controls
from index.models import ParsedArticle
from index.plaintext import derive_title, is_furniture

_DEEP_PARSER = lxml.html.HTMLParser(huge_tree=True)
_INVISIBLE = re.compile(r"<(script|style|template|noscript)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)


class NoArticleTextError(ValueError):
    """The page holds no text that reads as an article."""


def decode_html(data: bytes) -> str:
    """Decode a page: UTF-8 when the bytes are UTF-8, else the declared charset if it fits."""
    if data[:3] == b"\xef\xbb\xbf" or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return decode_bytes(data).text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _META_CHARSET.search(data[:8192])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass  # the declaration is wrong: detect instead
    return decode_bytes(data).text


def _fallback_text(html: str) -> str:
    """All visible text of the page, when the main-text extractor finds nothing.

    Pages too deep for the extractor (thousands of nested elements) are parsed
    without lxml's depth limit, and failing that, read by stripping the tags.
    """
    try:
        tree = lxml.html.fromstring(html, parser=_DEEP_PARSER)
    except (ParserError, ValueError):
        return _stripped_text(html)
    for element in tree.xpath("//script|//style|//noscript|//template"):
        element.drop_tree()
    text = tree.text_content()
    lines = (line.strip() for line in text.splitlines())
    parsed = "\n".join(line for line in lines if line)
    # libxml2 stops descending past its depth limit: the tag-stripped text may hold more.
    stripped = _stripped_text(html)
    return stripped if len(stripped.split()) > len(parsed.split()) else parsed


def _stripped_text(html: str) -> str:
    without_code = _INVISIBLE.sub(" ", html)
    text = htmllib.unescape(_TAG.sub(" ", without_code))
    return " ".join(text.split())


def parse_html(data: bytes) -> ParsedArticle:
    """Extract an article from the bytes of a saved web page.

    Raises:
        NoArticleTextError: the page has no readable text at all.
    """
    html = decode_html(data)
    document = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_images=False,
        favor_recall=False,
    )
    found: dict[str, object] = {}
    if document is not None:
        found = document if isinstance(document, dict) else document.as_dict()
    text = str(found.get("text") or "")
    title = str(found.get("title") or "")
    author = str(found.get("author") or "")
    source = str(found.get("sitename") or "")
    date = parse_date_value(found.get("date"))
    if len(text.split()) < 8:
        # Next to nothing extracted (a page nested too deep for the extractor, say):
        # all of the page's visible text, if that says more.
        fallback = _fallback_text(html)
        if len(fallback.split()) > len(text.split()):
            text = fallback
    text = strip_controls(text)
    text = "\n".join(line for line in text.split("\n") if not is_furniture(line)).strip()
    if title.strip():
        # The page's own headline often opens the extracted text: it is shown as the title.
        first, _, rest = text.partition("\n")
        if first.strip().casefold() == title.strip().casefold() and rest.strip():
            text = rest.strip()
    if not text:
        raise NoArticleTextError("no readable text in this page")
    return ParsedArticle(
        title=strip_controls(title).strip() or derive_title(text),
        text=text,
        author=author.strip() or None,
        source=source.strip() or None,
        date=date,
    )
