"""Desktop integration and packaging: validated metadata, icons, menu entry, the bundle."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from desktop import APP_ID, __version__

BBC = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "bbc"

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
ICONS = ROOT / "resources" / "icons"


def require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} is missing: `./dev test` installs it")
    return found


def test_desktop_entry_is_valid() -> None:
    entry = PACKAGING / f"{APP_ID}.desktop"
    result = subprocess.run(
        [require("desktop-file-validate"), str(entry)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = entry.read_text(encoding="utf-8")
    assert f"Icon={APP_ID}" in text and "Terminal=false" in text


def test_metainfo_is_valid() -> None:
    metainfo = PACKAGING / f"{APP_ID}.metainfo.xml"
    result = subprocess.run(
        [require("appstreamcli"), "validate", "--no-net", str(metainfo)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = metainfo.read_text(encoding="utf-8")
    for part in (f"<id>{APP_ID}</id>", "<screenshots>", "<releases>", "<description>"):
        assert part in text


def test_one_version_everywhere() -> None:
    # pyproject.toml reads it from desktop/__init__.py; the metainfo's newest release is it.
    from importlib.metadata import version  # noqa: PLC0415

    assert version("readingroom") == __version__
    text = (PACKAGING / f"{APP_ID}.metainfo.xml").read_text(encoding="utf-8")
    assert f'<release version="{__version__}"' in text.split("<releases>")[1].split("</release")[0]
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"readingroom {__version__}"


def loaded_modules(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after running `statement`."""
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    return set(done.stdout.split())


def test_the_window_starts_without_the_indexing_and_command_line_modules() -> None:
    # The window's start waited 0.4 s for modules it never uses: the file readers
    # (indexing runs in another process) and the command line's.
    window = loaded_modules("import desktop.app")
    assert "PySide6.QtWidgets" in window and "whoosh" in window
    for heavy in ("trafilatura", "lxml", "index.indexer", "index.extract", "desktop.cli"):
        assert heavy not in window, heavy


def test_the_launcher_is_light() -> None:
    # Worker processes import the launching module again: it must not bring Qt or the engine.
    launcher = loaded_modules("import desktop.launcher")
    assert not {
        m for m in launcher if m.startswith(("PySide6", "whoosh", "index", "importlib.metadata"))
    }


def test_icons_from_16_to_512(qapp: QApplication) -> None:
    assert (ICONS / "readingroom.svg").is_file()
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        image = QImage(str(ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"))
        assert (image.width(), image.height()) == (size, size)
    assert (ICONS / "readingroom.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert (ICONS / "readingroom.icns").read_bytes()[:4] == b"icns"


def test_install_and_uninstall_desktop(tmp_path: Path) -> None:
    home = tmp_path / "xdg"
    (home / "applications").mkdir(parents=True)
    other = home / "applications" / "someone-else.desktop"
    other.write_text("[Desktop Entry]\nName=Other\n")
    env = {**os.environ, "XDG_DATA_HOME": str(home)}
    command = [sys.executable, "-m", "desktop", "--basedir", str(tmp_path / "base")]
    installed = subprocess.run(
        [*command, "install-desktop"], env=env, capture_output=True, text=True, check=False
    )
    assert installed.returncode == 0, installed.stderr
    entry = home / "applications" / f"{APP_ID}.desktop"
    exec_line = next(line for line in entry.read_text().splitlines() if line.startswith("Exec="))
    program = exec_line.removeprefix("Exec=").split()[0].strip('"')
    assert Path(program).is_absolute() and os.access(program, os.X_OK)
    subprocess.run([require("desktop-file-validate"), str(entry)], check=True)
    for size in (16, 48, 256):
        assert (home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    assert (home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    # The entry starts the app: its --version answers through the same command.
    version = subprocess.run([program, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("readingroom ")

    removed = subprocess.run(
        [*command, "uninstall-desktop"], env=env, capture_output=True, text=True, check=False
    )
    assert removed.returncode == 0
    ours = [p for p in home.rglob("*") if p.is_file() and APP_ID in p.name]
    assert ours == []
    assert other.read_text() == "[Desktop Entry]\nName=Other\n"


def test_python_dash_m_desktop() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "install-desktop" in result.stdout


@pytest.mark.slow
def test_bundle_builds_and_starts(tmp_path: Path) -> None:
    dist, work = tmp_path / "dist", tmp_path / "build"
    started = time.monotonic()
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            str(PACKAGING / "readingroom.spec"),
            "--noconfirm",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=900,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    built_in = time.monotonic() - started
    app = dist / "ReadingRoom" / "ReadingRoom"
    assert app.is_file()
    shot = tmp_path / "bundle.png"
    started = time.monotonic()
    run = subprocess.run(
        [
            str(app),
            "--basedir",
            str(tmp_path / "base"),
            "--screenshot",
            str(shot),
            "--query",
            "river",
        ],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    ran_in = time.monotonic() - started
    assert run.returncode == 0, run.stdout + run.stderr
    image = QImage(str(shot))
    assert not image.isNull() and image.width() == 1280
    files = (dist / "ReadingRoom").rglob("*")
    size = sum(f.stat().st_size for f in files if f.is_file() and not f.is_symlink())
    print(
        f"\nbundle: built in {built_in:.0f} s, {size / 1e6:.0f} MB on disk; "
        f"start, index the sample, search and screenshot: {ran_in:.1f} s"
    )
    # A folder large enough for worker processes (index/parallel.py): in the bundle they
    # are the executable itself, started again, and must index instead of opening a window.
    index_run = subprocess.run(
        [str(app), "--basedir", str(tmp_path / "big"), "index", str(BBC)],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert index_run.returncode == 0, index_run.stdout + index_run.stderr
    found = subprocess.run(
        [str(app), "--basedir", str(tmp_path / "big"), "search", "--json", '"prime minister"'],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert found.returncode == 0, found.stdout + found.stderr
    assert json.loads(found.stdout)["total"] > 50
