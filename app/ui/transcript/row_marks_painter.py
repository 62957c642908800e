"""Paints what a row draws besides its documents: code blocks' rounded boxes with their header
bar and Copy icon, and the message's action buttons (or, hidden, its status words alone).

Split from the delegate so its paint path stays a list of calls; this keeps the colours
(from the tokens, for the scheme the view shows) and the tinted icon pixmaps, made once per
scheme and size, so a hover repaints one row's buttons by blitting a few small pixmaps.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from app.ui.theme.icons import icon
from app.ui.theme.tokens import COLOURS, MESSAGE_ACTION, RADIUS, TRANSCRIPT_COLOURS, Scheme
from app.ui.transcript.message_actions import ActionBar, ActionState
from app.ui.transcript.transcript_marks import CodeBox


class RowMarksPainter:
    def __init__(self, view: QWidget, scheme: Scheme, caption_font: QFont) -> None:
        self._view = view  # its device pixel ratio, read per pixmap
        self.colours = COLOURS[scheme]
        self.code = TRANSCRIPT_COLOURS[scheme]
        self.scheme = scheme
        self.font = caption_font
        self._pixmaps: dict[tuple[str, bool, int], QPixmap] = {}

    def icon_pixmap(self, name: str, active: bool, size: int) -> QPixmap:
        """The named icon in the text colour (``active``) or muted, ``size`` pixels square."""
        key = (name, active, size)
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            mode = QIcon.Mode.Normal if active else QIcon.Mode.Disabled
            ratio = self._view.devicePixelRatioF()
            pixmap = icon(name, self.scheme).pixmap(QSize(size, size), ratio, mode)
            self._pixmaps[key] = pixmap
        return pixmap

    def paint_code_boxes(self, painter: QPainter, boxes: list[CodeBox], visible: QRectF) -> None:
        radius = RADIUS["md"]
        for code in boxes:
            if not code.box.intersects(visible):
                continue
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(self.code.code_body))
            painter.drawRoundedRect(code.box, radius, radius)
            header = QColor(self.code.code_header)
            painter.setBrush(header)
            painter.drawRoundedRect(code.header, radius, radius)
            painter.fillRect(code.header.adjusted(0, radius, 0, 0), header)  # square below
            painter.setPen(QPen(QColor(self.colours.border), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(code.box.adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
            size = int(code.copy_icon.height())
            painter.drawPixmap(code.copy_icon.topLeft(), self.icon_pixmap("copy", False, size))

    def paint_actions(self, painter: QPainter, bar: ActionBar, state: ActionState) -> None:
        size = MESSAGE_ACTION["icon"]
        radius = RADIUS["sm"] + 2
        shown = painter.opacity()  # fading in on hover
        for button in bar.buttons:
            lit = button.enabled and button.name in (state.hovered, state.focused)
            if lit:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(self.colours.surface_alt))
                painter.drawRoundedRect(button.rect, radius, radius)
            if button.name == state.focused:  # where Enter goes: the keyboard's focus ring
                painter.setPen(QPen(QColor(self.colours.accent), 1.5))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(button.rect.adjusted(1, 1, -1, -1), radius, radius)
            painter.setOpacity(shown if button.enabled else shown * 0.4)
            offset = (button.rect.width() - size) / 2
            painter.drawPixmap(
                button.rect.topLeft() + QRectF(0, 0, offset, offset).bottomRight(),
                self.icon_pixmap(button.icon, lit, size),
            )
            painter.setOpacity(shown)
        if bar.count_rect is not None:
            self._words(painter, bar.count_rect, bar.count, Qt.AlignmentFlag.AlignCenter)
        self.paint_status(painter, bar)

    def paint_status(self, painter: QPainter, bar: ActionBar) -> None:
        if bar.status_rect is not None:
            self._words(painter, bar.status_rect, bar.status, Qt.AlignmentFlag.AlignLeft)

    def _words(self, painter: QPainter, rect: QRectF, text: str, align) -> None:
        painter.setFont(self.font)
        painter.setPen(QColor(self.colours.text_muted))
        painter.drawText(rect, int(align | Qt.AlignmentFlag.AlignVCenter), text)
