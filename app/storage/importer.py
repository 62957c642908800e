"""Read an export back in: all of it in one transaction, or nothing.

The file is hostile until proven otherwise. ``import_reader`` reads it within fixed bounds,
``schema_check.check`` holds it against ``export_format.EXPORT`` (types, ranges, lengths,
counts, depth), and each attachment is checked against its sha256 (and an image against the
pixel size its message says) before the first row is written; anything wrong is one
``ImportFormatError`` naming the place: "all.zip cannot be imported: conversation 3,
message 7: role must be 'user' or 'assistant'. Nothing was imported."

All or nothing per file, not per conversation: an export is one thing the person made, and
import never overwrites (conversations get new ids, a uid already present gets a new one), so
importing the good half and then the repaired file would leave two copies of that half.

Attachment files are written before the rows (idempotent, outside the lock); when a later
check refuses the file they are orphans that ``BlobStore.collect_garbage`` removes.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.conversation import MessageStatus
from app.core.images import MAX_SOURCE_PIXELS, PATCH_SIZE
from app.storage import tree
from app.storage.blobs import StagedBlob
from app.storage.errors import ImportFormatError
from app.storage.export import FORMAT_VERSION
from app.storage.export_format import EXPORT
from app.storage.history import HistoryStore
from app.storage.import_reader import ExportSource, open_export
from app.storage.records import StagedPart, StoredPart, dumps
from app.storage.schema_check import Invalid, check


@dataclass
class _Use:
    """Where an attachment is first used, and the pixel sizes image parts expect of it."""

    where: tuple[str, ...]
    image_sizes: set[tuple[int, int]]


def validate(payload: Any, has_blob: Callable[[str], bool] = lambda sha: False) -> dict[str, Any]:
    """The checked, cleaned payload, or ``Invalid`` naming the first problem."""
    clean = check(payload, EXPORT, (), "the file")
    if clean["version"] > FORMAT_VERSION:
        raise Invalid(
            (),
            f"version {clean['version']} was written by a newer Pixtral Desk "
            f"(this one reads up to {FORMAT_VERSION})",
        )
    for sha, use in _attachments(clean).items():
        if sha not in clean["blobs"] and not has_blob(sha):
            raise Invalid(use.where, "sha256: the attachment is not in the file")
    return clean


def import_file(store: HistoryStore, path: Path) -> list[int]:
    """Import every conversation in ``path``; returns their new ids."""
    path = Path(path)
    with open_export(path) as source:
        try:
            payload = validate(source.payload, store.blobs.exists)
            staged = _stage_blobs(store, source, payload)
        except Invalid as exc:
            raise ImportFormatError(
                f"{path.name} cannot be imported: {exc}. Nothing was imported."
            ) from None
    ids = []
    with store.db.write() as conn:
        for conv in payload["conversations"]:
            ids.append(_insert_conversation(store, conn, conv, staged))
    return ids


def _attachments(payload: dict[str, Any]) -> dict[str, _Use]:
    uses: dict[str, _Use] = {}
    for ci, conv in enumerate(payload["conversations"]):
        for mi, message in enumerate(conv["messages"]):
            for pi, part in enumerate(message["parts"]):
                sha = part.get("sha256")
                if sha is None:
                    continue
                where = (f"conversation {ci + 1}", f"message {mi + 1}", f"part {pi + 1}")
                use = uses.setdefault(sha, _Use(where, set()))
                if part["kind"] == "image":
                    cols, rows = part["meta"]["grid"]
                    use.image_sizes.add((cols * PATCH_SIZE, rows * PATCH_SIZE))
    return uses


def _stage_blobs(
    store: HistoryStore, source: ExportSource, payload: dict[str, Any]
) -> dict[str, StagedBlob]:
    """Read, check and write each attachment the messages use, one at a time."""
    staged: dict[str, StagedBlob] = {}
    for sha, use in _attachments(payload).items():
        entry = payload["blobs"].get(sha)
        if entry is None:  # already in this store (validate checked)
            size = store.blobs.path(sha).stat().st_size
            staged[sha] = StagedBlob(sha, size, "application/octet-stream")
            continue
        where = (f"attachment {sha[:12]}",)
        data = source.blob(where, entry)
        if hashlib.sha256(data).hexdigest() != sha:
            raise Invalid(where, "its content does not match its sha256")
        for size in use.image_sizes:
            _check_image(data, size, use.where)
        mime = entry["mime"] or "application/octet-stream"
        written = store.blobs.write(data, mime)
        staged[sha] = StagedBlob(sha, written.size, mime)  # the bytes are on disk: drop them
    return staged


def _check_image(data: bytes, size: tuple[int, int], where: tuple[str, ...]) -> None:
    """An image part's attachment is a PNG of exactly its patch grid, and decodes whole:
    the window and the engine rebuild the prepared pixels from it without checking again."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format != "PNG":
                    raise Invalid(where, "the image is not a PNG")
                if img.size != size or size[0] * size[1] > MAX_SOURCE_PIXELS:
                    raise Invalid(
                        where,
                        f"the image is {img.width}×{img.height}, its grid says {size[0]}×{size[1]}",
                    )
                img.load()
    except Invalid:
        raise
    except Exception:  # Pillow raises many types on hostile data; any of them means refuse
        raise Invalid(where, "the image cannot be decoded") from None


def _insert_conversation(
    store: HistoryStore, conn: Any, conv: dict[str, Any], staged: dict[str, StagedBlob]
) -> int:
    uid = conv["uid"]
    if conn.execute("SELECT 1 FROM conversations WHERE uid = ?", (uid,)).fetchone():
        uid = uuid.uuid4().hex
    cursor = conn.execute(
        "INSERT INTO conversations (uid, title, title_source, created_at, updated_at, pinned, "
        "archived, trashed_at, backend, model, system_prompt, sampling, private, "
        "allow_fallback, recovered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            uid,
            conv["title"],
            conv["title_source"],
            conv["created_at"],
            conv["updated_at"],
            int(conv["pinned"]),
            int(conv["archived"]),
            conv["trashed_at"],
            conv["backend"],
            conv["model"],
            conv["system_prompt"],
            dumps(conv["sampling"]),
            int(conv["private"]),
            int(conv["allow_fallback"]),
            conv["recovered_at"],
        ),
    )
    conversation_id = int(cursor.lastrowid or 0)
    new_ids: list[int] = []
    for message in conv["messages"]:
        status = message["status"]
        if status == MessageStatus.STREAMING.value:
            status = MessageStatus.INTERRUPTED.value  # no writer will ever finish it here
        parent = message["parent"]
        cursor = conn.execute(
            f"INSERT INTO messages ({tree.INSERT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                conversation_id,
                None if parent is None else new_ids[parent],
                message["role"],
                status,
                message["created_at"],
                message["updated_at"],
                message["backend"],
                message["model"],
                dumps(message["usage"]),
                dumps(message["timings"]),
                message["error"],
                None,
            ),
        )
        message_id = int(cursor.lastrowid or 0)
        new_ids.append(message_id)
        parts = []
        for part in message["parts"]:
            sha = part.get("sha256")
            stored = StoredPart(part["kind"], part.get("text"), sha, part.get("meta") or {})
            parts.append(StagedPart(stored, staged[sha] if sha else None))
        tree.insert_parts(conn, store.blobs, message_id, parts)
    leaf = conv["active_leaf"]
    if leaf is not None:
        conn.execute(
            "UPDATE conversations SET active_leaf_id = ? WHERE id = ?",
            (new_ids[leaf], conversation_id),
        )
    return conversation_id
