"""Write index segments in worker processes, one per core, while the caller reads the files.

Whoosh is pure Python, so one process indexes on one core. For a large run the
indexer hands its documents to `SegmentWorkers`: each worker process analyses
the documents it is given and writes them into a Whoosh segment of its own
(with `index.inverting.InvertingWriter`), without touching the index's table
of contents. At each commit the workers finish their segments, and the caller
adds them to the index in one atomic table-of-contents write, with the batch's
deletions (see docs/decisions/0011-parallel-segments.md).

A worker creates a segment only when the first documents of a batch arrive, so
nothing of it is on disk while the caller commits (Whoosh deletes the files of
segments it does not know at each commit). A worker whose postings outgrow
`SEGMENT_BYTES` finishes its segment early and starts another; it hands them
all over at the flush, before the commit. If the caller dies, the workers read
the end of their pipe, drop their unfinished segment and exit.

After the last commit of a large sync, the workers also check the stories' candidate
pairs on the committed index, half each (decision 0025).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import queue
import shutil
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from whoosh.codec.base import Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.index import Index
from whoosh.writing import NO_MERGE

from index.inverting import InvertingWriter
from index.stories import Pair, Sketch, check_pairs, sketch_row, texts_in

CHUNK_DOCS = 100  # documents sent to a worker in one message, at most
CHUNK_BYTES = 1_000_000  # or fewer, once they take about this much memory
# Documents waiting for a free worker, in memory, before the caller waits too. The caller
# pauses now and then (storing 10,000 sketches takes half a second on a large build); a
# queue of 4 chunks ran dry in each pause and left the cores a tenth idle while the files
# were read. This holds about 4,500 short articles (a second of the workers' work), or
# 1,000 long ones.
QUEUED_BYTES = 8_000_000
_FIELDS_BYTES = 1_200  # a document's fields but its text, in memory (1,100 on Wikipedia)
# A worker finishes its segment and starts another once the postings it holds in memory
# reach about this much (10,000 long Wikipedia articles: 28 MB), so that its memory stays
# bounded however large the batch. 64 MB rather than 80 (decision 0026): the build's peak,
# two workers' segments at a commit, fell by about 45 MB to below the stories' tail, for
# the same six segments on 157,595 articles and a build within 1% (alternated).
SEGMENT_BYTES = 64_000_000
# How long the workers may take over the stories' pairs before the caller checks them
# itself: a worker that hangs must not hold the sync (and the library's lock) forever.
# 157,595 articles' 5,880 pairs took 4 s in one process: about 0.7 ms a pair.
PAIRS_WAIT_S = 30.0
PAIR_WAIT_S = 0.02


class WorkerError(RuntimeError):
    """A worker process failed or vanished; the batch it held is not indexed."""


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_TEMP_PREFIX = "worker-tmp-"


class _WorkerStorage(FileStorage):  # type: ignore[misc]  # Whoosh has no type information
    """The index folder, with temporary files in a folder of this worker's own.

    Whoosh gives every writer of an index the same temporary folder and deletes
    it when one of them finishes, under the feet of the others.
    """

    def temp_storage(self, name: str | None = None) -> FileStorage:
        return super().temp_storage(f"{_TEMP_PREFIX}{os.getpid()}-{name or 'tmp'}")


def _finished(writer: InvertingWriter) -> Segment:
    segment = writer._finalize_segment()
    writer._tempstorage.destroy()
    return segment


def _give_back_memory() -> None:
    """Hand the memory a finished segment took back to the system, where the C library can.

    A worker keeps running after a flush (a next batch, or the stories' pairs to check);
    glibc keeps freed memory for itself (130 MB of a worker's after a large segment).
    """
    gc.collect()
    if not sys.platform.startswith("linux"):  # Windows' CDLL(None) raises TypeError
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc (musl): nothing to do
        ctypes.CDLL(None).malloc_trim(0)


def _worker_main(connection: Connection, index_dir: str, segment_bytes: int) -> None:
    """Receive documents, write them into segments, hand the segments over on "flush"."""
    from index.whoosh_fixes import apply

    apply()
    ix = _WorkerStorage(index_dir).open_index()
    writer: InvertingWriter | None = None
    finished: list[Segment] = []  # segments written since the last flush
    try:
        while True:
            try:
                message, payload = connection.recv()
            except (EOFError, OSError):
                return  # the caller is gone: `finally` drops the unfinished segment
            if message == "docs":
                if writer is None:
                    writer = InvertingWriter(ix, _lk=False)
                sketches: list[Sketch] = []
                for fields in payload:
                    writer.add_document(**fields)
                    sketches.append(sketch_row(fields["id"], fields.get("body") or ""))
                connection.send(("sketches", sketches))
                if writer.estimated_bytes() > segment_bytes:
                    finished.append(_finished(writer))
                    writer = None
            elif message == "pairs":  # after the flush: the stories' candidates to check
                with ix.searcher() as searcher:
                    connection.send(("shares", check_pairs(payload, texts_in(searcher))))
            elif message == "flush":
                if writer is not None:
                    finished.append(_finished(writer))
                    writer = None
                connection.send(("segments", finished))
                finished = []
                _give_back_memory()
            else:  # "stop"
                return
    except Exception:  # noqa: BLE001 - reported to the caller, who decides
        with contextlib.suppress(OSError):  # unless the caller is gone
            connection.send(("error", traceback.format_exc()))
    finally:
        if writer is not None:
            # After a killed run, the next run sweeps the files of the segment that was being
            # written (its writer's temporary folder) while this worker may still be closing.
            with contextlib.suppress(OSError):
                writer.cancel()
        connection.close()


class SegmentWorkers:
    """Worker processes that each write their own segments of one index.

    Chunks of documents wait in one queue, and a sender thread per worker hands the
    next chunk to its worker as soon as the worker takes it: a worker busy finishing a
    segment gets none meanwhile, and the caller goes on reading files unless every
    worker is behind. A receiver thread per worker reads whatever the worker sends back:
    the sketches of its documents, kept for `take_sketches`, and its answer to a flush.
    """

    def __init__(self, index_dir: str, count: int, segment_bytes: int = SEGMENT_BYTES) -> None:
        for leftover in Path(index_dir).glob(f"{_TEMP_PREFIX}*"):  # from a run that was killed
            shutil.rmtree(leftover, ignore_errors=True)
        context = multiprocessing.get_context("spawn")  # no inherited threads or locks
        self._connections: list[Connection] = []
        self._processes: list[Any] = []
        for _ in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_worker_main,
                args=(theirs, index_dir, segment_bytes),
                daemon=True,
                name="index-writer",
            )
            process.start()
            theirs.close()
            self._connections.append(ours)
            self._processes.append(process)
        self._chunk: list[dict[str, Any]] = []
        self._chunk_bytes = 0
        # Chunks with their size in memory; `_queued_bytes` wait in all, under `_room`.
        self._outbox: queue.Queue[tuple[list[dict[str, Any]], int] | None] = queue.Queue()
        self._queued_bytes = 0
        self._room = threading.Condition()
        self._send_errors: list[str] = []
        self._sketches: list[Sketch] = []  # appended by the receivers, taken by the caller
        self._sketch_lock = threading.Lock()
        # Each worker's answers to flushes, in order; ("gone", reason) once its pipe closes.
        self._answers: list[queue.Queue[tuple[str, Any]]] = [queue.Queue() for _ in range(count)]
        self._senders = [
            threading.Thread(target=self._sending, args=(connection,), daemon=True)
            for connection in self._connections
        ]
        self._receivers = [
            threading.Thread(target=self._receiving, args=(connection, answers), daemon=True)
            for connection, answers in zip(self._connections, self._answers, strict=True)
        ]
        for thread in [*self._senders, *self._receivers]:
            thread.start()
        self.pending = 0  # documents handed out since the last flush
        self._unanswered: set[int] = set()  # workers that did not answer in time

    def _sending(self, connection: Connection) -> None:
        """A sender thread: hand queued chunks to one worker until told to stop (None)."""
        while True:
            item = self._outbox.get()
            try:
                if item is None:
                    return
                connection.send(("docs", item[0]))
            except OSError as error:  # the worker is gone; its chunks are lost: flush says so
                self._send_errors.append(f"an indexing process stopped ({error})")
            finally:
                if item is not None:
                    self._taken_out(item[1])
                self._outbox.task_done()

    def _taken_out(self, size: int) -> None:
        with self._room:
            self._queued_bytes -= size
            self._room.notify_all()

    def _receiving(self, connection: Connection, answers: queue.Queue[tuple[str, Any]]) -> None:
        """A receiver thread: collect one worker's sketches and answers until its pipe closes."""
        while True:
            try:
                kind, payload = connection.recv()
            except (EOFError, OSError) as error:
                answers.put(("gone", f"an indexing process stopped ({error or 'no answer'})"))
                return
            if kind == "sketches":
                with self._sketch_lock:
                    self._sketches.extend(payload)
            else:  # "segments" or "error"
                answers.put((kind, payload))

    def add(self, fields: dict[str, Any]) -> None:
        """Queue one document; documents go out in chunks, to whichever worker is free."""
        self._chunk.append(fields)
        self._chunk_bytes += len(fields.get("body") or "") + _FIELDS_BYTES
        self.pending += 1
        if len(self._chunk) >= CHUNK_DOCS or self._chunk_bytes >= CHUNK_BYTES:
            self._hand_out()

    def _hand_out(self) -> None:
        if self._send_errors:
            raise WorkerError(self._send_errors[0])
        size = self._chunk_bytes
        with self._room:  # waits while every worker is behind (unless nothing waits at all)
            self._room.wait_for(
                lambda: self._queued_bytes + size <= QUEUED_BYTES or not self._queued_bytes
            )
            self._queued_bytes += size
        self._outbox.put((self._chunk, size))
        self._chunk, self._chunk_bytes = [], 0

    def sketches_waiting(self) -> int:
        """How many sketches the workers have sent that were not taken yet."""
        return len(self._sketches)

    def take_sketches(self) -> list[Sketch]:
        """The sketches the workers have sent since the last call (id, samples, count).

        After `flush`, these include every document of the batch.
        """
        with self._sketch_lock:
            taken, self._sketches = self._sketches, []
        return taken

    def flush(self) -> list[Segment]:
        """Finish every worker's segments; the segments are not in the index yet."""
        if self._chunk:
            self._hand_out()
        self._outbox.join()  # every chunk is with its worker
        errors = list(self._send_errors)
        for connection in self._connections:
            # A worker that is gone is reported by its receiver, with its reason if it left one.
            with contextlib.suppress(OSError):
                connection.send(("flush", None))
        segments: list[Segment] = []
        for answers in self._answers:
            # Every chunk went before the flush, so its sketches came before this answer.
            kind, payload = answers.get()
            if kind == "segments":
                segments.extend(payload)
            else:  # "error" (the worker's traceback; it stops after sending it) or "gone"
                errors.append(str(payload))
        if errors:
            raise WorkerError("\n".join(errors))
        self.pending = 0
        return segments

    def check_pairs(self, pairs: list[Pair]) -> list[float | None]:
        """`stories.check_pairs` on the index as committed, a share of the pairs each.

        After a large sync, the workers (their segments flushed) read the candidate pairs'
        texts and compare them in parallel: about 13,000 texts for 157,595 articles, 4 s
        in one process. Each gets a run of pairs in their order, which keeps most pairs
        of one article with one worker and its shingles in that worker's cache.
        """
        size = -(-len(pairs) // len(self._connections))
        errors: list[str] = []
        for number, connection in enumerate(self._connections):
            # A worker that is gone is reported by its receiver.
            with contextlib.suppress(OSError):
                connection.send(("pairs", pairs[number * size : (number + 1) * size]))
        shares: list[float | None] = []
        wait = PAIRS_WAIT_S + PAIR_WAIT_S * size
        deadline = time.monotonic() + wait
        for number, answers in enumerate(self._answers):
            try:
                kind, payload = answers.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:  # hung or stopped: `close` kills it at once
                self._unanswered.add(number)
                errors.append(f"an indexing process did not answer in {wait:.0f} s")
                continue
            if kind == "shares":
                shares.extend(payload)
            else:  # "error" or "gone", as for a flush
                errors.append(str(payload))
        if errors:
            raise WorkerError("\n".join(errors))
        return shares

    def close(self) -> None:
        """Stop the workers; segments they had not flushed are dropped."""
        with contextlib.suppress(queue.Empty):
            while True:  # chunks not yet sent: dropped
                item = self._outbox.get_nowait()
                if item is not None:
                    self._taken_out(item[1])
                self._outbox.task_done()
        for _ in self._senders:
            self._outbox.put(None)
        for sender in self._senders:
            sender.join(timeout=10)  # a sender never shares a connection with "stop"
        for connection in self._connections:
            with contextlib.suppress(OSError):  # already gone
                connection.send(("stop", None))
        for number, process in enumerate(self._processes):
            if number not in self._unanswered:
                process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        for receiver in self._receivers:
            receiver.join(timeout=10)  # each reads the end of its pipe once its worker is gone
        for connection in self._connections:
            connection.close()


def commit_segments(ix: Index, segments: list[Segment], deleted_ids: list[str]) -> None:
    """Add finished segments to the index and delete documents, in one table-of-contents write.

    The caller holds the library's writer lock; Whoosh's own lock is taken too.
    """
    writer = ix.writer()
    try:
        for article_id in deleted_ids:
            writer.delete_by_term("id", article_id)
        kept = writer._merge_segments(NO_MERGE, False, False)
        writer._close_segment()
        writer._commit_toc(kept + segments)
    except BaseException:
        writer.cancel()
        raise
    writer._finish()
