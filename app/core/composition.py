"""What the next question holds, as one value: the typed text, the images, a document's pages.

The context meter counts a question before it is sent and the chat session sends it; when each
built the message its own way, the exact count shown could differ from what went out (a blank
text the session never sent, a document placed elsewhere). Both now take a ``Composition`` and
call ``parts()``, the only place where the order of a question is decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.core.conversation import ImagePart, Message, Part, Role, TextPart
from app.core.images import PreparedImage


@dataclass(frozen=True)
class Composition:
    """A question waiting to be sent; equal values send (and count) the same message.

    ``images`` are prepared already, so each carries the detail it will be sent at; ``document``
    holds a PDF's pages as the page picker made them (a header, page labels, text layers and
    page images), kept in their own order.
    """

    text: str = ""
    images: Sequence[PreparedImage] = field(default=())
    document: Sequence[Part] = field(default=())
    instructions: str = ""
    """What the app asks of the model for a job (Make HTML's prompt), sent before ``text``."""
    label: str = ""
    """What the transcript shows in place of ``instructions`` ("Make HTML")."""

    def __post_init__(self) -> None:
        # Tuples, whatever the caller passed: the value cannot change under the meter's count,
        # and two compositions holding the same things compare equal.
        object.__setattr__(self, "images", tuple(self.images))
        object.__setattr__(self, "document", tuple(self.document))

    @property
    def empty(self) -> bool:
        return not (self.text or self.images or self.document or self.instructions)

    def parts(self) -> list[Part]:
        """The question's parts in the order they are sent: images, the document, the text.

        The images lead so a question about "these screenshots" reads them first; the document
        follows with its own labels; the text comes last and is left out when empty, because an
        empty text part would cost tokens the user never wrote.
        """
        parts: list[Part] = [ImagePart(image) for image in self.images]
        parts.extend(self.document)
        if self.instructions:
            parts.append(TextPart(self.instructions, label=self.label or "Instructions"))
        if self.text:
            parts.append(TextPart(self.text))
        return parts

    def message(self) -> Message:
        """The user message that carries ``parts()``."""
        return Message(Role.USER, self.parts())
