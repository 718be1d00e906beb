"""A dialog listing the files that could not be read, with the reason."""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from index import Problem


def display_path(path: str) -> str:
    """A path as a person can read it: bytes that are not UTF-8 shown as �."""
    return os.fsencode(path).decode("utf-8", "replace")


class ProblemsDialog(QDialog):
    """Shows `Problem`s; they are tried again at every indexing run."""

    def __init__(self, problems: list[Problem], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Files that could not be read")
        summary = QLabel(
            f"{len(problems)} file(s) could not be read. They are tried again every time the "
            "library is indexed."
            if problems
            else "Every file in the library could be read.",
            self,
        )
        summary.setWordWrap(True)
        self.table = QTableWidget(len(problems), 2, self)
        self.table.setAccessibleName("Files that could not be read")
        self.table.setHorizontalHeaderLabels(["File", "Reason"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, problem in enumerate(problems):
            self.table.setItem(row, 0, QTableWidgetItem(display_path(problem.path)))
            self.table.setItem(row, 1, QTableWidgetItem(problem.reason))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(760, 360)
