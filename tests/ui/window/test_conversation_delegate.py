"""A chat's row asks for no width of its own: the list never scrolls sideways."""

from __future__ import annotations

from PySide6.QtWidgets import QStyleOptionViewItem

from app.ui.window.conversation_delegate import ConversationDelegate
from app.ui.window.conversation_model import ConversationListModel


def test_rows_ask_for_no_width_of_their_own(qapp) -> None:
    option = QStyleOptionViewItem()
    option.rect.setWidth(900)
    hint = ConversationDelegate().sizeHint(option, ConversationListModel().index(0))
    assert hint.width() <= 1
