"""One story, many copies: which articles are copies, updates or rewrites of each other.

Each article is cut into overlapping runs of five words ("shingles"). Two articles
tell the same story when a large part of the shorter one's shingles are also in
the longer one (their *containment*): a wire copy or a byte-identical file shares
nearly all, an updated version all of the older text, and another outlet's
rewrite of the same story shares its quotes (the two seeds share 39%). Unrelated
articles on one subject share a few stock phrases at most.

Comparing every pair is out of the question on 150,000 articles, so each article
keeps a sample of its shingles: the hashes divisible by 16 (Broder's "mod-m"
sample, which estimates containment), and at least its smallest few. Articles
that share several sampled shingles are candidates; a candidate pair is then
checked on the full texts. A sampled shingle found in many articles is stock
phrasing ("said in a statement to the") and is not taken as evidence. Linked
articles form a story (connected components); a story is named after its
smallest member id. See docs/decisions/0014-stories.md.

The tables live in a SQLite file of their own beside the catalog (so that the
catalog's file table stays compact for a quick re-sync). A batch's sketches are
committed before the batch itself: after a crash, an article in the catalog always
has its sketch, and sketches of articles that never made it are pruned by the
next run's reconciliation.
"""

from __future__ import annotations

import itertools
import logging
import re
import sqlite3
import threading
import time
import zlib
from array import array
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from index import sqlite

SHINGLE_WORDS = 5
SAMPLE_MODULUS = 16
MIN_SAMPLE = 6  # short articles keep at least their smallest shingles
MIN_SHARED = 3  # sampled shingles two articles must share to be compared
COMMON_SAMPLE = 40  # a sampled shingle in more articles than this is stock phrasing
SAME_STORY = 0.3  # containment of the shorter article's shingles in the longer one
# Below this many shingles (about 40 words) a shared share says little ("X is a village in
# Y"): such a short article joins a story only as an exact copy.
MIN_STORY_SHINGLES = 40
BULK_GROUPING = 2000  # more new articles than this: one pass over every sample
_IDS_PER_QUERY = 500  # ids in one `IN (...)` (SQLite allows 32,766 parameters)
_SIZES_BY_QUERY = 5000  # more articles to look up than this: one pass over the sketches
_WORD = re.compile(r"\w+")
_COUNTED_SLICES, _SLICE_SHIFT = 8, 29  # hashes counted by their top 3 bits (`_candidates_bulk`)
_DROP_WAIT_MS = 1000  # how long dropping the old samples table waits for another writer
_SHINGLES_KEPT = 200  # articles' shingle sets kept while pairs are checked (about 5 MB)

_log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sketches (
    doc INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    samples BLOB NOT NULL,
    shingles INTEGER NOT NULL,
    grouped INTEGER NOT NULL DEFAULT 0,
    story TEXT
);
CREATE INDEX IF NOT EXISTS sketches_story ON sketches (story) WHERE story IS NOT NULL;
CREATE INDEX IF NOT EXISTS sketches_new ON sketches (grouped) WHERE grouped = 0;
CREATE TABLE IF NOT EXISTS links (
    a INTEGER NOT NULL, b INTEGER NOT NULL, containment REAL NOT NULL, PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS links_b ON links (b);
"""

TextOf = Callable[[str], str | None]
# A candidate pair to check: the two ids, and whether only an exact copy counts (the shorter
# article has fewer than `MIN_STORY_SHINGLES` shingles).
Pair = tuple[str, str, bool]
# Checks pairs in order: each one's containment if they tell the same story, else None.
PairChecker = Callable[[list[Pair]], list[float | None]]
# An article's sketch: its id, its sampled shingle hashes (an array's bytes), its shingle count.
Sketch = tuple[str, bytes, int]


def shingles(text: str) -> set[int]:
    """The 32-bit hashes of every run of five words (case folded) in a text."""
    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE_WORDS:
        return {zlib.crc32(" ".join(words).encode())} if words else set()
    # Each run of words, in C loops; the shorter slices end the runs.
    runs = zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)
    return set(map(zlib.crc32, map(str.encode, map(" ".join, runs))))


def sketch(text: str) -> tuple[array[int], int]:
    """The sampled shingle hashes of a text (sorted), and how many shingles it has."""
    hashes = shingles(text)
    kept = {h for h in hashes if h % SAMPLE_MODULUS == 0}
    if len(kept) < MIN_SAMPLE:
        kept.update(sorted(hashes)[:MIN_SAMPLE])
    return array("I", sorted(kept)), len(hashes)


def sketch_row(article_id: str, text: str) -> Sketch:
    """An article's sketch as it is stored, and sent back by the segment workers."""
    samples, count = sketch(text)
    return article_id, samples.tobytes(), count


def containment(first: set[int], second: set[int]) -> float:
    """How much of the smaller shingle set is in the other (0 to 1)."""
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))


def _worth_checking(shared: int, samples: int, other_samples: int) -> bool:
    """Whether two articles sharing `shared` samples may tell the same story: check texts."""
    smaller = min(samples, other_samples)
    return shared >= min(MIN_SHARED, smaller) and shared / smaller >= SAME_STORY / 2


def texts_in(searcher: Any) -> TextOf:
    """`TextOf` for the articles of an index, through one of its Whoosh searchers."""

    def text_of(article_id: str) -> str | None:
        fields = searcher.document(id=article_id)
        return None if fields is None else str(fields.get("body", ""))

    return text_of


def check_pairs(pairs: list[Pair], text_of: TextOf) -> list[float | None]:
    """Check candidate pairs on their full texts: each one's containment, or None.

    A pair tells the same story when the shorter article's shingles are at least
    `SAME_STORY` in the other; a pair marked exact-only must have the very same shingles.
    """
    # The shingles of the articles used last (a story's members come back in its pairs).
    cache: OrderedDict[str, set[int]] = OrderedDict()

    def shingles_of(article_id: str) -> set[int]:
        found = cache.get(article_id)
        if found is None:
            if len(cache) >= _SHINGLES_KEPT:
                cache.popitem(last=False)
            found = cache[article_id] = shingles(text_of(article_id) or "")
        else:
            cache.move_to_end(article_id)
        return found

    shares: list[float | None] = []
    for first, second, exact_only in pairs:
        if exact_only:
            same = shingles_of(first) == shingles_of(second)
            shares.append(1.0 if same else None)  # a short article and its exact copy
            continue
        share = containment(shingles_of(first), shingles_of(second))
        shares.append(round(share, 4) if share >= SAME_STORY else None)
    return shares


def _drop_samples(db: sqlite3.Connection) -> None:
    """Drop the table of sampled hashes that stories databases kept up to stop 19.

    Each sampled hash was a row of its own too (see `_candidates_bulk`). Dropping it needs
    the write lock: while another process writes, the table stays until a later opening
    (its space is reused by a full build's compaction). A busy database is not a damaged
    one, to be set aside.
    """
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'samples'")
    if found.fetchone() is None:
        return
    db.execute(f"PRAGMA busy_timeout = {_DROP_WAIT_MS}")
    try:
        db.execute("DROP TABLE samples")
    except sqlite3.OperationalError as error:  # busy (locked): next time
        _log.info("The stories' old table of samples stays for now: %s", error)
    finally:
        db.execute(f"PRAGMA busy_timeout = {sqlite.BUSY_TIMEOUT_S * 1000}")


class StoryStore:
    """Sketches, links and stories, in their own SQLite file; safe to use from several threads."""

    def __init__(self, path: Path) -> None:
        try:
            self._db = sqlite.connect(path, _SCHEMA)
        except sqlite3.DatabaseError:
            # Derived data: a damaged file is set aside and the next sync sketches afresh.
            path.replace(path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"))
            for log in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                log.unlink(missing_ok=True)
            self._db = sqlite.connect(path, _SCHEMA)
        _drop_samples(self._db)
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def checkpoint(self, compact: bool = False) -> None:
        """Move the write-ahead log into the database and empty it (after a sync).

        With `compact`, the database is rewritten with full pages first (`sqlite.checkpoint`).
        """
        with self._lock:
            sqlite.checkpoint(self._db, compact)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock, sqlite.transaction(self._db):
            yield

    # writing
    def put(self, sketches: Iterable[Sketch]) -> None:
        """Store articles' sketches (id, samples, shingle count), replacing older ones.

        They are grouped at the next `group`.
        """
        latest = {article_id: (samples, count) for article_id, samples, count in sketches}
        if not latest:
            return
        with self._transaction():
            for article_id in self._sketched(list(latest)):
                self._remove(article_id)
            # New rows numbered as SQLite would number them, so that they go in one statement.
            (top,) = self._db.execute("SELECT coalesce(max(doc), 0) FROM sketches").fetchone()
            numbered = list(zip(itertools.count(int(top) + 1), latest.items(), strict=False))
            self._db.executemany(
                "INSERT INTO sketches (doc, id, samples, shingles) VALUES (?, ?, ?, ?)",
                (
                    (doc, article_id, samples, count)
                    for doc, (article_id, (samples, count)) in numbered
                ),
            )

    def _sketched(self, article_ids: list[str]) -> list[str]:
        """Those of `article_ids` that have a sketch (asked in slices, not one by one)."""
        found: list[str] = []
        for start in range(0, len(article_ids), _IDS_PER_QUERY):
            part = article_ids[start : start + _IDS_PER_QUERY]
            marks = ",".join("?" * len(part))
            query = f"SELECT id FROM sketches WHERE id IN ({marks})"  # noqa: S608 - only marks
            found.extend(str(row[0]) for row in self._db.execute(query, part))
        return found

    def remove(self, article_ids: Iterable[str]) -> None:
        """Forget articles' sketches and links (their stories are redrawn at `group`)."""
        with self._transaction():
            for article_id in article_ids:
                self._remove(article_id)

    def _remove(self, article_id: str) -> None:
        row = self._db.execute("SELECT doc FROM sketches WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            return
        (doc,) = row
        self._db.execute("DELETE FROM links WHERE a = ?", (doc,))
        self._db.execute("DELETE FROM links WHERE b = ?", (doc,))
        self._db.execute("DELETE FROM sketches WHERE doc = ?", (doc,))
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('stale', '1')")

    def prune(self, known: set[str]) -> int:
        """Forget sketches of articles that are not in the library (after a crash); a count."""
        orphans = self.ids() - known
        self.remove(orphans)
        return len(orphans)

    def clear(self) -> None:
        """Forget everything (for a rebuild)."""
        with self._transaction():
            self._db.execute("DELETE FROM links")
            self._db.execute("DELETE FROM sketches")

    def stale(self) -> bool:
        """Whether articles left stories since they were last drawn."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM meta WHERE key = 'stale'").fetchone()
        return row is not None

    def count(self) -> int:
        """How many articles are sketched."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM sketches").fetchone()[0])

    def ids(self) -> set[str]:
        """The ids of every sketched article."""
        with self._lock:
            return {str(row[0]) for row in self._db.execute("SELECT id FROM sketches")}

    def pending(self) -> int:
        """How many sketched articles wait to be grouped."""
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM sketches WHERE grouped = 0").fetchone()
        return int(row[0])

    def group(self, text_of: TextOf, check: PairChecker | None = None) -> None:
        """Link the articles sketched since the last call, and redraw the stories.

        `text_of` gives an article's text by id (from the index), to check candidate
        pairs on their full texts; `check`, when given, checks them instead (the
        segment workers do, in parallel, after a large sync).
        """
        with self._transaction():
            new = dict(self._db.execute("SELECT doc, id FROM sketches WHERE grouped = 0"))
            if not new and not self.stale():
                return
            if new:
                candidates = (
                    self._candidates_bulk(set(new))
                    if len(new) > BULK_GROUPING
                    else self._candidates_of(set(new))
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO links VALUES (?, ?, ?)",
                    self._verified(candidates, check or partial(check_pairs, text_of=text_of)),
                )
                self._db.executemany(
                    "UPDATE sketches SET grouped = 1 WHERE doc = ?", ((doc,) for doc in new)
                )
            self._redraw()
            self._db.execute("DELETE FROM meta WHERE key = 'stale'")
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(time.time_ns()),)
            )

    def _candidates_of(self, new: set[int]) -> list[tuple[int, int]]:
        """The pairs worth checking that involve a new article, in order (for a few new ones).

        One pass over every sketch (0.2 s on 157,595 articles), set operations in C: which
        of the new articles' samples each sketch holds.
        """
        wanted: defaultdict[int, list[int]] = defaultdict(list)  # a sample: its new articles
        for doc, blob in self._db.execute("SELECT doc, samples FROM sketches WHERE grouped = 0"):
            if doc in new:
                for value in array("I", blob):
                    wanted[value].append(doc)
        values = set(wanted)
        holders: defaultdict[int, list[int]] = defaultdict(list)  # every article with a value
        sizes: dict[int, int] = {}
        for doc, blob in self._db.execute("SELECT doc, samples FROM sketches"):
            found = values.intersection(array("I", blob))
            if found:
                sizes[doc] = len(blob) // 4
                for value in found:
                    holders[value].append(doc)
        shared: Counter[tuple[int, int]] = Counter()
        for value, docs in holders.items():
            if len(docs) > COMMON_SAMPLE:
                continue
            for doc in wanted[value]:
                for other in docs:
                    if other != doc and (other not in new or other > doc):
                        shared[(min(doc, other), max(doc, other))] += 1
        return sorted(
            (first, second)
            for (first, second), count in shared.items()
            if _worth_checking(count, sizes[first], sizes[second])
        )

    def _candidates_bulk(self, new: set[int]) -> list[tuple[int, int]]:
        """The same pairs, found from every sample at once (for many new articles).

        Of 1.6 million samples on 157,595 articles, 54,000 are shared by 2 to
        `COMMON_SAMPLE` articles. Up to stop 19 every sample was also a row of an indexed
        table, which SQLite grouped; writing its 1.6 million rows took 5 s of a full
        build's reading (decision 0025). Here the samples are counted a slice of the hash
        values at a time, and each article's pairs among its own: all the counts at once
        (1.4 million hashes, then 440,000 pairs, most sharing one sample) took 100 MB.
        """
        slices = [array("I") for _ in range(_COUNTED_SLICES)]
        for (blob,) in self._db.execute("SELECT samples FROM sketches"):
            for value in array("I", blob):
                slices[value >> _SLICE_SHIFT].append(value)
        kept: set[int] = set()
        while slices:
            counts = Counter(slices.pop())
            kept.update(value for value, count in counts.items() if 1 < count <= COMMON_SAMPLE)
        holders: defaultdict[int, list[int]] = defaultdict(list)  # a kept sample's articles
        held: dict[int, tuple[int, tuple[int, ...]]] = {}  # an article's size and kept samples
        for doc, blob in self._db.execute("SELECT doc, samples FROM sketches"):
            found = tuple(kept.intersection(array("I", blob)))
            if found:
                held[doc] = (len(blob) // 4, found)
                for value in found:
                    holders[value].append(doc)
        pairs: list[tuple[int, int]] = []
        for doc, (size, values) in held.items():
            others = Counter(other for value in values for other in holders[value] if other > doc)
            for other, count in others.items():
                if (doc in new or other in new) and _worth_checking(count, size, held[other][0]):
                    pairs.append((doc, other))
        pairs.sort()
        return pairs

    def _verified(
        self, candidates: list[tuple[int, int]], check: PairChecker
    ) -> Iterator[tuple[int, int, float]]:
        """The candidate pairs whose full texts tell the same story, with their containment.

        The pairs come in order, so that an article's shingles serve all its pairs from a
        cache.
        """
        sizes = self._sizes({doc for pair in candidates for doc in pair})
        pairs = [
            (sizes[a][0], sizes[b][0], min(sizes[a][1], sizes[b][1]) < MIN_STORY_SHINGLES)
            for a, b in candidates
        ]
        for (first, second), share in zip(candidates, check(pairs), strict=True):
            if share is not None:
                yield first, second, share

    def _sizes(self, docs: set[int]) -> dict[int, tuple[str, int]]:
        """Each article's id and shingle count, by sketch number.

        Read in one pass when many are asked for (a first build asked 157,000 times, one
        query each).
        """
        query = "SELECT doc, id, shingles FROM sketches"
        if len(docs) > _SIZES_BY_QUERY:
            rows: Iterable[Any] = self._db.execute(query)
        else:
            rows = (self._db.execute(query + " WHERE doc = ?", (doc,)).fetchone() for doc in docs)
        return {
            int(row[0]): (str(row[1]), int(row[2]))
            for row in rows
            if row is not None and row[0] in docs
        }

    def _redraw(self) -> None:
        """Stories are the connected groups of linked articles; each named by its least id."""
        parent: dict[int, int] = {}

        def root(doc: int) -> int:
            while parent.get(doc, doc) != doc:
                parent[doc] = parent.get(parent[doc], parent[doc])
                doc = parent[doc]
            return doc

        ids: dict[int, str] = {}
        rows = self._db.execute(
            """SELECT l.a, sa.id, l.b, sb.id FROM links AS l
               JOIN sketches AS sa ON sa.doc = l.a JOIN sketches AS sb ON sb.doc = l.b"""
        )
        for first, first_id, second, second_id in rows:
            ids[first], ids[second] = first_id, second_id
            parent.setdefault(first, first)
            parent.setdefault(second, second)
            a, b = root(first), root(second)
            if a != b:
                parent[max(a, b)] = min(a, b)
        members: defaultdict[int, list[int]] = defaultdict(list)
        for doc in parent:
            members[root(doc)].append(doc)
        wanted: dict[int, str] = {}
        for docs in members.values():
            name = min(ids[doc] for doc in docs)
            wanted.update((doc, name) for doc in docs)
        current = dict(self._db.execute("SELECT doc, story FROM sketches WHERE story IS NOT NULL"))
        self._db.executemany(
            "UPDATE sketches SET story = NULL WHERE doc = ?",
            ((doc,) for doc in current if doc not in wanted),
        )
        self._db.executemany(
            "UPDATE sketches SET story = ? WHERE doc = ?",
            ((name, doc) for doc, name in wanted.items() if current.get(doc) != name),
        )

    # reading
    def version(self) -> str:
        """A name for the stories as last drawn (it changes each time they are)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return "" if row is None else str(row[0])

    def _rows(self, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    def story_of(self, article_id: str) -> str | None:
        """The story an article belongs to, or None when it has no other version."""
        rows = self._rows("SELECT story FROM sketches WHERE id = ?", (article_id,))
        return None if not rows or rows[0][0] is None else str(rows[0][0])

    def members(self, story: str) -> list[str]:
        """The ids of a story's articles."""
        rows = self._rows("SELECT id FROM sketches WHERE story = ? ORDER BY id", (story,))
        return [str(row[0]) for row in rows]

    def links_of(self, article_id: str) -> dict[str, float]:
        """The articles linked to one directly, with the containment found."""
        rows = self._rows(
            """SELECT s.id, l.containment FROM sketches AS me
               JOIN links AS l ON l.a = me.doc OR l.b = me.doc
               JOIN sketches AS s ON s.doc = (CASE WHEN l.a = me.doc THEN l.b ELSE l.a END)
               WHERE me.id = ?""",
            (article_id,),
        )
        return {str(row[0]): float(row[1]) for row in rows}

    def stories(self) -> dict[str, list[str]]:
        """Every story with its member ids."""
        found: defaultdict[str, list[str]] = defaultdict(list)
        rows = self._rows(
            "SELECT story, id FROM sketches WHERE story IS NOT NULL ORDER BY story, id"
        )
        for story, article_id in rows:
            found[str(story)].append(str(article_id))
        return dict(found)

    def story_map(self) -> dict[str, str]:
        """Article id to story, for every article that has other versions."""
        rows = self._rows("SELECT id, story FROM sketches WHERE story IS NOT NULL")
        return {str(row[0]): str(row[1]) for row in rows}
