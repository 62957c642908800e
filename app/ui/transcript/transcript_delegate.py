"""The transcript's delegate: measures, caches and paints each message row.

Split from ``chat_view`` so the view keeps only scrolling, signals and actions. Where each
piece of a row goes (and what is at a point) is ``transcript_layout``; the pixmap and
thumbnail caches are ``transcript_pixmaps``; when rows are measured and laid out (lazily, a
small time budget per pass, so a long conversation opens at once) is ``lazy_row_measuring``,
mixed in; this module keeps their layouts and paints them. Each row keeps one
``QTextDocument`` per HTML segment (see ``markdown_render``), so a growing answer rebuilds
only its last segment.

Anchors painted in the rows (``copy-code:N``, ``action:…``, http(s) links) are hit-tested in
``editorEvent``. Colors come from the palette, so light and dark follow the system.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAbstractTextDocumentLayout, QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

from app.ui.theme.tokens import COLOURS, RADIUS, Scheme
from app.ui.transcript.lazy_row_measuring import LazyRowMeasuring
from app.ui.transcript.markdown_render import RenderTheme, document_css, is_web_url
from app.ui.transcript.message_actions import action_tooltip
from app.ui.transcript.row_marks_painter import RowMarksPainter
from app.ui.transcript.transcript_layout import (
    RowLayout,
    RowLayoutBuilder,
    anchor_rect_in,
    hit_at,
)
from app.ui.transcript.transcript_pixmaps import DocumentPixmaps, Thumbnails

if TYPE_CHECKING:  # the view imports this module; only annotations need it back
    from app.ui.transcript.chat_view import ChatView

MAX_LAYOUTS = 300  # rows whose documents stay cached (heights are kept for all rows)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        *(round(x + (y - x) * t) for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))
    )


def theme_from_palette(palette: QPalette) -> RenderTheme:
    """The tokens' colours for the scheme the palette shows (dark when its text is lighter
    than its base), so an installed theme and a bare system palette both get a match."""
    base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    dark = base.lightness() < text.lightness()
    return RenderTheme.for_scheme(Scheme.DARK if dark else Scheme.LIGHT)


class TranscriptDelegate(LazyRowMeasuring, QStyledItemDelegate):
    """Lays out, caches and paints rows; turns clicks into ``anchor_clicked``/``image_clicked``."""

    anchor_clicked = Signal(int, str)  # row, href
    image_clicked = Signal(int, int)  # row, image index

    def __init__(self, view: ChatView, pool: QThreadPool | None = None) -> None:
        super().__init__(view)
        self._view = view
        self._layouts: OrderedDict[int, RowLayout] = OrderedDict()
        self._partial: dict[int, RowLayout] = {}  # rows the measurer lays out a segment a step
        self._heights: dict[int, tuple[int, int, int]] = {}  # key → revision, width, height
        self._thumbnails = Thumbnails(view, pool)
        self._spent = 0.0
        self._pending: set[int] = set()
        self._painted: set[int] = set()
        self._unlaid = False  # rows measured since the view last laid out
        self._urgent = False  # ... and one of them is on screen
        self._last_relayout = 0.0
        self._laid_out = False  # the view relaid every row this pass: measure in the next
        self._frame_at = 0.0  # when the view last finished painting (perf_counter seconds)
        self._yielded_to = 0.0  # the frame the measurer last let other timers run after
        self._measurer = QTimer(self, interval=0, timeout=self._on_measurer_timeout)
        self._budget = QTimer(self, interval=0, singleShot=True, timeout=self.new_pass)
        self.restyle()

    # --- caches ---------------------------------------------------------------------------

    def restyle(self) -> None:
        """Font or palette changed: every document must be rebuilt."""
        self.theme = theme_from_palette(self._view.palette())
        self._row_builder = RowLayoutBuilder(self._view, self.theme, document_css(self.theme))
        self.marks = RowMarksPainter(self._view, self.theme.scheme, self._row_builder.caption_font)
        self._layouts.clear()
        self._partial.clear()
        self._heights.clear()
        self._estimates: dict[int, tuple[int, int, int]] = {}
        metrics = self._view.fontMetrics()
        self._metrics = (max(1, metrics.averageCharWidth()), metrics.lineSpacing())
        self._doc_pixmaps = DocumentPixmaps(self._view)

    def measuring(self) -> bool:
        """Rows are still being rendered, measured or put in (cheap, unlike ``all_measured``:
        the measurer runs until no row is left estimated)."""
        model = self._view.model()
        return self._measurer.isActive() or (model is not None and model.opening)

    def all_measured(self) -> bool:
        """True when every row's height is exact (no estimate left on screen or off it)."""
        model = self._view.model()
        if model is None:
            return True
        if model.opening:
            return False  # older rows are still to come
        width = self.row_width()
        for row in range(model.rowCount()):
            key, revision = model.cache_key(row)
            known = self._heights.get(key)
            if known is None or known[0] != revision or known[1] != width:
                return False
        return True

    def forget_all(self) -> None:
        """Another conversation: nothing known holds; its older rows wait for the screen."""
        model = self._view.model()
        if model is not None:
            model.defer_opening()
        self._layouts.clear()
        self._partial.clear()
        self._heights.clear()
        self._estimates.clear()
        self._pending.clear()

    def remeasure(self, index: QModelIndex) -> bool:
        """Lay out a changed row now if it was measured before; True if its height changed."""
        key, _revision = self._view.model().cache_key(index.row())
        before = self._heights.get(key)
        return before is not None and self.layout_for(index).height != before[2]

    def row_width(self) -> int:
        return self._view.row_width

    def cached_layout(self, index: QModelIndex) -> RowLayout | None:
        key, revision = self._view.model().cache_key(index.row())
        cached = self._layouts.get(key)
        if cached is not None and cached.revision == revision and cached.width == self.row_width():
            return cached
        return None

    def layout_for(self, index: QModelIndex, width: int | None = None) -> RowLayout:
        width = width or self.row_width()
        model = self._view.model()
        key, revision = model.cache_key(index.row())
        cached = self._layouts.get(key)
        if cached is not None and cached.revision == revision and cached.width == width:
            self._layouts.move_to_end(key)
            return cached
        started = time.perf_counter()
        row = index.row()
        old = self._partial.pop(key, None) or cached  # its documents are reused
        layout = self._row_builder.build(
            model.item(row), model.rendered(row).segments, revision, width, old
        )
        self._spent += time.perf_counter() - started
        if not self._budget.isActive():
            self._budget.start()  # the next event-loop pass gets a fresh budget
        self._layouts[key] = layout
        self._heights[key] = (revision, width, layout.height)
        while len(self._layouts) > MAX_LAYOUTS:
            self._layouts.popitem(last=False)
        return layout

    # --- painting -------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        self._painted.add(index.row())
        layout = self.cached_layout(index)
        if layout is None:
            layout = self._paint_step(index)
            if layout is None:  # the rest of it in the next passes, this row first
                self._pending.add(index.row())
                self._measurer.start()
                return
        if layout.height != option.rect.height():
            self._view.scheduleDelayedItemsLayout()  # an estimate was on screen
        palette = self._view.palette()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(option.rect.topLeft())
        # Only the part on screen: a long answer is tens of thousands of pixels tall.
        shown = QRectF(self._view.viewport().rect()).translated(-QPointF(option.rect.topLeft()))
        visible = shown.intersected(painter.clipBoundingRect()) if painter.hasClipping() else shown
        colours = COLOURS[self.theme.scheme]
        if layout.bubble is not None:
            color = _mix(
                palette.color(QPalette.ColorRole.Base),
                palette.color(QPalette.ColorRole.Highlight),
                0.16,
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(layout.bubble, RADIUS["lg"] + 2, RADIUS["lg"] + 2)
        if layout.error_box is not None:
            danger = QColor(colours.danger)
            painter.setPen(danger)
            painter.setBrush(_mix(palette.color(QPalette.ColorRole.Base), danger, 0.1))
            painter.drawRoundedRect(layout.error_box, RADIUS["md"], RADIUS["md"])
        self.marks.paint_code_boxes(painter, layout.code_boxes, visible)
        self._paint_thumbs(painter, index, layout)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette = palette
        for pos, doc in layout.docs:
            rect = QRectF(pos, doc.size())
            if not rect.intersects(visible):
                continue
            pixmap = None if doc is layout.live else self._doc_pixmaps.pixmap(doc, context)
            if pixmap is not None:
                painter.drawPixmap(pos, pixmap)
                continue
            painter.save()
            painter.translate(pos)
            context.clip = visible.translated(-pos)
            doc.documentLayout().draw(painter, context)
            painter.restore()
        row = index.row()
        if self._view.actions_shown(row):
            painter.setOpacity(self._view.actions_opacity(row))
            self.marks.paint_actions(painter, layout.actions, self._view.action_state(row))
            painter.setOpacity(1.0)
        else:
            self.marks.paint_status(painter, layout.actions)
        if layout.caret is not None and self._view.caret_on:
            painter.fillRect(layout.caret, QColor(colours.text))
        selected = option.state & QStyle.StateFlag.State_Selected
        if selected and option.state & QStyle.StateFlag.State_HasFocus and self._view.hasFocus():
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(2, 1, layout.width - 4, layout.height - 2), 6, 6)
        painter.restore()

    def _paint_thumbs(self, painter: QPainter, index: QModelIndex, layout: RowLayout) -> None:
        images = self._view.model().item(index.row()).images
        for image, rect in zip(images, layout.thumbs, strict=False):
            thumb = self._thumbnails.thumbnail(image, rect.size())
            if thumb is None:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(self._view.palette().color(QPalette.ColorRole.Mid))
                painter.drawRoundedRect(QRectF(rect), 8, 8)
            else:
                painter.drawImage(rect, thumb)

    # --- hit-testing ----------------------------------------------------------------------

    def hit_test(self, index: QModelIndex, rect: QRect, pos: QPoint) -> tuple[str, str | int]:
        """What is under viewport ``pos``: ("anchor", href), ("image", i) or ("", "")."""
        return hit_at(self.layout_for(index), QPointF(pos - rect.topLeft()))

    def actions_rect(self, index: QModelIndex, rect: QRect) -> QRect:
        """Where a row's action buttons are, in viewport coordinates (to repaint them alone)."""
        layout = self.cached_layout(index)
        if layout is None:
            return rect
        return layout.actions.rect.translated(QPointF(rect.topLeft())).toAlignedRect()

    def caret_rect(self, index: QModelIndex, rect: QRect) -> QRect | None:
        """Where a streaming row's caret is, in viewport coordinates; None when it has none."""
        layout = self.cached_layout(index)
        if layout is None or layout.caret is None:
            return None
        return layout.caret.translated(QPointF(rect.topLeft())).toAlignedRect()

    def anchor_rect(self, index: QModelIndex, rect: QRect, href: str) -> QRectF | None:
        """Where the anchor ``href`` is painted, in viewport coordinates (tests, a11y)."""
        return anchor_rect_in(self.layout_for(index), href, QPointF(rect.topLeft()))

    def editorEvent(
        self, event: QEvent, model, option: QStyleOptionViewItem, index: QModelIndex
    ) -> bool:
        if (
            event.type() != QEvent.Type.MouseButtonRelease
            or event.button() != Qt.MouseButton.LeftButton
        ):
            return False
        kind, value = self.hit_test(index, option.rect, event.position().toPoint())
        if kind == "anchor":
            self.anchor_clicked.emit(index.row(), value)
        elif kind == "image":
            self.image_clicked.emit(index.row(), value)
        return bool(kind)

    def helpEvent(self, event, view, option, index) -> bool:
        kind, value = self.hit_test(index, option.rect, event.pos())
        if kind == "anchor" and is_web_url(str(value)):
            QToolTip.showText(event.globalPos(), str(value), view)  # where a link really goes
            return True
        tip = action_tooltip(str(value)) if kind == "anchor" else ""
        if tip:
            QToolTip.showText(event.globalPos(), tip, view)
            return True
        return super().helpEvent(event, view, option, index)
