"""Where everything in one transcript row goes: bubble, thumbnails, text, error box, the
answer-limit notice, actions.

Split from ``transcript_delegate`` so the delegate keeps the *when* (lazy measuring, caches
keyed by row revision, painting) and this module the *where*: a ``RowLayout`` is plain
geometry plus the ``QTextDocument`` of each piece, built by ``RowLayoutBuilder`` without
touching the view's model or scheduling. Hit-testing reads the same geometry, so it lives here
too: what is painted at a point and where an anchor is painted can never disagree with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRect, QRectF, QSizeF
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QImage,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextLength,
    QTextTable,
)
from PySide6.QtWidgets import QWidget

from app.core.conversation import MessageStatus, Role
from app.ui.theme.tokens import CARET, READING_WIDTH, READING_WIDTH_WIDE, SPACING, TYPE_SCALE
from app.ui.transcript.markdown_render import RenderTheme
from app.ui.transcript.message_actions import ActionBar, place_actions
from app.ui.transcript.transcript_marks import CodeBox, caret_at_end, code_boxes
from app.ui.transcript.transcript_model import ImageLike, TranscriptItem

MARGIN, PAD, GAP, THUMB_H, THUMB_MAX_W = 16, 12, 6, 96, 180


def reading_column(width: int, limit: int = READING_WIDTH) -> tuple[int, int]:
    """(left, width) of the reading column in a row ``width`` wide: at most ``limit``
    pixels, centred; the row less its margins when that is narrower."""
    column = max(1, min(limit, width - 2 * MARGIN))
    return (width - column) // 2, column


def caption_font(font: QFont) -> QFont:
    """``font`` at the caption size of the type scale (the version count, status words)."""
    small = QFont(font)
    if font.pointSizeF() > 0:
        small.setPointSizeF(font.pointSizeF() * TYPE_SCALE["caption"] / TYPE_SCALE["body"])
    return small


@dataclass
class RowLayout:
    """One row at one width and revision; positions are relative to the row's top left."""

    revision: int
    width: int
    height: int = 0
    segments: tuple[str, ...] = ()
    docs: list[tuple[QPointF, QTextDocument]] = field(default_factory=list)
    bubble: QRectF | None = None
    error_box: QRectF | None = None
    thumbs: list[QRect] = field(default_factory=list)
    live: QTextDocument | None = None  # the streaming tail: changes every chunk, not cached
    actions: ActionBar = field(default_factory=ActionBar)
    code_boxes: list[CodeBox] = field(default_factory=list)
    caret: QRectF | None = None  # where the streaming caret blinks
    seg_boxes: list[tuple[CodeBox, ...]] = field(default_factory=list)  # per segment, doc coords


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


_COLUMN_PAD = QTextFormat.Property.UserProperty + 1  # what _keep_to_column added to a block


def _keep_to_column(doc: QTextDocument, left: float, right: float) -> None:
    """A segment laid out wide for its tables and code: its paragraphs stay in the reading
    column, ``left``/``right`` pixels in from the document's edges; code blocks keep the whole
    width, data tables start where the text does and may run on to the right. Adds to a
    block's own margins (a quote's indent), replacing what an earlier call added."""
    block = doc.firstBlock()
    while block.isValid():
        cursor = QTextCursor(block)
        fmt = block.blockFormat()
        before = fmt.property(_COLUMN_PAD) or (0.0, 0.0)
        if cursor.currentTable() is None and tuple(before) != (left, right):
            fmt.setLeftMargin(fmt.leftMargin() - before[0] + left)
            fmt.setRightMargin(fmt.rightMargin() - before[1] + right)
            fmt.setProperty(_COLUMN_PAD, (left, right))
            cursor.setBlockFormat(fmt)
        block = block.next()
    for frame in doc.rootFrame().childFrames():
        table_fmt = frame.frameFormat()
        before = table_fmt.property(_COLUMN_PAD) or (0.0, 0.0)
        full = table_fmt.width().type() == QTextLength.Type.PercentageLength  # a code block
        if isinstance(frame, QTextTable) and not full and tuple(before) != (left, 0.0):
            table_fmt.setLeftMargin(table_fmt.leftMargin() - before[0] + left)
            table_fmt.setProperty(_COLUMN_PAD, (left, 0.0))
            frame.setFrameFormat(table_fmt)


def _pixel_size(image: ImageLike) -> tuple[int, int]:
    return (image.width(), image.height()) if isinstance(image, QImage) else image.size


class RowLayoutBuilder:
    """Builds ``RowLayout``s for one theme; a new theme or font needs a new builder.

    Keeps the documents that repeat across rows (action links, error boxes), so that a
    transcript of hundreds of messages holds only a handful of them."""

    def __init__(self, view: QWidget, theme: RenderTheme, css: str) -> None:
        self._view = view  # its font, read as each document is made
        self.theme = theme
        self._css = css
        self._small_docs: dict[tuple[str, float], QTextDocument] = {}
        self.caption_font = caption_font(view.font())
        self._caption = QFontMetricsF(self.caption_font)

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

    def build(
        self,
        item: TranscriptItem,
        segments: tuple[str, ...],
        revision: int,
        width: int,
        old: RowLayout | None,
    ) -> RowLayout:
        """Lay out ``item``; documents of ``old`` whose segment did not change are reused."""
        layout = RowLayout(revision, width)
        old_segments = old.segments if old is not None else ()
        old_docs = [doc for _, doc in old.docs[: len(old_segments)]] if old else []
        left, column = reading_column(width)
        wide_left, wide = reading_column(width, READING_WIDTH_WIDE)
        inner = column
        user = item.role == Role.USER
        if user:
            inner = int(max(240, column * 0.75)) - 2 * PAD
        y = PAD if user else GAP
        x = PAD if user else left
        byline = None
        if not user and (item.model or item.badge):
            byline = self._small_doc(self._byline_html(item), column)
            byline_y = y
            y += byline.size().height() + SPACING["xs"]
        if user and item.images:
            y = self._place_thumbs(layout, item, inner, x, y)
        used = max((r.right() - x for r in layout.thumbs), default=0)
        for i, html in enumerate(segments):
            reuse = i < len(old_segments) and old_segments[i] == html
            spread = not user and wide > column and "<table" in html  # tables, code blocks
            doc_width = wide if spread else inner
            old_doc = old_docs[i] if reuse else None
            resized = old_doc is None or old_doc.textWidth() != doc_width
            doc = self._doc(html, doc_width, old_doc)
            if not user and resized and (spread or old_doc is not None):
                pad = left - wide_left if spread else 0
                _keep_to_column(doc, pad, wide - column - pad if spread else 0)
            if user:
                doc.setTextWidth(min(inner, doc.idealWidth() + 1))
                used = max(used, doc.idealWidth())
            pos = QPointF(wide_left if spread else x, y)
            layout.docs.append((pos, doc))
            boxes: tuple[CodeBox, ...] = ()
            if spread or 'width="100%"' in html:
                keep = old is not None and not resized and i < len(old.seg_boxes)
                boxes = old.seg_boxes[i] if keep and old else code_boxes(doc)
            layout.seg_boxes.append(boxes)
            layout.code_boxes.extend(box.translated(pos) for box in boxes)
            y += doc.size().height()
        layout.segments = segments
        if item.status == MessageStatus.STREAMING:
            if layout.docs:
                layout.live = layout.docs[-1][1]
                layout.caret = caret_at_end(*reversed(layout.docs[-1]))
            else:
                layout.caret = QRectF(x, y, CARET["width"], self._caption.height())
        if byline is not None:  # after the segments: their documents come first in ``docs``
            layout.docs.append((QPointF(left, byline_y), byline))
        if user:  # the bubble, right-aligned; shift its contents under it
            bubble_w = used + 2 * PAD
            shift = left + column - bubble_w
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
            layout.error_box = QRectF(left, y + GAP, inner, h)
            layout.docs.append((QPointF(left + PAD, y + GAP + PAD), doc))
            y += h + GAP
        if item.limit_reached and item.status != MessageStatus.STREAMING:
            doc = self._small_doc(self._limit_html(), inner)
            layout.docs.append((QPointF(x, y + GAP), doc))
            y += doc.size().height() + GAP
        top = y + SPACING["xs"]
        layout.actions = place_actions(item, left, left + column, top, self._caption)
        layout.height = int(top + layout.actions.height + GAP)
        return layout

    def _place_thumbs(self, layout: RowLayout, item: TranscriptItem, inner: int, x0, y) -> int:
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

    def _limit_html(self) -> str:
        """Under an answer cut at the answer limit: say so, and offer to write on."""
        link = f'<a href="action:continue" style="color: {self.theme.link};"><b>Continue</b></a>'
        return (
            f'<p style="color: {self.theme.muted};">✂ Reached the answer limit &nbsp;·&nbsp; '
            f"{link}</p>"
        )

    def _byline_html(self, item: TranscriptItem) -> str:
        """Above an answer: the model's name, then where it ran, as a caption."""
        parts = []
        if item.model:
            parts.append(f'<span style="font-weight: 600;">{_escape(item.model)}</span>')
        if item.badge:
            parts.append(f'<span style="color: {self.theme.muted};">{_escape(item.badge)}</span>')
        body = " &nbsp;·&nbsp; ".join(parts)
        return f'<p style="font-size: small;">{body}</p>'


# --- hit-testing ----------------------------------------------------------------------------


def hit_at(layout: RowLayout, local: QPointF) -> tuple[str, str | int]:
    """What is at ``local`` (row coordinates): ("anchor", href), ("image", i) or ("", "")."""
    for i, thumb in enumerate(layout.thumbs):
        if thumb.contains(local.toPoint()):
            return "image", i
    button = layout.actions.at(local.x(), local.y())
    if button is not None:
        return "anchor", f"action:{button.name}"
    for origin, doc in layout.docs:
        inside = local - origin
        if 0 <= inside.y() <= doc.size().height() and 0 <= inside.x() <= doc.size().width():
            href = doc.documentLayout().anchorAt(inside)
            if href:
                return "anchor", href
    return "", ""


def anchor_rect_in(layout: RowLayout, href: str, row_top_left: QPointF) -> QRectF | None:
    """Where the first anchor ``href`` is painted, for a row whose top left is at
    ``row_top_left``; ``None`` if the row has no such anchor. An action button counts as
    the anchor ``action:NAME`` it triggers."""
    name = href.removeprefix("action:") if href.startswith("action:") else ""
    button = layout.actions.find(name) if name else None
    if button is not None and button.enabled:
        return button.rect.translated(row_top_left)
    for origin, doc in layout.docs:
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
                top_left = row_top_left + origin + box.topLeft()
                return QRectF(top_left + QPointF(x, line.y()), QSizeF(width, line.height()))
            block = block.next()
    return None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
