"""Render the app icon (``resources/icons/pixtral-desk.svg``) into the files installers need.

    python packaging/make_icons.py

writes ``packaging/linux/icons/hicolor/<n>x<n>/apps/pixtral-desk.png`` for every hicolor size,
``packaging/windows/pixtral-desk.ico`` and ``packaging/macos/pixtral-desk.icns`` (the last two
through Qt's ico/icns image plugins). The outputs are committed; rerun after changing the SVG.
Runs headless (Qt's offscreen platform).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "pixtral-desk.svg"
HICOLOR = ROOT / "packaging" / "linux" / "icons" / "hicolor"
ICO = ROOT / "packaging" / "windows" / "pixtral-desk.ico"
ICNS = ROOT / "packaging" / "macos" / "pixtral-desk.icns"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    # Keep the aspect ratio: centre the drawing in the square.
    view = renderer.viewBoxF()
    scale = size / max(view.width(), view.height()) if view.width() and view.height() else 1
    w, h = view.width() * scale, view.height() * scale
    renderer.render(painter, QRectF((size - w) / 2, (size - h) / 2, w, h))
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"make_icons: cannot read {SVG}", file=sys.stderr)
        return 1
    for size in SIZES:
        out = HICOLOR / f"{size}x{size}" / "apps" / "pixtral-desk.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        if not render(renderer, size).save(str(out), "PNG"):
            print(f"make_icons: cannot write {out}", file=sys.stderr)
            return 1
        print(out.relative_to(ROOT))
    # Qt's ico writer stores one image; 256 px scales down well in Explorer and the Start menu.
    # The icns writer stores the largest power-of-two image it is given (512 px here).
    for out, fmt, size in ((ICO, "ICO", 256), (ICNS, "ICNS", 512)):
        out.parent.mkdir(parents=True, exist_ok=True)
        if render(renderer, size).save(str(out), fmt):
            print(out.relative_to(ROOT))
        else:
            print(f"make_icons: no Qt {fmt} writer; {out.name} not written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
