"""The strip of cards that shows the images waiting to be sent, one card per image.

The strip uses real widgets per image, not a painted delegate: the detail selector and the
remove button must be reachable by Tab and named for screen readers.
It mirrors a ``PendingImagesModel`` (see ``pending_images``) and never prepares images itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from PySide6.QtCore import (
    QMimeData,
    QModelIndex,
    QPoint,
    QStringListModel,
    Qt,
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
    QResizeEvent,
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

from app.core.images import Detail
from app.ui.common.image_viewer import ImageViewerDialog
from app.ui.composer.pending_images import THUMB_SIZE, PendingImage, PendingImagesModel
from app.ui.theme.icons import set_icon
from app.ui.theme.tokens import ICON_BUTTON, SPACING

CARD_MIME = "application/x-pixtral-desk-pending-image"
"""Drag payload when a card is dragged to another place in the strip: the image's key."""

DETAILS = list(Detail)
CARDS_PER_TURN = 2
"""Cards built per event-loop turn: a drop of 20+ files must not freeze the window (bench 11b;
a card costs ~1.5–2.5 ms to build, profiled, and a turn must stay under a 60 Hz frame)."""


class _ImageCard(QFrame):
    """One pending image: picture, name, cost, detail selector and a remove button."""

    def __init__(self, strip: PendingImagesStrip, key: int) -> None:
        super().__init__(strip.widget())
        self._strip = strip
        self.key = key
        self._press: QPoint | None = None
        self._shown: QImage | None = None  # the thumbnail on the picture now
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
        self.detail_box.setObjectName("pendingDetail")
        self.detail_box.setModel(strip.detail_choices)  # shared: 4 addItem calls cost ~0.5 ms
        # A row of its own, the card's full width: "Native" is never clipped, in any style.
        self.detail_box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.detail_box.activated.connect(self._on_detail_box_activated)
        self.remove_button = QToolButton(self)
        self.remove_button.setObjectName("pendingRemove")
        set_icon(self.remove_button, "close", "on_danger")  # white on a dark plate, any scheme
        side = ICON_BUTTON["sm"]
        self.remove_button.setFixedSize(side, side)
        self.remove_button.clicked.connect(lambda: strip.remove_key(key))
        pad, gap = SPACING["sm"] - SPACING["xxs"], SPACING["xs"]
        border = SPACING["xxs"] // 2  # the stylesheet's 1-px card border, each side
        self.setFixedWidth(THUMB_SIZE[0] + 2 * (pad + border))
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(pad, pad, pad, pad)
        layout.setSpacing(gap)
        layout.addWidget(self.picture)
        row = QHBoxLayout()  # the name (elided to what the cost leaves) and the cost
        row.setSpacing(gap)
        row.addWidget(self.name_label, 1)
        row.addWidget(self.cost_label)
        layout.addLayout(row)
        layout.addWidget(self.detail_box)
        # Over the picture's top-right corner; placed once (the card has a fixed size) rather
        # than in a resizeEvent, which would call into Python on every layout pass.
        inset = pad + border + gap
        self.remove_button.move(THUMB_SIZE[0] + 2 * (pad + border) - side - inset, inset)
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
        if item.thumbnail is not None and item.thumbnail is not self._shown:  # ~0.35 ms each
            self._shown = item.thumbnail
            pixmap = QPixmap.fromImage(item.thumbnail)
            pixmap.setDevicePixelRatio(2.0)
            self.picture.setPixmap(pixmap)
        cost = "… tok" if item.tokens is None else f"{item.tokens:,} tok"
        self.cost_label.setText(cost)
        metrics = self.name_label.fontMetrics()
        room = THUMB_SIZE[0] - self.cost_label.sizeHint().width() - SPACING["xs"]
        self.name_label.setText(metrics.elidedText(item.name, Qt.TextElideMode.ElideMiddle, room))
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
        self._shown = None
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

    synced = Signal()  # the cards match the model (so far): the composer re-links Tab
    ROW_SLACK = SPACING["xxs"]
    """Pixels below a row of cards, so a card's focus border is never cut."""

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
        self.setAcceptDrops(True)  # its look comes from the app stylesheet (#pendingCard…)
        body = QWidget(self)
        body.setObjectName("pendingBody")
        self._row = QHBoxLayout(body)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(SPACING["sm"])
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
            self._card_height = next(iter(self._cards.values())).sizeHint().height()
        self._fit_height()
        self._update_tab_order(items)
        self.setVisible(bool(items))
        self._update_spinner()
        self.synced.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """One row of cards, plus the scroll bar's room only while they overflow.

        A fixed height set here (on a sync or a resize of the strip) rather than a sizeHint
        override that layouts would call into Python for; cards have a fixed width, so the
        overflow is arithmetic, not a layout pass.
        """
        if not self._card_height:
            return
        count, step = self.model.rowCount(), self._row.spacing()
        card = next(iter(self._cards.values())).width() if self._cards else 0
        overflow = count * (card + step) - step > self.width()
        extent = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        height = self._card_height + (extent if overflow else 0) + self.ROW_SLACK
        if height != self.height():
            self.setFixedHeight(height)

    def focus_chain(self, items: list[PendingImage] | None = None) -> list[QWidget]:
        """The cards' widgets in the order Tab visits them: each card, its detail, its ×."""
        items = self.model.items() if items is None else items
        cards = [self._cards[it.key] for it in items if it.key in self._cards]
        return [w for card in cards for w in (card, card.detail_box, card.remove_button)]

    def _update_tab_order(self, items: list[PendingImage]) -> None:
        for first, second in itertools.pairwise(self.focus_chain(items)):
            QWidget.setTabOrder(first, second)

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
