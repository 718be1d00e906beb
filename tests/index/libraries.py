"""Helpers shared by the tests that build the same articles into libraries written two ways."""

from pathlib import Path

from index import Library


def synced(library: Library, folders: list[Path]) -> Library:
    """`library` with `folders` added and indexed."""
    for folder in folders:
        library.add_folder(folder)
    library.sync()
    return library
