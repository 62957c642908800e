"""The sidebar's dated groups count calendar days, as people do, not 24-hour spans."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import Qt

from app.ui.window.conversation_model import group_of

# A fixed "now": Wednesday 15 July 2026, 12:00 local time. Groups count local calendar days.
NOW = datetime(2026, 7, 15, 12, 0).timestamp()
DAY = 86400.0


def test_group_of_counts_calendar_days() -> None:
    assert group_of(NOW - 60, NOW) == "Today"
    assert group_of(datetime(2026, 7, 14, 23, 59).timestamp(), NOW) == "Yesterday"
    assert group_of(NOW - 2 * DAY, NOW) == "Previous 7 days"
    assert group_of(NOW - 7 * DAY, NOW) == "Previous 7 days"
    assert group_of(NOW - 8 * DAY, NOW) == "Previous 30 days"
    assert group_of(NOW - 30 * DAY, NOW) == "Previous 30 days"
    assert group_of(datetime(2026, 3, 1).timestamp(), NOW) == date(2026, 3, 1).strftime("%B")
    assert group_of(datetime(2025, 12, 24).timestamp(), NOW) == (
        f"{date(2025, 12, 1).strftime('%B')} 2025"
    )


def test_a_recovered_chat_says_so_with_its_date_and_a_damaged_date_is_not_1970(qapp) -> None:
    from PySide6.QtCore import Qt

    from app.ui.session.session_history import SidebarRow
    from app.ui.window.conversation_model import (
        ConversationListModel,
        DetailRole,
        GroupRole,
        RecoveredRole,
    )

    model = ConversationListModel(lambda: NOW)
    model.set_rows(
        [
            SidebarRow(1, "Salvaged", NOW - 3 * DAY, recovered=True),
            SidebarRow(2, "Unreadable date", 0.0, recovered=True),
            SidebarRow(3, "Sound", NOW - 60),
        ]
    )
    sound, salvaged, unknown = (model.index(row) for row in range(3))  # newest first
    assert [i.data() for i in (sound, salvaged, unknown)] == [
        "Sound",
        "Salvaged",
        "Unreadable date",
    ]
    assert sound.data(RecoveredRole) is False and "Recovered" not in sound.data(DetailRole)
    assert salvaged.data(RecoveredRole) is True
    assert salvaged.data(DetailRole) == (
        "Recovered · " + datetime.fromtimestamp(NOW - 3 * DAY).strftime("%d %b %Y")
    )
    assert "damaged history" in salvaged.data(Qt.ItemDataRole.ToolTipRole)
    assert salvaged.data(Qt.ItemDataRole.AccessibleTextRole) == "Recovered, Salvaged"
    assert "may be missing" in salvaged.data(Qt.ItemDataRole.AccessibleDescriptionRole)
    assert unknown.data(DetailRole) == "Recovered · Date unknown"
    assert unknown.data(GroupRole) == "Date unknown"
    assert group_of(0.0, NOW) == "Date unknown"


def test_a_damaged_chat_that_was_not_salvaged_is_called_damaged(qapp) -> None:
    from app.ui.session.session_history import SidebarRow
    from app.ui.window.conversation_model import ConversationListModel, DetailRole, RecoveredRole

    model = ConversationListModel(lambda: NOW)
    model.set_rows([SidebarRow(1, "Odd settings", NOW - 3 * DAY, damaged=True)])
    index = model.index(0)
    assert index.data(RecoveredRole) is True
    assert index.data(DetailRole).startswith("Damaged · ")
    assert "could not be read" in index.data(Qt.ItemDataRole.ToolTipRole)


def test_a_search_hit_in_a_recovered_chat_says_so_before_its_snippet(qapp) -> None:
    from app.ui.session.session_history import SidebarRow
    from app.ui.window.conversation_model import ConversationListModel, DetailRole, RecoveredRole

    model = ConversationListModel(lambda: NOW)
    model.set_rows(
        [
            SidebarRow(1, "Salvaged", NOW, snippet="the [okapi] budget", recovered=True),
            SidebarRow(2, "Sound", NOW, snippet="an [okapi]"),
        ]
    )
    salvaged, sound = model.index(0), model.index(1)
    assert salvaged.data(RecoveredRole) is True
    assert salvaged.data(DetailRole) == "Recovered · the okapi budget"
    assert "damaged history" in salvaged.data(Qt.ItemDataRole.ToolTipRole)
    assert sound.data(RecoveredRole) is False and sound.data(DetailRole) == "an okapi"
