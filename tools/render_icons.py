"""Render the SVG icon to the PNG sizes of the icon theme, a Windows .ico and a macOS .icns.

Usage: python tools/render_icons.py   (writes into resources/icons/; commit the results)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

from desktop import APP_ID  # noqa: E402

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(svg: Path, size: int, target: Path) -> None:
    renderer = QSvgRenderer(str(svg))
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(target)):
        raise OSError(f"could not write {target}")


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    svg = ICONS / "readingroom.svg"
    pngs = {}
    for size in SIZES:
        target = ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        render(svg, size, target)
        pngs[size] = target
    largest = Image.open(pngs[512])
    largest.save(ICONS / "readingroom.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    largest.save(ICONS / "readingroom.icns")
    print(f"wrote {len(pngs)} PNGs, readingroom.ico and readingroom.icns into {ICONS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
