"""The catalog: which files are indexed under which id, the library's folders, and problems.

It lives in SQLite beside the Whoosh index so that an unchanged library re-syncs
with stat calls only. Whoosh is committed first and the catalog second; after an
interrupted run the indexer reconciles the two (see `docs/decisions/0002-*`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from index import sqlite
from index.models import Problem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders (path TEXT PRIMARY KEY, added REAL NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    folder TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
-- A file's hash is written as its 32 bytes; rows written before stop 18 hold its 64 hex
-- digits (the column takes either). Files by their bytes' hash, for copies: the first 8
-- bytes tell files apart (an id is that long); a row of before has 8 hex digits there.
-- Catalogs made before had an index of the whole hash, then of its first 16 hex digits.
CREATE INDEX IF NOT EXISTS files_hash_prefix ON files (substr(sha256, 1, 8));
DROP INDEX IF EXISTS files_sha256;
DROP INDEX IF EXISTS files_sha_prefix;
CREATE TABLE IF NOT EXISTS problems (
    path TEXT PRIMARY KEY,
    folder TEXT NOT NULL,
    reason TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    seen REAL NOT NULL
);
-- Each file's library folder is written as a number from here: the first 6 bytes of the
-- SHA-256 of its path, so a number always means the same folder. It is a BLOB, which the
-- column keeps as it is (a TEXT column turns an integer into its digits). Rows written
-- before stop 18 hold the folder's path, and so does a row whose folder's number is taken.
CREATE TABLE IF NOT EXISTS folder_numbers (
    number BLOB PRIMARY KEY, path TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS arrivals (
    id TEXT PRIMARY KEY, first_seen REAL NOT NULL
) WITHOUT ROWID;
"""


class FileRecord(NamedTuple):
    """An indexed file as the catalog knows it (a tuple: 150,000 of them load in a re-sync)."""

    path: str
    id: str
    folder: str
    size: int
    mtime_ns: int
    inode: int
    sha256: str


FileRow = tuple[str, str, str, int, int, int, str]
_PATHS_PER_QUERY = 500  # well under SQLite's limit of bound parameters
_HASH_PREFIX_BYTES = 8
_FOLDER_NUMBER_BYTES = 6


def _stored_hash(sha256: str) -> bytes | str:
    """A hash as the catalog writes it: its bytes (half the room of its hex digits)."""
    try:
        return bytes.fromhex(sha256)
    except ValueError:  # not a hash (never written by the indexer): kept as it is
        return sha256


def _hex(stored: bytes | str) -> str:
    """A hash as the catalog gives it, written either way: hex digits."""
    return stored.hex() if isinstance(stored, bytes) else stored


class Catalog:
    """Folders, indexed files and problems, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite.connect(path, _SCHEMA)
        self._folder_paths: dict[bytes, str] = {}  # by number, as read

    def checkpoint(self, compact: bool = False) -> None:
        """Move the write-ahead log into the database and empty it (after a sync).

        With `compact`, the database is rewritten with full pages first (`sqlite.checkpoint`).
        """
        sqlite.checkpoint(self._db, compact)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes so that they land together or not at all."""
        with sqlite.transaction(self._db):
            yield

    # meta
    def get_meta(self, key: str) -> str | None:
        """A stored setting of the index, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        """Store (or with None, forget) a setting of the index."""
        if value is None:
            self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # folders
    def folders(self) -> list[str]:
        """The library's folders, in the order they were added."""
        rows = self._db.execute("SELECT path FROM folders ORDER BY added, path")
        return [str(row[0]) for row in rows]

    def add_folder(self, path: str) -> bool:
        """Add a folder; False if it was already there."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO folders VALUES (?, ?)", (path, time.time())
        )
        return cursor.rowcount > 0

    def remove_folder(self, path: str) -> bool:
        """Remove a folder (its files stay until the next sync); False if it was not there."""
        cursor = self._db.execute("DELETE FROM folders WHERE path = ?", (path,))
        return cursor.rowcount > 0

    # files
    def file_stats(self) -> dict[str, tuple[str, int, int]]:
        """Every indexed file's (path, size, modification time in ns), by path.

        What a re-sync compares with the disk, and no more: loading whole rows of
        157,595 files (their ids, folders and hashes too) took 0.45 s of a 2 s re-sync.
        The rows are kept as SQLite gives them (repacking them took a third longer), and
        the dictionary is built by C loops (a comprehension took 0.27 s against 0.19 s).
        """
        rows = self._db.execute("SELECT path, size, mtime_ns FROM files").fetchall()
        return dict(zip(map(itemgetter(0), rows), rows, strict=True))

    def file_rows(self, paths: Iterable[str]) -> dict[str, FileRow]:
        """The rows of the indexed files among `paths`, by path, in `FileRecord`'s order."""
        query = "SELECT path, id, folder, size, mtime_ns, inode, sha256 FROM files WHERE path IN"
        return {row[0]: self._file_row(row) for row in self._rows_in(query, paths)}

    def _file_row(self, row: tuple[Any, ...]) -> FileRow:
        """A row as the catalog gives it: the folder's path and the hash's hex digits."""
        folder = row[2]
        if isinstance(folder, bytes):
            folder = self._folder_paths.get(folder) or self._folder_path(folder)
        return (row[0], row[1], folder, row[3], row[4], row[5], _hex(row[6]))

    def _folder_path(self, number: bytes) -> str:
        found = self._db.execute(
            "SELECT path FROM folder_numbers WHERE number = ?", (number,)
        ).fetchone()
        path = self._folder_paths[number] = str(found[0]) if found else ""
        return path

    def _folder_numbers(self, paths: Iterable[str]) -> dict[str, bytes | str]:
        """What each folder's files are written with: its number, or its path if that is taken."""
        written: dict[str, bytes | str] = {}
        for path in set(paths):
            number = hashlib.sha256(path.encode()).digest()[:_FOLDER_NUMBER_BYTES]
            self._db.execute("INSERT OR IGNORE INTO folder_numbers VALUES (?, ?)", (number, path))
            (holder,) = self._db.execute(
                "SELECT path FROM folder_numbers WHERE number = ?", (number,)
            ).fetchone()
            written[path] = number if holder == path else path
        return written

    def file_by_path(self, path: str) -> FileRecord | None:
        """The indexed file at a path, or None."""
        row = self._db.execute(
            "SELECT path, id, folder, size, mtime_ns, inode, sha256 FROM files WHERE path = ?",
            (path,),
        ).fetchone()
        return None if row is None else FileRecord(*self._file_row(row))

    def file_by_id(self, article_id: str) -> FileRecord | None:
        """The indexed file with an id, or None."""
        row = self._db.execute(
            "SELECT path, id, folder, size, mtime_ns, inode, sha256 FROM files WHERE id = ?",
            (article_id,),
        ).fetchone()
        return None if row is None else FileRecord(*self._file_row(row))

    def has_id(self, article_id: str) -> bool:
        """Whether an indexed file has this id."""
        found = self._db.execute("SELECT 1 FROM files WHERE id = ?", (article_id,)).fetchone()
        return found is not None

    def ids_with_hash(self, sha256: str) -> list[str]:
        """Ids of every indexed file with these exact bytes."""
        # The whole hash is compared here, not in SQL: SQLite would then put the hash in the
        # prefix's place and no longer see that the prefix's index answers it. A row is
        # looked for as written now (bytes) and before (hex digits).
        prefix = _stored_hash(sha256[: 2 * _HASH_PREFIX_BYTES])
        rows = self._db.execute(
            "SELECT path, id, sha256 FROM files WHERE substr(sha256, 1, 8) IN (?, ?)",
            (prefix, sha256[:_HASH_PREFIX_BYTES]),
        )
        return [str(found) for _path, found, whole in sorted(rows) if _hex(whole) == sha256]

    def hashes_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        """The hashes of the indexed files with these ids, by id."""
        rows = self._rows_in("SELECT id, sha256 FROM files WHERE id IN", article_ids)
        return {str(found_id): _hex(stored) for found_id, stored in rows}

    def _rows_in(self, query: str, values: Iterable[str]) -> Iterator[tuple[Any, ...]]:
        """The rows of `query`, which ends in "IN", for `values`: a query per chunk of them."""
        wanted = list(values)
        for start in range(0, len(wanted), _PATHS_PER_QUERY):
            chunk = wanted[start : start + _PATHS_PER_QUERY]
            yield from self._db.execute(f"{query} ({','.join('?' * len(chunk))})", chunk)

    def all_ids(self) -> set[str]:
        """The ids of every indexed file."""
        return {str(row[0]) for row in self._db.execute("SELECT id FROM files")}

    def count_files(self) -> int:
        """How many files are indexed."""
        return int(self._db.execute("SELECT count(*) FROM files").fetchone()[0])

    def put_files(self, records: Iterable[FileRecord]) -> None:
        """Insert or replace indexed files (an id seen for the first time arrives now)."""
        records = list(records)
        folders = self._folder_numbers(r.folder for r in records)
        self._db.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    r.path,
                    r.id,
                    folders[r.folder],
                    r.size,
                    r.mtime_ns,
                    r.inode,
                    _stored_hash(r.sha256),
                )
                for r in records
            ),
        )
        now = time.time()
        self._db.executemany(
            "INSERT OR IGNORE INTO arrivals VALUES (?, ?)", ((r.id, now) for r in records)
        )

    def forget_ids(self, article_ids: Iterable[str]) -> None:
        """Forget when articles arrived (they left the library)."""
        self._db.executemany("DELETE FROM arrivals WHERE id = ?", ((i,) for i in article_ids))

    def arrived_since(self, when: float) -> set[str]:
        """The ids of articles first indexed after a time (seconds since the epoch)."""
        rows = self._db.execute("SELECT id FROM arrivals WHERE first_seen > ?", (when,))
        return {str(row[0]) for row in rows}

    def delete_files(self, paths: Iterable[str]) -> None:
        """Forget indexed files."""
        self._db.executemany("DELETE FROM files WHERE path = ?", ((p,) for p in paths))

    def clear_files(self) -> None:
        """Forget every indexed file (for a rebuild); arrival times stay."""
        self._db.execute("DELETE FROM files")

    # problems
    def problems(self) -> list[Problem]:
        """Files that could not be indexed, by path."""
        rows = self._db.execute("SELECT path, reason, seen FROM problems ORDER BY path")
        return [Problem(path, reason, datetime.fromtimestamp(seen)) for path, reason, seen in rows]

    def problem_paths(self) -> dict[str, tuple[int, int]]:
        """Paths with a problem, with the size and mtime they had when it was seen."""
        rows = self._db.execute("SELECT path, size, mtime_ns FROM problems")
        return {row[0]: (row[1], row[2]) for row in rows}

    def put_problem(self, path: str, folder: str, reason: str, size: int, mtime_ns: int) -> None:
        """Record why a file could not be indexed."""
        self._db.execute(
            "INSERT OR REPLACE INTO problems VALUES (?, ?, ?, ?, ?, ?)",
            (path, folder, reason, size, mtime_ns, time.time()),
        )

    def delete_problems(self, paths: Iterable[str]) -> None:
        """Forget problems (the file was indexed, or is gone)."""
        self._db.executemany("DELETE FROM problems WHERE path = ?", ((p,) for p in paths))
