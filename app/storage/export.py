"""Take the history out of the app: Markdown to read, JSON to keep.

- Markdown shows the branch on screen, with images copied into a folder beside the file and
  linked relatively, so the export still reads right after the folder is moved.
- JSON is lossless: every branch, status, usage and attachment. Importing it into an empty
  history and exporting again gives the same bytes (keys sorted, fixed layout, messages in
  creation order with parents as indices, so local row ids never leak into the file).
- "Export all" writes one zip, with attachments as files instead of base64.

Files are written to a temp name and renamed, so a failed export never leaves half a file.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from app.storage import tree
from app.storage.errors import translate
from app.storage.history import HistoryStore
from app.storage.records import as_time, is_time, loads

FORMAT_NAME = "pixtral-desk-history"
FORMAT_VERSION = 1
ZIP_JSON_NAME = "pixtral-desk-history.json"
_CONVERSATION_KEYS = (
    "uid",
    "title",
    "title_source",
    "created_at",
    "updated_at",
    "pinned",
    "archived",
    "trashed_at",
    "backend",
    "model",
    "system_prompt",
    "sampling",
    "private",
    "allow_fallback",
)


def conversation_document(conn: sqlite3.Connection, conversation_id: int) -> dict[str, Any]:
    """One conversation with all its branches, as plain JSON values."""
    row = conn.execute(
        "SELECT uid, title, title_source, created_at, updated_at, pinned, archived, trashed_at, "
        "backend, model, system_prompt, sampling, private, allow_fallback, active_leaf_id, "
        "recovered_at FROM conversations WHERE id = ?",
        (conversation_id,),
    ).fetchone()
    keys = _CONVERSATION_KEYS
    doc: dict[str, Any] = dict(zip(keys, row[:14], strict=True))
    for key in ("pinned", "archived", "private", "allow_fallback"):
        doc[key] = bool(doc[key])
    # A damaged row is written with the stand-ins the app shows, so it imports again.
    doc["sampling"] = loads(row[11]) or {}
    doc["created_at"], doc["updated_at"] = as_time(row[3]), as_time(row[4])
    doc["trashed_at"] = None if row[7] is None else as_time(row[7])
    if is_time(row[15]) and row[15] > 0:  # only when set (and readable): older files lack it
        doc["recovered_at"] = float(row[15])
    rows = conn.execute(
        f"SELECT {tree.MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY id",
        (conversation_id,),
    ).fetchall()
    index = {r[0]: i for i, r in enumerate(rows)}
    parts = tree.parts_of(conn, list(index))
    messages = []
    for r in rows:
        messages.append(
            {
                "parent": index.get(r[2]),
                "role": r[3],
                "status": r[4],
                "created_at": as_time(r[5]),
                "updated_at": as_time(r[6]),
                "backend": r[7],
                "model": r[8],
                "usage": loads(r[9]),
                "timings": loads(r[10]),
                "error": r[11],
                "parts": [_part_document(p) for p in parts.get(r[0], [])],
            }
        )
    doc["messages"] = messages
    doc["active_leaf"] = index.get(row[14])
    return doc


def _part_document(part: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": part.kind}
    if part.text is not None:
        out["text"] = part.text
    if part.sha256:
        out["sha256"] = part.sha256
    if part.meta:
        out["meta"] = part.meta
    return out


def dumps_document(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def _hashes(docs: list[dict[str, Any]]) -> list[str]:
    return sorted(
        {p["sha256"] for d in docs for m in d["messages"] for p in m["parts"] if "sha256" in p}
    )


def _blob_mimes(store: HistoryStore, hashes: list[str]) -> dict[str, str]:
    with store.db.read() as conn:
        return {
            sha: conn.execute("SELECT mime FROM blobs WHERE sha256 = ?", (sha,)).fetchone()[0]
            for sha in hashes
        }


def export_json(store: HistoryStore, conversation_id: int, out: Path) -> Path:
    """One conversation as a single JSON file, attachments embedded as base64."""
    store.get_conversation(conversation_id)  # NotFoundError for a wrong id
    with store.db.read() as conn:
        doc = conversation_document(conn, conversation_id)
    hashes = _hashes([doc])
    mimes = _blob_mimes(store, hashes)
    blobs = {
        sha: {"mime": mimes[sha], "data": base64.b64encode(store.blobs.read(sha)).decode()}
        for sha in hashes
    }
    payload = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "conversations": [doc]}
    payload["blobs"] = blobs
    out = _target(out, ".json", doc["title"], conversation_id)
    _write_atomically(out, lambda path: path.write_bytes(dumps_document(payload)))
    return out


def export_all_json(store: HistoryStore, out: Path) -> Path:
    """Every conversation (trash included, marked as such) in one zip: JSON + blob files."""
    with store.db.read() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM conversations ORDER BY id")]
        docs = [conversation_document(conn, i) for i in ids]
    hashes = _hashes(docs)
    mimes = _blob_mimes(store, hashes)
    payload = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "conversations": docs}
    payload["blobs"] = {sha: {"mime": mimes[sha], "file": f"blobs/{sha}"} for sha in hashes}

    def write(path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(ZIP_JSON_NAME, dumps_document(payload))
            for sha in hashes:
                archive.write(store.blobs.path(sha), f"blobs/{sha}", zipfile.ZIP_STORED)

    out = _target(out, ".zip", "pixtral-desk-history", None)
    _write_atomically(out, write)
    return out


def render_markdown(
    store: HistoryStore, conversation_id: int, files_dir: str | None
) -> tuple[str, dict[str, str]]:
    """The shown branch as Markdown, and ``{relative path: blob sha256}`` of the images.

    With ``files_dir`` None (the terminal), attachments are named instead of linked.
    """
    loaded = store.load(conversation_id)
    info = loaded.info
    lines = [f"# {info.title or 'Untitled conversation'}", ""]
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.created_at))
    details = ["Exported from Pixtral Desk", f"started {stamp}"]
    if info.model:
        details.append(f"model {info.model}")
    if info.recovered_at is not None:
        details.append("recovered from a damaged history: some of it may be missing")
    lines += ["*" + " · ".join(details) + "*", ""]
    if info.system_prompt:
        lines += ["> **System prompt:** " + info.system_prompt.replace("\n", "\n> "), ""]
    files: dict[str, str] = {}
    for message in loaded.messages:
        who = "You" if message.role.value == "user" else f"Assistant{_model_note(message.model)}"
        version = (
            f" (version {message.sibling_index + 1} of {message.sibling_count})"
            if message.sibling_count > 1
            else ""
        )
        lines += [f"## {who}{version}", ""]
        for part in message.parts:
            if part.kind == "text":
                lines += [part.text or "", ""]
            elif part.sha256:
                name = str(part.meta.get("name") or part.kind)
                if files_dir is None:
                    lines += [f"[{part.kind}: {_escape(name)}]", ""]
                    continue
                ext = ".png" if part.kind == "image" else Path(name).suffix or ".bin"
                relative = f"{files_dir}/{part.sha256[:16]}{ext}"
                files[relative] = part.sha256
                link = quote(relative)
                bang = "!" if part.kind == "image" else ""
                lines += [f"{bang}[{_escape(name)}]({link})", ""]
        if message.status.value != "complete":
            lines += [f"*({message.status.value})*", ""]
    return "\n".join(lines).rstrip() + "\n", files


def export_markdown(store: HistoryStore, conversation_id: int, out: Path) -> Path:
    """``out`` (a .md file, or a folder to put one in) plus ``<name>_files/`` for images."""
    info = store.get_conversation(conversation_id)
    out = _target(out, ".md", info.title, conversation_id)
    files_dir = f"{out.stem}_files"
    text, files = render_markdown(store, conversation_id, files_dir)

    def write(path: Path) -> None:
        for relative, sha in files.items():
            target = out.parent / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(store.blobs.read(sha))
        path.write_text(text, encoding="utf-8")

    _write_atomically(out, write)
    return out


def export_all_markdown(store: HistoryStore, out: Path) -> Path:
    """A zip with one folder per conversation (trash left out): Markdown + images."""
    conversations = store.list_conversations(limit=-1, include_archived=True)

    def write(path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for info in conversations:
                folder = f"{info.id:05d}-{_slug(info.title)}"
                text, files = render_markdown(store, info.id, "files")
                archive.writestr(f"{folder}/conversation.md", text)
                for relative, sha in files.items():
                    archive.write(store.blobs.path(sha), f"{folder}/{relative}")

    out = _target(out, ".zip", "pixtral-desk-markdown", None)
    _write_atomically(out, write)
    return out


def _model_note(model: str) -> str:
    return f" · {model}" if model else ""


def _escape(text: str) -> str:
    return re.sub(r"([\[\]])", r"\\\1", text)


def _slug(title: str) -> str:
    slug = re.sub(r"[^\w]+", "-", title.lower(), flags=re.UNICODE).strip("-")
    return slug[:50] or "conversation"


def _target(out: Path, suffix: str, title: str, conversation_id: int | None) -> Path:
    out = Path(out)
    if out.is_dir() or not out.suffix:
        prefix = f"{conversation_id}-" if conversation_id is not None else ""
        return out / f"{prefix}{_slug(title)}{suffix}"
    return out


def _write_atomically(out: Path, write: Callable[[Path], None]) -> None:
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, out)
    except OSError as exc:
        raise translate(exc, out.parent) from exc
    finally:
        if tmp.exists():
            tmp.unlink()
