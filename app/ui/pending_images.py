"""Images waiting to be sent: a list model, and the strip of cards that shows it.

The model keeps each image's original source (a path or encoded bytes) so its detail level can
change until it is sent. Decoding, resizing and thumbnailing run on the pool through
``run_in_background``; the GUI thread only swaps in finished results. Every job carries a
ticket, so a result that lands after its image was removed or re-detailed is dropped.

The strip uses real widgets per image, not a painted delegate: the detail selector and the
remove button must be reachable by Tab and named for screen readers (issue 4, req. 2 and 6).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps
from PySide6.QtCore import (
    QAbstractListModel,
    QBuffer,
    QIODevice,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QStringListModel,
    Qt,
    QThread,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QDrag,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ImageError
from app.core.images import Detail, PreparedImage, patch_grid, prepare_image
from app.ui.bridge import run_in_background
from app.ui.image_viewer import ImageViewerDialog

THUMB_SIZE = (136, 96)
"""Logical pixels of a card's picture; thumbnails are made at twice that for HiDPI screens."""

CARD_MIME = "application/x-pixtral-desk-pending-image"
"""Drag payload when a card is dragged to another place in the strip: the image's key."""

ImageData = Path | bytes | QImage
"""A QImage only arrives from an in-process clipboard or drag; it is encoded off the GUI thread."""

_Index = QModelIndex | QPersistentModelIndex
DETAILS = list(Detail)
CARDS_PER_TURN = 4
"""Cards built per event-loop turn: a drop of 20+ files must not freeze the window (bench 11b)."""


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
    prepared = prepare_image(data, source.detail, name=source.name)
    return _Result(data, prepared, _thumbnail(prepared))


def _encode_png(image: QImage) -> bytes:
    if image.isNull():
        raise ImageError("The pasted image is empty.")
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG", 80)  # quality 80 = light zlib compression: fast, still lossless
    return bytes(buffer.data().data())


def _thumbnail(prepared: PreparedImage) -> QImage:
    """A HiDPI card picture: cropped to fill, corners rounded (the viewer shows it whole)."""
    size = (THUMB_SIZE[0] * 2, THUMB_SIZE[1] * 2)
    pil = Image.frombytes("RGB", prepared.size, prepared.rgb)
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

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[PendingImage] = []
        self._keys = itertools.count(1)
        self._tickets = itertools.count(1)

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
        ticket = item.ticket = next(self._tickets)
        source = item.source
        run_in_background(
            lambda: prepare_pending(source),
            lambda result: self._on_job_done(item.key, ticket, result),
            lambda error: self._on_job_failed(item.key, ticket, error),
            pool=image_pool(),
            guard=self,
        )

    def _live(self, key: int, ticket: int) -> PendingImage | None:
        row = self.row_of(key)
        if row < 0 or self._items[row].ticket != ticket:
            return None  # removed, or its detail changed again since this job started
        return self._items[row]

    def _on_job_done(self, key: int, ticket: int, result: _Result) -> None:
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
        item = self._live(key, ticket)
        if item is None:
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


_STYLE = """
#pendingBody, #pendingStrip { background: transparent; }
#pendingCard { background: palette(base); border: 1px solid palette(mid); border-radius: 10px; }
#pendingCard:focus { border: 2px solid palette(highlight); }
#pendingPicture { background: palette(alternate-base); border-radius: 7px; font-size: 18px; }
#pendingRemove { background: rgba(0, 0, 0, 150); color: white; border: none;
    border-radius: 11px; font-weight: bold; }
#pendingRemove:hover, #pendingRemove:focus { background: rgba(220, 38, 38, 230); }
#pendingCost { font-size: 11px; }
"""


class _ImageCard(QFrame):
    """One pending image: picture, name, cost, detail selector and a remove button."""

    def __init__(self, strip: PendingImagesStrip, key: int) -> None:
        super().__init__(strip.widget())
        self._strip = strip
        self.key = key
        self._press: QPoint | None = None
        self.setObjectName("pendingCard")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.picture = QLabel(self)
        self.picture.setObjectName("pendingPicture")
        self.picture.setFixedSize(*THUMB_SIZE)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name_label = QLabel(self)
        self.name_label.setObjectName("pendingName")
        self.cost_label = QLabel(self)
        self.cost_label.setObjectName("pendingCost")
        self.detail_box = QComboBox(self)
        self.detail_box.setModel(strip.detail_choices)  # shared: 4 addItem calls cost ~0.5 ms
        self.detail_box.activated.connect(self._on_detail_box_activated)
        self.remove_button = QToolButton(self)
        self.remove_button.setObjectName("pendingRemove")
        self.remove_button.setText("×")
        self.remove_button.setFixedSize(22, 22)
        self.remove_button.clicked.connect(lambda: strip.remove_key(key))
        self.setFixedWidth(THUMB_SIZE[0] + 12)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.picture)
        layout.addWidget(self.name_label)
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(self.cost_label, 1)
        row.addWidget(self.detail_box)
        layout.addLayout(row)
        # Over the picture's top-right corner; placed once (the card has a fixed size) rather
        # than in a resizeEvent, which would call into Python on every layout pass.
        self.remove_button.move(6 + THUMB_SIZE[0] - self.remove_button.width() - 4, 6 + 4)
        self.remove_button.raise_()
        for text, shortcut, slot in (
            ("Open large", "Return", lambda: strip.open_key(key)),
            ("Move left", "Alt+Left", lambda: strip.move_key(key, -1)),
            ("Move right", "Alt+Right", lambda: strip.move_key(key, +1)),
            ("Remove", "Delete", lambda: strip.remove_key(key)),
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    def refresh(self, item: PendingImage) -> None:
        """Show what the model knows now: placeholder until the first preparation lands."""
        if item.thumbnail is not None:
            pixmap = QPixmap.fromImage(item.thumbnail)
            pixmap.setDevicePixelRatio(2.0)
            self.picture.setPixmap(pixmap)
        metrics = self.name_label.fontMetrics()
        self.name_label.setText(
            metrics.elidedText(item.name, Qt.TextElideMode.ElideMiddle, THUMB_SIZE[0])
        )
        self.cost_label.setText("… tok" if item.tokens is None else f"{item.tokens:,} tok")
        self.detail_box.setCurrentIndex(DETAILS.index(item.detail))
        summary = item.describe()
        for widget in (self, self.picture):
            widget.setToolTip(f"{summary}\nEnter or click: open large · Delete: remove")
        self.setAccessibleName(f"Pending image {item.name}")
        self.setAccessibleDescription(summary)
        self.detail_box.setAccessibleName(f"Detail of {item.name}")
        self.detail_box.setToolTip(
            "How many pixels the model sees; lower detail costs fewer tokens"
        )
        self.remove_button.setAccessibleName(f"Remove {item.name}")
        self.remove_button.setToolTip(f"Remove {item.name} (Delete)")

    def set_waiting(self, dots: str) -> None:
        self.picture.setText(dots)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self._strip.open_key(self.key)
        elif event.key() == Qt.Key.Key_Backspace:
            self._strip.remove_key(self.key)
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._press = event.position().toPoint()
        self.setFocus(Qt.FocusReason.MouseFocusReason)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._press is not None and self.picture.geometry().contains(self._press):
            self._strip.open_key(self.key)
        self._press = None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None:
            return
        moved = (event.position().toPoint() - self._press).manhattanLength()
        if moved < QApplication.startDragDistance():
            return
        self._press = None
        mime = QMimeData()
        mime.setData(CARD_MIME, str(self.key).encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.setPixmap(self.grab().scaledToWidth(self.width() // 2))
        drag.exec(Qt.DropAction.MoveAction)

    def _on_detail_box_activated(self, index: int) -> None:
        self._strip.set_detail_key(self.key, DETAILS[index])


class PendingImagesStrip(QScrollArea):
    """A horizontal row of cards mirroring a ``PendingImagesModel``; hidden when empty."""

    def __init__(self, model: PendingImagesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._cards: dict[int, _ImageCard] = {}
        self._sync_queued = False
        self._card_height = 0
        self.detail_choices = QStringListModel([d.value.capitalize() for d in Detail], self)
        self._dots = itertools.cycle(["·", "··", "···"])
        self._spinner = QTimer(self, interval=300)
        self._spinner.timeout.connect(self._on_spinner_timeout)
        self.setObjectName("pendingStrip")
        self.setAccessibleName("Images to send")
        self.setToolTip("Images to send: drag to reorder, Alt+Left/Right to move, Delete to remove")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAcceptDrops(True)
        self.setStyleSheet(_STYLE)
        body = QWidget(self)
        body.setObjectName("pendingBody")
        self._row = QHBoxLayout(body)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(8)
        self._row.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._row.addStretch(1)
        self.setWidget(body)
        for signal in (model.rowsInserted, model.rowsRemoved, model.rowsMoved, model.modelReset):
            signal.connect(self._sync)
        model.dataChanged.connect(self._on_model_data_changed)
        self.viewer: ImageViewerDialog | None = None
        # Files and image data dropped on the strip are the composer's business: it sets these.
        self.accepts_drop: Callable[[QMimeData], bool] | None = None
        self.drop: Callable[[QMimeData], bool] | None = None
        self._sync()

    def card(self, row: int) -> _ImageCard:
        return self._cards[self.model.item(row).key]

    # ------------------------------------------------------------ actions from the cards
    def remove_key(self, key: int) -> None:
        row = self.model.row_of(key)
        had_focus = (
            self._cards[key].isAncestorOf(QApplication.focusWidget()) or self._cards[key].hasFocus()
        )
        self.model.remove(row)
        if had_focus and self.model.rowCount():
            self.card(min(row, self.model.rowCount() - 1)).setFocus()

    def move_key(self, key: int, step: int) -> None:
        row = self.model.row_of(key)
        if self.model.move(row, row + step):
            self._cards[key].setFocus()
            self.ensureWidgetVisible(self._cards[key])

    def set_detail_key(self, key: int, detail: str) -> None:
        self.model.set_detail(self.model.row_of(key), detail)

    def open_key(self, key: int) -> None:
        item = self.model.item(self.model.row_of(key))
        if item.prepared is None:
            return  # still a placeholder: nothing to show yet
        self.viewer = ImageViewerDialog(item.prepared, self.window())
        self.viewer.open()

    # ------------------------------------------------------------------- reorder by drag
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasFormat(CARD_MIME) or (self.accepts_drop is not None and self.accepts_drop(mime)):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        if mime.hasFormat(CARD_MIME):
            key = int(bytes(mime.data(CARD_MIME).data()).decode())
            self.drop_key_at(key, self.widget().mapFrom(self, event.position().toPoint()).x())
            event.acceptProposedAction()
        elif self.drop is not None and self.drop(mime):
            event.acceptProposedAction()

    def drop_key_at(self, key: int, x: int) -> None:
        """Move the card ``key`` to where ``x`` (in the row's coordinates) falls."""
        row = self.model.row_of(key)
        centres = [self.card(r).geometry().center().x() for r in range(self.model.rowCount())]
        target = sum(c < x for c in centres)
        self.model.move(row, target - 1 if target > row else target)

    # ---------------------------------------------------------------------- model sync
    def _sync(self) -> None:
        """Mirror the model: drop stale cards, build a few new ones, put all in model order.

        New cards are built ``CARDS_PER_TURN`` at a time, the rest on the next turn of the
        event loop, so the window keeps painting while a large drop comes in.
        """
        self._sync_queued = False
        items = self.model.items()
        live = {it.key for it in items}
        for key in [k for k in self._cards if k not in live]:
            self._cards.pop(key).deleteLater()
        built, position = 0, 0
        for item in items:
            card = self._cards.get(item.key)
            if card is None:
                if built == CARDS_PER_TURN:
                    continue
                card = self._cards[item.key] = _ImageCard(self, item.key)
                card.refresh(item)
                built += 1
            if self._row.indexOf(card) != position:
                self._row.insertWidget(position, card)
            position += 1
        if len(self._cards) < len(items) and not self._sync_queued:
            self._sync_queued = True
            QTimer.singleShot(0, self._sync)
        if self._cards and not self._card_height:
            # One row of cards plus the horizontal scroll bar when it appears; fixed once here
            # instead of a sizeHint override that layouts would call into Python for.
            self._card_height = next(iter(self._cards.values())).sizeHint().height()
            extent = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
            self.setFixedHeight(self._card_height + extent + 2)
        self._update_tab_order(items)
        self.setVisible(bool(items))
        self._update_spinner()

    def _update_tab_order(self, items: list[PendingImage]) -> None:
        cards = [self._cards[it.key] for it in items if it.key in self._cards]
        chain = [w for card in cards for w in self._chain(card)]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    @staticmethod
    def _chain(card: _ImageCard) -> tuple[QWidget, ...]:
        return (card, card.detail_box, card.remove_button)

    def _on_model_data_changed(self, top: QModelIndex, bottom: QModelIndex) -> None:
        for row in range(top.row(), bottom.row() + 1):
            item = self.model.item(row)
            if item.key in self._cards:  # else not built yet: it will be built up to date
                self._cards[item.key].refresh(item)
        self._update_spinner()

    def _update_spinner(self) -> None:
        if self.model.preparing and not self._spinner.isActive():
            self._spinner.start()
            self._on_spinner_timeout()
        elif not self.model.preparing:
            self._spinner.stop()

    def _on_spinner_timeout(self) -> None:
        dots = next(self._dots)
        for item in self.model.items():
            if item.thumbnail is None and item.key in self._cards:
                self._cards[item.key].set_waiting(dots)
