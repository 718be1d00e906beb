"""How fast can Whoosh write a segment at all? The floor under the engine's build time.

Usage:
    .venv/bin/python benchmarks/bench_writer_floor.py FOLDER

Reads FOLDER's articles exactly as the engine indexes them (the real scan, decoding and
extraction, collected at the point where documents go to the segment workers), then, in
one process:

1. writes them into one Whoosh segment with the engine's schema, as a worker does;
2. writes them again with every field's analysis answered from a memo (the words,
   positions and weights computed beforehand), which leaves Whoosh's own work: its
   posting pool, spills, sorting, block encoding and compression.

Line 2 is the least time one core needs per article with Whoosh's segment writer,
whatever the analysis costs. Multiplied out to the archive's size and divided by the
cores, it is the fastest a full build can be with this engine (see the README).
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


def write_segment(documents: list[dict[str, Any]]) -> float:
    """Seconds to write `documents` into one segment, as a worker does."""
    from whoosh import index as whoosh_index
    from whoosh.writing import SegmentWriter

    from index.parallel import POOL_MB
    from index.schema import build_schema

    workdir = tempfile.mkdtemp(prefix="bench-floor-")
    try:
        ix = whoosh_index.create_in(workdir, build_schema())
        writer = SegmentWriter(ix, _lk=False, limitmb=POOL_MB)
        gc.collect()
        gc.freeze()  # the memo's millions of objects would otherwise slow every collection
        started = time.perf_counter()
        for fields in documents:
            writer.add_document(**fields)
        writer._finalize_segment()
        return time.perf_counter() - started
    finally:
        gc.unfreeze()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    from index.analysis import FastText
    from index.whoosh_fixes import apply

    documents = collect(Path(sys.argv[1]).resolve())
    if len(documents) < 2000:
        print("error: the engine writes in workers from 2,000 articles: give it more")
        return 2
    apply()
    count = len(documents)
    whole = write_segment(documents)

    original = FastText.index
    memo: dict[tuple[int, str], list[Any]] = {}

    def remembered(self: Any, value: str, **options: Any) -> Any:
        key = (id(self), value)
        found = memo.get(key)
        if found is None:
            found = memo[key] = list(original(self, value, **options))
        return iter(found)

    FastText.index = remembered  # type: ignore[method-assign]
    write_segment(documents)  # fills the memo
    floor = write_segment(documents)
    FastText.index = original  # type: ignore[method-assign]

    print(f"== bench_writer_floor: {sys.argv[1]}, {count:,} articles, one core ==")
    print(
        f"segment written as a worker does: {whole:.1f} s ({1000 * whole / count:.2f} ms/article)"
    )
    print(
        f"Whoosh's own part (analysis from a memo): {floor:.1f} s "
        f"({1000 * floor / count:.2f} ms/article, {100 * floor / whole:.0f}%)"
    )
    for articles in (157_595,):
        print(
            f"floor for {articles:,} articles on 2 cores: "
            f"{articles * floor / count / 2:.0f} s (Whoosh's writer alone, perfectly parallel)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
