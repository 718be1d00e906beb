"""Which library the window shows: the user's, or the bundled sample while the user has none."""

from __future__ import annotations

from pathlib import Path

from desktop.paths import AppPaths
from desktop.resources import sample_archive
from index import Library


class LibrarySession:
    """Holds the user's library and, while it has no folders, the sample library."""

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self.user = Library(paths.library)
        self._sample: Library | None = None

    @property
    def sample_dir(self) -> Path:
        """Where the sample archive's index lives (it can be rebuilt at any time)."""
        return self.paths.cache / "sample-library"

    @property
    def is_sample(self) -> bool:
        """Whether the user has no folders yet, so the sample archive is shown."""
        return not self.user.folders()

    @property
    def current(self) -> Library:
        """The library to search and read."""
        if not self.is_sample:
            return self.user
        if self._sample is None:
            self._sample = Library(self.sample_dir)
            archive = sample_archive()
            if archive.is_dir() and not self._sample.folders():
                self._sample.add_folder(archive)
        return self._sample

    @property
    def current_dir(self) -> Path | None:
        """The library directory an indexing run must use (None: the user's)."""
        return self.sample_dir if self.is_sample else None

    def close(self) -> None:
        """Close both libraries."""
        self.user.close()
        if self._sample is not None:
            self._sample.close()
