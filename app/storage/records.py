"""What the history stores, as plain dataclasses, and the conversion to and from core types.

The core ``Message`` knows nothing of ids, timestamps or branches; the storage records add
them. Images are kept as the PNG of the *prepared* pixels (lossless, so the model sees the
same image after a restart) plus the metadata that rebuilds a ``PreparedImage``.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.conversation import (
    Conversation,
    ImagePart,
    Message,
    MessageStatus,
    Part,
    Role,
    TextPart,
)
from app.core.document_marks import HEADER, LABEL
from app.core.images import Detail, PatchGrid, PreparedImage
from app.storage.blobs import BlobStore, StagedBlob

PART_KINDS = ("text", "image", "document")
TITLE_SOURCES = ("auto", "model", "user")
TITLE_LENGTH = 60
LABEL_KEY = "label"
"""Key of a text part's meta: what the transcript shows in place of text the app wrote for
the user (a job's instructions); the title never quotes such text."""
OLD_FALLBACK_KEY = "allow_fallback"
"""Where older versions kept the per-chat fallback flag: a key of the sampling JSON."""
SEED_KEY = "seed"
"""Key of a message's usage JSON: the sampling seed its answer was written with."""
CONTINUED_SEEDS_KEY = "continued_seeds"
"""Key of a message's usage JSON: the seeds of each Continue that wrote more of it."""
FINISH_KEY = "finish_reason"
"""Key of a message's usage JSON: why its answer ended (the engine's finish reason)."""
LIMIT_REACHED = "length"
"""The finish reason of an answer that stopped at the answer limit."""
ANSWER_LIMIT_KEY = "answer_limit"
"""Key of a conversation's sampling JSON: the answer limit its job needs (a page of HTML needs
thousands of tokens); answers get at least this many, within the room left in the context."""
EARLIEST_TIME, LATEST_TIME = 0.0, 7_258_118_400.0
"""Timestamps the history accepts: 1970-01-01 to 2200-01-01 (seconds). Anything else is not a
real date, and ``time.localtime`` overflows on some (``1e300``)."""


@dataclass(frozen=True)
class StoredPart:
    """One part of a message: text, or a blob (image/document) with metadata."""

    kind: str
    text: str | None = None
    sha256: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of_text(cls, text: str) -> StoredPart:
        return cls("text", text=text)


@dataclass(frozen=True)
class StagedPart:
    """A part whose blob (if any) is already on disk, ready for a short insert transaction."""

    part: StoredPart
    blob: StagedBlob | None = None


@dataclass
class StoredMessage:
    id: int
    conversation_id: int
    parent_id: int | None
    role: Role
    status: MessageStatus
    parts: list[StoredPart]
    created_at: float
    updated_at: float
    backend: str = ""
    model: str = ""
    usage: dict[str, Any] | None = None
    timings: dict[str, Any] | None = None
    error: str | None = None
    sibling_ids: tuple[int, ...] = ()
    """This message and its alternatives (same parent), oldest first: the "‹ 2/3 ›" control."""

    @property
    def text(self) -> str:
        return "".join(p.text or "" for p in self.parts if p.kind == "text")

    @property
    def reached_limit(self) -> bool:
        """A finished answer that stopped at the answer limit (it can be continued)."""
        usage = self.usage or {}
        return self.status is MessageStatus.COMPLETE and usage.get(FINISH_KEY) == LIMIT_REACHED

    @property
    def sibling_index(self) -> int:
        return self.sibling_ids.index(self.id) if self.id in self.sibling_ids else 0

    @property
    def sibling_count(self) -> int:
        return max(len(self.sibling_ids), 1)

    def to_core(self, blobs: BlobStore) -> Message:
        """The engine's view; decodes images, so call it off the GUI thread for long chats."""
        parts: list[Part] = []
        for part in self.parts:
            if part.kind == "text":
                parts.append(TextPart(part.text or "", str(part.meta.get(LABEL_KEY) or "")))
            elif part.kind == "image" and part.sha256:
                parts.append(ImagePart(image_from_blob(blobs.read(part.sha256), part.meta)))
            elif part.kind == "document" and part.text:
                parts.append(TextPart(part.text))
        return Message(self.role, parts, self.status)


@dataclass
class ConversationInfo:
    id: int
    uid: str
    title: str
    title_source: str
    created_at: float
    updated_at: float
    pinned: bool
    archived: bool
    trashed_at: float | None
    backend: str
    model: str
    system_prompt: str
    sampling: dict[str, Any]
    private: bool
    active_leaf_id: int | None
    allow_fallback: bool = False
    """The user said "Yes to All": when the local model cannot answer, this chat may be
    answered on La Plateforme without asking again."""
    recovered_at: float | None = None
    """When it was salvaged out of a damaged history (None: never was); it may be incomplete."""
    damaged: bool = False
    """A stored value could not be read as it should (a time out of range, settings that are
    not JSON); it is shown with a safe stand-in so the conversation can still be opened,
    exported or deleted."""

    COLUMNS = (
        "id, uid, title, title_source, created_at, updated_at, pinned, archived, trashed_at, "
        "backend, model, system_prompt, sampling, private, active_leaf_id, allow_fallback, "
        "recovered_at"
    )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> ConversationInfo:
        values = list(row)
        for flag in (6, 7, 13, 15):  # pinned, archived, private, allow_fallback
            values[flag] = bool(values[flag])
        sampling = loads(values[12]) if values[12] else {}
        trashed = values[8]
        damaged = sampling is None or not all(
            is_time(v) for v in (values[4], values[5], trashed if trashed is not None else 0.0)
        )
        values[4], values[5] = as_time(values[4]), as_time(values[5])
        values[8] = None if trashed is None else as_time(trashed)
        values[12] = sampling or {}
        values[16] = as_time(values[16]) if values[16] is not None else None
        return cls(*values, damaged=damaged)


@dataclass
class LoadedConversation:
    """A conversation with the messages of the branch being shown, oldest first."""

    info: ConversationInfo
    messages: list[StoredMessage]

    def to_core(self, blobs: BlobStore) -> Conversation:
        return Conversation(
            messages=[m.to_core(blobs) for m in self.messages],
            system_prompt=self.info.system_prompt,
        )


def stage_part(part: Part | StoredPart | StagedPart, blobs: BlobStore) -> StagedPart:
    """Write a part's blob to disk (slow for big images) and describe the row to insert."""
    if isinstance(part, StagedPart):
        return part
    if isinstance(part, TextPart):
        meta = {LABEL_KEY: part.label} if part.label else {}
        return StagedPart(StoredPart("text", text=part.text, meta=meta))
    if isinstance(part, ImagePart):
        image = part.image
        blob = blobs.write(image.to_png(), "image/png")
        meta = {
            "name": image.name,
            "source_size": list(image.source_size),
            "detail": image.detail.value,
            "grid": [image.grid.cols, image.grid.rows],
            "prepared_sha256": image.sha256,
        }
        return StagedPart(StoredPart("image", sha256=blob.sha256, meta=meta), blob)
    if isinstance(part, StoredPart):
        if part.kind not in PART_KINDS:
            raise ValueError(f"unknown part kind {part.kind!r}")
        if part.sha256 and not blobs.exists(part.sha256):
            raise ValueError(f"blob {part.sha256} is not in the store; write it first")
        blob = None
        if part.sha256:
            size = blobs.path(part.sha256).stat().st_size
            blob = StagedBlob(part.sha256, size, str(part.meta.get("mime", "")) or _mime(part))
        return StagedPart(part, blob)
    raise TypeError(f"cannot store a part of type {type(part).__name__}")


def image_from_blob(png: bytes, meta: dict[str, Any]) -> PreparedImage:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        rgb = img.convert("RGB").tobytes()
    cols, rows = meta.get("grid") or [1, 1]
    width, height = meta.get("source_size") or [cols * 16, rows * 16]
    return PreparedImage(
        name=str(meta.get("name", "image")),
        source_size=(int(width), int(height)),
        detail=Detail.parse(meta.get("detail", "native")),
        grid=PatchGrid(int(cols), int(rows)),
        rgb=rgb,
        sha256=str(meta.get("prepared_sha256", "")),
    )


def _mime(part: StoredPart) -> str:
    return "image/png" if part.kind == "image" else "application/octet-stream"


def dumps(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def loads(value: str | None) -> dict[str, Any] | None:
    """A stored JSON object, or None: a damaged value must not stop the history from being
    listed, shown or exported."""
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None


def take_old_fallback_flag(sampling: dict[str, Any]) -> bool:
    """Remove the "answer elsewhere without asking" flag that older versions kept inside a
    conversation's sampling settings; True when it allowed it (any true value did)."""
    return bool(sampling.pop(OLD_FALLBACK_KEY, False))


def is_time(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and EARLIEST_TIME <= value <= LATEST_TIME
    )


def as_time(value: Any) -> float:
    """A stored timestamp, or 0.0 (1970) for one that is not a real date."""
    return float(value) if is_time(value) else 0.0


def auto_title(parts: Sequence[StoredPart]) -> str:
    """A short, human title from the first question: its first words, led by the document's
    name when it asked about one ("lease.pdf: what is the rent?"); for a job the app worded
    (Make HTML) its label and the user's wishes, or what it was made from.

    The instructions and the documents' pages are left out: they are the app's words, not the
    user's, and a title that starts "Document 'lease.pdf' (3 pages)…" says nothing.
    """
    documents: list[str] = []
    words: list[str] = []
    label = ""
    for part in parts:
        if part.kind != "text" or not part.text:
            continue
        found = LABEL.match(part.text)
        if found:
            documents.append(found["name"])
        elif HEADER.match(part.text):
            continue
        elif part.meta.get(LABEL_KEY):
            label = label or str(part.meta[LABEL_KEY])
        else:
            words.append(part.text)
    text = " ".join(" ".join(words).split())
    names = [str(p.meta.get("name", "")) for p in parts if p.sha256 and p.meta.get("name")]
    if documents:
        text = f"{documents[0]}: {text}" if text else documents[0]
    elif label:
        text = f"{label}: {text}" if text else f"{label} from {names[0] if names else 'screenshot'}"
    elif not text:
        text = names[0] if names else "Image"
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rstrip() + "…"
