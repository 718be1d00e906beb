"""Segment workers: a worker that dies or fails is reported, and nothing waits forever."""

import ctypes
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index

from index.parallel import (
    CHUNK_BYTES,
    CHUNK_DOCS,
    QUEUED_BYTES,
    SegmentWorkers,
    WorkerError,
    _give_back_memory,
    commit_segments,
)
from index.schema import build_schema
from index.stories import check_pairs, sketch, texts_in
from index.whoosh_fixes import apply


def _documents(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"id": f"doc{n}", "title": f"Article {n}", "body": f"harbour cranes number {n}", **extra}
        for n in range(count)
    ]


@pytest.fixture
def index_dir(tmp_path: Path) -> str:
    whoosh_index.create_in(str(tmp_path), build_schema())
    return str(tmp_path)


def test_every_document_reaches_a_segment(index_dir: str) -> None:
    workers = SegmentWorkers(index_dir, 2)
    try:
        for fields in _documents(CHUNK_DOCS * 6):
            workers.add(fields)
        segments = workers.flush()
    finally:
        workers.close()
    # Chunks go to whichever worker is free: one or both may have written a segment.
    assert 1 <= len(segments) <= 2
    assert sum(segment.doc_count_all() for segment in segments) == CHUNK_DOCS * 6
    commit_segments(whoosh_index.open_dir(index_dir), segments, [])
    with whoosh_index.open_dir(index_dir).searcher() as searcher:
        assert searcher.doc_count() == CHUNK_DOCS * 6


def test_workers_send_back_the_sketch_of_every_document(index_dir: str, corpora: Path) -> None:
    """The stories' sketches are made in the workers; after a flush every one has come back."""
    texts = {path.name: path.read_text() for path in sorted((corpora / "bbc" / "tech").glob("*"))}
    workers = SegmentWorkers(index_dir, 2)
    try:
        for name, text in texts.items():
            workers.add({"id": name, "title": name, "body": text})
        workers.flush()
        sketches = workers.take_sketches()
        assert workers.take_sketches() == []  # taken once
    finally:
        workers.close()
    assert len(sketches) == len(texts) > CHUNK_DOCS * 2
    for article_id, samples, count in sketches:
        expected, expected_count = sketch(texts[article_id])
        assert (samples, count) == (expected.tobytes(), expected_count)


def test_a_killed_worker_is_reported(index_dir: str) -> None:
    workers = SegmentWorkers(index_dir, 2)
    try:
        victim = workers._processes[0]
        os.kill(victim.pid, signal.SIGKILL)
        victim.join()
        with pytest.raises(WorkerError, match="indexing process stopped"):
            for fields in _documents(CHUNK_DOCS * 10):
                workers.add(fields)
            workers.flush()
    finally:
        workers.close()  # returns: the other worker stops, the dead one is not waited for
    assert not any(process.is_alive() for process in workers._processes)


def test_a_document_a_worker_cannot_add_is_reported_with_its_cause(index_dir: str) -> None:
    workers = SegmentWorkers(index_dir, 2)
    try:
        with pytest.raises(WorkerError) as raised:
            for fields in _documents(CHUNK_DOCS * 2, date="not a date"):
                workers.add(fields)
            workers.flush()
    finally:
        workers.close()
    assert "Traceback" in str(raised.value)  # the worker's own account of what went wrong


def test_documents_waiting_for_busy_workers_are_bounded_in_memory(index_dir: str) -> None:
    """While every worker is behind, the caller waits once `QUEUED_BYTES` of documents wait.

    Long articles go in smaller chunks than short ones: a chunk of 100 articles of 8 MB
    would hold 800 MB.
    """
    body = "harbour cranes " * (CHUNK_BYTES // 30)  # half a chunk's worth of text
    count = 2 * QUEUED_BYTES // len(body)
    workers = SegmentWorkers(index_dir, 2)
    added = 0

    def add_all() -> None:
        nonlocal added
        for n in range(count):
            workers.add({"id": f"doc{n}", "title": "Cranes", "body": body})
            added += 1

    adding = threading.Thread(target=add_all)
    try:
        for process in workers._processes:
            os.kill(process.pid, signal.SIGSTOP)  # every worker behind
        adding.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and workers._queued_bytes < QUEUED_BYTES * 0.7:
            time.sleep(0.05)
        time.sleep(0.5)
        assert adding.is_alive()  # the caller waits...
        assert 0.7 * QUEUED_BYTES <= workers._queued_bytes <= QUEUED_BYTES  # ...with this much
        assert added < count / 2 + 8  # (a few chunks are in the pipes or with the workers)
        for process in workers._processes:
            os.kill(process.pid, signal.SIGCONT)
        adding.join(timeout=60)
        assert not adding.is_alive()
        segments = workers.flush()
    finally:
        for process in workers._processes:
            if process.is_alive():
                os.kill(process.pid, signal.SIGCONT)
        workers.close()
    assert sum(segment.doc_count_all() for segment in segments) == count


def test_workers_check_story_pairs_on_the_committed_index(index_dir: str, corpora: Path) -> None:
    """After a flush, the workers share out the stories' candidate pairs and check them."""
    apply()  # the engine's formats, which the workers write, for this process's searcher
    seeds = sorted((corpora / "seeds").glob("*.txt"))
    others = sorted((corpora / "bbc" / "politics").glob("*.txt"))[:150]
    texts = {path.name: path.read_text() for path in [*seeds, *others]}
    workers = SegmentWorkers(index_dir, 2)
    try:
        for name, text in texts.items():
            workers.add({"id": name, "title": name, "body": text})
        commit_segments(whoosh_index.open_dir(index_dir), workers.flush(), [])
        first, second = (path.name for path in seeds)
        names = [path.name for path in others]
        pairs = [(first, second, False), (first, second, True)]  # a rewrite: not a copy
        pairs += [(a, b, False) for a, b in zip(names, names[1:], strict=False)]
        pairs += [(name, name, True) for name in names[:20]]
        checked = workers.check_pairs(pairs)
    finally:
        workers.close()
    with whoosh_index.open_dir(index_dir).searcher() as searcher:
        assert checked == check_pairs(pairs, texts_in(searcher))
    assert len(checked) == len(pairs)
    assert checked[0] is not None and checked[0] > 0.3  # the two seeds tell one story
    assert checked[1] is None
    assert checked[-20:] == [1.0] * 20  # each article is a copy of itself


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_giving_memory_back_is_only_tried_on_linux(
    platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker hands freed memory back after each flush; elsewhere that must not kill it.

    On Windows `ctypes.CDLL(None)` raises TypeError, which the worker would report as its
    failure after every flush.
    """

    def no_c_library(name: object) -> None:
        raise TypeError(f"expected str, bytes or os.PathLike object, not {name!r}")

    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(ctypes, "CDLL", no_c_library)

    _give_back_memory()
