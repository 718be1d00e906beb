"""Benchmark a re-sync of an indexed library: the walk alone and with its helper process.

Usage:
    .venv/bin/python benchmarks/bench_resync.py LIBRARY_DIR [--rounds N]

LIBRARY_DIR is a library's data folder (a basedir's `data/library`, or the folder
`bench_index.py --keep` leaves). Nothing in the library's folders is changed. Each
round measures, alternating the two ways so that the machine's changing speed falls on
both:
1. the walk with its comparison, the catalog loaded first: in one process, and with the
   helper process (`index.scanner.ScanHelper`);
2. a whole re-sync with nothing changed (`Library.sync`), with the helper allowed and
   with the walk kept in one process.
It prints each figure and the medians; it is a script, not a timed test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import index.indexer  # noqa: E402
from index import Library  # noqa: E402
from index.catalog import Catalog  # noqa: E402
from index.paths import key_to_path  # noqa: E402
from index.scanner import HELPER_MIN_FILES, Indexed, ScanHelper, scan  # noqa: E402


def walk(library_dir: Path, with_helper: bool) -> tuple[float, int]:
    """Seconds to load the catalog and walk the folders; files found."""
    catalog = Catalog(library_dir / "catalog.sqlite3")
    try:
        folders = [key_to_path(folder) for folder in catalog.folders()]
        started = time.perf_counter()
        helper = ScanHelper(catalog.path) if with_helper else None
        try:
            found = scan(folders, Indexed.load(catalog), helper=helper)
        finally:
            if helper is not None:
                helper.close()
        return time.perf_counter() - started, len(found.keys)
    finally:
        catalog.close()


def resync(library: Library, with_helper: bool) -> tuple[float, int]:
    """Seconds for a whole re-sync; files unchanged."""
    vars(index.indexer)["HELPER_MIN_FILES"] = HELPER_MIN_FILES if with_helper else sys.maxsize
    started = time.perf_counter()
    report = library.sync()
    return time.perf_counter() - started, report.unchanged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library_dir", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    library_dir: Path = args.library_dir
    if not (library_dir / "catalog.sqlite3").is_file():
        parser.error(f"no library in {library_dir} (its catalog.sqlite3 is missing)")

    figures: dict[str, list[float]] = {}
    library = Library(library_dir)
    try:
        library.sync()  # anything left over from before is done first
        steps: list[tuple[str, Callable[[], tuple[float, int]]]] = [
            ("walk, one process", lambda: walk(library_dir, False)),
            ("walk, with the helper", lambda: walk(library_dir, True)),
            ("re-sync, one process", lambda: resync(library, False)),
            ("re-sync, with the helper", lambda: resync(library, True)),
        ]
        for round_number in range(1, args.rounds + 1):
            for name, step in steps:
                seconds, files = step()
                figures.setdefault(name, []).append(seconds)
                print(f"round {round_number}: {name:26s} {seconds:6.2f} s  ({files:,} files)")
    finally:
        library.close()
    print()
    for name, values in figures.items():
        runs = ", ".join(f"{value:.2f}" for value in values)
        print(f"{name:26s} median {statistics.median(values):.2f} s  ({runs})")


if __name__ == "__main__":
    main()
