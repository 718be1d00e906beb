"""Where Reading Room keeps its files: platformdirs' directories, or all under `--basedir`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import PlatformDirs

from desktop import APP_NAME

BASEDIR_ENV = "READINGROOM_BASEDIR"


@dataclass(frozen=True, slots=True)
class AppPaths:
    """The user directories of the application."""

    data: Path
    config: Path
    cache: Path
    basedir: Path | None = None

    @classmethod
    def resolve(cls, basedir: str | os.PathLike[str] | None = None) -> AppPaths:
        """The directories for a `--basedir` (or `READINGROOM_BASEDIR`), else the platform's."""
        chosen = basedir if basedir is not None else os.environ.get(BASEDIR_ENV) or None
        if chosen is not None:
            root = Path(chosen).expanduser().resolve()
            return cls(
                data=root / "data", config=root / "config", cache=root / "cache", basedir=root
            )
        dirs = PlatformDirs(APP_NAME, appauthor=False)
        return cls(
            data=Path(dirs.user_data_dir),
            config=Path(dirs.user_config_dir),
            cache=Path(dirs.user_cache_dir),
        )

    @property
    def library(self) -> Path:
        """The engine's data: the index and its catalog."""
        return self.data / "library"

    @property
    def settings(self) -> Path:
        """The settings file."""
        return self.config / "settings.json"

    @property
    def bookmarks(self) -> Path:
        """The bookmarks file."""
        return self.data / "bookmarks.json"

    @property
    def saved_searches(self) -> Path:
        """The saved searches file."""
        return self.data / "saved-searches.json"


def storage_problem(paths: AppPaths, error: BaseException) -> str:
    """What to tell the user when the data folder cannot be written or read."""
    detail = getattr(error, "strerror", None) or str(error)
    where = getattr(error, "filename", None) or paths.data
    return (
        f"cannot use {where}: {detail}. Nothing saved before was lost; check that the "
        "folder is writable and the disk has space, or choose another with --basedir."
    )
