"""A conversation as chat-completions messages, within La Plateforme's image limits.

Remote backends keep no state between turns, so every request carries the whole history in
the wire format both La Plateforme and OpenAI-compatible servers read: system prompt first,
user turns as text and ``image_url`` parts (images inline as data URIs, since a desktop app
has nowhere public to host them), assistant turns as plain text. The limits (≤ 8 images per
request, ≤ 10 MB each, La Plateforme's) are enforced here, before anything is sent, because the
API rejects the whole request otherwise; what had to give is said in ``Payload.notices``.

Every remote request is built here, so this is also where the one rule about what may never
leave the computer is enforced: a conversation holding pages of a document is refused before a
single byte is sent (``DocumentStaysLocal``) — whichever path asked (a new turn, a
regenerate, an edit, a fallback, a token count).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any

from app.core.conversation import ImagePart, Message, MessageStatus, Role, TextPart
from app.core.images import PreparedImage
from app.engine.backend_choice import DocumentStaysLocal, check_no_document
from app.engine.base import EngineError, ErrorKind, GenerationRequest

MAX_IMAGES_PER_REQUEST = 8  # La Plateforme's limit
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # 10 MB per image, counted on the encoded file


@dataclass
class Payload:
    """The request as sent: wire messages, the images they carry, and notices for the user."""

    messages: list[dict[str, Any]]
    images: list[PreparedImage] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def image_data_uri(image: PreparedImage, max_bytes: int = MAX_IMAGE_BYTES) -> tuple[str, str]:
    """A data URI for ``image`` under ``max_bytes``, and a notice when it had to shrink.

    PNG keeps the prepared pixels exactly; only when that is too big do we fall back to JPEG
    and then to halving the size, because the API rejects the whole request otherwise.
    """
    png = image.to_png()
    if len(png) <= max_bytes:
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii"), ""
    img = image.to_pil()
    for _ in range(8):
        for quality in (90, 75, 60):
            out = io.BytesIO()
            img.save(out, format="JPEG", quality=quality)
            if out.tell() <= max_bytes:
                notice = (
                    f"'{image.name}' was re-encoded as JPEG at {img.width}×{img.height} "
                    f"(quality {quality}) to stay under the {max_bytes // 1_000_000 or 1} MB "
                    "per-image limit."
                )
                data = base64.b64encode(out.getvalue()).decode("ascii")
                return "data:image/jpeg;base64," + data, notice
        img = img.resize((max(img.width // 2, 1), max(img.height // 2, 1)))
    raise ValueError(f"'{image.name}' cannot be made small enough to send.")


def build_payload(
    request: GenerationRequest,
    max_images: int | None = MAX_IMAGES_PER_REQUEST,
    max_image_bytes: int | None = MAX_IMAGE_BYTES,
    mark_prefix: bool = False,
) -> Payload:
    """The whole conversation as chat-completions messages, within the image limits.

    Remote backends keep no state between turns, so every request replays the full history
    (which also makes switching from the local engine mid-conversation exact). With more than
    ``max_images`` images in the history, the most recent ones are sent and each older one is
    replaced by a short text placeholder, so the model knows an image stood there. A request
    that continues a cut answer ends with that answer as it was written (``mark_prefix`` adds
    La Plateforme's ``"prefix": true``, which makes the model start its reply with it). Raises
    ``ValueError`` when the last message alone has more images than one request may carry,
    and ``DocumentStaysLocal`` when any message holds pages of a document.
    """
    check_no_document(request.messages)
    messages = [m for m in request.messages if _worth_sending(m)]
    all_images = [img for m in messages for img in m.images]
    if max_images is not None and messages and len(messages[-1].images) > max_images:
        raise ValueError(
            f"This message has {len(messages[-1].images)} images; one request may carry at most "
            f"{max_images}. Remove some, or send them over several messages."
        )
    dropped = len(all_images) - max_images if max_images is not None else 0
    dropped = max(dropped, 0)
    payload = Payload(messages=[])
    if request.system_prompt:
        payload.messages.append({"role": "system", "content": request.system_prompt})
    seen = 0
    for message in messages:
        content: list[dict[str, Any]] = []
        for part in message.parts:
            if isinstance(part, TextPart):
                if part.text:
                    content.append({"type": "text", "text": part.text})
            elif isinstance(part, ImagePart):
                seen += 1
                if seen <= dropped:
                    content.append(
                        {"type": "text", "text": f"[earlier image '{part.image.name}' omitted]"}
                    )
                    continue
                limit = max_image_bytes if max_image_bytes is not None else 1 << 62
                uri, notice = image_data_uri(part.image, limit)
                if notice:
                    payload.notices.append(notice)
                payload.images.append(part.image)
                content.append({"type": "image_url", "image_url": {"url": uri}})
        _append(payload.messages, message.role, content)
    if request.continue_answer:
        _open_last_answer(payload.messages, request.messages[-1].text, mark_prefix)
    if dropped:
        payload.notices.insert(
            0,
            f"This conversation has {len(all_images)} images but one request may carry "
            f"{max_images}: the {max_images} most recent were sent, the {dropped} older ones "
            "were replaced by a placeholder.",
        )
    return payload


def payload_or_error(
    request: GenerationRequest,
    max_images: int | None = MAX_IMAGES_PER_REQUEST,
    max_image_bytes: int | None = MAX_IMAGE_BYTES,
    mark_prefix: bool = False,
) -> Payload | EngineError:
    """``build_payload``, with its refusals as the ``EngineError`` a backend yields."""
    try:
        return build_payload(request, max_images, max_image_bytes, mark_prefix)
    except DocumentStaysLocal as exc:
        return EngineError(ErrorKind.PRIVACY, str(exc), detail="document pages in the chat")
    except ValueError as exc:
        return EngineError(ErrorKind.BAD_INPUT, str(exc))


def _worth_sending(message: Message) -> bool:
    # A failed reply with no text says nothing to the model; a stopped one keeps its words.
    return bool(message.parts) and not (
        message.role is Role.ASSISTANT
        and message.status is MessageStatus.FAILED
        and not message.text
    )


def _open_last_answer(out: list[dict[str, Any]], partial: str, mark_prefix: bool) -> None:
    """The cut answer, last, exactly as written (its trailing spaces and blank lines are where
    the model goes on); an empty one is no beginning at all, so it is left out."""
    if not out or out[-1]["role"] != "assistant":
        return
    if not partial:
        out.pop()
        return
    out[-1]["content"] = partial
    if mark_prefix:
        out[-1]["prefix"] = True


def _append(out: list[dict[str, Any]], role: Role, content: list[dict[str, Any]]) -> None:
    """Add a turn, merging same-role neighbours (the API expects user/assistant alternation)."""
    if role is Role.ASSISTANT:
        text = "".join(c.get("text", "") for c in content).rstrip()
        if out and out[-1]["role"] == "assistant":
            out[-1]["content"] += "\n\n" + text
        else:
            out.append({"role": "assistant", "content": text})
        return
    if out and out[-1]["role"] == "user":
        out[-1]["content"].extend(content)
    else:
        out.append({"role": "user", "content": content})


def sampling_args(request: GenerationRequest) -> dict[str, Any]:
    """The sampling settings both APIs name alike (each adds its own spelling of the seed)."""
    s = request.sampling
    return {"temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_tokens}


def continued_text(request: GenerationRequest) -> str:
    """The answer a request continues ("" for a new answer): what a server may repeat first."""
    return request.messages[-1].text if request.continue_answer and request.messages else ""
