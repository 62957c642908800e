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


def test_a_recovered_chat_carries_the_warning_mark(qtbot) -> None:
    """The mark is painted before the date line, in the theme's warning colour."""
    import time

    from PySide6.QtGui import QColor

    from app.ui.session.session_history import SidebarRow
    from app.ui.theme.icons import current_scheme
    from app.ui.theme.tokens import COLOURS
    from app.ui.window.sidebar import Sidebar

    def warning_pixels(recovered: bool) -> int:
        sidebar = Sidebar()
        qtbot.addWidget(sidebar)
        sidebar.resize(260, 300)
        sidebar.show()
        sidebar.set_rows([SidebarRow(1, "Short", time.time(), recovered=recovered)], None)
        sidebar.select(None)
        qtbot.waitExposed(sidebar)
        rect = sidebar.list.visualRect(sidebar.model.index(0))
        image = sidebar.list.viewport().grab(rect).toImage()
        warning = QColor(COLOURS[current_scheme()].warning)
        assert warning.red() > warning.blue() + 100  # an orange: grey text never looks like it

        def orange(colour: QColor) -> bool:
            return colour.red() > colour.blue() + 60 and colour.red() > colour.green() + 20

        return sum(
            1
            for x in range(40)
            for y in range(image.height() // 2, image.height())
            if orange(image.pixelColor(x, y))
        )

    assert warning_pixels(recovered=True) > 4
    assert warning_pixels(recovered=False) == 0
