"""Benchmark indexing and searching: the Reading Room engine against a plain Whoosh baseline.

Usage:
    .venv/bin/python benchmarks/bench_index.py FOLDER [--queries FILE] [--existing DATA_DIR]
        [--baseline | --no-baseline] [--workdir DIR] [--repeats N] [--keep]

Measures, on a folder of article files:

1. indexing the folder with the real engine (`Library(workdir/"data")`, `add_folder`,
   `sync`) in a fresh temporary directory: articles, MB, seconds, articles/s, MB/s,
   the size of the whole data directory, index segments and the peak RSS;
2. re-syncing the unchanged library (the incremental no-change path), three times;
3. a fixed set of 56 queries (or one query per line of `--queries FILE`): words,
   phrases, prefixes, fuzzy words, fields, dates, NOT and OR, and sorts and folder
   filters (the engine alone runs those), each run once
   to warm up and then `--repeats` times, with 10 hits and 3 snippets and with 10 hits
   and no snippets: p50 / p95 / max latency in ms;
4. with `--baseline` (the default), the same for plain Whoosh: one writer with default
   settings, `Schema(path=ID, title=TEXT, body=TEXT(StemmingAnalyzer))`, first line =
   title, then the queries through a plain `QueryParser("body")` with
   `hit.highlights("body", top=3)` on the top 10.

Each side runs in its own freshly spawned process, one after the other, so that its
peak RSS (`resource.getrusage`) is its own. The files are read once beforehand so that
both sides find them in the operating system's file cache. The figures of one run on a
shared machine are approximate: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict

# The project is not installed in its virtualenv: make `index` importable from the repo root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MB = 1_000_000  # the unit of every "MB" printed here, as in the shared platform notes
HITS = 10
SNIPPETS = 3
RESYNC_RUNS = 3
PROGRESS_EVERY_S = 30.0
MODES = ("10 hits + 3 snippets", "10 hits, no snippets")
# The untimed-before first run of each query, with snippets: what a query costs before the
# engine remembers anything of it (fuzzy words, for one).
FIRST_RUN = f"first run of each, {MODES[0]}"

# Words, AND, phrases, OR, NOT, prefixes, fuzzy terms, fields, dates, grouping and
# misspellings; chosen to hit both news (bbc) and encyclopedia (Wikipedia) text.
QUERIES: tuple[str, ...] = (
    "government",
    "music",
    "football",
    "election",
    "people",
    "said",
    "zeppelin",
    "economy growth",
    "film award",
    "london police",
    "company profits rose sharply last year",
    '"prime minister"',
    '"world cup"',
    '"united states"',
    '"new york" music',
    "oil OR gas",
    "tennis OR golf OR cricket",
    "(mobile OR phone) technology",
    "election NOT labour",
    "music NOT rock",
    "comput*",
    "econom*",
    "champion*",
    "goverment~",
    "footbal~ club",
    "title:music",
    "title:election",
    "title:england rugby",
    "date:2005",
    "date:2004-12..2005-03 oil",
    "parliment",
    "telvision",
    "river",
    "mountain",
    "volcano",
    "painter",
    "french revolution",
    "computer science",
    "olympic games",
    '"world war"',
    '"new york city"',
    '"european union"~2',
    "space station",
    "railway station",
    "king OR queen",
    "planet* NOT star",
    "photograph*",
    "music || sort=newest",
    "election || sort=title",
    "river || sort=oldest",
    "school || folder={folder}",
    "city council || folder={folder}",
    '"prime minister" || folder={folder} sort=newest',
    "comput* || sort=title folder={folder}",
    " || folder={folder}",
    " || sort=newest",
)
# A line "TEXT || sort=S folder=F" is searched with that sort order and folder filter
# ({folder} is the corpus's first subfolder); the engine alone runs those lines, as the
# references have no such options. An empty TEXT lists everything, as the window does.


class QueryStat(TypedDict):
    """One query's result count and median latency (with snippets) on one side."""

    query: str
    total: int
    median_ms: float
    note: str


class SideResult(TypedDict):
    """Everything measured on one side (the engine or the baseline)."""

    name: str
    articles: int
    problems: int
    index_s: float
    index_bytes: int
    segments: int
    rss_after_index: int
    rss_peak: int
    tree_peak: int
    rss_idle: int
    resync_s: list[float]
    resync_changed_s: float
    latencies: dict[str, list[float]]
    queries: list[QueryStat]


# Small helpers


def peak_rss_bytes() -> int:
    """This process's peak resident set size so far (Linux reports kilobytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def dir_bytes(path: Path) -> int:
    """The total size of the files under a directory."""
    total = 0
    for dirpath, _dirnames, filenames in os.walk(path):
        for name in filenames:
            with contextlib.suppress(OSError):  # a lock file that went away
                total += (Path(dirpath) / name).stat().st_size
    return total


def percentile(samples: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile of some samples (0.0 when there are none)."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


class TreeMemory:
    """Samples the resident memory of this process and all its descendants, summed.

    Shared pages (libraries) count once per process, so the figure errs high.
    """

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(os.getpid()))
            self._stop.wait(self.interval)


def tree_rss_bytes(root: int) -> int:
    """The summed RSS of a process and its descendants (Linux /proc; 0 elsewhere)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            pid = int(entry.name)
            parents[pid] = int(fields[1])
            rss[pid] = int(fields[21]) * page
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(rss.get(pid, 0) for pid in tree)


def current_rss_bytes() -> int:
    """This process's resident memory now (Linux; the peak elsewhere)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return peak_rss_bytes()


def change_some_files(folder: Path) -> tuple[int, int, int]:
    """Change 10 files, add 5 and delete 5, as a user's day might; never in place.

    The corpus copy is made of hard links, so a changed file is written anew and
    renamed over its link: the original corpus is never touched.
    """
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    changed, deleted = files[1::997][:10], files[3::991][-5:]
    for path in changed:
        fresh = path.with_name(path.name + ".new")
        fresh.write_bytes(path.read_bytes() + b"\n\nUpdated: a correction was added.\n")
        fresh.replace(path)
    for number in range(5):
        (files[0].parent / f"added-{number}.txt").write_text(
            f"A new article {number}\n\nThe benchmark wrote this article about zeppelins.\n",
            encoding="utf-8",
        )
    for path in deleted:
        path.unlink()
    return len(changed), 5, len(deleted)


def idle_memory(data_dir: str, queries: list[str]) -> int:
    """RSS of a fresh process that opened the index and ran every query once (the app's core)."""
    from index import Library

    library = Library(Path(data_dir))
    for text in queries:
        library.search(engine_request(text, SNIPPETS))
    rss = current_rss_bytes()
    library.close()
    return rss


def load_queries(path: Path) -> list[str]:
    """One query per line; blank lines and lines starting with # are skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def say(text: str) -> None:
    """Print a line at once (the output often goes to a log file that is being polled)."""
    print(text, flush=True)


class Ticker:
    """Prints indexing progress at most every `PROGRESS_EVERY_S` seconds."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.perf_counter()
        self.last = self.started

    def __call__(self, done: int, total: int) -> None:
        """Report `done` of `total` files if the last report is old enough."""
        now = time.perf_counter()
        if now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            rate = done / (now - self.started)
            say(
                f"  [{self.label}] {done:,}/{total:,} files, {now - self.started:.0f} s, "
                f"{rate:.0f} files/s, peak RSS {peak_rss_bytes() / MB:.0f} MB"
            )


def split_spec(line: str) -> tuple[str, dict[str, str]]:
    """A query line's text and options (`sort=`, `folder=`)."""
    text, _, options = line.partition(" || ")
    return text.strip(), dict(part.split("=", 1) for part in options.split() if "=" in part)


def plain_queries(queries: Sequence[str]) -> list[str]:
    """The lines without options, which the references run too."""
    return [line for line in queries if " || " not in line]


def time_queries(
    queries: Sequence[str],
    runners: dict[str, Callable[[str], object]],
    repeats: int,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Run each query once to warm up, then `repeats` times, in each mode.

    Returns:
        The latencies in ms of every mode (and of the first runs, `FIRST_RUN`), and per
        query the median of each mode.
    """
    latencies: dict[str, list[float]] = {mode: [] for mode in runners}
    latencies[FIRST_RUN] = []
    medians: dict[str, list[float]] = {mode: [] for mode in runners}
    for mode, run in runners.items():
        for text in queries:
            started = time.perf_counter()
            run(text)
            if mode == MODES[0]:
                latencies[FIRST_RUN].append((time.perf_counter() - started) * 1000)
            samples = []
            for _ in range(repeats):
                started = time.perf_counter()
                run(text)
                samples.append((time.perf_counter() - started) * 1000)
            latencies[mode].extend(samples)
            medians[mode].append(percentile(samples, 50))
    return latencies, medians


# The two sides; each runs in a child process of its own (see `in_child`).


def run_engine(folder: str, data_dir: str, queries: list[str], repeats: int) -> SideResult:
    """Index `folder` with the Reading Room engine, re-sync it, and time the queries."""
    from whoosh import index as whoosh_index

    from index import Library, SyncProgress

    ticker = Ticker("engine")

    def progress(state: SyncProgress) -> None:
        ticker(state.done, state.total)

    library = Library(Path(data_dir))
    library.add_folder(Path(folder))
    started = time.perf_counter()
    with TreeMemory() as memory:
        report = library.sync(progress=progress)
    index_s = time.perf_counter() - started
    rss_after_index = peak_rss_bytes()
    articles = library.count()
    index_bytes = dir_bytes(Path(data_dir))
    # From the table of contents only: a second reader would load the index into memory
    # again (Whoosh copies compound segments into RAM) and inflate the peak RSS.
    segments = len(whoosh_index.open_dir(str(Path(data_dir) / "index"))._segments())
    say(
        f"  [engine] indexed {articles:,} articles in {index_s:.1f} s "
        f"(added {report.added:,}, problems {report.problems:,})"
    )

    resync_s: list[float] = []
    for _ in range(RESYNC_RUNS):
        started = time.perf_counter()
        again = library.sync()
        resync_s.append(time.perf_counter() - started)
        if again.changed or again.problems != report.problems:
            say(
                f"  [engine] WARNING: the re-sync of an unchanged folder changed something: {again}"
            )
    say(f"  [engine] re-sync of the unchanged library: {resync_s[0]:.2f} s")
    changed, added, deleted = change_some_files(Path(folder))
    started = time.perf_counter()
    after = library.sync()
    resync_changed_s = time.perf_counter() - started
    say(
        f"  [engine] re-sync after {changed} changed, {added} added, {deleted} deleted: "
        f"{resync_changed_s:.2f} s ({after.updated} updated, {after.added} added, "
        f"{after.removed} removed)"
    )

    latencies, stats = time_engine_queries(library, queries, repeats)
    library.close()
    say("  [engine] queries done")
    return SideResult(
        name="engine",
        articles=articles,
        problems=report.problems,
        index_s=index_s,
        index_bytes=index_bytes,
        segments=segments,
        rss_after_index=rss_after_index,
        rss_peak=peak_rss_bytes(),
        tree_peak=memory.peak,
        rss_idle=0,
        resync_s=resync_s,
        resync_changed_s=resync_changed_s,
        latencies=latencies,
        queries=stats,
    )


def engine_request(line: str, snippets: int) -> Any:
    """The engine's request for a query line (see `split_spec`)."""
    from index import Filters, SearchRequest, SortOrder

    text, options = split_spec(line)
    folders = (options["folder"],) if "folder" in options else ()
    return SearchRequest(
        text,
        limit=HITS,
        snippets=snippets,
        sort=SortOrder(options.get("sort", "relevance")),
        filters=Filters(folders=folders),
    )


def time_engine_queries(
    library: Any, queries: list[str], repeats: int
) -> tuple[dict[str, list[float]], list[QueryStat]]:
    """Time the engine on the query lines; the latencies by mode and each line's figures."""
    runners: dict[str, Callable[[str], object]] = {
        MODES[0]: lambda q: library.search(engine_request(q, SNIPPETS)),
        MODES[1]: lambda q: library.search(engine_request(q, 0)),
    }
    latencies, medians = time_queries(queries, runners, repeats)
    stats: list[QueryStat] = []
    for text, median in zip(queries, medians[MODES[0]], strict=True):
        result = library.search(engine_request(text, 0))
        notes = []
        if result.suggestion:
            notes.append(f"did you mean: {result.suggestion}")
        if result.message:
            notes.append(result.message)
        stats.append(
            QueryStat(query=text, total=result.total, median_ms=median, note="; ".join(notes))
        )
    return latencies, stats


def run_baseline(paths: list[str], index_dir: str, queries: list[str], repeats: int) -> SideResult:
    """Index the files with plain Whoosh (one writer, default settings) and time the queries."""
    from whoosh import index as whoosh_index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import QueryParser

    schema = Schema(
        path=ID(stored=True, unique=True),
        title=TEXT(stored=True),
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
    )
    Path(index_dir).mkdir(parents=True)
    ticker = Ticker("baseline")
    started = time.perf_counter()
    ix = whoosh_index.create_in(index_dir, schema)
    with TreeMemory() as memory:
        writer = ix.writer()
        for done, path in enumerate(paths, start=1):
            with contextlib.suppress(OSError):  # deleted by the engine's change step
                text = Path(path).read_text(encoding="utf-8", errors="replace")
                title, _, body = text.partition("\n")
                writer.add_document(path=path, title=title.strip(), body=body.strip())
            ticker(done, len(paths))
        writer.commit()
    index_s = time.perf_counter() - started
    rss_after_index = peak_rss_bytes()
    say(f"  [baseline] indexed {len(paths):,} articles in {index_s:.1f} s")

    parser = QueryParser("body", ix.schema)
    searcher = ix.searcher()
    articles = int(searcher.doc_count())
    segments = len(list(searcher.reader().leaf_readers()))

    def with_snippets(text: str) -> object:
        results = searcher.search(parser.parse(text), limit=HITS)
        return [hit.highlights("body", top=SNIPPETS) for hit in results]

    def without_snippets(text: str) -> object:
        results = searcher.search(parser.parse(text), limit=HITS)
        return [hit.fields() for hit in results]

    latencies, medians = time_queries(
        queries, {MODES[0]: with_snippets, MODES[1]: without_snippets}, repeats
    )
    stats = [
        QueryStat(
            query=text,
            total=len(searcher.search(parser.parse(text), limit=HITS)),
            median_ms=median,
            note="",
        )
        for text, median in zip(queries, medians[MODES[0]], strict=True)
    ]
    searcher.close()
    say("  [baseline] queries done")
    return SideResult(
        name="plain Whoosh",
        articles=articles,
        problems=0,
        index_s=index_s,
        index_bytes=dir_bytes(Path(index_dir)),
        segments=segments,
        rss_after_index=rss_after_index,
        rss_peak=peak_rss_bytes(),
        tree_peak=memory.peak,
        rss_idle=current_rss_bytes(),
        resync_s=[],
        resync_changed_s=0.0,
        latencies=latencies,
        queries=stats,
    )


_RECOLL_COUNT = re.compile(r"^(\d+) results", re.MULTILINE)


def run_recoll(folder: str, confdir: str, queries: list[str], repeats: int) -> SideResult:
    """Index the folder with Recoll (`recollindex`) and time `recollq` for each query.

    A query's time includes starting `recollq` (Recoll's command-line query tool),
    which Recoll's own window does not pay; its p50 is an upper bound.
    """
    conf = Path(confdir)
    conf.mkdir(parents=True)
    (conf / "recoll.conf").write_text(
        f"topdirs = {folder}\nloglevel = 1\nidxflushmb = 50\n", encoding="utf-8"
    )
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    started = time.perf_counter()
    with TreeMemory() as memory:
        subprocess.run(["recollindex", "-c", confdir, "-z"], check=True, **quiet)  # type: ignore[call-overload]
    index_s = time.perf_counter() - started
    say(f"  [recoll] indexed in {index_s:.1f} s")

    def run(text: str) -> str:
        done = subprocess.run(
            ["recollq", "-c", confdir, "-n", str(HITS), "-A", text],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout

    latencies, medians = time_queries(queries, {MODES[0]: run}, repeats)
    latencies[MODES[1]] = []
    stats = []
    for text, median in zip(queries, medians[MODES[0]], strict=True):
        found = _RECOLL_COUNT.search(run(text))
        stats.append(
            QueryStat(
                query=text, total=int(found.group(1)) if found else 0, median_ms=median, note=""
            )
        )
    everything = _RECOLL_COUNT.search(run("*"))  # may be refused: counted from the files then
    articles = int(everything.group(1)) if everything else 0
    say("  [recoll] queries done")
    return SideResult(
        name="Recoll",
        articles=articles,
        problems=0,
        index_s=index_s,
        index_bytes=dir_bytes(conf),
        segments=0,
        rss_after_index=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        rss_peak=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        tree_peak=memory.peak,
        rss_idle=0,
        resync_s=[],
        resync_changed_s=0.0,
        latencies=latencies,
        queries=stats,
    )


def in_child(function: Callable[..., Any], *args: Any) -> Any:
    """Run one side in a freshly spawned process, so that its memory figures are its own."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


# The parent: list and warm the files, run both sides, print the comparison.


def list_articles(folder: Path) -> tuple[list[tuple[str, int]], int]:
    """The files the engine's scanner picks up (path, size), and how many it could not look at."""
    from index.scanner import Indexed, scan

    found = scan([folder], Indexed())
    return sorted((f.fs_path, f.size) for f in found.to_read), len(found.problems)


def warm_file_cache(paths: Sequence[str]) -> float:
    """Read every file once, so that neither side pays for the disk; returns seconds."""
    started = time.perf_counter()
    for path in paths:
        with Path(path).open("rb") as handle:
            while handle.read(1024 * 1024):
                pass
    return time.perf_counter() - started


def fmt_ratio(engine: float, baseline: float) -> str:
    """The ratio engine / baseline as "1.23x", or a dash when it means nothing."""
    if baseline <= 0 or engine <= 0:
        return "-"
    return f"{engine / baseline:.2f}x"


def latency_text(side: SideResult, mode: str) -> str:
    """p50 / p95 / max of one mode, in ms."""
    samples = side["latencies"][mode]
    return (
        f"{percentile(samples, 50):.1f} / {percentile(samples, 95):.1f} / "
        f"{max(samples, default=0.0):.1f}"
    )


def rows_of(side: SideResult, total_bytes: int) -> dict[str, tuple[str, float]]:
    """The figures of one side: label -> (text, number used for the ratio)."""
    seconds = side["index_s"]
    articles = side["articles"]
    rows: dict[str, tuple[str, float]] = {
        "articles indexed": (f"{articles:,}", articles),
        "index time, s": (f"{seconds:.1f}", seconds),
        "articles/s": (f"{articles / seconds:,.0f}", articles / seconds),
        "MB/s": (f"{total_bytes / MB / seconds:.2f}", total_bytes / MB / seconds),
        "index size on disk, MB": (f"{side['index_bytes'] / MB:.1f}", side["index_bytes"]),
        "index size / corpus size": (
            f"{side['index_bytes'] / total_bytes:.2f}",
            side["index_bytes"] / total_bytes,
        ),
        "index segments": (f"{side['segments']}", side["segments"]),
        "peak memory while indexing (all processes), MB": (
            f"{side['tree_peak'] / MB:.0f}",
            side["tree_peak"],
        ),
        "memory of a process searching the index, MB": (
            f"{side['rss_idle'] / MB:.0f}" if side["rss_idle"] else "n/a",
            side["rss_idle"],
        ),
    }
    if side["resync_s"]:
        runs = ", ".join(f"{s:.2f}" for s in side["resync_s"])
        rows["re-sync unchanged, s"] = (runs, side["resync_s"][0])
        rows["re-sync after 10 changed, 5 added, 5 deleted, s"] = (
            f"{side['resync_changed_s']:.2f}",
            side["resync_changed_s"],
        )
    else:
        rows["re-sync unchanged, s"] = ("n/a", 0.0)
        rows["re-sync after 10 changed, 5 added, 5 deleted, s"] = ("n/a", 0.0)
    for mode in (*MODES, FIRST_RUN):
        samples = side["latencies"].get(mode, [])
        text = latency_text(side, mode) if samples else "n/a"
        rows[f"query p50/p95/max ms, {mode}"] = (text, percentile(samples, 50))
    return rows


def print_comparison(sides: list[SideResult], total_bytes: int) -> None:
    """The figures side by side, with the engine's ratio to each other side; then per query."""
    table = [rows_of(side, total_bytes) for side in sides]
    engine, others = table[0], table[1:]
    width = max(len(label) for label in engine)
    say("")
    say("== Figures ==")
    header = "".join(f"  {side['name']:>22}" for side in sides)
    ratios = "".join(f"  {'engine/' + side['name']:>20}" for side in sides[1:])
    say(f"{'':{width}}{header}{ratios}")
    for label, (text, number) in engine.items():
        cells = f"  {text:>22}" + "".join(f"  {other[label][0]:>22}" for other in others)
        parts = [
            "" if label == "articles indexed" else fmt_ratio(number, other[label][1])
            for other in others
        ]
        say(f"{label:{width}}{cells}" + "".join(f"  {part:>20}" for part in parts))
    say("(ratios of the p50s for queries; MB = 10^6 bytes)")

    say("")
    say(f"== Per query: hits and median ms ({MODES[0]}) ==")
    qwidth = max(len(stat["query"]) for stat in sides[0]["queries"])
    say(f"{'query':{qwidth}}" + "".join(f"  {side['name'][:14]:>14} {'ms':>7}" for side in sides))
    by_query = [{stat["query"]: stat for stat in side["queries"]} for side in sides]
    for stat in sides[0]["queries"]:
        cells = ""
        for stats in by_query:
            found = stats.get(stat["query"])
            cells += f"  {found['total']:>14,} {found['median_ms']:>7.1f}" if found else "  -"
        say(f"{stat['query']:{qwidth}}{cells}  {stat['note']}")


def print_markdown(
    corpus: str, files: int, total_bytes: int, sides: list[SideResult], repeats: int, queries: int
) -> None:
    """A short markdown table of the comparison, for the README and closing notes."""
    table = [rows_of(side, total_bytes) for side in sides]
    say("")
    say("== Markdown ==")
    say(
        f"Corpus `{corpus}`: {files:,} files, {total_bytes / MB:.1f} MB (10^6 bytes); "
        f"{queries} queries x {repeats} warm runs; {os.cpu_count()} cores, shared machine, "
        "one run: approximate."
    )
    say("")
    names = [side["name"] for side in sides]
    say("| measure | " + " | ".join(names) + " |")
    say("|---|" + "---:|" * len(names))
    for label in table[0]:
        if label == "articles indexed":
            continue
        say(f"| {label} | " + " | ".join(rows[label][0] for rows in table) + " |")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description="Benchmark the engine's indexing and search against plain Whoosh."
    )
    parser.add_argument("folder", type=Path, help="folder of article files to index")
    parser.add_argument("--queries", type=Path, help="file of queries, one a line")
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure a plain Whoosh baseline (default: yes)",
    )
    parser.add_argument(
        "--recoll",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure Recoll when recollindex is installed (default: yes)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where to create the fresh temporary directory (default: the "
        "system's temporary directory)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="timed runs of each query after one warm-up run (default: 5)",
    )
    parser.add_argument(
        "--existing",
        type=Path,
        metavar="DATA_DIR",
        help="only time the engine's queries on a library indexed before (a basedir's "
        "data/library folder); FOLDER still names the corpus, for its subfolders",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (its path is printed)"
    )
    return parser.parse_args(argv)


def time_existing(data_dir: Path, queries: list[str], repeats: int) -> int:
    """Time the engine's queries on a library built before (`readingroom index`)."""
    from index import Library

    library = Library(data_dir)
    count = library.count()
    if not count:
        print(f"error: no indexed library in {data_dir}", file=sys.stderr)
        return 2
    say(f"== bench_index: queries on {data_dir} ({count:,} articles) ==")
    latencies, stats = time_engine_queries(library, queries, repeats)
    library.close()
    for mode, samples in latencies.items():
        say(
            f"{mode}: {len(samples)} runs: p50 {percentile(samples, 50):.1f} ms, "
            f"p95 {percentile(samples, 95):.1f} ms, max {max(samples):.1f} ms"
        )
    for stat in sorted(stats, key=lambda s: -s["median_ms"])[:10]:
        say(f"  {stat['median_ms']:7.1f} ms  {stat['total']:>7,}  {stat['query']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    import whoosh

    args = parse_args(argv)
    folder: Path = args.folder.resolve()
    if not folder.is_dir():
        print(f"error: {args.folder} is not a folder", file=sys.stderr)
        return 2
    queries = load_queries(args.queries) if args.queries else list(QUERIES)
    if not queries:
        print("error: no queries", file=sys.stderr)
        return 2
    repeats = max(1, args.repeats)
    subfolder = next((p.name for p in sorted(folder.iterdir()) if p.is_dir()), None)
    queries = [
        line.replace("{folder}", subfolder or "")
        for line in queries
        if subfolder or "{folder}" not in line
    ]
    plain = plain_queries(queries)
    if args.existing:
        return time_existing(args.existing, queries, repeats)

    say(f"== bench_index: {folder} ==")
    say(
        f"{datetime.now():%Y-%m-%d %H:%M}, Python {platform.python_version()}, "
        f"Whoosh {whoosh.versionstring()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    files, scan_problems = list_articles(folder)
    total_bytes = sum(size for _path, size in files)
    paths = [path for path, _size in files]
    warm_s = warm_file_cache(paths)
    say(
        f"{len(files):,} article files, {total_bytes / MB:.1f} MB"
        + (f", {scan_problems} paths that could not be looked at" if scan_problems else "")
        + f"; read once in {warm_s:.1f} s to warm the file cache"
    )
    if not files:
        print("error: no article files in this folder", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="bench-index-", dir=args.workdir))
    say(f"working directory: {workdir}")
    try:
        # Every side indexes a copy made of hard links, which the engine's change step may edit.
        corpus = workdir / folder.name
        shutil.copytree(folder, corpus, copy_function=os.link)
        paths = [str(corpus / Path(path).relative_to(folder)) for path in paths]
        say("engine: indexing ...")
        data_dir = str(workdir / "data")
        engine = in_child(run_engine, str(corpus), data_dir, queries, repeats)
        engine["rss_idle"] = in_child(idle_memory, data_dir, queries)
        say(f"  load average {os.getloadavg()[0]:.2f}")
        sides = [engine]
        if args.baseline:
            say("plain Whoosh baseline: indexing ...")
            sides.append(in_child(run_baseline, paths, str(workdir / "baseline"), plain, repeats))
            say(f"  load average {os.getloadavg()[0]:.2f}")
        if args.recoll and shutil.which("recollindex"):
            say("Recoll: indexing ...")
            sides.append(in_child(run_recoll, str(corpus), str(workdir / "recoll"), plain, repeats))
            sides[-1]["articles"] = sides[-1]["articles"] or len(paths)
        elif args.recoll:
            say("Recoll is not installed (Debian: apt install recollcmd): left out")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print_comparison(sides, total_bytes)
    print_markdown(folder.name, len(files), total_bytes, sides, repeats, len(queries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
