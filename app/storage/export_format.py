"""The export format, declared once (``app/storage/export.py`` writes it), and its limits.

``EXPORT`` says what every field of an export may hold; ``importer.py`` checks a parsed file
against it with ``schema_check.check`` before anything is stored. The limits keep one hostile
file from filling memory or the disk while leaving room for any history the app itself
writes: an answer is at most 131,072 tokens (~0.5 MB of text), a prepared image at most
1024×1024 pixels (a PNG under 4 MB).
"""

from __future__ import annotations

import re
import time
from typing import Any

from app.core.conversation import MessageStatus, Role
from app.core.images import Detail
from app.settings import SETTINGS
from app.storage.records import (
    EARLIEST_TIME,
    LATEST_TIME,
    PART_KINDS,
    TITLE_SOURCES,
    take_old_fallback_flag,
)
from app.storage.schema_check import (
    Field,
    Flag,
    FreeJson,
    Invalid,
    Items,
    Lenient,
    Nullable,
    Number,
    Record,
    Table,
    Text,
    Variant,
)

MiB = 1024 * 1024
MAX_JSON_BYTES = 256 * MiB
"""The JSON text, read before parsing (a zip's JSON has no attachments in it)."""
MAX_BLOB_BYTES = 64 * MiB
"""One attachment (a document; images are far smaller)."""
MAX_TOTAL_BYTES = 16 * 1024 * MiB
"""Everything a zip inflates to; attachments go to disk one by one, never all in memory."""
MAX_ZIP_MEMBERS = 200_001
MAX_CONVERSATIONS = 100_000
MAX_MESSAGES = 100_000
"""Per conversation."""
MAX_PARTS = 4096
"""Per message: a long PDF is a label and a page per page."""
MAX_TEXT_CHARS = 8 * MiB
TEXT_LABEL_CHARS = 200
MAX_BLOBS = 200_000
MAX_IMAGE_SIDE = 64
"""Patches per side of a prepared image (1024 px / 16)."""

SHA256 = re.compile(r"[0-9a-f]{64}")
_TIME = Number(EARLIEST_TIME, LATEST_TIME, what="a time between 1970 and 2200 (seconds since 1970)")
_INDEX = Number(0, MAX_MESSAGES, whole=True)
_NAME = Text(1000)
_LABEL = Text(10_000)
_SHA = Text(64, pattern=SHA256, what="a sha256 hex digest (64 characters 0-9, a-f)")


def _sampling() -> Record:
    """Known sampling keys with the same bounds as the settings; other keys kept as they are
    (a setting this version does not know, written by a newer one)."""
    fields = {}
    for setting in SETTINGS:
        if setting.section == "sampling" and setting.bounds:
            low, high = setting.bounds
            fields[setting.key] = Field(Number(low, high, whole=setting.kind is int), None)
    return Record(
        fields, extra=FreeJson(max_depth=4, max_values=100, max_chars=10_000, any_value=True)
    )


def _strip_unset(spec: Record) -> Record:
    """Sampling keys that were absent stay absent (the copy must equal what was exported)."""

    def rule(value: dict[str, Any], where: tuple[str, ...]) -> None:
        for key in [k for k in spec.fields if value.get(k) is None]:
            del value[key]

    return Record(spec.fields, spec.extra, spec.max_extra, rule)


SAMPLING = _strip_unset(_sampling())

_IMAGE_META = Record(
    {
        "name": Field(_NAME),
        "source_size": Field(Items(Number(1, 1_000_000, whole=True), 2, "size value", min_items=2)),
        "detail": Field(Text(20, choices=tuple(d.value for d in Detail))),
        "grid": Field(Items(Number(1, MAX_IMAGE_SIDE, whole=True), 2, "grid value", min_items=2)),
        "prepared_sha256": Field(Text(64, pattern=re.compile(r"([0-9a-f]{64})?"), what="a hash")),
    },
    extra=FreeJson(max_depth=4, max_values=100, any_value=True),
)
_DOCUMENT_META = Record(
    {"name": Field(_NAME, None), "mime": Field(Text(255), None)},
    extra=FreeJson(max_depth=4, max_values=100, any_value=True),
)


_TEXT_META = Record({"label": Field(Text(TEXT_LABEL_CHARS), None)})
"""A text the app wrote for the user (a job's instructions) carries the label shown in its
place; typed text has no meta. Older files have none, and read the same."""


def _no_unset_meta(value: dict[str, Any], where: tuple[str, ...]) -> None:
    meta = value.get("meta")
    if isinstance(meta, dict):
        for key in [k for k, v in meta.items() if v is None]:
            del meta[key]


PART = Variant(
    "kind",
    {
        "text": Record(
            {
                "kind": Field(Text(10)),
                "text": Field(Text(MAX_TEXT_CHARS)),
                "meta": Field(_TEXT_META, {}),
            },
            rule=_no_unset_meta,
        ),
        "image": Record(
            {
                "kind": Field(Text(10)),
                "sha256": Field(_SHA),
                "text": Field(Nullable(Text(MAX_TEXT_CHARS)), None),
                "meta": Field(_IMAGE_META),
            }
        ),
        "document": Record(
            {
                "kind": Field(Text(10)),
                "sha256": Field(_SHA),
                "text": Field(Nullable(Text(MAX_TEXT_CHARS)), None),
                "meta": Field(_DOCUMENT_META, {}),
            },
            rule=_no_unset_meta,
        ),
    },
)
assert set(PART.shapes) == set(PART_KINDS)

MESSAGE = Record(
    {
        "parent": Field(Nullable(_INDEX), None),
        "role": Field(Text(20, choices=tuple(r.value for r in Role))),
        "status": Field(Text(20, choices=tuple(s.value for s in MessageStatus))),
        "created_at": Field(_TIME),
        "updated_at": Field(_TIME),
        "backend": Field(_NAME, ""),
        "model": Field(_NAME, ""),
        "usage": Field(Nullable(FreeJson()), None),
        "timings": Field(Nullable(FreeJson()), None),
        "error": Field(Nullable(Text(100_000)), None),
        "parts": Field(Items(PART, MAX_PARTS, "part")),
    }
)


def _tree(conversation: dict[str, Any], where: tuple[str, ...]) -> None:
    """Parents come before their children (so the messages form a tree, never a loop), and the
    shown leaf is one of the messages."""
    messages = conversation["messages"]
    for index, message in enumerate(messages):
        parent = message["parent"]
        if parent is not None and parent >= index:
            at = (*where, f"message {index + 1}")
            raise Invalid(at, "parent must be the index of an earlier message")
    leaf = conversation["active_leaf"]
    if leaf is not None and leaf >= len(messages):
        raise Invalid(where, "active_leaf must be the index of one of its messages")


RECOVERED_SLACK = 86_400.0
"""How far past the importing computer's clock a recovered mark may lie (its clock and the
exporting one's may disagree by a time zone mistake, never by more than a day)."""


def _recovered_at(conversation: dict[str, Any]) -> None:
    """A recovered mark that is no salvage's time (1970, the future) is dropped, the chat kept:
    the mark only warns, so a bad one must not cost the chat it came with."""
    at = conversation["recovered_at"]
    if at is not None and not 0 < at <= time.time() + RECOVERED_SLACK:
        conversation["recovered_at"] = None


def _conversation(conversation: dict[str, Any], where: tuple[str, ...]) -> None:
    # Exports written before the fallback flag had its own field carry it inside sampling.
    if take_old_fallback_flag(conversation["sampling"]):
        conversation["allow_fallback"] = True
    _recovered_at(conversation)
    _tree(conversation, where)


CONVERSATION = Record(
    {
        "uid": Field(Text(200, non_empty=True)),
        "title": Field(_LABEL),
        "title_source": Field(Text(10, choices=TITLE_SOURCES)),
        "created_at": Field(_TIME),
        "updated_at": Field(_TIME),
        "pinned": Field(Flag(), False),
        "archived": Field(Flag(), False),
        "trashed_at": Field(Nullable(_TIME), None),
        "backend": Field(_NAME, ""),
        "model": Field(_NAME, ""),
        "system_prompt": Field(Text(MAX_TEXT_CHARS), ""),
        "sampling": Field(SAMPLING, {}),
        "private": Field(Flag(), False),
        "allow_fallback": Field(Flag(), False),
        "recovered_at": Field(Lenient(_TIME), None),
        "messages": Field(Items(MESSAGE, MAX_MESSAGES, "message")),
        "active_leaf": Field(Nullable(_INDEX), None),
    },
    rule=_conversation,
)

BLOB = Record(
    {
        "mime": Field(Text(255), ""),
        "data": Field(Nullable(Text(MAX_BLOB_BYTES * 4 // 3 + 4)), None),
        "file": Field(Nullable(Text(200)), None),
    }
)

# Versions: a field added with a default (``recovered_at``, written only when set) keeps the
# version: older files read as before, and an older Pixtral Desk drops the keys it does not
# know (``Record`` without ``extra``), so a newer file still imports there, minus the mark.
# Only a change an older reader would misread bumps ``export.FORMAT_VERSION``.
EXPORT = Record(
    {
        "format": Field(Text(40, choices=("pixtral-desk-history",))),
        "version": Field(Number(1, 1_000_000, whole=True)),
        "conversations": Field(Items(CONVERSATION, MAX_CONVERSATIONS, "conversation")),
        "blobs": Field(Table(_SHA, BLOB, MAX_BLOBS, "attachment"), {}),
    }
)
"""The whole file. ``version`` is range-checked here; newer-than-known is refused by the
importer with its own sentence."""
