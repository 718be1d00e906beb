"""Walk the library's folders, stat the article files and compare them with the index.

A re-sync of a large library is mostly this walk: one `stat` and a few Python steps
for each file (157,595 files took 2 s of one core). So, beyond `HELPER_MIN_FILES`
indexed files, a helper process shares it. This process lists the folders and hands
out their file names in chunks; the helper is given the next chunk whenever it holds
fewer than `HELD_CHUNKS`, and this process looks at the others itself. Each side
stats the files of its chunks and compares them with what the catalog says, which
the helper reads from the catalog on its own (see
docs/decisions/0019-a-helper-for-the-walk.md). If the helper fails, this process
looks at the chunks it held: the result of the walk is the same either way.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import multiprocessing
import os
import stat
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from index.kinds import kind_of
from index.paths import path_to_key

if TYPE_CHECKING:
    from index.catalog import Catalog

# Deeper than this is a loop or a mistake, not an archive.
MAX_DEPTH = 256
# Below this many indexed files, starting a helper costs more than it saves.
HELPER_MIN_FILES = 20_000
HELD_CHUNKS = 2
# A chunk holds at most this many names and characters of names. Sending one then never
# waits for the helper: two chunks (at most 2 x 4 bytes x (8,000 + a 4,096-character
# directory)) fit in the buffer of a local socket (about 200 kB on Linux), so the two
# processes cannot both wait on each other.
CHUNK_FILES = 500
CHUNK_CHARS = 8_000

_log = logging.getLogger(__name__)


class ScannedFile(NamedTuple):
    """An article file found on disk, with what `stat` says of it.

    A named tuple: a re-sync makes one per file (157,595 of them: a frozen dataclass
    took 0.2 s more to build them).
    """

    key: str
    fs_path: str  # as the operating system gave it
    folder: str
    kind: str
    size: int
    mtime_ns: int
    inode: int

    @property
    def path(self) -> Path:
        """The file's path."""
        return Path(self.fs_path)


@dataclass(frozen=True, slots=True)
class ScanProblem:
    """Something on disk that could not be looked at."""

    key: str
    folder: str
    reason: str
    is_folder: bool = False


def describe_os_error(error: OSError) -> str:
    """A short reason a user understands for an error of the operating system."""
    reasons = {
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOENT: "the file disappeared while it was being read",
        errno.ELOOP: "a symbolic link that points to itself",
        errno.ENAMETOOLONG: "the path is too long",
        errno.EISDIR: "a folder, not a file",
        errno.EIO: "the disk reported a read error",
    }
    return reasons.get(error.errno or 0, error.strerror or str(error)).capitalize()


def describe_folder_error(error: OSError) -> str:
    """Why a folder could not be listed; its articles stay in the library meanwhile."""
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        why = "the folder is missing or its drive is not connected"
    elif error.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied"
    else:
        why = error.strerror or str(error)
    return f"Folder not available ({why}); its articles are kept until it is back"


@dataclass(slots=True)
class Indexed:
    """What the catalog says of the files, to compare with the disk."""

    files: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # path, size, mtime
    unreadable: dict[str, tuple[int, int]] = field(default_factory=dict)  # size, mtime

    @classmethod
    def load(cls, catalog: Catalog) -> Indexed:
        """Read the files and the lasting problems from the catalog."""
        return cls(catalog.file_stats(), catalog.problem_paths())


@dataclass(slots=True)
class Scan:
    """What a walk found on disk."""

    keys: list[str] = field(default_factory=list)  # every article file found
    to_read: list[ScannedFile] = field(default_factory=list)  # new, or changed since indexed
    unchanged: int = 0
    still_unreadable: int = 0  # unchanged since they could not be read: not read again
    problems: list[ScanProblem] = field(default_factory=list)
    cancelled: bool = False

    def take(self, other: Scan) -> None:
        """Add what another part of the walk found."""
        self.keys += other.keys
        self.to_read += other.to_read
        self.unchanged += other.unchanged
        self.still_unreadable += other.still_unreadable
        self.problems += other.problems


_Chunk = tuple[str, str, list[str]]  # a directory, its library folder, names of files in it


def scan(
    folders: Sequence[Path],
    indexed: Indexed,
    should_cancel: Callable[[], bool] | None = None,
    helper: ScanHelper | None = None,
) -> Scan:
    """Walk the folders and compare every article file found with `indexed`.

    Hidden files and folders are skipped; symbolic links to folders are not
    followed (so a loop cannot trap the walk); links to files are. A folder inside
    another one of `folders` adds only the files the other did not reach.
    """
    found = Scan()
    walked: list[Path] = []
    for root in folders:
        seen: set[str] | None = None
        if any(root.is_relative_to(done) or done.is_relative_to(root) for done in walked):
            if helper is not None:
                helper.collect(found, indexed, wait=True)
            seen = set(found.keys)
        walked.append(root)
        folder = path_to_key(root)
        for directory, names in _listings(root, folder, found.problems):
            for chunk in _chunks(names):
                if seen is not None:
                    chunk = [name for name in chunk if _key_of(directory, name) not in seen]
                if helper is not None and helper.wants_more():
                    helper.send((directory, folder, chunk))
                else:
                    _look_at(directory, folder, chunk, indexed, found)
                if helper is not None:
                    helper.collect(found, indexed)
                if should_cancel is not None and should_cancel():
                    found.cancelled = True
                    return found
    if helper is not None:
        helper.collect(found, indexed, wait=True)
    return found


def _listings(
    root: Path, folder: str, problems: list[ScanProblem]
) -> Iterator[tuple[str, list[str]]]:
    """Each directory under `root` with the names of the files (and other non-folders) in it."""
    stack: list[tuple[str, int]] = [(str(root), 0)]
    while stack:
        directory, depth = stack.pop()
        try:
            with os.scandir(directory) as listing:
                entries = [entry for entry in listing if entry.name[0] != "."]
        except OSError as error:
            reason = describe_folder_error(error)
            problems.append(ScanProblem(path_to_key(directory), folder, reason, is_folder=True))
            continue
        # Comprehensions: every file of a re-sync passes here too.
        try:
            subdirs = [entry.path for entry in entries if entry.is_dir(follow_symlinks=False)]
        except OSError:  # an entry of unknown type that is gone: `_look_at` reports it
            subdirs = [entry.path for entry in entries if _is_folder(entry)]
        if not subdirs:
            names = [entry.name for entry in entries]
        else:
            names = [entry.name for entry in entries if not _is_folder(entry)]
            if depth < MAX_DEPTH:
                stack.extend((sub, depth + 1) for sub in reversed(subdirs))
            else:
                reason = f"Folder nested deeper than {MAX_DEPTH} levels: not read"
                problems.extend(ScanProblem(path_to_key(sub), folder, reason) for sub in subdirs)
        if names:
            yield directory, names


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _chunks(names: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(names), CHUNK_FILES):
        chunk = names[start : start + CHUNK_FILES]
        if sum(map(len, chunk)) <= CHUNK_CHARS:
            yield chunk
            continue
        part: list[str] = []  # long names: fewer of them
        chars = 0
        for name in chunk:
            if part and chars + len(name) > CHUNK_CHARS:
                yield part
                part, chars = [], 0
            part.append(name)
            chars += len(name)
        yield part


def _key_of(directory: str, name: str) -> str:
    return path_to_key(_prefix(directory) + name)


def _prefix(directory: str) -> str:
    """The directory with one slash at its end: file paths are made by adding names."""
    return directory if directory.endswith(os.sep) else directory + os.sep


def _look_at(directory: str, folder: str, names: list[str], indexed: Indexed, found: Scan) -> None:
    """Stat the article files among `names` and compare each with what was indexed."""
    # Every file of a re-sync passes through this loop (157,595 of them): it is kept lean.
    # A record is made without the named tuple's Python constructor, and only for the
    # files to read.
    prefix = _prefix(directory)
    keys, to_read = found.keys, found.to_read
    indexed_file, unreadable = indexed.files.get, indexed.unreadable.get
    make, os_stat, is_regular = tuple.__new__, os.stat, stat.S_ISREG
    unchanged = 0
    for name in names:
        kind = kind_of(name)
        if kind is None:
            continue
        path = prefix + name
        try:
            info = os_stat(path)
        except OSError as error:
            found.problems.append(_stat_problem(path, folder, error))
            continue
        if not is_regular(info.st_mode):
            if stat.S_ISDIR(info.st_mode) or kind == "sniff":
                continue  # a link to a folder (not followed), or a special file sniffed
            reason = "Not a regular file (a pipe, socket or device)"
            found.problems.append(ScanProblem(path_to_key(path), folder, reason))
            continue
        key = path if path.isascii() else path_to_key(path)  # `path_to_key`, inlined
        keys.append(key)
        size, mtime_ns = info.st_size, info.st_mtime_ns
        known = indexed_file(key)
        if known is not None and known[2] == mtime_ns and known[1] == size:
            unchanged += 1
        elif known is None and unreadable(key) == (size, mtime_ns):
            found.still_unreadable += 1
        else:
            to_read.append(
                make(ScannedFile, (key, path, folder, kind, size, mtime_ns, info.st_ino))
            )
    found.unchanged += unchanged


def _stat_problem(path: str, folder: str, error: OSError) -> ScanProblem:
    if error.errno == errno.ENOENT and Path(path).is_symlink():
        reason = "A symbolic link whose target is missing"
    else:
        reason = describe_os_error(error)
    return ScanProblem(path_to_key(path), folder, reason)


class ScanHelper:
    """A process that looks at chunks of a walk, with the catalog read on its own.

    Start it before loading the catalog in this process: both then load at once.
    """

    def __init__(self, catalog_path: Path) -> None:
        context = multiprocessing.get_context("spawn")  # no inherited threads or locks
        ours, theirs = context.Pipe()
        self._process: Any = context.Process(
            target=_helper_main, args=(theirs, str(catalog_path)), daemon=True, name="index-walk"
        )
        self._process.start()
        theirs.close()
        self._connection = ours
        self._held: deque[_Chunk] = deque()
        self.sent = 0  # chunks handed to the helper
        self.failure: str | None = None

    def __enter__(self) -> ScanHelper:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def wants_more(self) -> bool:
        """Whether the helper should be given the next chunk."""
        return self.failure is None and len(self._held) < HELD_CHUNKS

    def send(self, chunk: _Chunk) -> None:
        """Hand a chunk to the helper (`collect` looks at it here if the helper fails)."""
        self._held.append(chunk)
        self.sent += 1
        try:
            self._connection.send(chunk)
        except OSError as error:
            self._fail(f"the helper of the walk stopped ({error})")

    def collect(self, found: Scan, indexed: Indexed, wait: bool = False) -> None:
        """Add the helper's answers to `found`: those ready, or with `wait` all of them."""
        while self._held:
            if self.failure is None:
                try:
                    if not wait and not self._connection.poll():
                        return
                    answer = self._connection.recv()
                except (EOFError, OSError) as error:
                    self._fail(f"the helper of the walk stopped ({error or 'no answer'})")
                else:
                    if isinstance(answer, Scan):
                        self._held.popleft()
                        found.take(answer)
                        continue
                    self._fail(str(answer))
            _look_at(*self._held.popleft(), indexed, found)

    def _fail(self, why: str) -> None:
        _log.warning("The walk goes on without its helper: %s", why)
        self.failure = why

    def close(self) -> None:
        """Stop the helper."""
        with contextlib.suppress(OSError):
            self._connection.send(None)
        self._connection.close()
        # Not waited for: it ends on its own when it reads the end of the pipe, and
        # `multiprocessing` reaps it (waiting took 0.05-0.09 s of a re-sync).


def _helper_main(connection: Connection, catalog_path: str) -> None:
    """The helper process: load the catalog, then look at chunks until told to stop."""
    from index.catalog import Catalog  # noqa: PLC0415 - the helper needs nothing else of it

    try:
        catalog = Catalog(Path(catalog_path))
        try:
            indexed = Indexed.load(catalog)
        finally:
            catalog.close()
        while (chunk := connection.recv()) is not None:
            directory, folder, names = chunk
            found = Scan()
            _look_at(directory, folder, names, indexed, found)
            connection.send(found)
    except (EOFError, OSError):
        return  # the walk is over, or this process's caller is gone
    except Exception:  # noqa: BLE001 - reported to the caller, who looks at the chunks itself
        import traceback  # noqa: PLC0415

        with contextlib.suppress(OSError):
            connection.send(traceback.format_exc())
    finally:
        connection.close()
