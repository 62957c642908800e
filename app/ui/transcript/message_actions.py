"""A message's action buttons — versions ‹ 2/3 ›, copy, edit or regenerate, delete — as
geometry the delegate paints and hit-tests, and the one table of their names and words.

Painted, not widgets: a transcript of 2,000 messages would otherwise hold 10,000 buttons.
The row always keeps their room (nothing moves when they appear); the delegate draws them only
on the hovered row and on the keyboard's current row, where Left/Right pick one and Enter runs
it (``ChatView``), and the context menu offers the same actions by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetricsF

from app.core.conversation import MessageStatus, Role
from app.ui.theme.tokens import MESSAGE_ACTION, SPACING
from app.ui.transcript.transcript_model import TranscriptItem

ACTIONS = {
    "branch-prev": ("previous", "Previous version"),
    "branch-next": ("next", "Next version"),
    "copy": ("copy", "Copy message (Ctrl+C)"),
    "edit": ("edit", "Edit and resend"),
    "regenerate": ("regenerate", "Regenerate this answer"),
    "delete": ("delete", "Delete message (Delete)"),
}
"""action → (icon name in ``app.ui.theme.icons.NAMES``, tooltip and accessible name)."""


def action_tooltip(href: str) -> str:
    """What a painted button or icon link at ``href`` does, for its tooltip ("" if none)."""
    if href.startswith("copy-code:"):
        return "Copy this code"
    name = href.removeprefix("action:") if href.startswith("action:") else ""
    return ACTIONS[name][1] if name in ACTIONS else ""


@dataclass(frozen=True)
class ActionState:
    """Which of a row's buttons the mouse is over and which the keyboard has picked."""

    hovered: str = ""
    focused: str = ""


@dataclass(frozen=True)
class ActionButton:
    """One painted button, in row coordinates; ``name`` is what ``action:NAME`` triggers."""

    name: str
    rect: QRectF
    enabled: bool = True

    @property
    def icon(self) -> str:
        return ACTIONS[self.name][0]

    @property
    def label(self) -> str:
        return ACTIONS[self.name][1]


@dataclass(frozen=True)
class ActionBar:
    """A row's buttons, the version count between ‹ and › ("2/3", with where it goes), and
    the status words shown beside them at all times ("Stopped")."""

    buttons: tuple[ActionButton, ...] = ()
    count: str = ""
    count_rect: QRectF | None = None
    status: str = ""
    status_rect: QRectF | None = None
    height: float = float(MESSAGE_ACTION["button"])

    @property
    def rect(self) -> QRectF:
        """What to repaint when the buttons show or hide."""
        rects = [b.rect for b in self.buttons]
        if self.count_rect is not None:
            rects.append(self.count_rect)
        united = QRectF()
        for rect in rects:
            united = united.united(rect)
        return united

    def enabled(self) -> list[ActionButton]:
        return [button for button in self.buttons if button.enabled]

    def at(self, x: float, y: float) -> ActionButton | None:
        for button in self.buttons:
            if button.enabled and button.rect.contains(x, y):
                return button
        return None

    def find(self, name: str) -> ActionButton | None:
        return next((b for b in self.buttons if b.name == name), None)


def action_names(item: TranscriptItem) -> list[str]:
    """The buttons a message shows, left to right; none while it is being written."""
    if item.status == MessageStatus.STREAMING:
        return []
    names = ["branch-prev", "branch-next"] if item.branch_count > 1 else []
    names.append("copy")
    names.append("edit" if item.role == Role.USER else "regenerate")
    names.append("delete")
    return names


def status_words(item: TranscriptItem) -> str:
    if item.status in (MessageStatus.STOPPED, MessageStatus.INTERRUPTED):
        return item.status.value.capitalize()
    return ""


def place_actions(
    item: TranscriptItem, left: float, right: float, top: float, metrics: QFontMetricsF
) -> ActionBar:
    """The bar for ``item``: an answer's from ``left``, a question's ending at ``right``
    (under its bubble); ``metrics`` is the caption font's, for the count and status."""
    size, gap = MESSAGE_ACTION["button"], MESSAGE_ACTION["gap"]
    names = action_names(item)
    count = f"{item.branch_index + 1}/{item.branch_count}" if item.branch_count > 1 else ""
    count_w = metrics.horizontalAdvance(count) + SPACING["xs"] if count else 0.0
    status = status_words(item)
    status_w = metrics.horizontalAdvance(status) + SPACING["sm"] if status else 0.0
    width = len(names) * (size + gap) + count_w + status_w
    x = left if item.role != Role.USER else right - width
    buttons: list[ActionButton] = []
    count_rect = status_rect = None
    for name in names:
        enabled = not (
            (name == "branch-prev" and item.branch_index <= 0)
            or (name == "branch-next" and item.branch_index >= item.branch_count - 1)
        )
        buttons.append(ActionButton(name, QRectF(x, top, size, size), enabled))
        x += size + gap
        if name == "branch-prev":
            count_rect = QRectF(x, top, count_w, size)
            x += count_w
    if status:
        status_rect = QRectF(x + SPACING["xs"], top, status_w, size)
    return ActionBar(tuple(buttons), count, count_rect, status, status_rect)
