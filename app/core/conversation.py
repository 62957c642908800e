"""Conversation, messages and their parts, as the engine and the history see them.

A message is an ordered list of parts (text and images); order matters because Pixtral reads
images where they stand in the prompt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from app.core.images import PreparedImage


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class MessageStatus(StrEnum):
    """Where a message stands; ``stopped`` keeps the text produced before a cancel."""

    COMPLETE = "complete"
    STREAMING = "streaming"
    STOPPED = "stopped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class TextPart:
    """Text for the model. ``label`` marks text the app wrote on the user's behalf (a job's
    instructions, such as Make HTML's prompt): it is sent whole, but the transcript shows the
    label instead and the chat's title is not taken from it, because the user never typed it."""

    text: str
    label: str = ""


@dataclass(frozen=True)
class ImagePart:
    image: PreparedImage


Part = TextPart | ImagePart


@dataclass
class Message:
    role: Role
    parts: list[Part] = field(default_factory=list)
    status: MessageStatus = MessageStatus.COMPLETE

    @classmethod
    def user(
        cls, text: str = "", images: list[PreparedImage] | tuple[PreparedImage, ...] = ()
    ) -> Message:
        """A user message with its images first, then its text (how the composer sends)."""
        parts: list[Part] = [ImagePart(image) for image in images]
        if text:
            parts.append(TextPart(text))
        return cls(Role.USER, parts)

    @classmethod
    def assistant(cls, text: str) -> Message:
        return cls(Role.ASSISTANT, [TextPart(text)])

    @property
    def text(self) -> str:
        return "".join(part.text for part in self.parts if isinstance(part, TextPart))

    @property
    def images(self) -> list[PreparedImage]:
        return [part.image for part in self.parts if isinstance(part, ImagePart)]


@dataclass
class Conversation:
    """The messages of the branch being shown, oldest first, plus per-chat settings."""

    messages: list[Message] = field(default_factory=list)
    system_prompt: str = ""
