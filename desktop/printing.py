"""Printing and PDF export of an article, with a citation header and optional highlights.

The font's ligatures are switched off so that the PDF's text extracts as written
("files", not "ﬁles").
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from PySide6.QtGui import QFont, QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter

from index import Article

HIGHLIGHT_STYLE = "span.hit { background-color: #ffe082; }"


def print_font() -> QFont:
    """A serif text font without ligatures."""
    font = QFont("DejaVu Serif")
    font.setStyleHint(QFont.StyleHint.Serif)
    font.setPointSizeF(11)
    font.setFeature(QFont.Tag("liga"), 0)
    font.setFeature(QFont.Tag("clig"), 0)
    return font


def _highlighted(text: str, spans: list[tuple[int, int]]) -> str:
    parts: list[str] = []
    last = 0
    for start, end in sorted(spans):
        if start < last:
            continue
        parts.append(html.escape(text[last:start]))
        parts.append(f'<span class="hit">{html.escape(text[start:end])}</span>')
        last = end
    parts.append(html.escape(text[last:]))
    return "".join(parts)


def article_html(
    article: Article,
    spans: list[tuple[int, int]] | None = None,
    printed_on: datetime | None = None,
) -> str:
    """The printable HTML of an article: citation header, then the text."""
    printed = (printed_on or datetime.now()).strftime("%-d %B %Y, %H:%M")
    rows = [
        ("Outlet", article.source),
        ("Author", article.author),
        ("Date", article.date.strftime("%-d %B %Y") if article.date else None),
        ("File", article.path),
        ("Printed on", printed),
    ]
    citation = "".join(
        f"<tr><td><b>{label}</b></td><td>{html.escape(value)}</td></tr>"
        for label, value in rows
        if value
    )
    body = _highlighted(article.text, spans or [])
    paragraphs = "".join(
        f"<p>{paragraph}</p>" for paragraph in body.split("\n") if paragraph.strip()
    )
    return (
        f"<h1>{html.escape(article.title)}</h1>"
        f'<table cellspacing="0" cellpadding="2">{citation}</table><hr/>{paragraphs}'
    )


def print_document(
    article: Article,
    spans: list[tuple[int, int]] | None = None,
    printed_on: datetime | None = None,
) -> QTextDocument:
    """A document ready to print or preview."""
    document = QTextDocument()
    document.setDefaultFont(print_font())
    document.setDefaultStyleSheet(HIGHLIGHT_STYLE + " p { margin-bottom: 6px; }")
    document.setHtml(article_html(article, spans, printed_on))
    document.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, article.title)
    return document


def configure_pdf_printer(printer: QPrinter, path: Path, title: str) -> None:
    """Point a printer at a PDF file."""
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setDocName(title)
    printer.setCreator("Reading Room")
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)


def export_pdf(
    article: Article,
    path: Path,
    spans: list[tuple[int, int]] | None = None,
    printed_on: datetime | None = None,
) -> None:
    """Write an article as a PDF file.

    Raises:
        OSError: the file could not be written.
    """
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    configure_pdf_printer(printer, path, article.title)
    print_document(article, spans, printed_on).print_(printer)
    if not path.exists() or path.stat().st_size == 0:
        raise OSError(f"could not write {path}")
