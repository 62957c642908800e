"""Pixtral's prompt layout, as a list of pieces the engine turns into tokens.

Pixtral 12B uses Mistral's instruct format v3 (Tekken):
``<s>[INST]user[/INST]answer</s>[INST]user[/INST]`` with each image's ``[IMG]…[IMG_END]``
block where the image stands in the message. The layout below mirrors mistral-common's
``InstructTokenizerV3`` (tests compare the two token for token):

- the system prompt is written at the start of the *last* user message, followed by a blank
  line; a text-only message is encoded as one string, a message with images chunk by chunk;
- empty texts are dropped and neighbouring texts joined by a blank line; then a message made of
  text followed by a single trailing image is reordered image-first;
- assistant answers lose trailing spaces and end with ``</s>``.

Control tokens are separate pieces so user text is never parsed for them: a user typing
"[INST]" gets the characters, not the control token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.core.conversation import ImagePart, Message, Part, Role, TextPart
from app.core.images import PreparedImage


class Control(StrEnum):
    BOS = "<s>"
    EOS = "</s>"
    INST = "[INST]"
    END_INST = "[/INST]"


class SystemPlacement(StrEnum):
    """Where the system prompt goes.

    ``pixtral`` is the model's own template (last user message). It moves every turn, so a
    follow-up re-reads the conversation from the previous user message on (on turn 2, all of
    it, the first turn's image tokens included). ``first`` keeps it in the
    first user message, which lets every follow-up reuse the cache; the model was not trained
    that way, so it is an opt-in.
    """

    PIXTRAL = "pixtral"
    FIRST = "first"


@dataclass(frozen=True)
class ControlPiece:
    token: Control


@dataclass(frozen=True)
class TextPiece:
    text: str


@dataclass(frozen=True)
class ImagePiece:
    image: PreparedImage


Piece = ControlPiece | TextPiece | ImagePiece


class PromptError(ValueError):
    """The messages do not form a valid Pixtral conversation."""


def build_prompt(
    messages: Sequence[Message],
    system_prompt: str = "",
    placement: SystemPlacement = SystemPlacement.PIXTRAL,
    continue_answer: bool = False,
) -> list[Piece]:
    """Lay out ``messages`` (alternating, ending with the user) as Pixtral reads them.

    With ``continue_answer`` the messages end with an answer that was cut at the answer limit
    instead: it is laid out as the model wrote it, with no ``</s>`` after it and its trailing
    spaces kept, so the model carries on from its last token as if it had never stopped.
    """
    if continue_answer:
        if not messages or messages[-1].role is not Role.ASSISTANT:
            raise PromptError("Only an answer can be continued.")
        pieces = build_prompt(messages[:-1], system_prompt, placement)
        partial = "\n\n".join(p.text for p in _normalized(messages[-1].parts))
        if partial:
            pieces.append(TextPiece(partial))
        return pieces
    _check_roles(messages)
    user_indexes = [i for i, m in enumerate(messages) if m.role is Role.USER]
    system_at = user_indexes[-1] if placement is SystemPlacement.PIXTRAL else user_indexes[0]
    pieces: list[Piece] = [ControlPiece(Control.BOS)]
    for index, message in enumerate(messages):
        if message.role is Role.USER:
            system = system_prompt if index == system_at else ""
            pieces.append(ControlPiece(Control.INST))
            pieces.extend(_user_content(message.parts, system))
            pieces.append(ControlPiece(Control.END_INST))
        else:
            answer = "\n\n".join(p.text for p in _normalized(message.parts)).rstrip(" ")
            if answer:
                pieces.append(TextPiece(answer))
            pieces.append(ControlPiece(Control.EOS))
    return pieces


def prompt_images(pieces: Sequence[Piece]) -> list[PreparedImage]:
    return [piece.image for piece in pieces if isinstance(piece, ImagePiece)]


def _normalized(parts: Sequence[Part]) -> list[Part]:
    """Drop empty texts and join neighbouring texts with a blank line, as mistral-common does."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, TextPart):
            if not part.text:
                continue
            if out and isinstance(out[-1], TextPart):
                out[-1] = TextPart(f"{out[-1].text}\n\n{part.text}")
                continue
        out.append(part)
    return out


def _user_content(parts: Sequence[Part], system: str) -> list[Piece]:
    parts = _normalized(parts)
    if not any(isinstance(part, ImagePart) for part in parts):
        text = "".join(part.text for part in parts if isinstance(part, TextPart))
        if system:
            text = f"{system}\n\n{text}"
        return [TextPiece(text)] if text else []
    ordered = list(parts)
    if (
        len(ordered) >= 2
        and isinstance(ordered[-1], ImagePart)
        and all(isinstance(part, TextPart) for part in ordered[:-1])
    ):
        ordered = [ordered[-1], *ordered[:-1]]
    pieces: list[Piece] = []
    if system:
        pieces.append(TextPiece(f"{system}\n\n"))
    for part in ordered:
        if isinstance(part, ImagePart):
            pieces.append(ImagePiece(part.image))
        elif part.text:
            pieces.append(TextPiece(part.text))
    return pieces


def _check_roles(messages: Sequence[Message]) -> None:
    if not messages:
        raise PromptError("There is nothing to send: the conversation is empty.")
    if messages[-1].role is not Role.USER:
        raise PromptError("The last message must be the user's.")
    expected = Role.USER
    for message in messages:
        if message.role is not expected:
            raise PromptError("User and assistant messages must alternate.")
        expected = Role.ASSISTANT if expected is Role.USER else Role.USER
