"""The transcript widget: a list view whose delegate paints each message as rich text.

A ``QListView`` + delegate instead of a ``QTextBrowser`` or one widget per message: only
visible rows are painted, a streamed token repaints one row, and 2,000 messages cost a list
of cached heights, not 2,000 widgets. Layout, measuring and painting live in
``transcript_delegate``; this view keeps scrolling, the streaming refresh and the caret, and
mixes in ``message_action_input`` (the actions, their buttons, keyboard and context menu).
Links open only on click and only for http(s); ``pixtral-page:`` links (page citations in a
document chat) become ``page_citation_activated`` and never leave the app.
"""

from __future__ import annotations

import time

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    QTimer,
    QVariantAnimation,
    Signal,
)
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QListView

from app.core.conversation import MessageStatus
from app.ui.theme.tokens import CARET, FOLLOW_SCROLL, MESSAGE_ACTION
from app.ui.transcript.message_action_input import MessageActionInput
from app.ui.transcript.prompt_view import PromptView
from app.ui.transcript.transcript_delegate import TranscriptDelegate
from app.ui.transcript.transcript_model import TranscriptModel

REFRESH_MS, REFRESH_MAX_MS = 33, 150  # a streaming row repaints at most ~30 times a second
MAX_RENDER_PASSES = 3  # text arriving during each: the layout pass renders the newest itself


class ChatView(MessageActionInput, QListView):
    """The transcript. Signals name what the user asked for; the window acts on them."""

    message_copied = Signal(int)  # row; the text is already on the clipboard
    code_copied = Signal(int, int)  # row, code block index
    image_activated = Signal(int, int)  # row, image index: show it large
    regenerate_requested = Signal(int)
    edit_requested = Signal(int)
    delete_requested = Signal(int)
    retry_requested = Signal(int)
    continue_requested = Signal(int)  # row: write on from an answer cut at the answer limit
    branch_requested = Signal(int, int)  # row, -1 for ‹ or +1 for ›
    page_citation_activated = Signal(int, list)  # row, list[int] of the pages cited: show one

    def __init__(
        self, model: TranscriptModel | None = None, pool: QThreadPool | None = None, parent=None
    ) -> None:
        super().__init__(parent)
        self._stick_to_bottom = True
        self.prompt_view: PromptView | None = None  # the last "Show prompt" opened
        self._adjusting = False
        self.row_width = 200  # the viewport's width, kept here: sizeHint asks for every row
        self._dirty: list[QPersistentModelIndex] = []
        self._refresh = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._refresh.timeout.connect(self._on_refresh_timeout)
        self._rendered_ahead = 0.0  # ms spent rendering in the passes before this refresh's layout
        self._render_passes = 0  # render passes in a row before this refresh's layout
        self._hover: tuple[int, str] = (-1, "")  # row under the mouse, and its button
        self._picked = ""  # the current row's button Left/Right picked (Enter runs it)
        self.caret_on = True
        self._repaint_later = QTimer(self, singleShot=True, interval=0)
        self._repaint_later.timeout.connect(self._on_repaint_later_timeout)
        self._caret = QTimer(self, interval=CARET["blink_ms"])
        self._caret.timeout.connect(self._on_caret_timeout)
        self._fade = QVariantAnimation(self, startValue=0.0, endValue=1.0)
        self._fade.setDuration(MESSAGE_ACTION["fade_ms"])
        self._fade.valueChanged.connect(self._on_fade_value_changed)
        self._leaving = -1  # the row the pointer left: its buttons fade out
        self._fade_out = QVariantAnimation(self, startValue=1.0, endValue=0.0)
        self._fade_out.setDuration(MESSAGE_ACTION["fade_ms"])
        self._fade_out.valueChanged.connect(self._on_fade_out_value_changed)
        self._fade_out.finished.connect(self._on_fade_out_finished)
        # The glide to the bottom while streaming: a few steps on a timer of its own, not an
        # animation at the display's rate (each step repaints the viewport: ~4 ms measured).
        self._follow = QTimer(self, interval=FOLLOW_SCROLL["step_ms"])
        self._follow.timeout.connect(self._on_follow_timeout)
        self._glide = (0, 0, 0.0)  # from, to, when it started (perf_counter seconds)
        self._followed = 0  # the scroll value the glide set last
        self.setAccessibleName("Conversation transcript")
        self.setAccessibleDescription(
            "Messages of this conversation. Ctrl+C copies the selected one, Delete deletes it; "
            "Left and Right pick one of its actions and Enter runs it; the context menu key "
            "lists every action."
        )
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)  # no width flip-flop
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.verticalScrollBar().setSingleStep(24)
        self.delegate = TranscriptDelegate(self, pool)
        self.setItemDelegate(self.delegate)
        self.delegate.anchor_clicked.connect(self._on_delegate_anchor_clicked)
        self.delegate.image_clicked.connect(self.image_activated)
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrollbar_value_changed)
        bar.rangeChanged.connect(self._on_scrollbar_range_changed)
        bar.setEnabled(False)  # nothing to scroll yet
        if model is not None:
            self.setModel(model)

    def rowsInserted(self, parent: QModelIndex, start: int, end: int) -> None:
        self.delegate.rows_inserted(start, end - start + 1)  # older rows of a chat opening
        super().rowsInserted(parent, start, end)

    def setModel(self, model: TranscriptModel) -> None:
        super().setModel(model)
        model.set_theme(self.delegate.theme)
        model.modelReset.connect(self._on_model_model_reset)

    # --- layout and scrolling -------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.delegate.frame_painted()  # the measurer lets due timers run before its next pass

    def resizeEvent(self, event) -> None:
        self.row_width = max(200, self.viewport().width())
        super().resizeEvent(event)

    def doItemsLayout(self) -> None:
        """Re-pin to the bottom after every layout while following the stream."""
        self._adjusting = True
        try:
            super().doItemsLayout()
            delegate = self.itemDelegate()  # None while __init__ sets the view up
            if isinstance(delegate, TranscriptDelegate):
                delegate.laid_out()
            if self._stick_to_bottom:
                self._follow_bottom()
        finally:
            self._adjusting = False

    def relayout_then_repaint(self) -> None:
        """Relay out every row now, repaint in a later round of events (the measurer's
        relayouts while a long chat opens).

        A relayout posts a repaint of the whole viewport, which Qt runs straight after it,
        before any due timer: 2,000 rows' sizes (5-11 ms) plus the repaint (5-10 ms) were the
        worst ticks left while a chat opened (traced). With the viewport's updates off during
        the relayout and back on a round later, due timers run between the two."""
        viewport = self.viewport()
        viewport.setUpdatesEnabled(False)
        try:
            self.doItemsLayout()
        finally:
            self._repaint_later.start()

    def _on_repaint_later_timeout(self) -> None:
        self.viewport().setUpdatesEnabled(True)  # repaints the viewport

    def _on_scrollbar_value_changed(self, value: int) -> None:
        if self._adjusting:
            return
        if self._follow.isActive() and value >= self._followed:
            return  # moved towards the bottom while gliding there: keep following
        self._follow.stop()  # the user scrolled up: never fight them
        self._stick_to_bottom = value >= self.verticalScrollBar().maximum() - 8

    def _on_scrollbar_range_changed(self, low: int, high: int) -> None:
        # The bar is always there (no width flip-flop) but shows a handle only when there
        # is something to scroll (the theme draws a disabled bar's handle blank).
        self.verticalScrollBar().setEnabled(high > low)
        if self._stick_to_bottom:
            self._follow_bottom()

    def _follow_bottom(self) -> None:
        """Keep the bottom in view: glide there while an answer streams (a jump per new line
        reads as a jerk), jump at once otherwise (a chat opened, a message added)."""
        bar = self.verticalScrollBar()
        target = bar.maximum()
        if self.streaming_row() < 0 or not self.isVisible() or bar.value() >= target:
            self._follow.stop()
            self._set_scroll(target)
        elif not self._follow.isActive() or self._glide[1] != target:
            self._glide = (bar.value(), target, time.perf_counter())
            if not self._follow.isActive():
                self._follow.start()

    def following(self) -> bool:
        """Whether the view is gliding to the bottom now."""
        return self._follow.isActive()

    def _on_follow_timeout(self) -> None:
        """One step of the glide, eased out (fast, then settling): a scroll value set."""
        start, target, began = self._glide
        done = min(1.0, (time.perf_counter() - began) * 1000 / FOLLOW_SCROLL["ms"])
        self._followed = round(start + (target - start) * (1 - (1 - done) ** 3))
        self._set_scroll(self._followed)
        if done >= 1.0:
            self._follow.stop()

    def _set_scroll(self, value: int) -> None:
        adjusting, self._adjusting = self._adjusting, True
        try:
            self.verticalScrollBar().setValue(value)
        finally:
            self._adjusting = adjusting

    def _on_model_model_reset(self) -> None:
        self._stick_to_bottom = True
        self._follow.stop()
        self._fade_out.stop()
        self._leaving = -1
        self._hover, self._picked = (-1, ""), ""
        self.delegate.forget_all()
        self._blink_while_streaming()

    def dataChanged(self, top: QModelIndex, bottom: QModelIndex, roles=()) -> None:
        """Re-measure changed rows; a streaming row at most every ``_refresh`` interval.

        Tokens arrive every ~16 ms; re-laying out and repainting the row each time would
        keep the GUI thread busy most of the time, so chunks are coalesced, and the interval
        grows with what one refresh costs."""
        model = self.model()
        if top.row() == bottom.row() and model.item(top.row()).status == MessageStatus.STREAMING:
            self._dirty.append(QPersistentModelIndex(top))
            if not self._refresh.isActive():
                self._refresh.start()
            self._blink_while_streaming()
            return
        super().dataChanged(top, bottom, roles)
        if bottom.row() - top.row() > 8:  # theme switch: everything, lazily
            self.delegate.restyle()
            self.scheduleDelayedItemsLayout()
            return
        for row in range(top.row(), bottom.row() + 1):
            if self.delegate.remeasure(model.index(row, 0)):
                self.scheduleDelayedItemsLayout()

    def _on_refresh_timeout(self) -> None:
        """Render the changed rows' Markdown in one pass, lay them out and paint in the next:
        the three together overran a 60 Hz frame on a long answer (profiled: 3–6 + 2–8 +
        3–7 ms on the 2-core machine)."""
        started = time.perf_counter()
        model = self.model()
        if self._render_passes < MAX_RENDER_PASSES:
            # Text that came in after the render pass would be rendered again inside the
            # layout (profiled: 5 + 10 ms); so render again, in a pass of its own.
            fresh = [p for p in self._dirty if p.isValid() and not model.is_rendered(p.row())]
            for persistent in fresh:
                model.rendered(persistent.row())
            if fresh:
                self._rendered_ahead += (time.perf_counter() - started) * 1000
                self._render_passes += 1
                self._refresh.start(1)  # a timer due meanwhile (input, paint) runs first
                return
        self._render_passes = 0
        dirty, self._dirty = self._dirty, []
        rows = sorted({p.row() for p in dirty if p.isValid()})  # one entry per chunk: once each
        indexes = [model.index(row, 0) for row in rows]
        if [index for index in indexes if self.delegate.remeasure(index)]:
            # The relayout of every row runs in the next pass, not here: ``update(index)``
            # asks for the row's rectangle, which runs a pending layout at once, and the
            # segment's layout plus that relayout overran a frame (profiled: up to 15 ms).
            # The relayout repaints the viewport, the rows updated here included.
            self.scheduleDelayedItemsLayout()
        else:
            for index in indexes:
                self.update(index)
        cost_ms = (time.perf_counter() - started) * 1000 + self._rendered_ahead
        self._rendered_ahead = 0.0
        self._refresh.setInterval(int(min(REFRESH_MAX_MS, max(REFRESH_MS, 4 * cost_ms))))
        self.caret_on = True  # steady while text arrives; it blinks only while waiting
        if self._caret.isActive():
            self._caret.start()

    def animating(self) -> bool:
        """Frames are being drawn for the user now: an answer streams in, the rows of a chat
        just opened are being laid out, or the view glides to the bottom (the collector
        keeps its full collection for a still moment)."""
        return self.streaming_row() >= 0 or self._follow.isActive() or self.delegate.measuring()

    # --- the streaming caret --------------------------------------------------------------

    def streaming_row(self) -> int:
        """The row being written (always the last one), or -1."""
        model = self.model()
        last = model.rowCount() - 1 if model is not None else -1
        return last if last >= 0 and model.item(last).status == MessageStatus.STREAMING else -1

    def _blink_while_streaming(self) -> None:
        if self.streaming_row() >= 0 and not self._caret.isActive():
            self.caret_on = True
            self._caret.start()

    def _on_caret_timeout(self) -> None:
        """Show or hide the caret: repaints its few pixels of one row, twice a second."""
        row = self.streaming_row()
        if row < 0:
            self._caret.stop()
            self.caret_on = True
            return
        self.caret_on = not self.caret_on
        index = self.model().index(row, 0)
        rect = self.delegate.caret_rect(index, self.visualRect(index))
        if rect is not None:
            self.viewport().update(rect)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self.delegate.restyle()
            if self.model() is not None:
                self.model().set_theme(self.delegate.theme)
            self.scheduleDelayedItemsLayout()
        super().changeEvent(event)
