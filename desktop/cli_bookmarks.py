"""`readingroom bookmarks …` and `readingroom print …`: the window's bookmarks and printing."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from desktop.bookmarks import Bookmark, BookmarkFileError, BookmarkStore, normalise_tags
from index import Article, Library, SearchRequest

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `bookmarks`, `print` and `reading-list` subcommands."""
    bookmarks = commands.add_parser("bookmarks", help="list, add, remove, export, import bookmarks")
    actions = bookmarks.add_subparsers(dest="bookmarks_action", metavar="ACTION")
    listing = actions.add_parser("list", help="list bookmarks")
    listing.add_argument("--tag", help="only bookmarks with this tag")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    add = actions.add_parser("add", help="bookmark an article")
    add.add_argument("article", metavar="ID_OR_PATH")
    add.add_argument("--tag", action="append", default=[], help="a tag (repeat for more)")
    add.add_argument("--note", default="", help="a note")
    remove = actions.add_parser("remove", help="remove a bookmark")
    remove.add_argument("article", metavar="ID_OR_PATH")
    export = actions.add_parser("export", help="write bookmarks as Markdown, CSV or JSON")
    export.add_argument("--format", choices=["md", "csv", "json"], default="md")
    export.add_argument("--output", "-o", type=Path, help="a file (default: standard output)")
    imported = actions.add_parser("import", help="add the bookmarks of a JSON export")
    imported.add_argument("file", type=Path)

    printing = commands.add_parser("print", help="write an article as PDF, with a citation header")
    printing.add_argument("article", metavar="ID_OR_PATH")
    printing.add_argument("--pdf", type=Path, required=True, metavar="OUT", help="the PDF file")
    printing.add_argument("--highlight", metavar="QUERY", help="keep this query's hits highlighted")

    reading = commands.add_parser(
        "reading-list",
        help="write articles as one PDF or HTML file: a cover page with the list, then each one",
    )
    chosen = reading.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--tag", help="every bookmark with this tag")
    chosen.add_argument("--id", action="append", metavar="ID_OR_PATH", help="this article (repeat)")
    chosen.add_argument("--query", help="the first hits of this search (see --limit)")
    reading.add_argument("--limit", type=int, default=20, help="hits of --query (default 20)")
    reading.add_argument("--title", help="the cover page's title")
    reading.add_argument(
        "--output", "-o", type=Path, required=True, help="OUT.pdf for PDF, else one HTML file"
    )


def find_article(library: Library, reference: str) -> Article | None:
    """The article with this id or path; if there is none, say so on standard error."""
    article = library.get(reference)
    if article is None:
        _not_found(reference)
    return article


def _not_found(reference: str) -> None:
    print(f"readingroom: no article with id or path {reference!r}", file=sys.stderr)


def _warn(store: BookmarkStore) -> None:
    if store.warning:
        print(f"readingroom: {store.warning}", file=sys.stderr)


def cmd_bookmarks(library: Library, args: argparse.Namespace) -> int:
    """Run `bookmarks ACTION`."""
    store = BookmarkStore(args.paths.bookmarks)
    action = args.bookmarks_action or "list"
    if action == "list":
        bookmarks = store.all()
        _warn(store)
        if getattr(args, "tag", None):
            wanted = store.ids_with_tag(args.tag)
            bookmarks = [b for b in bookmarks if b.id in wanted]
        if getattr(args, "json", False):
            print(json.dumps([b.to_json() for b in bookmarks], ensure_ascii=False, indent=2))
        elif not bookmarks:
            print("No bookmarks yet. Add one: readingroom bookmarks add ID")
        for b in [] if getattr(args, "json", False) else bookmarks:
            tags = f"  [{', '.join(b.tags)}]" if b.tags else ""
            print(f"{b.id}  {b.title}{tags}\n    {b.path}")
            if b.note:
                print(f"    note: {b.note}")
        return EXIT_OK
    if action in ("add", "remove"):
        article = library.get(args.article)
        article_id = article.id if article else args.article
        if action == "remove":
            if not store.remove(article_id):
                print(f"readingroom: no bookmark for {args.article!r}", file=sys.stderr)
                return EXIT_NOT_FOUND
            print(f"Removed the bookmark of {article_id}")
            return EXIT_OK
        if article is None:
            _not_found(args.article)
            return EXIT_NOT_FOUND
        existing = store.get(article.id)
        merged = normalise_tags((*(existing.tags if existing else ()), *args.tag))
        note = args.note or (existing.note if existing else "")
        store.put(Bookmark.from_article(article, merged, note))
        print(f"Bookmarked {article.id}: {article.title}")
        return EXIT_OK
    if action == "export":
        text = store.export("." + args.format)
        _warn(store)
        if args.output is None:
            sys.stdout.write(text)
        else:
            args.output.write_text(text, encoding="utf-8")
            print(f"Wrote {len(store.all())} bookmarks to {args.output}")
        return EXIT_OK
    try:
        count = store.import_json(args.file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, BookmarkFileError) as error:
        print(f"readingroom: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Imported {count} bookmarks.")
    return EXIT_OK


def _qt_for_printing() -> object:
    """The Qt application that printing needs (offscreen when there is no display)."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([sys.argv[0]])


def cmd_print(library: Library, args: argparse.Namespace) -> int:
    """Run `print ID --pdf OUT`."""
    article = find_article(library, args.article)
    if article is None:
        return EXIT_NOT_FOUND
    _app = _qt_for_printing()
    from desktop.printing import export_pdf

    spans = library.hit_spans(args.highlight, article.text) if args.highlight else []
    try:
        export_pdf(article, args.pdf, spans)
    except OSError as error:
        print(f"readingroom: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Wrote {args.pdf}")
    return EXIT_OK


def cmd_reading_list(library: Library, args: argparse.Namespace) -> int:
    """Run `reading-list (--tag T | --id ID... | --query Q) -o OUT`."""
    if args.tag:
        store = BookmarkStore(args.paths.bookmarks)
        wanted = store.ids_with_tag(args.tag)
        ids = [b.id for b in reversed(store.all()) if b.id in wanted]  # oldest bookmark first
        title = args.title or f"Reading list: {args.tag}"
    elif args.query:
        request = SearchRequest(args.query, limit=max(1, min(args.limit, 1000)), snippets=0)
        ids = [hit.id for hit in library.search(request).hits]
        title = args.title or f"Reading list: {args.query}"
    else:
        ids = list(args.id)
        title = args.title or "Reading list"
    articles = [a for a in (library.get(i) for i in ids) if a is not None]
    missing = len(ids) - len(articles)
    if not articles:
        print("readingroom: no articles to put in the list", file=sys.stderr)
        return EXIT_NOT_FOUND
    _app = _qt_for_printing()
    from desktop.reading_list import export_reading_list

    try:
        export_reading_list(title, articles, args.output)
    except OSError as error:
        print(f"readingroom: {error}", file=sys.stderr)
        return EXIT_USAGE
    note = f" ({missing} no longer in the library, left out)" if missing else ""
    print(f"Wrote {args.output}: {len(articles)} articles{note}")
    return EXIT_OK
