"""Benchmark indexing and searching: the Reading Room engine against a plain Whoosh baseline.

Usage:
    .venv/bin/python benchmarks/bench_index.py FOLDER [--queries FILE]
        [--baseline | --no-baseline] [--workdir DIR] [--repeats N] [--keep]

Measures, on a folder of article files:

1. indexing the folder with the real engine (`Library(workdir/"data")`, `add_folder`,
   `sync`) in a fresh temporary directory: articles, MB, seconds, articles/s, MB/s,
   the size of the whole data directory, index segments and the peak RSS;
2. re-syncing the unchanged library (the incremental no-change path), three times;
3. a fixed set of queries (or one query per line of `--queries FILE`), each run once
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
import resource
import shutil
import sys
import tempfile
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
)


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
    resync_s: list[float]
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


def time_queries(
    queries: Sequence[str],
    runners: dict[str, Callable[[str], object]],
    repeats: int,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Run each query once to warm up, then `repeats` times, in each mode.

    Returns:
        The latencies in ms of every mode, and per query the median of each mode.
    """
    latencies: dict[str, list[float]] = {mode: [] for mode in runners}
    medians: dict[str, list[float]] = {mode: [] for mode in runners}
    for mode, run in runners.items():
        for text in queries:
            run(text)
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

    from index import Library, SearchRequest, SyncProgress

    ticker = Ticker("engine")

    def progress(state: SyncProgress) -> None:
        ticker(state.done, state.total)

    library = Library(Path(data_dir))
    library.add_folder(Path(folder))
    started = time.perf_counter()
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

    runners: dict[str, Callable[[str], object]] = {
        MODES[0]: lambda q: library.search(SearchRequest(q, limit=HITS, snippets=SNIPPETS)),
        MODES[1]: lambda q: library.search(SearchRequest(q, limit=HITS, snippets=0)),
    }
    latencies, medians = time_queries(queries, runners, repeats)
    stats: list[QueryStat] = []
    for text, median in zip(queries, medians[MODES[0]], strict=True):
        result = library.search(SearchRequest(text, limit=HITS, snippets=0))
        notes = []
        if result.suggestion:
            notes.append(f"did you mean: {result.suggestion}")
        if result.message:
            notes.append(result.message)
        stats.append(
            QueryStat(query=text, total=result.total, median_ms=median, note="; ".join(notes))
        )
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
        resync_s=resync_s,
        latencies=latencies,
        queries=stats,
    )


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
    writer = ix.writer()
    for done, path in enumerate(paths, start=1):
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
        resync_s=[],
        latencies=latencies,
        queries=stats,
    )


def in_child(function: Callable[..., SideResult], *args: Any) -> SideResult:
    """Run one side in a freshly spawned process, so that its memory figures are its own."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


# The parent: list and warm the files, run both sides, print the comparison.


def list_articles(folder: Path) -> tuple[list[tuple[str, int]], int]:
    """The files the engine's scanner picks up (path, size), and how many it could not look at."""
    from index.scanner import ScanProblem, scan_folder

    problems: list[ScanProblem] = []
    files = [(str(f.path), f.size) for f in scan_folder(folder, problems.append)]
    return files, len(problems)


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
    rows: dict[str, tuple[str, float]] = {
        "articles indexed": (f"{side['articles']:,}", side["articles"]),
        "index time, s": (f"{seconds:.1f}", seconds),
        "articles/s": (f"{side['articles'] / seconds:,.0f}", side["articles"] / seconds),
        "MB/s": (f"{total_bytes / MB / seconds:.2f}", total_bytes / MB / seconds),
        "index size on disk, MB": (f"{side['index_bytes'] / MB:.1f}", side["index_bytes"]),
        "index segments": (f"{side['segments']}", side["segments"]),
        "peak RSS after indexing, MB": (
            f"{side['rss_after_index'] / MB:.0f}",
            side["rss_after_index"],
        ),
        "peak RSS at the end, MB": (f"{side['rss_peak'] / MB:.0f}", side["rss_peak"]),
    }
    if side["resync_s"]:
        runs = ", ".join(f"{s:.2f}" for s in side["resync_s"])
        rows["re-sync unchanged, s"] = (runs, side["resync_s"][0])
    else:
        rows["re-sync unchanged, s"] = ("n/a", 0.0)
    for mode in MODES:
        samples = side["latencies"][mode]
        rows[f"query p50/p95/max ms, {mode}"] = (latency_text(side, mode), percentile(samples, 50))
    return rows


def print_comparison(engine: SideResult, baseline: SideResult | None, total_bytes: int) -> None:
    """The figures side by side, then per query."""
    ours = rows_of(engine, total_bytes)
    theirs = rows_of(baseline, total_bytes) if baseline else {}
    width = max(len(label) for label in ours)
    say("")
    say("== Figures ==")
    say(f"{'':{width}}  {'engine':>24}  {'plain Whoosh':>24}  {'engine/plain':>12}")
    for label, (text, number) in ours.items():
        other_text, other_number = theirs.get(label, ("-", 0.0))
        ratio = fmt_ratio(number, other_number) if baseline and label != "articles indexed" else ""
        say(f"{label:{width}}  {text:>24}  {other_text:>24}  {ratio:>12}")
    say("(query ratio: of the p50s; MB = 10^6 bytes)")

    say("")
    say(f"== Per query: hits, median ms ({MODES[0]}) ==")
    qwidth = max(len(stat["query"]) for stat in engine["queries"])
    other = {stat["query"]: stat for stat in baseline["queries"]} if baseline else {}
    say(f"{'query':{qwidth}}  {'engine hits':>11} {'ms':>8}  {'plain hits':>10} {'ms':>8}  note")
    for stat in engine["queries"]:
        plain = other.get(stat["query"])
        plain_text = f"{plain['total']:>10,} {plain['median_ms']:>8.1f}" if plain else f"{'-':>19}"
        say(
            f"{stat['query']:{qwidth}}  {stat['total']:>11,} {stat['median_ms']:>8.1f}  "
            f"{plain_text}  {stat['note']}"
        )


def print_markdown(
    corpus: str,
    files: int,
    total_bytes: int,
    engine: SideResult,
    baseline: SideResult | None,
    repeats: int,
    queries: int,
) -> None:
    """A short markdown table of the comparison, for a closing note."""
    ours = rows_of(engine, total_bytes)
    theirs = rows_of(baseline, total_bytes) if baseline else {}
    keep = [
        "index time, s",
        "articles/s",
        "MB/s",
        "index size on disk, MB",
        "index segments",
        "peak RSS after indexing, MB",
        "peak RSS at the end, MB",
        "re-sync unchanged, s",
        *(f"query p50/p95/max ms, {mode}" for mode in MODES),
    ]
    say("")
    say("== Markdown ==")
    say(
        f"Corpus `{corpus}`: {files:,} files, {total_bytes / MB:.1f} MB (10^6 bytes); "
        f"{queries} queries x {repeats} warm runs; {os.cpu_count()} cores, shared machine, "
        "one run: approximate."
    )
    say("")
    if baseline:
        say("| measure | Reading Room engine | plain Whoosh | engine / plain |")
        say("|---|---:|---:|---:|")
    else:
        say("| measure | Reading Room engine |")
        say("|---|---:|")
    for label in keep:
        text, number = ours[label]
        if label == "re-sync unchanged, s":
            text = f"{engine['resync_s'][0]:.2f}" if engine["resync_s"] else "n/a"
        if baseline:
            other_text, other_number = theirs[label]
            ratio = "-" if label == "re-sync unchanged, s" else fmt_ratio(number, other_number)
            say(f"| {label} | {text} | {other_text} | {ratio} |")
        else:
            say(f"| {label} | {text} |")


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
        "--keep", action="store_true", help="keep the temporary directory (its path is printed)"
    )
    return parser.parse_args(argv)


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
        say("engine: indexing ...")
        engine = in_child(run_engine, str(folder), str(workdir / "data"), queries, repeats)
        say(f"  load average {os.getloadavg()[0]:.2f}")
        baseline = None
        if args.baseline:
            say("plain Whoosh baseline: indexing ...")
            baseline = in_child(run_baseline, paths, str(workdir / "baseline"), queries, repeats)
            say(f"  load average {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print_comparison(engine, baseline, total_bytes)
    print_markdown(folder.name, len(files), total_bytes, engine, baseline, repeats, len(queries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
