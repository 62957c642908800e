"""The versions of a page in a screenshot-to-HTML conversation, and what changed between them.

The conversation is the record: the first image the user sent is the original, every answer
that holds a page is a version. Keeping versions in the chat history (rather than in a studio
file of their own) means a studio reopened next week shows the same versions, and deleting the
chat deletes them. A version the user edited by hand exists only in the studio until it is
sent in a refine request, which quotes it, so the history then holds it too.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.core.conversation import Message, MessageStatus, Role
from app.core.images import PreparedImage
from app.workflows.screenshot_to_html import extract_html, fix_differences_prompt


class VersionSource(StrEnum):
    ANSWER = "answer"  # extracted from the model's answer
    EDIT = "edit"  # typed by the user in the studio's code tab


@dataclass(frozen=True)
class PageVersion:
    number: int  # 1-based, in the order made
    html: str
    source: VersionSource = VersionSource.ANSWER

    @property
    def label(self) -> str:
        suffix = " (your edit)" if self.source is VersionSource.EDIT else ""
        return f"Version {self.number}{suffix}"


@dataclass(frozen=True)
class StudioRecord:
    """What a conversation holds for the studio: its original picture and the page versions."""

    original: PreparedImage | None
    versions: tuple[PageVersion, ...]


_USABLE = frozenset({MessageStatus.COMPLETE, MessageStatus.STOPPED, MessageStatus.INTERRUPTED})


def read_conversation(messages: Sequence[Message]) -> StudioRecord:
    """Find the original (the first image sent) and every answer's page, oldest first.

    Stopped and interrupted answers count when a page can be read from them: a user who stopped
    a long answer still wants to see what was written.
    """
    original = next((image for m in messages if m.role is Role.USER for image in m.images), None)
    pages = [
        html
        for message in messages
        if message.role is Role.ASSISTANT and message.status in _USABLE
        for html in [extract_html(message.text)]
        if html is not None
    ]
    return StudioRecord(original, tuple(PageVersion(n, html) for n, html in enumerate(pages, 1)))


def refine_request(version: PageVersion, latest_answer: bool, width: int, height: int) -> str:
    """The text of a refine request for ``version``.

    When the version is the model's latest answer, it is already in the conversation and the
    prompt only refers to it. An older version or a hand edit is quoted in full, so the model
    fixes the page the user is looking at, and the history keeps the edit.
    """
    prompt = fix_differences_prompt(width, height)
    if latest_answer and version.source is VersionSource.ANSWER:
        return prompt
    return (
        f"{prompt}\n\nStart from this version of the page (the second image shows it rendered), "
        f"not from your last answer:\n\n```html\n{version.html}\n```"
    )


@dataclass(frozen=True)
class ChangeLine:
    kind: str  # "+" added, "-" removed, " " context, "@" hunk header
    text: str


def changes_between(old: str, new: str, context: int = 2) -> list[ChangeLine]:
    """A unified diff of two versions as typed lines, for a coloured view; empty when equal."""
    lines: list[ChangeLine] = []
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context)
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        kind = line[:1] if line[:1] in "+- @" and line else " "
        lines.append(ChangeLine(kind, line[1:] if kind != "@" else line))
    return lines


def change_summary(lines: Sequence[ChangeLine]) -> str:
    added = sum(1 for line in lines if line.kind == "+")
    removed = sum(1 for line in lines if line.kind == "-")
    if not added and not removed:
        return "No changes."
    return f"{added} line{'s' * (added != 1)} added, {removed} removed"
