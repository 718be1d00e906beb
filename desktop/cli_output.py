"""How the command line prints results, articles and progress for people."""

from __future__ import annotations

import html
import json
import os
import re
import textwrap
import time
from collections.abc import Sequence
from typing import TextIO

from tqdm import tqdm

from index import Article, Hit, SearchResult, SyncProgress, SyncReport

_MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)
_BOLD_YELLOW = "\x1b[1;33m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"


def render_marked(snippet: str, color: bool) -> str:
    """An HTML snippet as terminal text: matches in bold yellow on a terminal, plain otherwise."""
    if color:
        snippet = _MARK.sub(lambda m: f"{_BOLD_YELLOW}{m.group(1)}{_RESET}", snippet)
    else:
        snippet = _MARK.sub(r"\1", snippet)
    return html.unescape(snippet)


def _meta_line(source: str | None, date: object, folder: str) -> str:
    parts = [source or "", date.strftime("%Y-%m-%d") if hasattr(date, "strftime") else "", folder]
    return " · ".join(part for part in parts if part)


def format_results(result: SearchResult, color: bool) -> str:
    """A result list for people."""
    lines: list[str] = []
    if result.message:
        lines.append(f"Note: {result.message}")
    noun = "article" if result.total == 1 else "articles"
    lines.append(f"{result.total} {noun} for “{result.query}” ({result.elapsed_ms:.0f} ms)")
    if result.hidden:
        more = "1 more version" if result.hidden == 1 else f"{result.hidden} more versions"
        verb = "is" if result.hidden == 1 else "are"
        lines.append(f"{more} of listed stories {verb} folded in (--all-versions lists them)")
    if result.suggestion:
        lines.append(f"Did you mean: {result.suggestion}")
    for rank, hit in enumerate(result.hits, start=1):
        lines.append("")
        lines.extend(format_hit_lines(hit, f"{rank:>3}.", color))
    return "\n".join(lines)


def versions_line(hit: Hit) -> str:
    """The "3 versions · BBC, Reuters" line of an article with other versions, else ""."""
    if hit.versions < 2:
        return ""
    outlets = ", ".join(hit.outlets)
    return f"{hit.versions} versions" + (f" · {outlets}" if outlets else "")


def format_hit_lines(
    hit: Hit, label: str, color: bool, snippets: bool = True, extra: str = ""
) -> list[str]:
    """One article of a list: title, outlet, date and folder, file, id, passages."""
    bold, dim, reset = (_BOLD, _DIM, _RESET) if color else ("", "", "")
    indent = " " * (len(label) + 1)
    lines = [f"{label} {bold}{hit.title or '(untitled)'}{reset}"]
    meta = _meta_line(hit.source, hit.date, hit.folder)
    if hit.author:
        meta = f"{meta} · {hit.author}" if meta else hit.author
    if meta or extra:
        lines.append(f"{indent}{meta}{extra}")
    if versions := versions_line(hit):
        lines.append(f"{indent}{versions} (readingroom stories {hit.id})")
    lines.append(f"{indent}{dim}{hit.path}{reset}")
    lines.append(f"{indent}id {hit.id}")
    if snippets:
        for snippet in hit.snippets:
            lines.append(f"{indent}… " + render_marked(snippet, color) + " …")
    return lines


def format_article(article: Article, versions: Sequence[str] = ()) -> str:
    """One article for people: a header (its other versions too), then the text."""
    lines = [article.title, "=" * min(len(article.title), 78)]
    for label, value in (
        ("Outlet", article.source),
        ("Author", article.author),
        ("Date", article.date.strftime("%Y-%m-%d") if article.date else None),
        ("File", article.path),
        ("Folder", article.folder),
        ("Id", article.id),
        ("Words", str(article.words)),
        ("Copies", ", ".join(article.copies) if article.copies else None),
        ("Versions", ", ".join(versions) if versions else None),
    ):
        if value:
            lines.append(f"{label + ':':8} {value}")
    if article.truncated:
        lines.append(
            "Note:    the file is larger than the indexing limit; only its start is indexed."
        )
    lines.append("")
    for paragraph in article.text.split("\n"):
        lines.append(textwrap.fill(paragraph, width=78) if paragraph.strip() else "")
    return "\n".join(lines)


def format_sync_report(report: SyncReport, total: int) -> str:
    """The one-line summary of an indexing run."""
    verb = "Stopped" if report.cancelled else "Indexed"
    parts = [
        f"{report.added} added",
        f"{report.updated} updated",
        f"{report.moved} moved",
        f"{report.removed} removed",
        f"{report.unchanged} unchanged",
        f"{report.problems} problems",
    ]
    text = (
        f"{verb} in {report.elapsed_s:.1f} s: {', '.join(parts)}; {total} articles in the library."
    )
    if report.cancelled:
        text += " Run `readingroom index` again to finish."
    return text


class ProgressPrinter:
    """A progress bar with files done/total and time left, shown only on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._enabled = stream.isatty()
        self._bar: tqdm | None = None
        self._last = 0.0

    def update(self, progress: SyncProgress) -> None:
        """Show how far the run has got."""
        if not self._enabled or progress.total == 0:
            return
        if self._bar is None:
            try:
                width = os.get_terminal_size(self._stream.fileno()).columns
            except OSError:
                width = 0
            self._bar = tqdm(
                total=progress.total,
                file=self._stream,
                unit="file",
                desc="Indexing",
                # A terminal that reports no size (a bare pty) still gets a bar.
                ncols=None if width else 80,
                nrows=None if width else 24,
                dynamic_ncols=bool(width),
                leave=False,
            )
        now = time.monotonic()
        if now - self._last > 0.1 or progress.done == progress.total:
            self._bar.n = progress.done
            self._bar.refresh()
            self._last = now

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class JsonProgress:
    """Progress as JSON lines, for the window that runs indexing in a separate process."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._last = 0.0

    def update(self, progress: SyncProgress) -> None:
        """Report how far the run has got (at most ten times a second)."""
        now = time.monotonic()
        if now - self._last < 0.1 and progress.done not in (0, progress.total):
            return
        self._last = now
        line = {"event": "progress", "done": progress.done, "total": progress.total}
        self._stream.write(json.dumps(line) + "\n")
        self._stream.flush()

    def close(self) -> None:
        """Nothing to tidy up."""
