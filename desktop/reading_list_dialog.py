"""The "Export Reading List…" dialog: selected results or a bookmark tag, and a title."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)


class ReadingListDialog(QDialog):
    """Choose the articles of a reading list and its title."""

    def __init__(
        self, selected: int, tags: dict[str, int], query: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Reading List")
        self._query = query
        noun = "result" if selected == 1 else "results"
        self.selected_button = QRadioButton(f"The {selected} selected {noun}", self)
        self.tag_button = QRadioButton("Every bookmark tagged", self)
        self.tag_combo = QComboBox(self)
        self.tag_combo.setAccessibleName("Bookmark tag")
        for tag, count in tags.items():
            self.tag_combo.addItem(f"{tag} ({count})", tag)
        group = QButtonGroup(self)
        group.addButton(self.selected_button)
        group.addButton(self.tag_button)
        self.selected_button.setEnabled(selected > 0)
        self.tag_button.setEnabled(bool(tags))
        self.tag_combo.setEnabled(False)
        (self.selected_button if selected else self.tag_button).setChecked(True)
        self.title_edit = QLineEdit(self)
        self.title_edit.setAccessibleName("Reading list title")
        self.tag_button.toggled.connect(self._on_choice)
        self.tag_combo.currentIndexChanged.connect(lambda _: self._on_choice(True))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Choose File…")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(selected > 0 or bool(tags))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.selected_button)
        form.addRow(self.tag_button, self.tag_combo)
        form.addRow("Title:", self.title_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._on_choice(self.tag_button.isChecked())

    def _on_choice(self, by_tag: bool) -> None:
        self.tag_combo.setEnabled(self.tag_button.isChecked())
        if self.tag_button.isChecked():
            self.title_edit.setText(f"Reading list: {self.tag_combo.currentData()}")
        else:
            self.title_edit.setText(
                f"Reading list: {self._query}" if self._query else "Reading list"
            )

    def chosen_tag(self) -> str | None:
        """The tag chosen, or None for the selected results."""
        return str(self.tag_combo.currentData()) if self.tag_button.isChecked() else None

    def title(self) -> str:
        """The cover page's title."""
        return self.title_edit.text().strip() or "Reading list"
