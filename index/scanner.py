"""Walk the library's folders and stat the article files in them."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from index.extract import kind_of
from index.paths import path_to_key

# Deeper than this is a loop or a mistake, not an archive.
MAX_DEPTH = 256


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


def scan_folder(root: Path, on_problem: Callable[[ScanProblem], None]) -> Iterator[ScannedFile]:
    """Yield every article file under a folder; report what cannot be looked at.

    Hidden files and folders are skipped; symbolic links to folders are not
    followed (so a loop cannot trap the walk); links to files are.
    """
    folder = path_to_key(root)
    stack: list[tuple[Path, int]] = [(root, 0)]
    # A re-sync walks every file (157,595 of them): the loop below is kept lean. A record
    # is made without the named tuple's Python constructor, and regular files are tested
    # for first.
    make = tuple.__new__
    is_regular, is_folder = stat.S_ISREG, stat.S_ISDIR
    while stack:
        directory, depth = stack.pop()
        try:
            # In the system's order: the indexer sorts what it reads (sorting every
            # listing took 0.2 s of a re-sync of 157,595 files).
            entries = list(os.scandir(directory))
        except OSError as error:
            reason = describe_folder_error(error)
            on_problem(ScanProblem(path_to_key(directory), folder, reason, is_folder=True))
            continue
        subdirs: list[Path] = []
        for entry in entries:
            name = entry.name
            if name[0] == ".":
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth + 1 > MAX_DEPTH:
                        reason = f"Folder nested deeper than {MAX_DEPTH} levels: not read"
                        on_problem(ScanProblem(path_to_key(entry.path), folder, reason))
                    else:
                        subdirs.append(Path(entry.path))
                    continue
                kind = kind_of(name)
                if kind is None:
                    continue
                info = entry.stat(follow_symlinks=True)
            except OSError as error:
                if entry.is_symlink() and error.errno == errno.ENOENT:
                    reason = "A symbolic link whose target is missing"
                else:
                    reason = describe_os_error(error)
                on_problem(ScanProblem(path_to_key(entry.path), folder, reason))
                continue
            if not is_regular(info.st_mode):
                if is_folder(info.st_mode) or kind == "sniff":
                    continue  # a link to a folder (not followed), or a special file sniffed
                reason = "Not a regular file (a pipe, socket or device)"
                on_problem(ScanProblem(path_to_key(entry.path), folder, reason))
                continue
            path = entry.path
            key = path if path.isascii() else path_to_key(path)  # `path_to_key`, inlined
            yield make(
                ScannedFile, (key, path, folder, kind, info.st_size, info.st_mtime_ns, info.st_ino)
            )
        stack.extend((sub, depth + 1) for sub in reversed(subdirs))
