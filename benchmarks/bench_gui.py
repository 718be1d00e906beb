"""Benchmark the window on a real index: start-up, typing to painted results, and a full build.

Usage:
    .venv/bin/python benchmarks/bench_gui.py BASEDIR [--build FOLDER] [--queries N]

BASEDIR holds an indexed library (`readingroom --basedir BASEDIR index FOLDER`).
Measures, with the real `MainWindow` on Qt's offscreen platform:

1. start-up, in a fresh process: from launch to the window shown, and to the first
   results painted for a query typed at once (the window is usable). As in the app,
   the window starts a re-sync of the library (in another process) soon after;
2. typing: each query is typed a key every 120 ms (a quick typist); the time from the
   last key to the first paint of the results list showing that query's results,
   p50 / p95 / max over the queries;
3. with `--build FOLDER`: a full indexing run of FOLDER from the window (into a fresh
   base directory), with a 10 ms timer on the GUI thread: its longest gap is the
   longest time the GUI thread was blocked;
4. the resident memory of the window 1 s after the searches, and once idle (after the
   window has given back the index pages it read: `RELEASE_AFTER_MS`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

KEY_GAP_MS = 120
QUERIES = [
    "government", "music", "football", "election", "people", "zeppelin", "economy growth",
    "film award", "london police", '"prime minister"', '"world cup"', '"united states"',
    "oil OR gas", "tennis OR golf", "election NOT labour", "comput*", "econom*", "champion*",
    "goverment~", "title:music", "date:2005", "parliment", "telvision", "river", "mountain",
    "volcano", "painter", "french revolution", "computer science", "olympic games",
    "space station", "world war", "city council", "railway station", "river bridge",
    "school", "university", "album", "species", "island", "language", "church", "king",
    "queen", "president", "army", "ocean", "planet", "chemistry", "mathematics",
]  # fmt: skip


def percentile(samples: list[float], pct: float) -> float:
    """The nearest-rank percentile (0.0 for no samples)."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(len(ordered) * pct / 100)) - 1]


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory now, in MB (10^6 bytes).

    `field` picks a part from /proc/self/status: `RssAnon` (the heap), `RssFile` (mapped
    files: libraries and the index's segments, which the kernel can drop at will).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / 1e6
    return 0.0


class PaintWatch:
    """Notes when the results list paints after results for a given query arrived."""

    def __init__(self, window: Any) -> None:
        from PySide6.QtCore import QEvent, QObject

        self.expected = ""
        self.arrived = 0.0
        self.painted = 0.0
        watch = self

        class Filter(QObject):
            def eventFilter(self, _obj: object, event: Any) -> bool:  # noqa: N802 - Qt's name
                if event.type() == QEvent.Type.Paint and watch.arrived and not watch.painted:
                    watch.painted = time.perf_counter()
                return False

        self._filter = Filter()
        window.results_view.viewport().installEventFilter(self._filter)
        window.search.results.connect(self._on_results)
        self.window = window

    def expect(self, text: str) -> None:
        """Watch for the results of `text` and their first paint."""
        self.expected, self.arrived, self.painted = text, 0.0, 0.0

    def _on_results(self, _result: object, _append: bool) -> None:
        if self.window.search.query == self.expected and not self.arrived:
            self.arrived = time.perf_counter()


def child_session(basedir: str, launched: float, count: int, build: str | None) -> dict[str, Any]:
    """Runs in a fresh process: open the window, type, optionally build; report figures.

    Everything runs inside `app.exec()`, as in the real app, driven by timers: waiting
    with `QTest.qWait` instead keeps Python's interpreter lock on the GUI thread and
    starves the search threads (searches then took ten times longer).
    """
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_window, start_checking_library
    from desktop.paths import AppPaths
    from desktop.search_controller import RELEASE_AFTER_MS

    app = QApplication([sys.argv[0]])
    window = build_window(AppPaths.resolve(basedir), watch=False)
    window.resize(1280, 800)
    watch = PaintWatch(window)
    figures: dict[str, Any] = {"latencies_ms": [], "arrivals_ms": [], "build_s": 0.0}
    figures["longest_gap_ms"] = 0

    def script() -> Iterator[int]:
        """The session; each number yielded is how long to let the event loop run, in ms."""
        window.show()
        window.search_bar.focus()
        start_checking_library(window)  # as the app does: a re-sync, in its own process
        yield 0
        figures["shown_s"] = time.time() - launched
        watch.expect(QUERIES[0])
        window.search_bar.edit.setText(QUERIES[0])
        while not watch.painted:
            yield 2
        figures["usable_s"] = time.time() - launched
        for text in QUERIES[:count]:
            window.search_bar.edit.clear()
            yield 400
            watch.expect(text)
            for index, char in enumerate(text):
                if index:
                    yield KEY_GAP_MS
                QTest.keyClicks(window.search_bar.edit, char)
            typed = time.perf_counter()
            while not watch.painted and time.perf_counter() < typed + 10:
                yield 1
            if watch.painted:
                figures["latencies_ms"].append((watch.painted - typed) * 1000)
                figures["arrivals_ms"].append((watch.arrived - typed) * 1000)
                figures.setdefault("by_query", []).append([text, (watch.painted - typed) * 1000])
        yield 1000
        figures["after_mb"] = rss_mb()
        yield RELEASE_AFTER_MS + 1000
        figures["idle_mb"] = rss_mb()
        figures["idle_anon_mb"] = rss_mb("RssAnon")
        figures["idle_file_mb"] = rss_mb("RssFile")
        if build:
            yield from build_session(build)
        window.close()

    def build_session(folder: str) -> Iterator[int]:
        other = build_window(AppPaths.resolve(tempfile.mkdtemp(prefix="bench-gui-")), watch=False)
        clock = QElapsedTimer()
        gaps: list[int] = []
        heartbeat = QTimer()
        heartbeat.setInterval(10)
        heartbeat.timeout.connect(
            lambda: gaps.append(clock.restart()) if clock.isValid() else clock.start()
        )
        started = time.perf_counter()
        other.show()
        other.add_folder_path(Path(folder))
        heartbeat.start()
        yield 500
        while other.indexing.is_running():
            yield 50
        heartbeat.stop()
        figures["build_s"] = time.perf_counter() - started
        figures["longest_gap_ms"] = max(gaps, default=0)
        other.close()

    steps = script()

    def advance() -> None:
        try:
            QTimer.singleShot(next(steps), advance)
        except StopIteration:
            app.quit()

    QTimer.singleShot(0, advance)
    app.exec()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the window on an indexed library.")
    parser.add_argument("basedir", help="a --basedir holding an indexed library")
    parser.add_argument("--build", help="also index this folder from a window, timing the GUI")
    parser.add_argument("--queries", type=int, default=len(QUERIES))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--launched", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        figures = child_session(args.basedir, args.launched, args.queries, args.build)
        print("RESULT " + json.dumps(figures), flush=True)
        return 0
    command = [sys.executable, __file__, args.basedir, "--child", "--queries", str(args.queries)]
    if args.build:
        command += ["--build", args.build]
    launched = time.time()
    done = subprocess.run(
        [*command, "--launched", str(launched)], capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
        return 1
    figures = json.loads(lines[-1][len("RESULT ") :])
    latencies = figures["latencies_ms"]
    print(f"== bench_gui: {args.basedir} ==")
    print(f"start to window shown: {figures['shown_s']:.2f} s")
    print(f"start to first results painted (usable): {figures['usable_s']:.2f} s")
    print(
        f"last key to results painted, {len(latencies)} queries typed a key every "
        f"{KEY_GAP_MS} ms: p50 {percentile(latencies, 50):.0f} ms, "
        f"p95 {percentile(latencies, 95):.0f} ms, max {max(latencies, default=0):.0f} ms"
    )
    arrivals = figures["arrivals_ms"]
    print(
        f"  of which last key to results handed to the window: p50 "
        f"{percentile(arrivals, 50):.0f} ms, p95 {percentile(arrivals, 95):.0f} ms"
    )
    slowest = sorted(figures.get("by_query", []), key=lambda pair: -pair[1])[:5]
    print("  slowest: " + ", ".join(f"{text} {ms:.0f} ms" for text, ms in slowest))
    print(f"memory of the window 1 s after the last search: {figures['after_mb']:.0f} MB")
    print(
        f"memory of the idle window after the searches: {figures['idle_mb']:.0f} MB "
        f"(heap {figures['idle_anon_mb']:.0f} MB, mapped files {figures['idle_file_mb']:.0f} MB)"
    )
    if args.build:
        print(
            f"full build of {args.build} from the window: {figures['build_s']:.1f} s; "
            f"longest GUI-thread gap (10 ms timer): {figures['longest_gap_ms']} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
