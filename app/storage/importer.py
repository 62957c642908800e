"""Read an export back in: all of it in one transaction, or nothing (issue 3, req. 8 and 10).

The whole file is validated before the first write, and every problem is reported with where
it is ("conversations[2].messages[5].role: …"). Import never overwrites: conversations get new
local ids, and a conversation whose uid already exists gets a new uid, so importing the same
file twice gives two copies rather than one silently replaced.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.core.conversation import MessageStatus, Role
from app.storage import tree
from app.storage.blobs import StagedBlob
from app.storage.errors import ImportFormatError
from app.storage.export import FORMAT_NAME, FORMAT_VERSION, ZIP_JSON_NAME
from app.storage.history import HistoryStore
from app.storage.records import PART_KINDS, TITLE_SOURCES, StagedPart, StoredPart, dumps

_ROLES = {r.value for r in Role}
_STATUSES = {s.value for s in MessageStatus}
_HEX = set("0123456789abcdef")


class _Invalid(Exception):
    pass


def _check(condition: bool, where: str, problem: str) -> None:
    if not condition:
        raise _Invalid(f"{where}: {problem}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_sha(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def read_payload(path: Path) -> tuple[dict[str, Any], Callable[[str, dict[str, Any]], bytes]]:
    """The parsed JSON and a function that returns a blob's bytes (from base64 or the zip)."""
    path = Path(path)
    if not path.is_file():
        raise ImportFormatError(f"There is no file to import at {path}.")
    if zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        try:
            raw = archive.read(ZIP_JSON_NAME)
        except KeyError:
            archive.close()
            raise ImportFormatError(
                f"{path.name} is a zip but not a Pixtral Desk export (no {ZIP_JSON_NAME} in it)."
            ) from None

        def from_zip(sha: str, entry: dict[str, Any]) -> bytes:
            name = entry.get("file")
            _check(isinstance(name, str), f"blobs.{sha[:12]}…", "'file' must name a zip member")
            try:
                return archive.read(name)
            except KeyError:
                raise _Invalid(f"blobs.{sha[:12]}…: {name} is missing from the zip") from None

        reader = from_zip
    else:
        raw = path.read_bytes()

        def from_base64(sha: str, entry: dict[str, Any]) -> bytes:
            data = entry.get("data")
            _check(isinstance(data, str), f"blobs.{sha[:12]}…", "'data' must be base64 text")
            try:
                return base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raise _Invalid(f"blobs.{sha[:12]}…: 'data' is not valid base64") from None

        reader = from_base64
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFormatError(
            f"{path.name} is not a Pixtral Desk export: not JSON ({exc})."
        ) from None
    return payload, reader


def validate(payload: Any, has_blob: Callable[[str], bool]) -> None:
    """Raise ``_Invalid`` naming the first problem; ``has_blob`` knows the store's blobs."""
    _check(isinstance(payload, dict), "file", "must be a JSON object")
    _check(payload.get("format") == FORMAT_NAME, "format", f"must be '{FORMAT_NAME}'")
    version = payload.get("version")
    _check(isinstance(version, int) and version >= 1, "version", "must be a positive integer")
    _check(
        version <= FORMAT_VERSION,
        "version",
        f"{version} was written by a newer Pixtral Desk (this one reads up to {FORMAT_VERSION})",
    )
    blobs = payload.get("blobs", {})
    _check(isinstance(blobs, dict), "blobs", "must be an object")
    for sha, entry in blobs.items():
        _check(_is_sha(sha), "blobs", f"'{sha[:20]}' is not a sha256 hex digest")
        _check(isinstance(entry, dict), f"blobs.{sha[:12]}…", "must be an object")
        _check(isinstance(entry.get("mime", ""), str), f"blobs.{sha[:12]}…", "mime must be text")
    conversations = payload.get("conversations")
    _check(isinstance(conversations, list), "conversations", "must be a list")
    for ci, conv in enumerate(conversations):
        where = f"conversations[{ci}]"
        _check(isinstance(conv, dict), where, "must be an object")
        for key in ("uid", "title", "backend", "model", "system_prompt"):
            _check(isinstance(conv.get(key), str), f"{where}.{key}", "must be text")
        _check(bool(conv["uid"]), f"{where}.uid", "must not be empty")
        _check(conv.get("title_source") in TITLE_SOURCES, f"{where}.title_source", "unknown")
        for key in ("created_at", "updated_at"):
            _check(_is_number(conv.get(key)), f"{where}.{key}", "must be a number")
        trashed = conv.get("trashed_at")
        _check(trashed is None or _is_number(trashed), f"{where}.trashed_at", "must be a number")
        for key in ("pinned", "archived", "private"):
            _check(isinstance(conv.get(key), bool), f"{where}.{key}", "must be true or false")
        _check(isinstance(conv.get("sampling"), dict), f"{where}.sampling", "must be an object")
        messages = conv.get("messages")
        _check(isinstance(messages, list), f"{where}.messages", "must be a list")
        leaf = conv.get("active_leaf")
        _check(
            leaf is None or (isinstance(leaf, int) and 0 <= leaf < len(messages)),
            f"{where}.active_leaf",
            "must be the index of one of its messages",
        )
        for mi, message in enumerate(messages):
            _validate_message(message, mi, f"{where}.messages[{mi}]", blobs, has_blob)


def _validate_message(
    message: Any, index: int, where: str, blobs: dict[str, Any], has_blob: Callable[[str], bool]
) -> None:
    _check(isinstance(message, dict), where, "must be an object")
    parent = message.get("parent")
    _check(
        parent is None or (isinstance(parent, int) and 0 <= parent < index),
        f"{where}.parent",
        "must be the index of an earlier message",
    )
    _check(message.get("role") in _ROLES, f"{where}.role", "must be 'user' or 'assistant'")
    _check(message.get("status") in _STATUSES, f"{where}.status", "unknown status")
    for key in ("created_at", "updated_at"):
        _check(_is_number(message.get(key)), f"{where}.{key}", "must be a number")
    for key in ("backend", "model"):
        _check(isinstance(message.get(key), str), f"{where}.{key}", "must be text")
    for key in ("usage", "timings"):
        value = message.get(key)
        _check(value is None or isinstance(value, dict), f"{where}.{key}", "must be an object")
    error = message.get("error")
    _check(error is None or isinstance(error, str), f"{where}.error", "must be text")
    parts = message.get("parts")
    _check(isinstance(parts, list), f"{where}.parts", "must be a list")
    for pi, part in enumerate(parts):
        at = f"{where}.parts[{pi}]"
        _check(isinstance(part, dict), at, "must be an object")
        _check(part.get("kind") in PART_KINDS, f"{at}.kind", "must be text, image or document")
        text = part.get("text")
        _check(text is None or isinstance(text, str), f"{at}.text", "must be text")
        _check(part["kind"] != "text" or text is not None, f"{at}.text", "is missing")
        _check(isinstance(part.get("meta", {}), dict), f"{at}.meta", "must be an object")
        sha = part.get("sha256")
        if part["kind"] == "text":
            _check(sha is None, f"{at}.sha256", "a text part has no attachment")
            continue
        _check(_is_sha(sha), f"{at}.sha256", "must be a sha256 hex digest")
        _check(sha in blobs or has_blob(sha), f"{at}.sha256", "the attachment is not in the file")


def import_file(store: HistoryStore, path: Path) -> list[int]:
    """Import every conversation in ``path``; returns their new ids."""
    path = Path(path)
    payload, read_blob = read_payload(path)
    try:
        validate(payload, store.blobs.exists)
        staged: dict[str, StagedBlob] = {}
        for sha, entry in payload.get("blobs", {}).items():
            data = read_blob(sha, entry)
            actual = hashlib.sha256(data).hexdigest()
            _check(actual == sha, f"blobs.{sha[:12]}…", "its content does not match its sha256")
            staged[sha] = StagedBlob(sha, len(data), entry.get("mime") or "", data)
    except _Invalid as exc:
        raise ImportFormatError(
            f"{path.name} cannot be imported: {exc}. Nothing was imported."
        ) from None
    # Blob files first (idempotent, outside the lock), then every row in one transaction.
    for sha, blob in staged.items():
        staged[sha] = store.blobs.write(blob.data or b"", blob.mime or "application/octet-stream")
    ids = []
    with store.db.write() as conn:
        for conv in payload["conversations"]:
            ids.append(_insert_conversation(store, conn, conv, staged))
    return ids


def _insert_conversation(
    store: HistoryStore, conn: Any, conv: dict[str, Any], staged: dict[str, StagedBlob]
) -> int:
    uid = conv["uid"]
    if conn.execute("SELECT 1 FROM conversations WHERE uid = ?", (uid,)).fetchone():
        uid = uuid.uuid4().hex
    cursor = conn.execute(
        "INSERT INTO conversations (uid, title, title_source, created_at, updated_at, pinned, "
        "archived, trashed_at, backend, model, system_prompt, sampling, private) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
            blob = staged.get(sha) if sha else None
            if sha and blob is None:  # already in this store
                blob = StagedBlob(
                    sha, store.blobs.path(sha).stat().st_size, "application/octet-stream"
                )
            parts.append(StagedPart(stored, blob))
        tree.insert_parts(conn, store.blobs, message_id, parts)
    leaf = conv.get("active_leaf")
    if leaf is not None:
        conn.execute(
            "UPDATE conversations SET active_leaf_id = ? WHERE id = ?",
            (new_ids[leaf], conversation_id),
        )
    return conversation_id
