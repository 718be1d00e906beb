"""Print, print preview and "Export as PDF…" from the window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from desktop.printing import export_pdf, print_document
from desktop.settings import Settings
from index import Article

Printable = tuple[Article, list[tuple[int, int]]] | None


class ArticlePrinter:
    """Runs the print dialogs for the article in the reader."""

    def __init__(self, parent: QWidget, settings: Settings) -> None:
        self._parent = parent
        self._settings = settings

    def print_dialog(self, printable: Printable) -> None:
        """The system print dialog, then print."""
        if printable is None:
            return
        article, spans = printable
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(article.title)
        dialog = QPrintDialog(printer, self._parent)
        dialog.setWindowTitle("Print article")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            print_document(article, spans).print_(printer)

    def preview(self, printable: Printable) -> None:
        """The print preview (it can print from there)."""
        if printable is None:
            return
        article, spans = printable
        document = print_document(article, spans)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintPreviewDialog(printer, self._parent)
        dialog.setWindowTitle("Print preview")
        dialog.paintRequested.connect(document.print_)
        dialog.exec()

    def export_dialog(self, printable: Printable) -> None:
        """Ask for a file name and write the article as PDF."""
        if printable is None:
            return
        article, spans = printable
        safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in article.title)
        suggested = Path.home() / f"{safe.strip()[:80] or 'article'}.pdf"
        path, _ = QFileDialog.getSaveFileName(
            self._parent, "Export as PDF", str(suggested), "PDF (*.pdf)"
        )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() != ".pdf":
            target = target.with_suffix(".pdf")
        try:
            export_pdf(article, target, spans)
        except OSError as error:
            QMessageBox.warning(self._parent, "Export as PDF", f"Could not write the PDF: {error}")
