"""Reading one article file: titles, metadata, furniture, odd files."""

import gzip
import json
import random
import struct
import zlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

import index.extract
from index.extract import UnreadableFileError, read_article
from index.kinds import kind_of
from index.plaintext import TITLE_MAX_CHARS

SEED_NO_HEADLINE = "000_b3affed6fcba6295.txt"
SEED_WITH_HEADLINE = "002_4eb3baba7c0f491b.txt"

LONG_PARAGRAPH = (
    "The harbour of Odesa reopened on Tuesday as the first grain ships in months sailed "
    "for Istanbul, port officials said, and insurers agreed to cover the voyages again."
)


# --- the two seed articles -------------------------------------------------------------


def test_seed_with_headline_byline_credit_and_tag_line(corpora: Path) -> None:
    article = read_article(corpora / "seeds" / SEED_WITH_HEADLINE)

    assert article.title == (
        "'Dancing With The Stars' Pro Returns To Europe After Escaping Ukraine: "
        "'Please Come Back To Us'"
    )
    assert article.author == "Taylor Sakellis"
    # The page furniture above the body is neither title nor text.
    assert "instagram | @maksimc" not in article.text
    assert "@maksimc" not in article.text
    assert "maksim chmerkovskiy" not in article.text  # the tag line (the body says "Maksim C...")
    assert "Taylor Sakellis" not in article.text
    assert not article.text.startswith("'Dancing With The Stars'")
    # The body is all there, from its first sentence to its last.
    assert article.text.startswith("Dancing with the Stars professional Maksim Chmerkovskiy")
    assert article.text.rstrip().endswith("please visit here.")
    assert "Baranova 27" in article.text
    assert article.encoding == "utf-8"
    assert article.truncated is False


def test_seed_without_headline_gets_a_short_title_from_its_opening(corpora: Path) -> None:
    article = read_article(corpora / "seeds" / SEED_NO_HEADLINE)

    assert article.title
    assert len(article.title) <= TITLE_MAX_CHARS <= 100
    assert article.title.startswith("ET has learned that Maks has left L.A.")
    assert "RELATED CONTENT" not in article.title
    assert "RELATED CONTENT" not in article.text
    # No line was taken for a headline: the opening sentence is still part of the text.
    assert article.text.startswith("ET has learned that Maks has left L.A.")
    assert "Baranova 27" in article.text
    assert article.text.rstrip().endswith("back to the United States.")


# --- plain text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative", ["business/001.txt", "sport/199.txt", "tech/001.txt", "politics/100.txt"]
)
def test_bbc_first_line_is_the_title(corpora: Path, relative: str) -> None:
    path = corpora / "bbc" / relative
    first_line = path.read_bytes().split(b"\n", 1)[0].decode("ascii").strip()

    article = read_article(path)

    assert article.title == first_line
    assert not article.text.startswith(first_line)
    assert len(article.text.split()) > 50


def test_bbc_latin1_byte_is_decoded(corpora: Path) -> None:
    # sport/199.txt is UTF-8 but for one Latin-1 byte: a pound sign.
    article = read_article(corpora / "bbc" / "sport" / "199.txt")

    assert "£15.8m" in article.text
    assert "\ufffd" not in article.text


def test_file_without_extension_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "Saved article about grain ships"
    path.write_text(f"Grain ships leave Odesa\n\n{LONG_PARAGRAPH}\n", encoding="utf-8")

    assert kind_of(path) == "sniff"
    article = read_article(path)

    assert article.title == "Grain ships leave Odesa"
    assert article.text == LONG_PARAGRAPH


def test_file_without_extension_holding_html_is_read_as_html(tmp_path: Path) -> None:
    path = tmp_path / "page"
    path.write_text(
        "<!DOCTYPE html><html><head><title>Grain ships leave Odesa</title></head>"
        f"<body><article><p>{LONG_PARAGRAPH}</p></article></body></html>",
        encoding="utf-8",
    )

    article = read_article(path)

    assert "<p>" not in article.text
    assert "insurers agreed to cover the voyages" in article.text


def test_files_of_other_types_are_skipped() -> None:
    assert kind_of(Path("photo.jpg")) is None
    assert kind_of(Path("archive.zip")) is None
    assert kind_of(Path("notes.TXT")) == "text"
    assert kind_of(Path("notes.md")) == "markdown"
    assert kind_of(Path("page.htm")) == "html"
    assert kind_of(Path("README")) == "sniff"


# --- Markdown ---------------------------------------------------------------------------


def test_markdown_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "grain.md"
    path.write_text(
        "---\n"
        "title: Grain ships leave Odesa\n"
        "author: Olena Petrenko\n"
        "source: The Harbour Gazette\n"
        "date: 2022-08-01\n"
        "tags: [grain, ukraine, shipping]\n"
        "---\n"
        "\n"
        f"{LONG_PARAGRAPH}\n"
        "\n"
        "## What the exporters said\n"
        "\n"
        "Exporters said **more than twenty** vessels were waiting, see "
        "[the ministry](https://example.org/ministry) and ![a crane](crane.jpg).\n",
        encoding="utf-8",
    )

    article = read_article(path)

    assert article.title == "Grain ships leave Odesa"
    assert article.author == "Olena Petrenko"
    assert article.source == "The Harbour Gazette"
    assert article.date == datetime(2022, 8, 1)
    assert article.tags == ("grain", "ukraine", "shipping")
    assert "title:" not in article.text
    assert "---" not in article.text
    assert article.text.startswith(LONG_PARAGRAPH)
    # Markdown syntax is gone, the words are kept.
    assert "more than twenty vessels" in article.text
    assert "the ministry" in article.text
    assert "https://example.org" not in article.text
    assert "**" not in article.text
    assert "##" not in article.text


def test_markdown_tags_as_comma_separated_text(tmp_path: Path) -> None:
    path = tmp_path / "tags.md"
    path.write_text(
        f"---\ntitle: Tagged\ntags: grain, ukraine\n---\n\n{LONG_PARAGRAPH}\n", encoding="utf-8"
    )

    assert read_article(path).tags == ("grain", "ukraine")


def test_markdown_keeps_a_short_first_paragraph(tmp_path: Path) -> None:
    # The front matter gives the title: the body's first paragraph is body text, even short.
    path = tmp_path / "short-lede.md"
    path.write_text(
        "---\ntitle: Grain ships leave Odesa\n---\n\n"
        "The first grain ships sailed from Odesa on Tuesday.\n\n"
        f"{LONG_PARAGRAPH}\n",
        encoding="utf-8",
    )

    article = read_article(path)

    assert article.title == "Grain ships leave Odesa"
    assert article.text.startswith("The first grain ships sailed from Odesa on Tuesday.")


def test_markdown_without_front_matter_takes_its_heading_as_title(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text(f"# Grain ships leave Odesa\n\n{LONG_PARAGRAPH}\n", encoding="utf-8")

    article = read_article(path)

    assert article.title == "Grain ships leave Odesa"
    assert article.text == LONG_PARAGRAPH


# --- HTML -------------------------------------------------------------------------------

_BODY = [
    LONG_PARAGRAPH,
    "Exporters said the corridor agreement, signed in July, allowed insurers to cover the "
    "voyages again, and that more than twenty vessels were waiting to load maize and wheat.",
    "The ministry of infrastructure said the harbour could handle up to five ships a day "
    "once mine clearance in the approaches to the port was complete.",
]

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Grain ships leave Odesa | The Harbour Gazette</title>
{head}
<script>var trackingPixel = "SCRIPTMARKER"; function track() {{ return 1; }}</script>
<style>.nav {{ color: red; }}</style>
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">NAVMARKER World</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<main><article>
<h1>Grain ships leave Odesa</h1>
{paragraphs}
</article></main>
<footer><p>Copyright 2022 The Harbour Gazette. FOOTERMARKER</p></footer>
<script>console.log("SCRIPTMARKER2");</script>
</body></html>
"""

_META_HEAD = """
<meta property="og:title" content="Grain ships leave Odesa">
<meta property="og:site_name" content="The Harbour Gazette">
<meta name="author" content="Olena Petrenko">
<meta property="article:published_time" content="2022-08-01T09:30:00Z">
"""

_JSON_LD_HEAD = (
    '<script type="application/ld+json">'
    + json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "Grain ships leave Odesa",
            "author": {"@type": "Person", "name": "Olena Petrenko"},
            "datePublished": "2022-08-01T09:30:00Z",
            "publisher": {"@type": "Organization", "name": "The Harbour Gazette"},
        }
    )
    + "</script>"
)


@pytest.mark.parametrize("head", [_META_HEAD, _JSON_LD_HEAD], ids=["meta-tags", "json-ld"])
def test_html_metadata_and_main_text(tmp_path: Path, head: str) -> None:
    path = tmp_path / "page.html"
    paragraphs = "\n".join(f"<p>{p}</p>" for p in _BODY)
    path.write_text(_PAGE.format(head=head, paragraphs=paragraphs), encoding="utf-8")

    article = read_article(path)

    assert article.title == "Grain ships leave Odesa"
    assert article.author == "Olena Petrenko"
    assert article.source == "The Harbour Gazette"
    assert article.date is not None
    assert article.date.date() == datetime(2022, 8, 1).date()
    for paragraph in _BODY:
        assert paragraph in article.text
    for leftover in ("SCRIPTMARKER", "trackingPixel", "NAVMARKER", "color: red", "FOOTERMARKER"):
        assert leftover not in article.text
    assert "<" not in article.text


def test_html_in_a_legacy_charset(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    text = "Le café de la gare a rouvert ses portes après des années de fermeture, " * 3
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        f"<title>Réouverture</title></head><body><article><p>{text}</p></article></body></html>"
    )
    path.write_bytes(page.encode("cp1252"))

    article = read_article(path)

    assert "café de la gare a rouvert ses portes après" in article.text
    assert article.title == "Réouverture"


def test_html_without_text_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text(
        "<html><head><script>var a = 1;</script></head><body><nav></nav></body></html>",
        encoding="utf-8",
    )

    with pytest.raises(UnreadableFileError):
        read_article(path)


# --- files that are not articles --------------------------------------------------------


def _png(width: int, height: int, seed: int) -> bytes:
    rnd = random.Random(seed)
    raw = b"".join(b"\x00" + rnd.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _elf_like() -> bytes:
    rnd = random.Random(7)
    header = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + struct.pack("<HHI", 3, 62, 1)
    return header + b"".join(rnd.randbytes(24) + b"\x00" * 8 for _ in range(400))


def _gzip_of_text(corpora: Path) -> bytes:
    return gzip.compress((corpora / "bbc" / "business" / "001.txt").read_bytes() * 5, mtime=0)


@pytest.mark.parametrize("maker", ["png", "elf", "gzip"])
def test_binary_with_txt_name_is_unreadable(tmp_path: Path, corpora: Path, maker: str) -> None:
    makers: dict[str, Callable[[], bytes]] = {
        "png": lambda: _png(64, 64, 0),
        "elf": _elf_like,
        "gzip": lambda: _gzip_of_text(corpora),
    }
    path = tmp_path / "looks-like-text.txt"
    path.write_bytes(makers[maker]())

    with pytest.raises(UnreadableFileError):
        read_article(path)


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes_with_txt_name_are_unreadable(tmp_path: Path, seed: int) -> None:
    # Encrypted or compressed data: no structure, few NUL bytes. Not an article.
    path = tmp_path / "secret.txt"
    path.write_bytes(random.Random(seed).randbytes(4096))

    with pytest.raises(UnreadableFileError):
        read_article(path)


@pytest.mark.parametrize("content", [b"", b"   \n\n\t \r\n"], ids=["empty", "blank"])
@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.html", "empty"])
def test_empty_file_is_unreadable(tmp_path: Path, content: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(UnreadableFileError, match="empty"):
        read_article(path)


def test_file_bigger_than_the_limit_is_truncated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index.extract, "MAX_TEXT_BYTES", 2000)
    paragraphs = [f"Paragraph {n} says something about paragraph number {n}." for n in range(200)]
    path = tmp_path / "long.txt"
    path.write_text("A very long article\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    assert path.stat().st_size > 2000

    article = read_article(path)

    assert article.truncated is True
    assert article.title == "A very long article"
    assert "Paragraph 0 says" in article.text
    assert "Paragraph 199 says" not in article.text
    assert len(article.text.encode("utf-8")) <= 2000


def test_file_within_the_limit_is_not_truncated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index.extract, "MAX_TEXT_BYTES", 2000)
    path = tmp_path / "short.txt"
    path.write_text(f"A short article\n\n{LONG_PARAGRAPH}\n", encoding="utf-8")
    assert path.stat().st_size < 2000

    article = read_article(path)

    assert article.truncated is False
    assert article.text == LONG_PARAGRAPH
