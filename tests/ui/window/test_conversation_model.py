"""The sidebar's dated groups count calendar days, as people do, not 24-hour spans."""

from __future__ import annotations

from datetime import date, datetime

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
