"""The `readingroom` command: the window without arguments, the command line with a subcommand."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from types import FrameType

from desktop import __version__, cli_bookmarks, cli_saved, cli_stories
from desktop.bookmark_query import split_bookmark_terms
from desktop.bookmarks import BookmarkStore
from desktop.cli_filters import add_filter_arguments
from desktop.cli_output import (
    JsonProgress,
    ProgressPrinter,
    format_article,
    format_results,
    format_sync_report,
)
from desktop.launcher import wants_window
from desktop.paths import BASEDIR_ENV, AppPaths, storage_problem
from desktop.periods import format_timeline
from index import Filters, Library, LockBusyError, SearchRequest, SortOrder

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2
EXIT_BUSY = 3
EXIT_STORAGE = 4
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    """The command line's grammar."""
    parser = argparse.ArgumentParser(
        prog="readingroom",
        description="Search and read your saved articles, offline. "
        "Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--basedir",
        metavar="DIR",
        help=f"keep the index, bookmarks and settings under DIR (also ${BASEDIR_ENV})",
    )
    # The window indexes its sample archive in a library of its own.
    parser.add_argument("--library-dir", type=Path, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    index = commands.add_parser(
        "index", help="add folders to the library and bring the index up to date"
    )
    index.add_argument("folders", nargs="*", type=Path, metavar="FOLDER")
    index.add_argument(
        "--no-wait", action="store_true", help="fail instead of waiting for another indexing run"
    )
    index.add_argument(
        "--rebuild", action="store_true", help="build the index from scratch (keeps bookmarks)"
    )
    index.add_argument(
        "--progress-json",
        action="store_true",
        help="report progress as JSON lines on standard output (for the window)",
    )

    search = commands.add_parser("search", help="search the library")
    search.add_argument("words", nargs="+", metavar="QUERY")
    search.add_argument("--limit", type=int, default=10, help="how many hits (default 10)")
    search.add_argument("--offset", type=int, default=0, help="skip this many hits first")
    add_filter_arguments(search)
    search.add_argument(
        "--timeline", action="store_true", help="also print the matches by month (or year)"
    )
    search.add_argument(
        "--all-versions",
        action="store_true",
        help="list every version of a story (by default a story shows once)",
    )
    search.add_argument("--json", action="store_true", help="machine-readable output")

    show = commands.add_parser("show", help="one article: metadata and full text")
    show.add_argument("article", metavar="ID_OR_PATH")
    show.add_argument("--json", action="store_true", help="machine-readable output")

    folders = commands.add_parser("folders", help="list the library's folders")
    folders.add_argument("action", nargs="?", choices=["list", "add", "remove"], default="list")
    folders.add_argument("path", nargs="?", type=Path)
    folders.add_argument("--json", action="store_true", help="machine-readable output")

    problems = commands.add_parser("problems", help="files that could not be read, and why")
    problems.add_argument("--json", action="store_true", help="machine-readable output")
    cli_bookmarks.add_parsers(commands)
    cli_stories.add_parsers(commands)
    cli_saved.add_parsers(commands)
    commands.add_parser(
        "install-desktop", help="add Reading Room to the application menu (XDG directories)"
    )
    commands.add_parser("uninstall-desktop", help="remove what install-desktop added")
    return parser


@contextmanager
def _interruptible() -> Iterator[list[bool]]:
    """Turn Ctrl+C and SIGTERM into a request to stop after the current file."""
    flag = [False]

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if flag[0]:
            raise KeyboardInterrupt  # a second Ctrl+C: stop at once
        flag[0] = True

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _sync(library: Library, wait: bool, progress_json: bool = False, rebuild: bool = False) -> int:
    printer = JsonProgress(sys.stdout) if progress_json else ProgressPrinter(sys.stderr)

    def on_wait(holder: str) -> None:
        who = f" (process {holder})" if holder else ""
        print(f"Another indexing run is going{who}; waiting for it to finish…", file=sys.stderr)

    with _interruptible() as stop:
        try:
            report = library.sync(
                progress=printer.update,
                should_cancel=lambda: stop[0],
                wait=wait,
                on_wait=on_wait,
                rebuild=rebuild,
            )
        except LockBusyError as error:
            who = f" (process {error})" if str(error) else ""
            print(
                f"readingroom: another indexing run is going{who}; try again later.",
                file=sys.stderr,
            )
            return EXIT_BUSY
        finally:
            printer.close()
    if progress_json:
        print(json.dumps({"event": "finished", **asdict(report)}), flush=True)
        return EXIT_INTERRUPTED if report.cancelled else EXIT_OK
    if report.rebuilt:
        print(f"The index was rebuilt from scratch: {report.rebuilt}. Bookmarks are kept.")
    print(format_sync_report(report, library.count()))
    if report.problems:
        print("Run `readingroom problems` to see the files that could not be read.")
    return EXIT_INTERRUPTED if report.cancelled else EXIT_OK


def _cmd_index(library: Library, args: argparse.Namespace) -> int:
    for folder in args.folders:
        if not folder.is_dir():
            print(f"readingroom: {folder}: not a folder", file=sys.stderr)
            return EXIT_USAGE
    for folder in args.folders:
        if library.add_folder(folder):
            print(f"Added {folder.resolve()}")
    if not library.folders():
        print(
            "The library has no folders yet. Add one: readingroom index ~/Articles", file=sys.stderr
        )
        return EXIT_USAGE
    return _sync(
        library, wait=not args.no_wait, progress_json=args.progress_json, rebuild=args.rebuild
    )


def _cmd_search(library: Library, args: argparse.Namespace) -> int:
    terms = split_bookmark_terms(" ".join(args.words), BookmarkStore(args.paths.bookmarks))
    request = SearchRequest(
        query=terms.query,
        sort=SortOrder(args.sort),
        filters=Filters(
            sources=tuple(args.source),
            years=tuple(args.year),
            folders=tuple(args.folder),
            periods=tuple(args.period),
            only_ids=terms.allowed,
        ),
        offset=max(0, args.offset),
        limit=max(1, min(args.limit, 10_000)),
        collapse=not args.all_versions,
    )
    result = replace(terms.apply_to(library.search(request)), query=" ".join(args.words))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_results(result, color=sys.stdout.isatty()))
        if args.timeline:
            print()
            print(format_timeline(result.timeline))
    return EXIT_OK


def _cmd_show(library: Library, args: argparse.Namespace) -> int:
    article = cli_bookmarks.find_article(library, args.article)
    if article is None:
        return EXIT_NOT_FOUND
    story = library.story(article.id)
    versions = [v.id for v in story.versions if v.id != article.id] if story else []
    if args.json:
        print(json.dumps({**article.to_json(), "versions": versions}, ensure_ascii=False, indent=2))
    else:
        print(format_article(article, versions))
    return EXIT_OK


def _cmd_folders(library: Library, args: argparse.Namespace) -> int:
    if args.action in ("add", "remove") and args.path is None:
        print(f"readingroom: folders {args.action} needs a PATH", file=sys.stderr)
        return EXIT_USAGE
    if args.action == "add":
        return _cmd_index(
            library,
            argparse.Namespace(
                folders=[args.path], no_wait=False, progress_json=False, rebuild=False
            ),
        )
    if args.action == "remove":
        if not library.remove_folder(args.path):
            print(f"readingroom: {args.path} is not one of the library's folders", file=sys.stderr)
            return EXIT_NOT_FOUND
        print(f"Removed {args.path}; its articles leave the index now.")
        return _sync(library, wait=True)
    folders = library.folders()
    if args.json:
        print(json.dumps(folders, ensure_ascii=False, indent=2))
    elif not folders:
        print("No folders yet. Add one: readingroom index ~/Articles")
    else:
        for folder in folders:
            missing = "" if Path(folder).is_dir() else "   (missing)"
            print(f"{folder}{missing}")
    return EXIT_OK


def _cmd_problems(library: Library, args: argparse.Namespace) -> int:
    problems = library.problems()
    if args.json:
        rows = [{"path": p.path, "reason": p.reason, "seen": p.seen.isoformat()} for p in problems]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not problems:
        print("No problems: every file in the library could be read.")
    else:
        for problem in problems:
            print(f"{problem.path}\n    {problem.reason}")
        print(f"{len(problems)} file(s) could not be read; they are tried again at every run.")
    return EXIT_OK


def _cmd_desktop(args: argparse.Namespace, install: bool) -> int:
    from desktop import desktop_integration

    if install:
        written = desktop_integration.install(args.paths.data)
        print(f"Installed {len(written)} files; Reading Room is in the application menu.")
        print(f"It starts: {' '.join(desktop_integration.launcher())}")
    else:
        removed = desktop_integration.uninstall(args.paths.data)
        print(f"Removed {len(removed)} files." if removed else "Nothing was installed.")
    return EXIT_OK


CommandFunction = Callable[[Library, argparse.Namespace], int]
COMMANDS: dict[str, CommandFunction] = {
    "index": _cmd_index,
    "search": _cmd_search,
    "show": _cmd_show,
    "folders": _cmd_folders,
    "problems": _cmd_problems,
    "bookmarks": cli_bookmarks.cmd_bookmarks,
    "print": cli_bookmarks.cmd_print,
    "reading-list": cli_bookmarks.cmd_reading_list,
    "stories": cli_stories.cmd_stories,
    "related": cli_stories.cmd_related,
    "diff": cli_stories.cmd_diff,
    "saved": cli_saved.cmd_saved,
    "install-desktop": lambda _library, args: _cmd_desktop(args, install=True),
    "uninstall-desktop": lambda _library, args: _cmd_desktop(args, install=False),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (or, without a subcommand, the window)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    # File names that are not UTF-8 are printed as the bytes they are, not refused.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="surrogateescape")
    parser = build_parser()
    if wants_window(arguments):
        from desktop.app import run_gui  # Qt is loaded only for the window

        return run_gui(arguments)
    args = parser.parse_args(arguments)
    paths = AppPaths.resolve(args.basedir)
    args.paths = paths
    library: Library | None = None
    try:
        library = Library(args.library_dir or paths.library)
        return COMMANDS[args.command](library, args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (`| head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (OSError, sqlite3.Error) as error:
        print(f"readingroom: {storage_problem(paths, error)}", file=sys.stderr)
        return EXIT_STORAGE
    finally:
        if library is not None:
            library.close()
