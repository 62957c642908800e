"""The one thread every document call of the UI runs on, and what the page picker runs there.

pdfium itself runs in a process of its own per document (``app.workflows.pdf_process``: a
hostile PDF can exhaust or abort that process, never the window), which answers one request
at a time; so every call into ``app.workflows.documents`` runs on one worker thread, off the
GUI thread since a page may take seconds: ``document_pool()`` has a single thread,
and the open ``Document`` lives in a ``DocumentHolder`` that only that thread touches. The GUI
thread only sees plain results (``OpenedDocument``, thumbnails as ``QImage``, parts). Tasks run
in the order they were queued, so a close queued after other work runs after it, and tasks
that start after it find no document and do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtGui import QColor, QImage, QPainter

from app.core.images import Detail
from app.ui.common.qt_images import qimage_from_prepared
from app.workflows.documents import Document, DocumentError, PageCost

THUMB_HEIGHT = 64
"""Logical height of a page thumbnail in the list; rendered at twice that for HiDPI screens."""

_POOL: QThreadPool | None = None


def document_pool() -> QThreadPool:
    """The one-thread pool every document call of the UI goes through (one request at a time).

    Shared by all dialogs, not one per dialog: two picker dialogs, or a picker still closing
    its document while the next opens, must not call pdfium at the same time.
    """
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(1)
    return _POOL


class DocumentHolder:
    """The open document; read and written only by tasks on ``document_pool()``."""

    def __init__(self) -> None:
        self.doc: Document | None = None
        self.closed = False

    def require(self) -> Document:
        if self.doc is None or self.closed:
            raise DocumentError("The document is closed.")
        return self.doc

    def close(self) -> None:
        self.closed = True
        if self.doc is not None:
            self.doc.close()
            self.doc = None


@dataclass(frozen=True)
class OpenedDocument:
    """What opening a document hands the GUI thread: its page count and page costs."""

    pages: int
    costs: list[PageCost]


def page_thumbnail(holder: DocumentHolder, index: int, frame: str) -> QImage | None:
    """Page ``index`` at low detail, framed in ``frame`` (a colour the GUI thread read off the
    theme) and centred on a square (runs on the document thread).

    Square so portrait and landscape pages line their labels up; framed because a page of
    black text on white is otherwise invisible against the list's white background.
    """
    if holder.doc is None or holder.closed:
        return None
    page = qimage_from_prepared(holder.doc.render_page(index, Detail.LOW))
    side = THUMB_HEIGHT * 2  # HiDPI: drawn at half size
    page = page.scaled(
        side - 2,
        side - 2,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    canvas = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    canvas.fill(Qt.GlobalColor.transparent)
    left, top = (side - page.width()) // 2, (side - page.height()) // 2
    painter = QPainter(canvas)
    painter.drawImage(left, top, page)
    painter.setPen(QColor(frame))
    painter.drawRect(left - 1, top - 1, page.width() + 1, page.height() + 1)
    painter.end()
    canvas.setDevicePixelRatio(2)
    return canvas
