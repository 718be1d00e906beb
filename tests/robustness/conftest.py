"""Helpers of the robustness tests: real child processes, root without its powers, copies.

The fixtures of the window tests (`bbc_indexed`, `bbc_base`, `window_factory`) are
reused from `tests/desktop/conftest.py`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from index import SearchResult
from tests.desktop.conftest import (  # noqa: F401 - fixtures shared with the window tests
    bbc_base,
    bbc_indexed,
    window_factory,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SEARCH_WAIT_MS = 60_000
PYTHON = sys.executable
# Root ignores file modes through these two capabilities; without them it is refused like
# anybody else (`setpriv` is util-linux).
WITHOUT_ROOT_POWERS = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search")
CHILD_TIMEOUT_S = 600.0
# A reason the user reads: no traceback, no exception class, no errno dump.
_JARGON = re.compile(r"Traceback|File \"|\[Errno|\berrno\b|\b[A-Z]\w*(?:Error|Exception)\b")


def unprivileged(command: Sequence[str]) -> list[str]:
    """The command as run by a user whom file modes apply to (root drops its bypass)."""
    if os.geteuid() != 0:
        return list(command)
    if shutil.which("setpriv") is None:
        pytest.fail("running as root needs setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
    return [*WITHOUT_ROOT_POWERS, *command]


@dataclass(frozen=True, slots=True)
class Finished:
    """A child process that ran to its end."""

    command: list[str]
    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float

    def describe(self) -> str:
        """The command and its output, for assertion messages."""
        return (
            f"$ {' '.join(self.command)}\nexit {self.returncode}\n"
            f"--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"
        )


def run_child(
    command: Sequence[str],
    *,
    preexec_fn: Callable[[], None] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = CHILD_TIMEOUT_S,
) -> Finished:
    """Run a command to its end; also report its own peak memory (from `wait4`)."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        process = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=REPO_ROOT,
            env=env,
            preexec_fn=preexec_fn,  # noqa: PLW1509 - resource limits of the child only
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                pytest.fail(f"{' '.join(command)} did not end within {timeout:.0f} s")
            time.sleep(0.05)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # File names that are not UTF-8 come out as their raw bytes: keep them exact.
        stdout = out.read().decode("utf-8", "surrogateescape")
        stderr = err.read().decode("utf-8", "surrogateescape")
    return Finished(list(command), process.returncode, stdout, stderr, usage.ru_maxrss / 1024)


def readingroom_command(basedir: Path, *args: str) -> list[str]:
    """The real command line (`python -m desktop`) over a base directory."""
    return [PYTHON, "-m", "desktop", "--basedir", str(basedir), *args]


def readingroom(
    basedir: Path,
    *args: str,
    without_root_powers: bool = False,
    preexec_fn: Callable[[], None] | None = None,
) -> Finished:
    """Run `readingroom --basedir BASEDIR ARGS…` as a real process."""
    command = readingroom_command(basedir, *args)
    if without_root_powers:
        command = unprivileged(command)
    return run_child(command, preexec_fn=preexec_fn)


def writable_copy(source: Path, target: Path) -> Path:
    """Copy a (read-only) corpus to a place where the test may change it."""
    shutil.copytree(source, target, copy_function=shutil.copyfile)
    for directory, _subdirs, _files in os.walk(target):
        Path(directory).chmod(0o755)
    return target


def article_files(folder: Path) -> list[Path]:
    """The files of a plain corpus that the library indexes (not hidden, with a text suffix)."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and path.suffix.lower() in (".txt", ".md", ".html", ".htm", "")
    )


def assert_user_reason(reason: str, path: str = "") -> None:
    """A reason a user understands: one short line of words, no traceback or exception."""
    where = f" (for {path!r})" if path else ""
    assert reason.strip(), f"an empty reason{where}"
    assert len(reason) < 150, f"a reason of {len(reason)} characters{where}: {reason!r}"
    assert "\n" not in reason, f"a reason of several lines{where}: {reason!r}"
    assert not _JARGON.search(reason), f"a reason in programmer's words{where}: {reason!r}"


def search_in_window(
    qtbot: QtBot, window: MainWindow, text: str, draw: bool = False
) -> SearchResult:
    """Type a query into the box, search at once, and wait for this query's results.

    With `draw`, every visible result is then painted through the delegate.
    """
    window.search_bar.set_text(text)
    with qtbot.waitSignal(window.search.results, timeout=SEARCH_WAIT_MS) as arrived:
        window.search.search_now()
    result = arrived.args[0]
    assert isinstance(result, SearchResult)
    if draw:
        window.results_view.viewport().grab()
    return result
