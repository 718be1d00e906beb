"""The `stories`, `related` and `diff` subcommands: versions of one story, articles alike."""

from __future__ import annotations

import argparse
import html
import json
import re
import sys

from desktop import cli_bookmarks
from desktop.cli_output import format_hit_lines
from index import Library, Story, differences, restyle

EXIT_OK = 0
EXIT_NOT_FOUND = 1
_BREAK = re.compile(r"<br>\n?")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `stories`, `related` and `diff` subcommands."""
    stories = commands.add_parser(
        "stories", help="stories with more than one version (copies, updates, rewrites)"
    )
    stories.add_argument(
        "article", nargs="?", metavar="ID_OR_PATH", help="only the story of this article"
    )
    stories.add_argument("--limit", type=int, default=50, help="how many stories (default 50)")
    stories.add_argument("--json", action="store_true", help="machine-readable output")

    related = commands.add_parser(
        "related", help="articles on the same subject as one (other versions left out)"
    )
    related.add_argument("article", metavar="ID_OR_PATH")
    related.add_argument("--limit", type=int, default=5, help="how many (default 5)")
    related.add_argument("--json", action="store_true", help="machine-readable output")

    diff = commands.add_parser("diff", help="what one version of a story changes in another")
    diff.add_argument("old", metavar="OLD_ID_OR_PATH")
    diff.add_argument("new", metavar="NEW_ID_OR_PATH")


def _format_story(story: Story, color: bool) -> list[str]:
    outlets = ", ".join(story.outlets)
    lines = [f"Story {story.id}: {len(story.versions)} versions · {outlets}"]
    for version in story.versions:
        shared = story.shares.get(version.id)
        note = f" · {shared:.0%} of its text shared" if shared is not None else ""
        lines.extend(format_hit_lines(version, "  -", color, snippets=False, extra=note))
    return lines


def cmd_stories(library: Library, args: argparse.Namespace) -> int:
    """List stories, or the versions of one article's story."""
    color = sys.stdout.isatty()
    if args.article:
        article = cli_bookmarks.find_article(library, args.article)
        if article is None:
            return EXIT_NOT_FOUND
        story = library.story(article.id)
        if args.json:
            print(json.dumps(story.to_json() if story else None, ensure_ascii=False, indent=2))
        elif story is None:
            print(f"“{article.title}” has no other version in the library.")
        else:
            print("\n".join(_format_story(story, color)))
        return EXIT_OK
    stories = library.stories()
    shown = stories[: max(0, args.limit)]
    if args.json:
        print(json.dumps([s.to_json() for s in shown], ensure_ascii=False, indent=2))
        return EXIT_OK
    copies = sum(len(s.versions) for s in stories)
    print(f"{len(stories)} stories with more than one version ({copies} articles)")
    for story in shown:
        print()
        print("\n".join(_format_story(story, color)))
    if len(shown) < len(stories):
        print(f"\n… and {len(stories) - len(shown)} more (--limit)")
    return EXIT_OK


def cmd_related(library: Library, args: argparse.Namespace) -> int:
    """Articles on the same subject as one."""
    article = cli_bookmarks.find_article(library, args.article)
    if article is None:
        return EXIT_NOT_FOUND
    hits = library.related(article.id, max(1, args.limit))
    if args.json:
        print(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"Related to “{article.title}”:" if hits else f"Nothing related to “{article.title}”.")
    for rank, hit in enumerate(hits, start=1):
        print()
        print("\n".join(format_hit_lines(hit, f"{rank:>3}.", sys.stdout.isatty())))
    return EXIT_OK


def cmd_diff(library: Library, args: argparse.Namespace) -> int:
    """The newer text with [-removed-] and {+added+} words, as `wdiff` shows them."""
    old = cli_bookmarks.find_article(library, args.old)
    new = cli_bookmarks.find_article(library, args.new) if old else None
    if old is None or new is None:
        return EXIT_NOT_FOUND
    text = restyle(_BREAK.sub("\n", differences(old.text, new.text)), "{{+{}+}}", "[-{}-]")
    print(f"--- {old.title} ({old.id})\n+++ {new.title} ({new.id})\n")
    print(html.unescape(text))
    return EXIT_OK
