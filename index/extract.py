"""Read one article file of any supported format into a `ParsedArticle`."""

from __future__ import annotations

import re
from pathlib import Path, PurePath

import yaml

from index.dates import parse_date_value
from index.decode import NotTextError, decode_bytes, looks_binary
from index.html import NoArticleTextError, parse_html
from index.kinds import kind_of
from index.models import ParsedArticle
from index.plaintext import parse_plain_text

# Files larger than this are indexed up to the limit, and say so (`truncated`).
MAX_TEXT_BYTES = 8 * 1024 * 1024
MAX_HTML_BYTES = 16 * 1024 * 1024

MAX_TITLE_CHARS = 300
MAX_NAME_CHARS = 200
MAX_FRONT_MATTER_CHARS = 64 * 1024

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_FIRST_HEADING = re.compile(r"\A\s*#\s+(?P<title>[^\n]+)\n")
_LOOSE_PAIR = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.+)$")
_HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<head|<body)", re.IGNORECASE)


class UnreadableFileError(Exception):
    """A file that cannot be indexed; the message is the reason, in the user's words."""


def read_limited(path: Path, limit: int) -> tuple[bytes, bool]:
    """Read at most `limit` bytes of a file; also say whether it was longer."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    return data[:limit], len(data) > limit


def parse_article(
    path: Path | str, kind: str, data: bytes, truncated: bool = False
) -> ParsedArticle:
    """Parse the bytes of an article file of the given kind (`path` names an untitled one).

    Raises:
        UnreadableFileError: the file is empty, binary or has no article text.
    """
    if not data.strip():
        raise UnreadableFileError("empty file")
    if kind == "sniff":
        if _HTML_START.match(data[:1024]):
            kind = "html"
        elif looks_binary(data):
            raise UnreadableFileError("not a text file")
        else:
            kind = "text"
    if kind == "html":
        if looks_binary(data):
            raise UnreadableFileError("binary data, not a web page")
        try:
            article = parse_html(data)
        except (NoArticleTextError, NotTextError) as error:
            raise UnreadableFileError(str(error)) from error
        return _with(article, truncated=truncated)
    try:
        decoded = decode_bytes(data)
    except NotTextError as error:
        raise UnreadableFileError("binary data, not text") from error
    if kind == "markdown":
        return _with(_parse_markdown(decoded.text), encoding=decoded.encoding, truncated=truncated)
    plain = parse_plain_text(decoded.text)
    if not plain.text and not plain.title:
        raise UnreadableFileError("no text in this file")
    return ParsedArticle(
        title=plain.title or PurePath(path).stem,
        text=plain.text,
        author=plain.author,
        source=plain.source,
        date=plain.date,
        encoding=decoded.encoding,
        truncated=truncated,
    )


def parse_bounded(
    path: Path | str, kind: str, data: bytes, truncated: bool = False
) -> ParsedArticle:
    """`parse_article` with titles, names and tags capped to sensible lengths."""
    return _bounded(parse_article(path, kind, data, truncated))


def read_article(path: Path) -> ParsedArticle:
    """Read and parse an article file.

    Raises:
        UnreadableFileError: the file cannot be read or holds no article.
        OSError: the file vanished or cannot be opened.
    """
    kind = kind_of(path) or "sniff"
    limit = MAX_HTML_BYTES if kind == "html" else MAX_TEXT_BYTES
    data, truncated = read_limited(path, limit)
    return parse_bounded(path, kind, data, truncated)


def _bounded(article: ParsedArticle) -> ParsedArticle:
    """Metadata of sensible length, whatever the file says."""
    if (
        article.title is not None
        and len(article.title) <= MAX_TITLE_CHARS
        and len(article.author or "") <= MAX_NAME_CHARS
        and len(article.source or "") <= MAX_NAME_CHARS
        and len(article.tags) <= 50
        and all(len(tag) <= MAX_NAME_CHARS for tag in article.tags)
    ):
        return article  # nearly every article: nothing to cut
    return _with(
        article,
        title=_cap(article.title, MAX_TITLE_CHARS) or "",
        author=_cap(article.author, MAX_NAME_CHARS),
        source=_cap(article.source, MAX_NAME_CHARS),
        tags=tuple(tag[:MAX_NAME_CHARS] for tag in article.tags[:50]),
    )


def _cap(value: str | None, limit: int) -> str | None:
    if value is None or len(value) <= limit:
        return value
    return value[:limit].rsplit(" ", 1)[0] + "…"


def _with(article: ParsedArticle, **changes: object) -> ParsedArticle:
    fields = {name: getattr(article, name) for name in ParsedArticle.__slots__}
    fields.update(changes)
    return ParsedArticle(**fields)


def _first(meta: dict[str, object], *keys: str) -> object:
    for key in keys:
        value = meta.get(key)
        if value not in (None, "", []):
            return value
    return None


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return str(value.get("name") or "") or None
    return str(value).strip() or None


def _plain_yaml(block: str) -> object:
    """YAML without anchors and aliases: a few bytes of aliases can expand to gigabytes."""
    if len(block) > MAX_FRONT_MATTER_CHARS:
        return None
    try:
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(block)):
            return None
        return yaml.safe_load(block)
    except yaml.YAMLError:
        return None


def _front_matter(block: str) -> dict[str, object]:
    """Front matter as a dict: YAML, or failing that simple `key: value` lines."""
    loaded = _plain_yaml(block)
    if isinstance(loaded, dict):
        return {str(key).lower(): value for key, value in loaded.items()}
    # Not valid YAML (an unquoted colon, a stray quote): keep what reads as key: value.
    meta: dict[str, object] = {}
    for line in block.splitlines():
        match = _LOOSE_PAIR.match(line)
        if match:
            meta[match["key"].lower()] = match["value"].strip().strip("'\"")
    return meta


def _parse_markdown(text: str) -> ParsedArticle:
    meta: dict[str, object] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        meta = _front_matter(match["yaml"])
        text = text[match.end() :]
    heading = _FIRST_HEADING.match(text)
    heading_title = heading["title"].strip() if heading else None
    if heading:
        text = text[heading.end() :]
    body = _MD_HEADING.sub("", text)
    body = _MD_IMAGE.sub(r"\1", body)
    body = _MD_LINK.sub(r"\1", body)
    body = _MD_EMPHASIS.sub(r"\2", body)
    meta_title = _as_text(_first(meta, "title", "headline"))
    plain = parse_plain_text(body, detect_headline=not (meta_title or heading_title))
    tags = _first(meta, "tags", "keywords", "categories")
    if isinstance(tags, str):
        tags = [tag.strip() for tag in tags.split(",")]
    return ParsedArticle(
        title=meta_title or heading_title or plain.title,
        text=plain.text,
        author=_as_text(_first(meta, "author", "authors", "by", "byline")) or plain.author,
        source=_as_text(_first(meta, "source", "publisher", "site", "site_name", "outlet"))
        or plain.source,
        date=parse_date_value(_first(meta, "date", "published", "published_at", "pubdate"))
        or plain.date,
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (),
    )
