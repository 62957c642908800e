"""When the transcript's rows are measured: a small time budget per event-loop pass.

Split from ``transcript_delegate`` along the *when* seam: the delegate keeps its caches, the
painting and hit-testing; this mixin decides when a row is rendered and laid out. Heights are
measured lazily, so a long conversation opens at once: ``sizeHint`` measures exactly while a
small per-pass time budget lasts, answers an estimate after that, and an idle timer measures
the rest a few milliseconds at a time, visible rows first; a row about to be painted is built
a bounded step per frame. A mixin, not a helper object, so each override and each attribute
stays on the delegate itself and nothing runs at another time than before.
``TranscriptDelegate.__init__`` creates the state it uses (``_pending``, ``_painted``,
``_spent``, ``_unlaid``, ``_urgent``, ``_last_relayout``, ``_laid_out``, ``_frame_at``,
``_yielded_to``, ``_measurer``, ``_budget``; ``restyle`` the ``_estimates`` and ``_metrics``).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QModelIndex, QSize
from PySide6.QtWidgets import QStyleOptionViewItem

from app.core.conversation import MessageStatus
from app.ui.transcript.transcript_layout import GAP, MARGIN, PAD, THUMB_H, RowLayout
from app.ui.transcript.transcript_model import TranscriptModel

MEASURE_BUDGET_S = 0.003  # per event-loop pass, so no pass stalls for long (target < 16 ms)
PAINT_BUDGET_S = 0.004  # rows built while painting one frame; the rest come a pass later
EAGER_ROWS = 30  # the newest rows are measured at once, while the budget lasts


class LazyRowMeasuring:
    """Mixed into ``TranscriptDelegate`` (before ``QStyledItemDelegate``): its row sizes and
    the budgeted, lazy measuring behind them."""

    # --- sizes ----------------------------------------------------------------------------

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        # Asked for every row on every relayout (2,000 rows: ~7 ms): as few calls into Qt as
        # can be, the rows already waiting for the measurer cost a set lookup.
        width = self._view.row_width
        model = self._view.model()
        row = index.row()
        key, revision = model.cache_key(row)
        known = self._heights.get(key)
        if known is not None and known[0] == revision and known[1] == width:
            return QSize(width, known[2])
        if (
            known is not None
            and known[1] == width
            and model.item(row).status is MessageStatus.STREAMING
        ):
            # The text grew since: the refresh (``ChatView``) renders and lays the row out in
            # passes of its own and relays out if its height changed. Done here, a relayout
            # or the glide to the bottom rendered the tail and laid it out in one go (profiled:
            # 4-6 + 5-7 ms, on top of the relayout itself).
            return QSize(width, known[2])
        if row not in self._pending:
            newest = row >= model.rowCount() - EAGER_ROWS  # on screen when opened
            # Rendering waits for a pass of its own (paint or the measurer): a relayout asks
            # every row, and one answer's rendering can take longer than a frame.
            streaming = model.item(row).status is MessageStatus.STREAMING  # renders its tail
            if newest and self._spent < MEASURE_BUDGET_S and (streaming or model.is_rendered(row)):
                return QSize(width, self.layout_for(index, width).height)
            if not streaming:  # a streaming row is the refresh's own
                self._pending.add(row)
                if not self._measurer.isActive():
                    self._measurer.start()
        if known is not None and known[1] == width:
            return QSize(width, known[2])  # an earlier revision's height: closer than a guess
        guess = self._estimates.get(key)
        if guess is None or guess[0] != revision or guess[1] != width:
            guess = self._estimates[key] = (revision, width, self._estimate(model, index, width))
        return QSize(width, guess[2])

    def _estimate(self, model: TranscriptModel, index: QModelIndex, width: int) -> int:
        item = model.item(index.row())
        char_w, line_h = self._metrics
        per_line = max(20, (width - 2 * MARGIN) // char_w)
        lines = item.text.count("\n") + len(item.text) // per_line + 1
        thumbs = (THUMB_H + GAP) * ((len(item.images) + 3) // 4)
        return lines * line_h + thumbs + 2 * PAD + 3 * line_h

    def new_pass(self) -> None:
        """A new event-loop pass may spend its measuring budget again."""
        self._spent = 0.0

    def _screen_built(self) -> bool:
        """Every row on screen is laid out, so its height is exact."""
        view, model = self._view, self._view.model()
        area = view.viewport().rect()
        top, bottom = view.indexAt(area.topLeft()), view.indexAt(area.bottomLeft())
        first = top.row() if top.isValid() else 0
        last = bottom.row() if bottom.isValid() else model.rowCount() - 1
        return all(self.cached_layout(model.index(r, 0)) for r in range(first, last + 1))

    def rows_inserted(self, first: int, count: int) -> None:
        """Rows came in at ``first``: the rows waiting to be measured moved down."""

        def moved(rows: set[int]) -> set[int]:
            return {r + count if r >= first else r for r in rows}

        self._pending, self._painted = moved(self._pending), moved(self._painted)

    def laid_out(self) -> None:
        """The view laid out every row (milliseconds for thousands): the measurer leaves
        this pass to it."""
        self._laid_out = True

    def _build_step(self, model: TranscriptModel, row: int) -> bool:
        """Lay out one more segment of a row of several (each ~1–4 ms; a whole answer with
        code can take 15 ms). True when only the last is left, which ``layout_for`` adds."""
        key, revision = model.cache_key(row)
        segments = model.rendered(row).segments
        old = self._partial.get(key) or self._layouts.get(key)
        done = 0  # leading segments whose documents ``old`` has at this width
        if old is not None and old.width == self.row_width():
            for before, now in zip(old.segments, segments, strict=False):
                if before != now:
                    break
                done += 1
        if len(segments) - done <= 1:
            return True
        started = time.perf_counter()
        self._partial[key] = self._row_builder.build(
            model.item(row), segments[: done + 1], revision, self.row_width(), old
        )
        self._spent += time.perf_counter() - started
        if not self._budget.isActive():
            self._budget.start()
        return False

    def _paint_step(self, index: QModelIndex) -> RowLayout | None:
        """A row about to be painted that is not laid out: one step of it while the frame's
        budget lasts (a code block, its Markdown, a segment), the layout once all are done."""
        model, row = self._view.model(), index.row()
        if model.item(row).status is MessageStatus.STREAMING:  # the refresh brings it up to date
            key, _revision = model.cache_key(row)
            shown = self._layouts.get(key)
            if shown is not None and shown.width == self.row_width():
                return shown
        while self._spent < PAINT_BUDGET_S:
            if not model.is_rendered(row):
                self._render(model, row, step=True)
            elif self._build_step(model, row):
                return self.layout_for(index)
        return None

    def _render(self, model: TranscriptModel, row: int, step: bool = False) -> None:
        """Render a row's Markdown apart from laying it out, counted in the pass's budget
        (with its code highlighted it costs more than the layout); ``step``: only one
        bounded piece of it (``TranscriptModel.render_step``)."""
        started = time.perf_counter()
        if step:
            model.render_step(row)
        else:
            model.rendered(row)
        self._spent += time.perf_counter() - started
        if not self._budget.isActive():
            self._budget.start()

    def _on_measurer_timeout(self) -> None:
        """One measuring pass, then the timer re-armed from the end of it.

        A repeating timer's next timeout is counted from when its pass began (Qt reads the
        clock once per round of timers), so a zero-interval timer is due again before any
        timer that fell due during the pass: the next pass ran first and the other waited
        for two (traced while a 2,000-message chat opened: two passes, 12 ms, back to back).
        Re-armed from now, the timers that fell due meanwhile run before the next pass."""
        if self._frame_at != self._yielded_to and time.perf_counter() - self._frame_at < 0.001:
            # A frame was painted just now, in this round of events: a pass straight after it
            # adds its milliseconds to the frame's before any other timer runs. Once per frame.
            self._yielded_to = self._frame_at
            self._measurer.start()
            return
        self._measure_pass()
        if self._measurer.isActive():
            self._measurer.start()

    def frame_painted(self) -> None:
        """The view has just painted (``ChatView.paintEvent``)."""
        self._frame_at = time.perf_counter()

    def _measure_pass(self) -> None:
        """Measure rows left estimated, those last painted first, a few ms per pass.

        Each relayout asks every row for its size (~10 µs a row through PySide), so a pass
        either measures or lays out, and lays out only when a painted row changed, once a
        second, and when done."""
        self.new_pass()
        model = self._view.model()
        if model.opening and self._screen_built():
            model.continue_opening()  # what is on screen is laid out: now the older rows
        if self._laid_out or model.slicing:  # one relayout a pass is all a pass can afford
            self._laid_out = False  # (and while rows go in above, row numbers shift)
            return
        now = time.perf_counter()
        due = self._urgent or not self._pending or now - self._last_relayout > 1.0
        if self._unlaid and due:
            self._unlaid = self._urgent = False
            self._last_relayout = now
            self._view.relayout_then_repaint()
            if not self._pending:
                self._measurer.stop()
            return
        painted, self._painted = self._painted, set()
        first = sorted(painted & self._pending, reverse=True)  # no key function: 2,000 rows
        for row in first + sorted(self._pending - painted, reverse=True):  # sort in C, ~0.2 ms
            if self._spent >= MEASURE_BUDGET_S:
                break
            self._pending.discard(row)
            if row >= model.rowCount():
                continue
            key, revision = model.cache_key(row)
            known = self._heights.get(key)
            if known is None or known[0] != revision or known[1] != self.row_width():
                if not model.is_rendered(row):  # render in one step, lay out in the next
                    self._render(model, row, step=True)
                    self._pending.add(row)
                    self._painted.update(painted & {row})
                    continue
                if not self._build_step(model, row):  # a segment now, the rest later
                    self._pending.add(row)
                    self._painted.update(painted & {row})
                    continue
                height = self.layout_for(model.index(row, 0)).height
                guess = self._estimates.get(key)
                self._unlaid = self._unlaid or guess is None or guess[2] != height
                self._urgent = self._urgent or row in painted
                if row in painted:
                    self._view.update(model.index(row, 0))
        if not self._pending and not self._unlaid:
            self._measurer.stop()
