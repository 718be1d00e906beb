"""Where the bundled resources (icons, stylesheets, the sample archive) are."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_dir() -> Path:
    """The `resources/` folder: inside a PyInstaller bundle, or beside the source tree."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def sample_archive() -> Path:
    """The bundled sample archive."""
    return resource_dir() / "sample"
