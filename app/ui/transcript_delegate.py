"""The transcript's delegate: lays out, measures, caches and paints each message row.

Split from ``chat_view`` so the view keeps only scrolling, signals and actions. Each row keeps
one ``QTextDocument`` per HTML segment (see ``markdown_render``), so a growing answer rebuilds
only its last segment.

Heights are measured lazily (issue 4, requirement 11c): ``sizeHint`` measures exactly while a
small per-pass time budget lasts, answers an estimate after that, and an idle timer measures
the rest a few milliseconds at a time, visible rows first. Anchors painted in the rows
(``copy-code:N``, ``action:…``, http(s) links) are hit-tested in ``editorEvent``. Colors come
from the palette, so light and dark follow the system.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    QSizeF,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QImage,
    QPainter,
    QPalette,
    QPixmap,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

from app.core.conversation import MessageStatus, Role
from app.ui.bridge import run_in_background
from app.ui.markdown_render import RenderTheme, document_css, is_web_url
from app.ui.qt_images import qimage_from_prepared
from app.ui.transcript_model import ImageLike, TranscriptItem, TranscriptModel

if TYPE_CHECKING:  # the view imports this module; only annotations need it back
    from app.ui.chat_view import ChatView

MARGIN, PAD, GAP, THUMB_H, THUMB_MAX_W = 16, 12, 6, 96, 180
MEASURE_BUDGET_S = 0.006  # per event-loop pass, so no pass stalls for long (target < 50 ms)
PAINT_BUDGET_S = 0.016  # rows built while painting one frame; the rest come a pass later
EAGER_ROWS = 30  # the newest rows are measured at once, while the budget lasts
PIXMAP_MAX_H, PIXMAP_CACHE_BYTES = 2000, 96 * 1024 * 1024
MAX_LAYOUTS = 300  # rows whose documents stay cached (heights are kept for all rows)
ERROR_HUE = QColor(209, 36, 47)  # the one color the palette has no role for


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        *(round(x + (y - x) * t) for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))
    )


def theme_from_palette(palette: QPalette) -> RenderTheme:
    """Colors for rendered Markdown, derived from the system palette (light or dark)."""
    base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    dark = base.lightness() < text.lightness()
    link = palette.color(QPalette.ColorRole.Link)
    if dark and link.lightness() < 140:
        link = link.lighter(170)
    return RenderTheme(
        dark=dark,
        text=text.name(),
        muted=_mix(base, text, 0.6).name(),
        link=link.name(),
        code_background=_mix(base, text, 0.09 if dark else 0.05).name(),
        border=_mix(base, text, 0.2).name(),
    )


def _collapse_frame_padding(doc: QTextDocument) -> None:
    """Qt puts an empty block before a table that starts a document (and after one that
    ends it); each would add a blank line between our stacked segment documents."""
    for block in (doc.firstBlock(), doc.lastBlock()):
        if block.text() or not block.isValid() or doc.blockCount() < 2:
            continue
        cursor = QTextCursor(block)
        if cursor.currentTable() is not None:
            continue
        fmt = block.blockFormat()
        fmt.setLineHeight(0, QTextBlockFormat.LineHeightTypes.FixedHeight.value)
        fmt.setTopMargin(0)
        fmt.setBottomMargin(0)
        cursor.setBlockFormat(fmt)
        char = QTextCharFormat()
        char.setFontPointSize(1)
        cursor.setBlockCharFormat(char)


def _pixel_size(image: ImageLike) -> tuple[int, int]:
    return (image.width(), image.height()) if isinstance(image, QImage) else image.size


def _thumbnail(image: ImageLike, size: QSize) -> QImage:
    """Runs on a pool thread: QImage (not QPixmap) is safe off the GUI thread."""
    if not isinstance(image, QImage):
        image = qimage_from_prepared(image)  # a copy, but once per cached (image, size)
    mode = Qt.TransformationMode.SmoothTransformation
    return image.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio, mode)


@dataclass
class _RowLayout:
    revision: int
    width: int
    height: int = 0
    segments: tuple[str, ...] = ()
    docs: list[tuple[QPointF, QTextDocument]] = field(default_factory=list)
    bubble: QRectF | None = None
    error_box: QRectF | None = None
    thumbs: list[QRect] = field(default_factory=list)
    live: QTextDocument | None = None  # the streaming tail: changes every chunk, not cached


class TranscriptDelegate(QStyledItemDelegate):
    """Lays out, caches and paints rows; turns clicks into ``anchor_clicked``/``image_clicked``."""

    anchor_clicked = Signal(int, str)  # row, href
    image_clicked = Signal(int, int)  # row, image index

    def __init__(self, view: ChatView, pool: QThreadPool | None = None) -> None:
        super().__init__(view)
        self._view = view
        self._pool = pool
        self._layouts: OrderedDict[int, _RowLayout] = OrderedDict()
        self._heights: dict[int, tuple[int, int, int]] = {}  # key → revision, width, height
        self._thumbs: dict[tuple[object, int, int], QImage | None] = {}
        self._spent = 0.0
        self._pending: set[int] = set()
        self._painted: set[int] = set()
        self._unlaid = False  # rows measured since the view last laid out
        self._urgent = False  # ... and one of them is on screen
        self._last_relayout = 0.0
        self._measurer = QTimer(self, interval=0, timeout=self._on_measurer_timeout)
        self._budget = QTimer(self, interval=0, singleShot=True, timeout=self.new_pass)
        self.restyle()

    # --- caches ---------------------------------------------------------------------------

    def restyle(self) -> None:
        """Font or palette changed: every document must be rebuilt."""
        self.theme = theme_from_palette(self._view.palette())
        self._css = document_css(self.theme)
        self._layouts.clear()
        self._heights.clear()
        self._small_docs: dict[tuple[str, float], QTextDocument] = {}
        self._estimates: dict[int, tuple[int, int, int]] = {}
        metrics = self._view.fontMetrics()
        self._metrics = (max(1, metrics.averageCharWidth()), metrics.lineSpacing())
        self._pixmaps: OrderedDict[int, tuple[QTextDocument, QSizeF, QPixmap]] = OrderedDict()
        self._pixmap_bytes = 0
        self._drawn_once: dict[int, QTextDocument] = {}

    def all_measured(self) -> bool:
        """True when every row's height is exact (no estimate left on screen or off it)."""
        model = self._view.model()
        if model is None:
            return True
        width = self.row_width()
        for row in range(model.rowCount()):
            key, revision = model.cache_key(row)
            known = self._heights.get(key)
            if known is None or known[0] != revision or known[1] != width:
                return False
        return True

    def forget_all(self) -> None:
        self._layouts.clear()
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

    def cached_layout(self, index: QModelIndex) -> _RowLayout | None:
        key, revision = self._view.model().cache_key(index.row())
        cached = self._layouts.get(key)
        if cached is not None and cached.revision == revision and cached.width == self.row_width():
            return cached
        return None

    def layout_for(self, index: QModelIndex, width: int | None = None) -> _RowLayout:
        width = width or self.row_width()
        model = self._view.model()
        key, revision = model.cache_key(index.row())
        cached = self._layouts.get(key)
        if cached is not None and cached.revision == revision and cached.width == width:
            self._layouts.move_to_end(key)
            return cached
        started = time.perf_counter()
        layout = self._build(model.item(index.row()), index, revision, width, cached)
        self._spent += time.perf_counter() - started
        if not self._budget.isActive():
            self._budget.start()  # the next event-loop pass gets a fresh budget
        self._layouts[key] = layout
        self._heights[key] = (revision, width, layout.height)
        while len(self._layouts) > MAX_LAYOUTS:
            self._layouts.popitem(last=False)
        return layout

    def _small_doc(self, html: str, width: float) -> QTextDocument:
        """Action rows and error boxes repeat: share one document per (html, width)."""
        doc = self._small_docs.get((html, width))
        if doc is None:
            if len(self._small_docs) > 512:
                self._small_docs.clear()
            doc = self._small_docs[html, width] = self._doc(html, width)
        return doc

    def _doc(self, html: str, width: float, old: QTextDocument | None = None) -> QTextDocument:
        if old is not None:
            if old.textWidth() != width:
                old.setTextWidth(width)  # a full relayout of that document, even if equal
            return old
        doc = QTextDocument()
        doc.setUndoRedoEnabled(False)
        doc.setDocumentMargin(0)
        doc.setDefaultFont(self._view.font())
        doc.setDefaultStyleSheet(self._css)
        doc.setHtml(html)
        _collapse_frame_padding(doc)
        doc.setTextWidth(width)
        return doc

    def _build(
        self,
        item: TranscriptItem,
        index: QModelIndex,
        revision: int,
        width: int,
        old: _RowLayout | None,
    ) -> _RowLayout:
        layout = _RowLayout(revision, width)
        segments = self._view.model().rendered(index.row()).segments
        old_segments = old.segments if old is not None else ()
        old_docs = [doc for _, doc in old.docs[: len(old_segments)]] if old else []
        inner = width - 2 * MARGIN
        user = item.role == Role.USER
        if user:
            inner = int(max(240, inner * 0.75)) - 2 * PAD
        y = PAD if user else GAP
        x = PAD if user else MARGIN
        if user and item.images:
            y = self._place_thumbs(layout, item, inner, x, y)
        used = max((r.right() - x for r in layout.thumbs), default=0)
        for i, html in enumerate(segments):
            reuse = i < len(old_segments) and old_segments[i] == html
            doc = self._doc(html, inner, old_docs[i] if reuse else None)
            if user:
                doc.setTextWidth(min(inner, doc.idealWidth() + 1))
                used = max(used, doc.idealWidth())
            layout.docs.append((QPointF(x, y), doc))
            y += doc.size().height()
        layout.segments = segments
        if item.status == MessageStatus.STREAMING and layout.docs:
            layout.live = layout.docs[-1][1]
        if user:  # the bubble, right-aligned; shift its contents under it
            bubble_w = used + 2 * PAD
            shift = width - MARGIN - bubble_w
            layout.bubble = QRectF(shift, GAP, bubble_w, y + PAD)
            layout.docs = [(p + QPointF(shift, GAP), d) for p, d in layout.docs]
            layout.thumbs = [r.translated(int(shift), GAP) for r in layout.thumbs]
            y += PAD + GAP
        if item.error:
            html = (
                f"<b>Error:</b> {_escape(item.error)} &nbsp; "
                f'<a href="action:retry" style="color: {self.theme.link};">Retry</a>'
            )
            doc = self._small_doc(html, inner - 2 * PAD)
            h = doc.size().height() + 2 * PAD
            layout.error_box = QRectF(MARGIN, y + GAP, inner, h)
            layout.docs.append((QPointF(MARGIN + PAD, y + GAP + PAD), doc))
            y += h + GAP
        actions = self._small_doc(self._actions_html(item), inner)
        if actions.textWidth() == inner:
            actions.setTextWidth(actions.idealWidth() + 1)
        ax = width - MARGIN - PAD - actions.idealWidth() if user else MARGIN
        layout.docs.append((QPointF(ax, y + 4), actions))
        layout.height = int(y + actions.size().height() + 2 * GAP + 4)
        return layout

    def _place_thumbs(self, layout: _RowLayout, item: TranscriptItem, inner: int, x0, y) -> int:
        x, row_h = x0, 0
        for image in item.images:
            w, h = _pixel_size(image)
            tw, th = max(1, round(w * THUMB_H / max(h, 1))), THUMB_H
            if tw > THUMB_MAX_W:
                tw, th = THUMB_MAX_W, max(1, round(h * THUMB_MAX_W / max(w, 1)))
            if x > x0 and x + tw > x0 + inner:
                x, y = x0, y + row_h + GAP
                row_h = 0
            layout.thumbs.append(QRect(x, y, tw, th))
            x, row_h = x + tw + GAP, max(row_h, th)
        return y + row_h + GAP

    def _actions_html(self, item: TranscriptItem) -> str:
        def link(name: str, label: str) -> str:
            return f'<a href="action:{name}" style="color: {self.theme.muted};">{label}</a>'

        parts: list[str] = []
        if item.branch_count > 1:
            i, n = item.branch_index, item.branch_count
            prev = link("branch-prev", "‹") if i > 0 else "‹"
            nxt = link("branch-next", "›") if i < n - 1 else "›"
            parts.append(f"{prev}&nbsp;{i + 1}/{n}&nbsp;{nxt}")
        if item.badge:
            parts.append(_escape(item.badge))
        if item.status == MessageStatus.STREAMING:
            parts.append("Generating…")
        else:
            if item.status in (MessageStatus.STOPPED, MessageStatus.INTERRUPTED):
                parts.append(item.status.value.capitalize())
            parts.append(link("copy", "Copy"))
            parts.append(
                link("edit", "Edit") if item.role == Role.USER else link("regenerate", "Regenerate")
            )
            parts.append(link("delete", "Delete"))
        body = " &nbsp;·&nbsp; ".join(parts)
        return f'<p style="color: {self.theme.muted}; font-size: small;">{body}</p>'

    # --- sizes ----------------------------------------------------------------------------

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        width = self.row_width()
        model = self._view.model()
        key, revision = model.cache_key(index.row())
        known = self._heights.get(key)
        if known is not None and known[0] == revision and known[1] == width:
            return QSize(width, known[2])
        newest = index.row() >= model.rowCount() - EAGER_ROWS  # on screen when opened
        if newest and self._spent < MEASURE_BUDGET_S:
            return QSize(width, self.layout_for(index, width).height)
        self._pending.add(index.row())
        if not self._measurer.isActive():
            self._measurer.start()
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

    def _on_measurer_timeout(self) -> None:
        """Measure rows left estimated, those last painted first, a few ms per pass.

        Each relayout asks every row for its size (~10 µs a row through PySide), so a pass
        either measures or lays out, and lays out only when a painted row changed, once a
        second, and when done."""
        self.new_pass()
        model = self._view.model()
        now = time.perf_counter()
        due = self._urgent or not self._pending or now - self._last_relayout > 1.0
        if self._unlaid and due:
            self._unlaid = self._urgent = False
            self._last_relayout = now
            self._view.doItemsLayout()
            if not self._pending:
                self._measurer.stop()
            return
        painted, self._painted = self._painted, set()
        for row in sorted(self._pending, key=lambda r: (r not in painted, -r)):
            self._pending.discard(row)
            if row >= model.rowCount():
                continue
            key, revision = model.cache_key(row)
            known = self._heights.get(key)
            if known is None or known[0] != revision or known[1] != self.row_width():
                height = self.layout_for(model.index(row, 0)).height
                guess = self._estimates.get(key)
                self._unlaid = self._unlaid or guess is None or guess[2] != height
                self._urgent = self._urgent or row in painted
                if row in painted:
                    self._view.update(model.index(row, 0))
            if self._spent >= MEASURE_BUDGET_S:
                break
        if not self._pending and not self._unlaid:
            self._measurer.stop()

    # --- painting -------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        self._painted.add(index.row())
        layout = self.cached_layout(index)
        if layout is None and self._spent >= PAINT_BUDGET_S:
            self._pending.add(index.row())  # too much built in this frame: next pass
            self._measurer.start()
            return
        layout = layout or self.layout_for(index)
        if layout.height != option.rect.height():
            self._view.scheduleDelayedItemsLayout()  # an estimate was on screen
        palette = self._view.palette()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(option.rect.topLeft())
        # Only the part on screen: a long answer is tens of thousands of pixels tall.
        shown = QRectF(self._view.viewport().rect()).translated(-QPointF(option.rect.topLeft()))
        visible = shown.intersected(painter.clipBoundingRect()) if painter.hasClipping() else shown
        if layout.bubble is not None:
            color = _mix(
                palette.color(QPalette.ColorRole.Base),
                palette.color(QPalette.ColorRole.Highlight),
                0.16,
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(layout.bubble, 14, 14)
        if layout.error_box is not None:
            painter.setPen(ERROR_HUE)
            base = palette.color(QPalette.ColorRole.Base)
            painter.setBrush(_mix(base, ERROR_HUE, 0.1))
            painter.drawRoundedRect(layout.error_box, 8, 8)
        self._paint_thumbs(painter, index, layout)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette = palette
        for pos, doc in layout.docs:
            rect = QRectF(pos, doc.size())
            if not rect.intersects(visible):
                continue
            pixmap = None if doc is layout.live else self._pixmap(doc, context)
            if pixmap is not None:
                painter.drawPixmap(pos, pixmap)
                continue
            painter.save()
            painter.translate(pos)
            context.clip = visible.translated(-pos)
            doc.documentLayout().draw(painter, context)
            painter.restore()
        selected = option.state & QStyle.StateFlag.State_Selected
        if selected and option.state & QStyle.StateFlag.State_HasFocus and self._view.hasFocus():
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(2, 1, layout.width - 4, layout.height - 2), 6, 6)
        painter.restore()

    def _pixmap(self, doc: QTextDocument, context) -> QPixmap | None:
        """A document drawn once into a cached pixmap: repainting a scrolled or streaming
        view then blits instead of laying out glyphs again (~10× cheaper)."""
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

    def _paint_thumbs(self, painter: QPainter, index: QModelIndex, layout: _RowLayout) -> None:
        images = self._view.model().item(index.row()).images
        for image, rect in zip(images, layout.thumbs, strict=False):
            thumb = self.thumbnail(image, rect.size())
            if thumb is None:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(self._view.palette().color(QPalette.ColorRole.Mid))
                painter.drawRoundedRect(QRectF(rect), 8, 8)
            else:
                painter.drawImage(rect, thumb)

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

    # --- hit-testing ----------------------------------------------------------------------

    def hit_test(self, index: QModelIndex, rect: QRect, pos: QPoint) -> tuple[str, str | int]:
        """What is under viewport ``pos``: ("anchor", href), ("image", i) or ("", "")."""
        layout = self.layout_for(index)
        local = QPointF(pos - rect.topLeft())
        for i, thumb in enumerate(layout.thumbs):
            if thumb.contains(local.toPoint()):
                return "image", i
        for origin, doc in layout.docs:
            inside = local - origin
            if 0 <= inside.y() <= doc.size().height() and 0 <= inside.x() <= doc.size().width():
                href = doc.documentLayout().anchorAt(inside)
                if href:
                    return "anchor", href
        return "", ""

    def anchor_rect(self, index: QModelIndex, rect: QRect, href: str) -> QRectF | None:
        """Where the anchor ``href`` is painted, in viewport coordinates (tests, a11y)."""
        for origin, doc in self.layout_for(index).docs:
            block = doc.firstBlock()
            while block.isValid():
                for fragment_it in block:
                    fragment = fragment_it.fragment()
                    if fragment.charFormat().anchorHref() != href:
                        continue
                    offset = fragment.position() - block.position()
                    line = block.layout().lineForTextPosition(offset)
                    box = doc.documentLayout().blockBoundingRect(block)
                    x = line.cursorToX(offset)[0]
                    width = line.cursorToX(offset + fragment.length())[0] - x
                    top_left = QPointF(rect.topLeft()) + origin + box.topLeft()
                    return QRectF(top_left + QPointF(x, line.y()), QSizeF(width, line.height()))
                block = block.next()
        return None

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
        return super().helpEvent(event, view, option, index)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
