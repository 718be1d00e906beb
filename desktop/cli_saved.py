"""The `saved` subcommand: save, list, run and remove named searches."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from desktop.bookmarks import BookmarkStore
from desktop.cli_filters import add_filter_arguments
from desktop.cli_output import format_results
from desktop.saved_searches import SavedSearch, SavedSearchStore, new_counts, request_for
from index import Library

EXIT_OK = 0
EXIT_NOT_FOUND = 1


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `saved` subcommand."""
    saved = commands.add_parser(
        "saved", help="saved searches: list (with what arrived since), add, run, remove"
    )
    actions = saved.add_subparsers(dest="saved_action", metavar="ACTION")
    listing = actions.add_parser("list", help="list saved searches with their new articles")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    add = actions.add_parser("add", help="save a search under a name")
    add.add_argument("name")
    add.add_argument("words", nargs="*", metavar="QUERY")
    add_filter_arguments(add)
    run = actions.add_parser("run", help="run a saved search (its new articles count as seen)")
    run.add_argument("name")
    run.add_argument("--limit", type=int, default=10, help="how many hits (default 10)")
    run.add_argument("--json", action="store_true", help="machine-readable output")
    remove = actions.add_parser("remove", help="forget a saved search")
    remove.add_argument("name")


def cmd_saved(library: Library, args: argparse.Namespace) -> int:
    """Run the `saved` subcommand."""
    store = SavedSearchStore(args.paths.saved_searches)
    bookmarks = BookmarkStore(args.paths.bookmarks)
    action = args.saved_action or "list"
    if action == "add":
        search = SavedSearch(
            name=args.name,
            query=" ".join(args.words),
            sort=args.sort,
            sources=tuple(args.source),
            years=tuple(args.year),
            folders=tuple(args.folder),
            periods=tuple(args.period),
        )
        store.save(search)
        print(f"Saved “{search.name.strip()}”: {search.describe()}")
        return EXIT_OK
    if action == "remove":
        if not store.remove(args.name):
            print(f"readingroom: no saved search named “{args.name}”", file=sys.stderr)
            return EXIT_NOT_FOUND
        print(f"Removed “{args.name}”.")
        return EXIT_OK
    if action == "run":
        found = store.get(args.name)
        if found is None:
            print(f"readingroom: no saved search named “{args.name}”", file=sys.stderr)
            return EXIT_NOT_FOUND
        request = request_for(found, bookmarks, limit=max(1, min(args.limit, 10_000)))
        result = replace(library.search(request), query=found.query)
        store.mark_opened(found.name)
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        else:
            print(format_results(result, color=sys.stdout.isatty()))
        return EXIT_OK
    searches = store.all()
    counts = new_counts(searches, library, bookmarks)
    if args.json:
        listed = [{**s.to_json(), "new": counts[s.name]} for s in searches]
        print(json.dumps(listed, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not searches:
        print("No saved searches yet: readingroom saved add NAME QUERY")
    for search in searches:
        new = counts[search.name]
        print(f"{search.name}  ({new} new)" if new else search.name)
        print(f"    {search.describe()}")
    return EXIT_OK
