"""A chat's llama.cpp sequence state as a file, trusted only when it matches exactly.

Reopening a long chat after a restart should not mean reading it all again, so the worker
writes the KV sequence of a chat the user left (and of the open one at quit) to the platformdirs
user cache folder. llama.cpp may abort the whole process on state bytes it does not expect, so
nothing reaches it unchecked: the file is a fixed magic, a header with its own CRC, then the
state bytes with their size and CRC in the header. A short, long or damaged file is deleted
and the chat is read again the normal way.

What makes a state reusable is in the header: the model and projector files (size and a hash
of their head and tail: the header names the architecture and vocabulary, the tail catches a
fine-tune with the same layout), the context size, the KV type, and the exact prompt units it
holds (text token ids; images by content hash and span) with their hash. The folder is kept
under a byte budget, least recently used first out.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import platformdirs

from app.engine.local.prefix_cache import ImageUnit, Unit
from app.settings import APP_NAME

MAGIC = b"PXDSTAT1"
PREAMBLE = struct.Struct("<8sQI")
"""Magic, header length, header CRC32."""
MAX_HEADER_BYTES = 64 * 1024 * 1024
"""Units of a 131,072-token context and its answers' tokens as JSON: well under this."""
CHUNK_BYTES = 16 * 1024 * 1024
"""Written between looks at the pipe, so a new command waits for at most one chunk."""
IDENTITY_HEAD_BYTES = 8 * 1024 * 1024
IDENTITY_TAIL_BYTES = 1024 * 1024
SUFFIX = ".state"
PARTIAL = ".partial"


STATE_DIR_ENV = "PIXTRAL_DESK_STATE_DIR"


def default_state_dir() -> Path:
    """``$PIXTRAL_DESK_STATE_DIR`` (tests, portable installs), else the user cache folder's
    ``states`` (never the history folder: these files are disposable)."""
    override = os.environ.get(STATE_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "states"


def file_identity(path: str | None) -> str:
    """A model file's size and a hash of its head and tail ("" for no file)."""
    if not path:
        return ""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest.update(handle.read(IDENTITY_HEAD_BYTES))
        handle.seek(max(size - IDENTITY_TAIL_BYTES, 0))
        digest.update(handle.read(IDENTITY_TAIL_BYTES))
    return f"{size}:{digest.hexdigest()}"


@dataclass(frozen=True)
class Fingerprint:
    """What the state bytes were computed with; any difference makes them meaningless."""

    model: str
    mmproj: str
    n_ctx: int
    kv_type: str

    def mismatch(self, other: Fingerprint) -> str:
        """Why a state made under ``other`` cannot be used here ("" when it can)."""
        for name, what in (
            ("model", "the model file"),
            ("mmproj", "the projector file"),
            ("n_ctx", "the context size"),
            ("kv_type", "the KV cache type"),
        ):
            if getattr(self, name) != getattr(other, name):
                return f"{what} differs"
        return ""


@dataclass
class ChatState:
    """One chat's KV sequence as bytes, with what it holds and how it was made."""

    chat: str
    fingerprint: Fingerprint
    units: list[Unit]
    answers: dict[str, list[int]]
    """The answers' sampled tokens, so they come back as the same tokens after a restart."""
    data: bytearray


def encode_units(units: Sequence[Unit]) -> list[Any]:
    return [[u.sha256, u.n_pos] if isinstance(u, ImageUnit) else u for u in units]


def decode_units(raw: Any) -> list[Unit]:
    if not isinstance(raw, list):
        raise ValueError("units is not a list")
    units: list[Unit] = []
    for item in raw:
        if isinstance(item, int) and not isinstance(item, bool):
            units.append(item)
        elif (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and isinstance(item[1], int)
        ):
            units.append(ImageUnit(item[0], item[1]))
        else:
            raise ValueError("a unit is neither a token nor an image")
    return units


def units_hash(units: Sequence[Unit]) -> str:
    """The hash of an exact prompt prefix: token ids and images by content hash."""
    text = json.dumps(encode_units(units), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def chat_file_name(chat: str) -> str:
    return hashlib.sha256(chat.encode()).hexdigest()[:40] + SUFFIX


@dataclass(frozen=True)
class StateHeader:
    """The checked header of a state file: what it holds, before its bytes are read."""

    path: Path
    chat: str
    fingerprint: Fingerprint
    units: list[Unit]
    answers: dict[str, list[int]]
    prefix_hash: str
    data_offset: int
    data_size: int
    data_crc: int


class StateFileError(Exception):
    """The file is not a whole, undamaged state file of ours (it is deleted)."""


def read_header(path: Path) -> StateHeader:
    """The header of ``path``, checked; raises ``StateFileError`` for anything not right."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            magic, header_len, header_crc = PREAMBLE.unpack(handle.read(PREAMBLE.size))
            if magic != MAGIC:
                raise StateFileError("not a state file")
            if header_len > MAX_HEADER_BYTES or PREAMBLE.size + header_len > size:
                raise StateFileError("truncated header")
            raw = handle.read(header_len)
    except struct.error as exc:
        raise StateFileError("truncated file") from exc
    if zlib.crc32(raw) != header_crc:
        raise StateFileError("header checksum mismatch")
    try:
        meta = json.loads(raw)
        header = StateHeader(
            path=path,
            chat=str(meta["chat"]),
            fingerprint=Fingerprint(**meta["fingerprint"]),
            units=decode_units(meta["units"]),
            answers={str(k): [int(t) for t in v] for k, v in meta["answers"]},
            prefix_hash=str(meta["prefix_hash"]),
            data_offset=PREAMBLE.size + header_len,
            data_size=int(meta["data_size"]),
            data_crc=int(meta["data_crc"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StateFileError(f"malformed header ({exc})") from exc
    if header.data_offset + header.data_size != size:
        raise StateFileError(
            f"size mismatch ({size:,} bytes, the header says "
            f"{header.data_offset + header.data_size:,})"
        )
    if units_hash(header.units) != header.prefix_hash:
        raise StateFileError("prefix hash mismatch")
    return header


def read_data(header: StateHeader) -> bytearray:
    """The state bytes, whole and with the right CRC, or ``StateFileError``."""
    data = bytearray(header.data_size)
    view = memoryview(data)
    crc = 0
    with header.path.open("rb") as handle:
        handle.seek(header.data_offset)
        done = 0
        while done < header.data_size:
            n = handle.readinto(view[done : done + CHUNK_BYTES])
            if not n:
                raise StateFileError("truncated data")
            crc = zlib.crc32(view[done : done + n], crc)
            done += n
    if crc != header.data_crc:
        raise StateFileError("data checksum mismatch")
    return data


class StateWriter:
    """Writes one state file a chunk at a time (``step``), to a partial file renamed at the end."""

    def __init__(self, folder: Path, state: ChatState) -> None:
        self.state = state
        self.path = folder / chat_file_name(state.chat)
        self.partial = self.path.with_suffix(PARTIAL)
        meta = {
            "chat": state.chat,
            "fingerprint": asdict(state.fingerprint),
            "units": encode_units(state.units),
            "answers": [[text, tokens] for text, tokens in state.answers.items()],
            "prefix_hash": units_hash(state.units),
            "data_size": len(state.data),
            "data_crc": zlib.crc32(state.data),
        }
        raw = json.dumps(meta, separators=(",", ":")).encode()
        folder.mkdir(parents=True, exist_ok=True)
        self._handle = self.partial.open("wb")
        self._handle.write(PREAMBLE.pack(MAGIC, len(raw), zlib.crc32(raw)))
        self._handle.write(raw)
        self._done = 0
        self.size = PREAMBLE.size + len(raw) + len(state.data)

    def step(self) -> bool:
        """Write the next chunk; True once the file is complete and in place."""
        data = memoryview(self.state.data)
        if self._done < len(data):
            self._handle.write(data[self._done : self._done + CHUNK_BYTES])
            self._done += CHUNK_BYTES
            if self._done < len(data):
                return False
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self.partial, self.path)
        return True

    def abort(self) -> None:
        self._handle.close()
        self.partial.unlink(missing_ok=True)
