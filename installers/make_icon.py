"""Renders resources/icon.svg to resources/icon.png (256 px) with Qt's SVG renderer.

Run it after editing the SVG: `.venv/bin/python installers/make_icon.py`. The PNG is kept in the
repository so building the bundle does not depend on an SVG renderer.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

RESOURCES = Path(__file__).resolve().parents[1] / "resources"


def render(svg: Path, png: Path, size: int = 256) -> None:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"not a valid SVG: {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(png)):
        raise SystemExit(f"cannot write {png}")


if __name__ == "__main__":
    app = QGuiApplication(sys.argv[:1])
    render(RESOURCES / "icon.svg", RESOURCES / "icon.png")
    print(f"wrote {RESOURCES / 'icon.png'}")
