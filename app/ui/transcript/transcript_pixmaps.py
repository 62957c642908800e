"""The transcript's picture caches: documents drawn once into pixmaps, and image thumbnails.

Split from ``transcript_delegate`` because both are bookkeeping the painter only asks of:
"a pixmap for this document, if worth one" and "a thumbnail of this image, when ready".
Their limits (bytes held, which documents are transient, scaling off the GUI thread) are
policies of their own, and keeping them here leaves the delegate's paint path short.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QRectF, QSize, QSizeF, Qt, QThreadPool
from PySide6.QtGui import QImage, QPainter, QPixmap, QTextDocument
from PySide6.QtWidgets import QAbstractItemView

from app.ui.common.background import run_in_background
from app.ui.common.qt_images import qimage_from_prepared
from app.ui.transcript.transcript_model import ImageLike

PIXMAP_MAX_H, PIXMAP_CACHE_BYTES = 2000, 96 * 1024 * 1024


class DocumentPixmaps:
    """Documents drawn once into cached pixmaps: repainting a scrolled or streaming view
    then blits instead of laying out glyphs again (~10× cheaper)."""

    def __init__(self, view: QAbstractItemView) -> None:
        self._view = view  # its device pixel ratio, read per pixmap
        self._pixmaps: OrderedDict[int, tuple[QTextDocument, QSizeF, QPixmap]] = OrderedDict()
        self._pixmap_bytes = 0
        self._drawn_once: dict[int, QTextDocument] = {}

    def pixmap(self, doc: QTextDocument, context) -> QPixmap | None:
        """``doc`` as a cached pixmap, or ``None``: draw it directly this time."""
        ratio = self._view.devicePixelRatioF()
        size = doc.size()
        entry = self._pixmaps.get(id(doc))
        if entry is not None and entry[0] is doc and entry[1] == size:
            self._pixmaps.move_to_end(id(doc))
            return entry[2]
        if size.height() > PIXMAP_MAX_H or size.isEmpty():
            return None
        if id(doc) not in self._drawn_once:  # transient documents (a stream's growing
            self._drawn_once[id(doc)] = doc  # segment) are drawn once directly, not cached
            if len(self._drawn_once) > 4096:
                self._drawn_once.clear()
            return None
        del self._drawn_once[id(doc)]
        pixmap = QPixmap((size * ratio).toSize())
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        context.clip = QRectF()
        doc.documentLayout().draw(painter, context)
        painter.end()
        self._pixmaps[id(doc)] = (doc, size, pixmap)
        self._pixmap_bytes += pixmap.width() * pixmap.height() * 4
        while self._pixmap_bytes > PIXMAP_CACHE_BYTES and len(self._pixmaps) > 1:
            _, (_, _, old) = self._pixmaps.popitem(last=False)
            self._pixmap_bytes -= old.width() * old.height() * 4
        return pixmap


def _thumbnail(image: ImageLike, size: QSize) -> QImage:
    """Runs on a pool thread: QImage (not QPixmap) is safe off the GUI thread."""
    if not isinstance(image, QImage):
        image = qimage_from_prepared(image)  # a copy, but once per cached (image, size)
    mode = Qt.TransformationMode.SmoothTransformation
    return image.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio, mode)


class Thumbnails:
    """Thumbnails of attached images, scaled off the GUI thread and kept per pixel size;
    the view's viewport is repainted as each one arrives."""

    def __init__(self, view: QAbstractItemView, pool: QThreadPool | None = None) -> None:
        self._view = view
        self._pool = pool
        self._thumbs: dict[tuple[object, int, int], QImage | None] = {}

    def thumbnail(self, image: ImageLike, size: QSize) -> QImage | None:
        """A cached thumbnail, or ``None`` while one is made off the GUI thread."""
        ratio = self._view.devicePixelRatioF()
        pixels = QSize(round(size.width() * ratio), round(size.height() * ratio))
        ident = image.cacheKey() if isinstance(image, QImage) else image.sha256 or id(image)
        key = (ident, pixels.width(), pixels.height())
        if key in self._thumbs:
            return self._thumbs[key]
        self._thumbs[key] = None

        def done(thumb: QImage) -> None:
            thumb.setDevicePixelRatio(ratio)
            self._thumbs[key] = thumb
            self._view.viewport().update()

        run_in_background(
            lambda: _thumbnail(image, pixels), done, pool=self._pool, guard=self._view
        )
        return None
