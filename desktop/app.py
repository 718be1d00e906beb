"""The window. A first version: the full desktop app is built on top of this."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from desktop.paths import AppPaths


def run_gui(argv: Sequence[str]) -> int:
    """Open the window and run until it is closed."""
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    from index import Library

    parser = argparse.ArgumentParser(prog="readingroom")
    parser.add_argument("--basedir")
    args, qt_args = parser.parse_known_args(list(argv))
    paths = AppPaths.resolve(args.basedir)
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Reading Room")
    library = Library(paths.library)
    window = QMainWindow()
    window.setWindowTitle("Reading Room")
    count = library.count()
    window.setCentralWidget(
        QLabel(
            f"Reading Room: {count} articles indexed.\n"
            "The search window is coming; meanwhile use `readingroom search`."
        )
    )
    window.resize(900, 600)
    window.show()
    try:
        return app.exec()
    finally:
        library.close()
