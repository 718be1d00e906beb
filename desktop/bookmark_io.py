"""Exporting bookmarks to Markdown, CSV or JSON, and importing a JSON export, from the window."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from desktop.atomic import atomic_write
from desktop.bookmarks import BookmarkFileError, BookmarkStore

EXPORT_FILTERS = {
    "Markdown (*.md)": ".md",
    "CSV (*.csv)": ".csv",
    "JSON, for importing again (*.json)": ".json",
}


class BookmarkFiles:
    """The file dialogs around the bookmark store's export and import."""

    def __init__(self, parent: QWidget, store: BookmarkStore) -> None:
        self._parent = parent
        self._store = store

    def export_dialog(self) -> None:
        """Ask for a file and write the bookmarks to it."""
        path, chosen = QFileDialog.getSaveFileName(
            self._parent,
            "Export bookmarks",
            str(Path.home() / "bookmarks.md"),
            ";;".join(EXPORT_FILTERS),
        )
        if not path:
            return
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix not in EXPORT_FILTERS.values():
            suffix = EXPORT_FILTERS.get(chosen, ".md")
            target = target.with_suffix(suffix)
        try:
            atomic_write(target, self._store.export(suffix))
        except OSError as error:
            QMessageBox.warning(self._parent, "Export bookmarks", f"Could not write: {error}")

    def import_dialog(self) -> bool:
        """Ask for a JSON export and add its bookmarks; whether anything was imported."""
        path, _ = QFileDialog.getOpenFileName(
            self._parent, "Import bookmarks", str(Path.home()), "JSON (*.json)"
        )
        if not path:
            return False
        try:
            count = self._store.import_json(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, BookmarkFileError) as error:
            QMessageBox.warning(self._parent, "Import bookmarks", html.escape(str(error)))
            return False
        QMessageBox.information(self._parent, "Import bookmarks", f"Imported {count} bookmarks.")
        return True
