"""What the delegate paints around a row's documents: code blocks' rounded boxes and header
bars, and the caret at the end of a streaming answer.

A ``QTextDocument`` cannot round a table's corners or put an icon in a link, so a code block
is laid out as a plain full-width table (``markdown_render._render_code``) and this module
finds, from its first and last lines and the cells' known padding, where the view paints the
box, the header bar and the Copy icon. Found once per laid-out document, reused while the
document is.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSizeF
from PySide6.QtGui import QFontMetricsF, QTextDocument, QTextLength, QTextTable

from app.ui.theme.tokens import CARET, SPACING
from app.ui.transcript.markdown_render import CODE_PAD


@dataclass(frozen=True)
class CodeBox:
    """A code block's painted parts: the whole block, its header bar, and where the Copy
    link's icon goes (the room the link keeps at its start)."""

    box: QRectF
    header: QRectF
    copy_icon: QRectF

    def translated(self, offset: QPointF) -> CodeBox:
        return CodeBox(
            self.box.translated(offset),
            self.header.translated(offset),
            self.copy_icon.translated(offset),
        )


def code_boxes(doc: QTextDocument) -> tuple[CodeBox, ...]:
    """Where the code blocks of ``doc`` are (full-width tables, see ``_render_code``), from
    their first and last lines and the cells' known padding."""
    boxes = []
    layout = doc.documentLayout()
    for frame in doc.rootFrame().childFrames():
        if not isinstance(frame, QTextTable) or frame.rows() < 2 or frame.columns() < 2:
            continue
        if frame.frameFormat().width().type() != QTextLength.Type.PercentageLength:
            continue
        label = layout.blockBoundingRect(frame.cellAt(0, 0).firstCursorPosition().block())
        copy = frame.cellAt(0, 1).firstCursorPosition().block()
        copy_rect = layout.blockBoundingRect(copy)
        body_top = layout.blockBoundingRect(frame.cellAt(1, 0).firstCursorPosition().block())
        body_end = layout.blockBoundingRect(frame.cellAt(1, 0).lastCursorPosition().block())
        side, top = CODE_PAD["side"], label.top() - CODE_PAD["header"]
        box = QRectF(
            label.left() - side,
            top,
            copy_rect.right() + side - (label.left() - side),
            body_end.bottom() + CODE_PAD["body_bottom"] - top,
        )
        header = QRectF(box.left(), top, box.width(), body_top.top() - CODE_PAD["body_top"] - top)
        icon_x = copy_rect.left()
        line = copy.layout().lineAt(0) if copy.layout().lineCount() else None
        if line is not None:
            icon_x += line.cursorToX(0)[0]
        size = label.height()
        boxes.append(CodeBox(box, header, QRectF(icon_x, label.top(), size, size)))
    return tuple(boxes)


def caret_at_end(doc: QTextDocument, origin: QPointF) -> QRectF:
    """Just after the last character of ``doc`` (laid out at ``origin``)."""
    block, steps = doc.lastBlock(), 0
    while block.isValid() and not block.text().strip() and steps < 8:
        block, steps = block.previous(), steps + 1  # empty blocks after a table or list
    if not block.isValid() or block.layout().lineCount() == 0:
        return QRectF(origin, QSizeF(CARET["width"], QFontMetricsF(doc.defaultFont()).height()))
    line = block.layout().lineAt(block.layout().lineCount() - 1)
    box = doc.documentLayout().blockBoundingRect(block)
    x = line.cursorToX(len(block.text().rstrip()))[0]
    top_left = origin + box.topLeft() + QPointF(x + SPACING["xxs"], line.y())
    return QRectF(top_left, QSizeF(CARET["width"], line.height()))
