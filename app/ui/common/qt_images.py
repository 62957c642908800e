"""Moving pictures between Pillow / prepared images and Qt, in one place.

Qt wraps a foreign buffer without copying it; every function here returns an image that owns
its pixels, so the Python bytes it came from can be freed at any time.
"""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QImage

from app.core.images import PreparedImage


def qimage_from_rgb(rgb: bytes, width: int, height: int) -> QImage:
    return QImage(rgb, width, height, width * 3, QImage.Format.Format_RGB888).copy()


def qimage_from_prepared(image: PreparedImage) -> QImage:
    """The pixels the model sees, as a QImage."""
    width, height = image.size
    return qimage_from_rgb(image.rgb, width, height)


def qimage_from_pil(image: Image.Image) -> QImage:
    rgb = image.convert("RGB")
    return qimage_from_rgb(rgb.tobytes(), rgb.width, rgb.height)


def pil_from_qimage(image: QImage) -> Image.Image:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    return Image.frombytes("RGB", (width, height), bytes(rgb.constBits()), "raw", "RGB", stride)


def png_bytes(image: QImage) -> bytes:
    """Lossless PNG with light compression (quality 80 in Qt's terms: fast)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG", 80)
    return bytes(buffer.data().data())
