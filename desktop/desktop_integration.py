"""`readingroom install-desktop`: the menu entry and icons in the user's XDG directories.

Everything written is listed in a manifest in the data directory, so that
`uninstall-desktop` removes exactly that and nothing else.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from desktop import APP_ID
from desktop.atomic import atomic_write
from desktop.resources import resource_dir

MANIFEST_NAME = "desktop-install.json"


def data_home() -> Path:
    """`$XDG_DATA_HOME`, or `~/.local/share`."""
    configured = os.environ.get("XDG_DATA_HOME")
    return Path(configured) if configured else Path.home() / ".local" / "share"


def launcher() -> list[str]:
    """The absolute command that starts this installation (a venv's script, or the bundle)."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    beside = Path(sys.executable).parent / "readingroom"
    if beside.exists():
        return [str(beside.absolute())]
    found = shutil.which("readingroom")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "desktop"]


def _quote(argument: str) -> str:
    """Quote an Exec argument as the Desktop Entry specification asks."""
    if not any(ch in argument for ch in " \t\n\"'\\><~|&;$*?#()`"):
        return argument
    escaped = argument.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    escaped = escaped.replace("$", "\\$")
    return f'"{escaped}"'


def desktop_entry(command: list[str]) -> str:
    """The packaged desktop entry, pointed at an absolute command."""
    template = (_packaging_dir() / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    exec_line = " ".join(_quote(part) for part in command)
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            line = f"Exec={exec_line}"
        elif line.startswith("TryExec="):
            line = f"TryExec={command[0]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _packaging_dir() -> Path:
    bundled = resource_dir() / "packaging"
    return bundled if bundled.is_dir() else resource_dir().parent / "packaging"


def install(app_data: Path, home: Path | None = None) -> list[Path]:
    """Install the desktop entry, the metainfo and the icons; return the files written."""
    home = home or data_home()
    written: list[Path] = []
    entry = home / "applications" / f"{APP_ID}.desktop"
    atomic_write(entry, desktop_entry(launcher()))
    written.append(entry)
    metainfo = home / "metainfo" / f"{APP_ID}.metainfo.xml"
    metainfo.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_packaging_dir() / f"{APP_ID}.metainfo.xml", metainfo)
    written.append(metainfo)
    icons = resource_dir() / "icons"
    for png in sorted((icons / "hicolor").glob(f"*/apps/{APP_ID}.png")):
        target = home / "icons" / "hicolor" / png.relative_to(icons / "hicolor")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, target)
        written.append(target)
    scalable = home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(icons / "readingroom.svg", scalable)
    written.append(scalable)
    manifest = {"version": 1, "files": [str(path) for path in written]}
    atomic_write(app_data / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")
    _refresh_caches(home)
    return written


def uninstall(app_data: Path, home: Path | None = None) -> list[Path]:
    """Remove what `install` wrote (per its manifest); return the files removed."""
    manifest_path = app_data / MANIFEST_NAME
    try:
        listed = json.loads(manifest_path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError):
        return []
    removed: list[Path] = []
    for name in listed:
        path = Path(name)
        if path.is_file():
            path.unlink()
            removed.append(path)
    manifest_path.unlink()
    _refresh_caches(home or data_home())
    return removed


def _refresh_caches(home: Path) -> None:
    """Tell the desktop about the change, where its tools exist (fixed arguments only)."""
    for command in (
        ["update-desktop-database", "-q", str(home / "applications")],
        ["gtk-update-icon-cache", "-q", "-t", "-f", str(home / "icons" / "hicolor")],
    ):
        if shutil.which(command[0]) and Path(command[-1]).is_dir():
            subprocess.run(command, check=False, capture_output=True, timeout=30)
