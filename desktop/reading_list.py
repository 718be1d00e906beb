"""A reading list as one document: a cover page listing the articles, then each in full.

The same content goes to a PDF (through Qt's printing, like one article) and to
a single HTML file that needs nothing else: its styles are inline, and its
Content-Security-Policy forbids scripts and any network request.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrinter

from desktop.atomic import atomic_write
from desktop.printing import HIGHLIGHT_STYLE, article_html, configure_pdf_printer, print_font
from index import Article

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'"
_PAGE_STYLE = """
body { font-family: "DejaVu Serif", Georgia, serif; max-width: 46em; margin: 2em auto;
       line-height: 1.45; padding: 0 1em; }
table.citation td { padding: 1px 8px 1px 0; vertical-align: top; }
ol.contents li { margin-bottom: 0.4em; }
.meta { color: #555; }
div.article { margin-top: 3em; }
@media print { div.article { page-break-before: always; margin-top: 0; } }
"""


def _entry(number: int, article: Article) -> str:
    meta = " · ".join(
        part
        for part in (
            article.source or "",
            article.date.strftime("%-d %B %Y") if article.date else "",
            article.folder,
        )
        if part
    )
    return (
        f'<li><a href="#article-{number}">{html.escape(article.title or "(untitled)")}</a>'
        f'<br/><span class="meta">{html.escape(meta)}</span></li>'
    )


def cover_html(title: str, articles: Sequence[Article], made_on: datetime) -> str:
    """The cover page: the list's title, when it was made, and its articles in order."""
    when = made_on.strftime("%-d %B %Y, %H:%M")
    noun = "article" if len(articles) == 1 else "articles"
    entries = "".join(_entry(number, a) for number, a in enumerate(articles, start=1))
    return (
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="meta">{len(articles)} {noun} · made with Reading Room on {when}</p>'
        f'<ol class="contents">{entries}</ol>'
    )


def _sections(articles: Sequence[Article], made_on: datetime, page_breaks: bool) -> str:
    # Qt's rich text knows `page-break-before` only as an inline style of a block.
    style = ' style="page-break-before: always"' if page_breaks else ""
    return "".join(
        f'<div class="article" id="article-{number}"{style}>'
        f'<a name="article-{number}"></a>{article_html(article, printed_on=made_on)}</div>'
        for number, article in enumerate(articles, start=1)
    )


def reading_list_html(
    title: str, articles: Sequence[Article], made_on: datetime | None = None
) -> str:
    """The reading list as one standalone HTML file."""
    made_on = made_on or datetime.now()
    sections = _sections(articles, made_on, page_breaks=False)  # the style sheet breaks pages
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8"/>'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}"/>'
        '<meta name="generator" content="Reading Room"/>'
        f"<title>{html.escape(title)}</title><style>{_PAGE_STYLE}</style></head>"
        f"<body>{cover_html(title, articles, made_on)}{sections}</body></html>\n"
    )


def reading_list_document(
    title: str, articles: Sequence[Article], made_on: datetime | None = None
) -> QTextDocument:
    """The reading list as a document to print: the cover, then each article on a new page."""
    made_on = made_on or datetime.now()
    document = QTextDocument()
    document.setDefaultFont(print_font())
    document.setDefaultStyleSheet(HIGHLIGHT_STYLE + " p { margin-bottom: 6px; }")
    body = cover_html(title, articles, made_on) + _sections(articles, made_on, page_breaks=True)
    document.setHtml(body)
    document.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, title)
    return document


def export_reading_list(
    title: str, articles: Sequence[Article], path: Path, made_on: datetime | None = None
) -> None:
    """Write a reading list as PDF (a `.pdf` path) or as one HTML file (any other).

    Raises:
        OSError: the file could not be written.
    """
    if path.suffix.lower() != ".pdf":
        atomic_write(path, reading_list_html(title, articles, made_on))
        return
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    configure_pdf_printer(printer, path, title)
    reading_list_document(title, articles, made_on).print_(printer)
    if not path.exists() or path.stat().st_size == 0:
        raise OSError(f"could not write {path}")
