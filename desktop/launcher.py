"""The `readingroom` command's first step: the window without a subcommand, else the command line.

Kept small on purpose. The window does not wait for the command line's modules, the
command line does not load Qt, and the worker processes of a large indexing run (which
import the launching module again) start light.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

SUBCOMMANDS = (
    "index",
    "search",
    "show",
    "folders",
    "problems",
    "bookmarks",
    "print",
    "reading-list",
    "stories",
    "related",
    "diff",
    "saved",
    "install-desktop",
    "uninstall-desktop",
)


def wants_window(arguments: Sequence[str]) -> bool:
    """Whether these arguments open the window (no subcommand, no help or version asked)."""
    return not any(arg in SUBCOMMANDS for arg in arguments) and not any(
        arg in ("-h", "--help", "--version") for arg in arguments
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the window or the command line, as the arguments ask."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if wants_window(arguments):
        from desktop.app import run_gui  # noqa: PLC0415 - Qt is loaded only for the window

        return run_gui(arguments)
    from desktop.cli import main as command_line  # noqa: PLC0415 - the window never needs it

    return command_line(arguments)


def gui_main() -> int:
    """The GUI entry point (no console window on Windows)."""
    from desktop.app import run_gui  # noqa: PLC0415

    return run_gui(sys.argv[1:])
