"""How a chat's row in the sidebar is drawn, and where its parts lie.

Two lines per chat (the title, and when it was last used or the search snippet), with the
group's name drawn above the first chat of a group. Rows fit the width they are given: a title
too long for a narrow sidebar ends in "…" rather than pushing a horizontal scrollbar under the
list. Pinned chats carry a small painted pin, not an emoji, which many systems' fonts draw as a
box. ``content_rect`` is the one place that says which part of a row is the chat itself (below
its group name): the list's clicks and the "…" button both go by it.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.ui.theme.icons import current_scheme, icon
from app.ui.theme.tokens import SPACING, Scheme, type_points
from app.ui.window.conversation_model import DetailRole, GroupRole, PinnedRole, RecoveredRole

ROW_PADDING = 6
PIN_WIDTH = 14  # room the pin marker takes at the end of a pinned chat's title
MORE_WIDTH = 26  # room the "…" button takes at the end of the hovered or selected row
HEADER_TOP = 10  # space above a group name, separating it from the group before
HEADER_BOTTOM = 4


def _header_height(index: QModelIndex | QPersistentModelIndex, font: QFont) -> int:
    """Height of the group name drawn above a row (0 for rows that start no group)."""
    if not index.data(GroupRole):
        return 0
    top = 2 if index.row() == 0 else HEADER_TOP
    return top + QFontMetrics(_header_font(font)).height() + HEADER_BOTTOM


def _header_font(font: QFont) -> QFont:
    header = QFont(font)
    if font.pointSizeF() > 0:
        header.setPointSizeF(type_points("caption", font.pointSizeF()))
    header.setWeight(QFont.Weight.DemiBold)
    return header


def content_rect(
    option_rect: QRect, index: QModelIndex | QPersistentModelIndex, font: QFont
) -> QRect:
    """The part of a row that is the chat itself: below its group name, if it has one."""
    return option_rect.adjusted(0, _header_height(index, font), 0, 0)


class ConversationDelegate(QStyledItemDelegate):
    """Two lines per chat: the title, and when it was last used (or the search snippet);
    the first chat of a group also draws the group's name above itself."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        # No width of its own: a row asking for the view's width (which includes the vertical
        # scrollbar's strip) makes the list scroll sideways; rows take the width they get.
        line = option.fontMetrics.height()
        return QSize(1, 2 * line + 3 * ROW_PADDING + _header_height(index, option.font))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        palette = option.palette
        group = str(index.data(GroupRole) or "")
        content = content_rect(option.rect, index, option.font)
        if group:
            header_font = _header_font(option.font)
            painter.setFont(header_font)
            muted = QColor(palette.text().color())
            muted.setAlphaF(0.55)
            painter.setPen(muted)
            band = QRect(
                option.rect.left() + 10,
                option.rect.top(),
                option.rect.width() - 20,
                content.top() - option.rect.top() - HEADER_BOTTOM,
            )
            flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom
            painter.drawText(band, int(flags), group)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = content.adjusted(4, 1, -4, -1)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.highlight())
            painter.drawRoundedRect(card, 6, 6)
        elif hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.alternateBase())
            painter.drawRoundedRect(card, 6, 6)
        text_color = palette.highlightedText() if selected else palette.text()
        rect = content.adjusted(12, ROW_PADDING, -12, -ROW_PADDING)
        title_font = QFont(option.font)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(text_color.color())
        metrics = QFontMetrics(title_font)
        pinned = bool(index.data(PinnedRole))
        # The "…" button sits at the end of the hovered or selected row: the title makes room.
        end = MORE_WIDTH if (selected or hovered) else 0
        room = rect.width() - end - (PIN_WIDTH if pinned else 0)
        title = metrics.elidedText(str(index.data()), Qt.TextElideMode.ElideRight, room)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), title)
        if pinned:
            marker = QRect(
                rect.right() - end - PIN_WIDTH + 4, rect.top(), PIN_WIDTH - 4, metrics.height()
            )
            _paint_pin(painter, marker, text_color.color() if selected else palette.link().color())
        painter.setFont(option.font)
        detail_color = QColor(text_color.color())
        detail_color.setAlphaF(0.65)
        painter.setPen(detail_color)
        detail_rect = QRect(rect)
        if index.data(RecoveredRole):  # a warning mark before "Recovered · date"
            side = option.fontMetrics.height()
            mark = QRect(rect.left(), rect.bottom() - side + 1, side, side)
            role = "on_accent" if selected else "warning"
            _recovered_icon(role, current_scheme()).paint(painter, mark)
            detail_rect.setLeft(mark.right() + 1 + SPACING["xs"])
        detail = option.fontMetrics.elidedText(
            str(index.data(DetailRole) or ""),
            Qt.TextElideMode.ElideRight,
            detail_rect.width() - end,
        )
        painter.drawText(
            detail_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom), detail
        )
        painter.restore()


@functools.lru_cache(maxsize=8)
def _recovered_icon(role: str, scheme: Scheme) -> QIcon:
    """The mark of a chat salvaged from a damaged history (kept: rows repaint often)."""
    return icon("warning", scheme, role)


def _paint_pin(painter: QPainter, rect: QRect, color: QColor) -> None:
    """A push pin seen from the side: a round head over a short needle, centred in ``rect``."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    radius = min(rect.width(), rect.height()) / 3.5
    centre = QPointF(rect.center().x() + 0.5, rect.top() + rect.height() * 0.4)
    needle = QPen(color, 1.6)
    needle.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(needle)
    painter.drawLine(centre, QPointF(centre.x(), centre.y() + radius * 2.6))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawEllipse(centre, radius, radius)
    painter.restore()
