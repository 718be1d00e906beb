"""How fast can a segment be written at all? The floor under the engine's build time.

Usage:
    .venv/bin/python benchmarks/bench_writer_floor.py FOLDER

Reads FOLDER's articles exactly as the engine indexes them (the real scan, decoding and
extraction, collected at the point where documents go to the segment workers), then, in
one process, writes them into one segment with the engine's schema:

1. with Whoosh's own `SegmentWriter` (its posting pool, spills, sorting, merging), as the
   workers did up to stop 12;
2. with the engine's `InvertingWriter`, as a worker does now (`index/inverting.py`).

Each is split into adding the documents (analysis, inverting or pooling, stored fields)
and finishing the segment (the postings written in blocks, the term table). Multiplied
out to the archive's size and divided by the cores, the second line is the fastest a
full build can be with this writer, if reading the files cost nothing (see the README).
"""

from __future__ import annotations

import gc
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def collect(folder: Path) -> list[dict[str, Any]]:
    """The documents the engine hands to its segment workers for `folder`."""
    import index.parallel as parallel
    from index import Library

    collected: list[dict[str, Any]] = []
    original = parallel.SegmentWorkers.add

    def add(self: Any, fields: dict[str, Any]) -> None:
        collected.append(dict(fields))
        original(self, fields)

    parallel.SegmentWorkers.add = add  # type: ignore[method-assign]
    workdir = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    try:
        library = Library(workdir / "data")
        library.add_folder(folder)
        library.sync()
        library.close()
    finally:
        parallel.SegmentWorkers.add = original  # type: ignore[method-assign]
        shutil.rmtree(workdir, ignore_errors=True)
    return collected


def write_segment(documents: list[dict[str, Any]], writer_class: type) -> tuple[float, float]:
    """Seconds to add `documents` to a segment with `writer_class`, and to finish it."""
    from whoosh import index as whoosh_index

    from index.schema import build_schema

    workdir = tempfile.mkdtemp(prefix="bench-floor-")
    try:
        ix = whoosh_index.create_in(workdir, build_schema())
        writer = writer_class(ix, _lk=False)
        gc.collect()
        gc.freeze()  # the collected documents would otherwise slow every collection
        started = time.perf_counter()
        for fields in documents:
            writer.add_document(**fields)
        added = time.perf_counter()
        writer._finalize_segment()
        return added - started, time.perf_counter() - added
    finally:
        gc.unfreeze()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    from whoosh.writing import SegmentWriter

    from index.inverting import InvertingWriter
    from index.whoosh_fixes import apply

    documents = collect(Path(sys.argv[1]).resolve())
    if len(documents) < 2000:
        print("error: the engine writes in workers from 2,000 articles: give it more")
        return 2
    apply()
    count = len(documents)
    print(f"== bench_writer_floor: {sys.argv[1]}, {count:,} articles, one core ==")
    for label, writer_class in (
        ("Whoosh's SegmentWriter", SegmentWriter),
        ("the engine's InvertingWriter", InvertingWriter),
    ):
        adding, finishing = write_segment(documents, writer_class)
        total = adding + finishing
        print(
            f"{label}: {total:.1f} s ({1000 * total / count:.2f} ms/article): "
            f"adding {adding:.1f} s, finishing {finishing:.1f} s; "
            f"157,595 articles on 2 cores: {157_595 * total / count / 2:.0f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
