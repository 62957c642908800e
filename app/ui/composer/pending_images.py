"""Images waiting to be sent: the list model that holds them and the data it keeps per image.

The model keeps each image's original source (a path or encoded bytes) so its detail level can
change until it is sent. Decoding, resizing and thumbnailing run on the pool through
``run_in_background``; the GUI thread only swaps in finished results. Every job carries a
ticket, so a result that lands after its image was removed or re-detailed is dropped. The strip
of cards that shows the model lives in ``pending_strip``.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThread,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QImage

from app.core.errors import ImageError
from app.core.images import Detail, PreparedImage, patch_grid, prepare_image
from app.ui.common.background import run_in_background
from app.ui.common.qt_images import png_bytes
from app.ui.composer.document_files import PdfNotImage, check_pdf_instead

THUMB_SIZE = (136, 96)
"""Logical pixels of a card's picture; thumbnails are made at twice that for HiDPI screens."""

ImageData = Path | bytes | QImage
"""A QImage only arrives from an in-process clipboard or drag; it is encoded off the GUI thread."""

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class ImageSource:
    """What the user gave us, enough to prepare the image again at another detail."""

    data: ImageData
    name: str
    detail: Detail = Detail.NATIVE


@dataclass
class PendingImage:
    key: int
    source: ImageSource
    ticket: int = 0
    prepared: PreparedImage | None = None
    thumbnail: QImage | None = None
    source_size: tuple[int, int] | None = None

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def detail(self) -> Detail:
        return self.source.detail

    @property
    def ready(self) -> bool:
        return self.prepared is not None and self.prepared.detail == self.detail

    @property
    def tokens(self) -> int | None:
        """Known as soon as the size is: the patch grid is arithmetic, no decode needed."""
        if self.source_size is None:
            return None
        return patch_grid(*self.source_size, self.detail.max_side).tokens

    def describe(self) -> str:
        """One line for tooltips and screen readers."""
        if self.source_size is None:
            return f"{self.name}: preparing…"
        w, h = self.source_size
        return f"{self.name}: {w}×{h} px, {self.detail.value} detail, {self.tokens:,} tokens"


@dataclass(frozen=True)
class _Result:
    data: Path | bytes
    prepared: PreparedImage
    thumbnail: QImage


def prepare_pending(source: ImageSource) -> _Result:
    """Runs on a pool thread: encode a QImage if needed, prepare, make the thumbnail."""
    data = source.data
    if isinstance(data, QImage):
        data = _encode_png(data)
    try:
        prepared = prepare_image(data, source.detail, name=source.name)
    except ImageError as error:
        raise check_pdf_instead(data, error) from error  # a PDF named like anything else
    return _Result(data, prepared, _thumbnail(prepared))


def _encode_png(image: QImage) -> bytes:
    if image.isNull():
        raise ImageError("The pasted image is empty.")
    return png_bytes(image)


def _thumbnail(prepared: PreparedImage) -> QImage:
    """A HiDPI card picture: cropped to fill, corners rounded (the viewer shows it whole)."""
    size = (THUMB_SIZE[0] * 2, THUMB_SIZE[1] * 2)
    pil = prepared.to_pil()
    pil = ImageOps.fit(pil, size, Image.Resampling.BILINEAR).convert("RGBA")
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), 14, fill=255)
    pil.putalpha(mask)
    data = pil.tobytes()
    thumb = QImage(data, size[0], size[1], size[0] * 4, QImage.Format.Format_RGBA8888)
    return thumb.copy()  # own the pixels: `data` dies with this frame


_POOL: QThreadPool | None = None


def image_pool() -> QThreadPool:
    """A pool one thread short of the cores, so a drop of 20 photos leaves the GUI a core.

    Decoding is mostly C with the GIL released, so fewer threads cost little throughput; on a
    2-core machine one worker was as fast as two and stalled the window far less (bench 11b).
    """
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(max(1, QThread.idealThreadCount() - 1))
    return _POOL


class PendingImagesModel(QAbstractListModel):
    """Pending images in send order. Only the GUI thread touches it."""

    ItemRole = Qt.ItemDataRole.UserRole + 1

    images_changed = Signal()  # rows, order, detail or readiness changed: costs may differ
    image_refused = Signal(str)  # a human message naming the file
    document_found = Signal(str)  # a path given as an image turned out to be a PDF

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[PendingImage] = []
        self._keys = itertools.count(1)
        self._tickets = itertools.count(1)
        self._queued: deque[tuple[PendingImage, int]] = deque()  # not handed to the pool yet
        self._running = 0  # jobs handed to the pool and not back

    # ------------------------------------------------------------------ Qt model interface
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.name
        if role == Qt.ItemDataRole.DecorationRole:
            return item.thumbnail
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return item.describe()
        if role == self.ItemRole:
            return item
        return None

    def moveRows(
        self, src_parent: _Index, row: int, count: int, dst_parent: _Index, dst_child: int
    ) -> bool:
        if src_parent.isValid() or dst_parent.isValid() or count != 1:
            return False
        if not 0 <= row < len(self._items) or not 0 <= dst_child <= len(self._items):
            return False
        if dst_child in (row, row + 1):
            return False
        if not self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), dst_child):
            return False
        item = self._items.pop(row)
        self._items.insert(dst_child - 1 if dst_child > row else dst_child, item)
        self.endMoveRows()
        self.images_changed.emit()
        return True

    # --------------------------------------------------------------------------- editing
    def add(self, sources: Iterable[ImageSource]) -> None:
        """Append placeholders now; each is prepared on the pool and filled in when ready."""
        new = [PendingImage(next(self._keys), s) for s in sources]
        if not new:
            return
        first = len(self._items)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._items.extend(new)
        self.endInsertRows()
        # Start decoding on the next turn of the event loop: the placeholders get built and
        # painted first, while the pool is still idle (bench 11b: the stall was this overlap).
        QTimer.singleShot(0, lambda: self._start_new(new))
        self.images_changed.emit()

    def remove(self, row: int) -> None:
        if not 0 <= row < len(self._items):
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._items[row]
        self.endRemoveRows()
        self.images_changed.emit()

    def move(self, row: int, to_row: int) -> bool:
        """Move the image at ``row`` so that it ends up at ``to_row``."""
        if to_row == row or not 0 <= to_row < len(self._items):
            return False
        return self.moveRow(QModelIndex(), row, QModelIndex(), to_row + (to_row > row))

    def set_detail(self, row: int, detail: Detail | str) -> None:
        """Re-prepare the image at another detail; its cost updates at once (arithmetic)."""
        item = self._items[row]
        detail = Detail.parse(detail)
        if detail == item.detail:
            return
        item.source = ImageSource(item.source.data, item.name, detail)
        self._start(item)
        self._changed(item)

    def clear(self) -> None:
        if not self._items:
            return
        self.beginResetModel()
        self._items.clear()
        self.endResetModel()
        self.images_changed.emit()

    # --------------------------------------------------------------------------- reading
    def item(self, row: int) -> PendingImage:
        return self._items[row]

    def row_of(self, key: int) -> int:
        return next((i for i, it in enumerate(self._items) if it.key == key), -1)

    def items(self) -> list[PendingImage]:
        return list(self._items)

    def sources(self) -> list[ImageSource]:
        return [it.source for it in self._items]

    def images(self) -> list[PreparedImage]:
        """Prepared images in send order; only complete once ``all_ready``."""
        return [it.prepared for it in self._items if it.ready and it.prepared is not None]

    @property
    def preparing(self) -> int:
        return sum(not it.ready for it in self._items)

    @property
    def all_ready(self) -> bool:
        return self.preparing == 0

    @property
    def total_tokens(self) -> int:
        """Exact engine cost of the images whose size is known (all, once ready)."""
        return sum(it.tokens or 0 for it in self._items)

    # -------------------------------------------------------------------------- internals
    def _start_new(self, items: list[PendingImage]) -> None:
        for item in items:
            if item.ticket == 0 and self.row_of(item.key) >= 0:  # not removed nor re-detailed
                self._start(item)

    def _start(self, item: PendingImage) -> None:
        item.ticket = next(self._tickets)
        self._queued.append((item, item.ticket))
        self._hand_to_pool()

    def _hand_to_pool(self) -> None:
        """Give the pool only one job more than it has threads, the next as one comes back.

        Submitting all 20 of a drop at once had the GUI thread build 19 tasks while the first
        one's decoder already held the GIL (profiled: several milliseconds of one pass spent
        waiting in ``run_in_background``); this way each pass hands over at most one."""
        pool = image_pool()
        while self._queued and self._running <= pool.maxThreadCount():
            item, ticket = self._queued.popleft()
            if item.ticket == ticket and self.row_of(item.key) >= 0:  # not re-detailed/removed
                self._submit(item, ticket, pool)

    def _submit(self, item: PendingImage, ticket: int, pool: QThreadPool) -> None:
        source, key = item.source, item.key
        self._running += 1
        run_in_background(
            lambda: prepare_pending(source),
            lambda result: self._on_job_done(key, ticket, result),
            lambda error: self._on_job_failed(key, ticket, error),
            pool=pool,
            guard=self,
        )

    def _live(self, key: int, ticket: int) -> PendingImage | None:
        row = self.row_of(key)
        if row < 0 or self._items[row].ticket != ticket:
            return None  # removed, or its detail changed again since this job started
        return self._items[row]

    def _on_job_done(self, key: int, ticket: int, result: _Result) -> None:
        self._running -= 1
        self._hand_to_pool()
        item = self._live(key, ticket)
        if item is None:
            return
        if not isinstance(item.source.data, Path | bytes):
            item.source = ImageSource(result.data, item.name, item.detail)
        item.prepared = result.prepared
        item.source_size = result.prepared.source_size
        item.thumbnail = result.thumbnail
        self._changed(item)

    def _on_job_failed(self, key: int, ticket: int, error: Exception) -> None:
        self._running -= 1
        self._hand_to_pool()
        item = self._live(key, ticket)
        if item is None:
            return
        if isinstance(error, PdfNotImage):
            self.remove(self.row_of(key))
            self.document_found.emit(str(error.path))
            return
        if isinstance(error, ImageError):
            message = str(error)
        else:  # a bug, not bad input: still name the file rather than lose it silently
            message = f"'{item.name}' could not be prepared ({type(error).__name__}: {error})."
        self.remove(self.row_of(key))
        self.image_refused.emit(message)

    def _changed(self, item: PendingImage) -> None:
        index = self.index(self.row_of(item.key))
        self.dataChanged.emit(index, index)
        self.images_changed.emit()
