"""A reader for the header of GGUF files: metadata and tensor table, never the weights.

llama.cpp aborts the whole process on some malformed files, so every model file is read here
first (in pure Python, in milliseconds) and refused with a clear message when it is not what
it claims to be: not GGUF, truncated, a projector where a model was expected, and so on.

The files come from anywhere (a download cut short, a folder the user points at), so every
number read from one is a claim to check before it is used: a length or a
count is compared with the bytes left in the file and with a fixed cap before anything is
allocated or looped over, nested arrays are limited in depth, and the kept metadata has a
memory budget. Anything malformed raises :class:`GgufFormatError` and nothing else. The file
is read through a bounded window rather than mmap, so a file truncated while it is read gives
that error instead of SIGBUS, and a FIFO or device named ``*.gguf`` is refused without
blocking.
"""

from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
GGML_MAX_DIMS = 4  # llama.cpp refuses tensors with more dimensions

# ggml type id → (elements per block, bytes per block); see ggml.c's type_traits.
GGML_BLOCK = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 40), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
    15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18),
    21: (256, 110), 22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4),
    27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66),
    39: (32, 17), 40: (64, 36), 41: (128, 18),
}  # fmt: skip

_SCALARS = {
    t: struct.Struct(f)
    for t, f in {
        0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
        11: "<q", 12: "<d",
    }.items()
}  # fmt: skip
_U32, _U64 = _SCALARS[4], _SCALARS[10]
_STRING = 8
_ARRAY = 9
_KEEP_ARRAY_ITEMS = 64
"""Arrays longer than this (token lists, merges) are skipped, keeping only their length."""

# Caps on what a file may claim. Real headers are far below each: ~60 keys, a few hundred to a
# couple of thousand tensors, keys under 100 bytes, tensor names under 64 (GGML_MAX_NAME), the
# largest string a chat template of tens of kB (or an embedded tokenizer.json of some MB,
# which is skipped, not kept).
MAX_KV = 65_536
MAX_TENSORS = 65_536
MAX_KEY_BYTES = 65_535  # the GGUF spec's limit for keys
MAX_NAME_BYTES = 1_024
MAX_ARRAY_DEPTH = 3  # llama.cpp reads no nested arrays at all; the gguf package can write them
KEEP_STRING_BYTES = 1 << 20
"""Longer metadata strings are skipped and recorded as :class:`StringInfo` (their length)."""
MEMORY_BUDGET = 16 << 20
"""Rough bytes of Python objects the parsed header may hold; beyond it the file is refused."""
_OBJECT_COST = 64  # what one kept value or tensor entry costs the budget besides its bytes
_WINDOW = 1 << 20  # bytes read from the file at a time


class GgufFormatError(ValueError):
    """The bytes are not a readable GGUF header; the message says what is wrong."""


@dataclass(frozen=True)
class ArrayInfo:
    """A metadata array too long to keep; only its item type and length are recorded."""

    item_type: int
    length: int


@dataclass(frozen=True)
class StringInfo:
    """A metadata string too long to keep (an embedded tokenizer.json); only its length."""

    length: int


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int

    @property
    def n_bytes(self) -> int | None:
        block = GGML_BLOCK.get(self.ggml_type)
        if block is None:
            return None
        elements = 1
        for dim in self.shape:
            elements *= dim
        per_block, block_bytes = block
        return -(-elements // per_block) * block_bytes


@dataclass(frozen=True)
class GgufHeader:
    version: int
    metadata: dict[str, Any] = field(repr=False)
    tensors: dict[str, TensorInfo] = field(repr=False)
    data_offset: int
    file_size: int

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    @property
    def data_end(self) -> int:
        """Where the last tensor ends; beyond the file size means the file is truncated."""
        end = self.data_offset
        for tensor in self.tensors.values():
            size = tensor.n_bytes or 0
            end = max(end, self.data_offset + tensor.offset + size)
        return end

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)


def read_gguf_header(path: str | Path) -> GgufHeader:
    """Parse the header of ``path``; raises ``GgufFormatError`` or ``OSError``."""
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)  # of what was opened, so a swap after a check cannot fool it
        if not stat.S_ISREG(info.st_mode):
            raise GgufFormatError("it is not a regular file (a folder, pipe, device or socket)")
        if info.st_size < 24:
            raise GgufFormatError("the file is too short to be a GGUF model")
        return _Parser(_Reader(handle, info.st_size)).header()


class _Reader:
    """Reads through a window of at most ~1 MiB; every request is checked against the size."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle = handle
        self.size = size
        self.pos = 0
        self.window = b""
        self.start = 0  # the file offset of window[0]

    def expect(self, n: int) -> None:
        """Check that ``n`` more bytes exist, before a claimed count is looped over."""
        if n > self.size - self.pos:
            raise GgufFormatError("the header ends early (the file is truncated or damaged)")

    def _at(self, n: int) -> int:
        """Where ``n`` bytes from ``pos`` begin in the window, refilling it when needed."""
        self.expect(n)
        offset = self.pos - self.start
        if offset + n > len(self.window):
            self.handle.seek(self.pos)
            self.window = self.handle.read(min(max(n, _WINDOW), self.size - self.pos))
            self.start, offset = self.pos, 0
            if len(self.window) < n:
                raise GgufFormatError("the file got shorter while it was read")
        return offset

    def scalar(self, codec: struct.Struct) -> Any:
        offset = self._at(codec.size)
        self.pos += codec.size
        return codec.unpack_from(self.window, offset)[0]

    def take(self, n: int) -> bytes:
        offset = self._at(n)
        self.pos += n
        return self.window[offset : offset + n]

    def skip(self, n: int) -> None:
        self.expect(n)
        self.pos += n

    def skip_strings(self, count: int) -> None:
        """Step over ``count`` strings: the token list and merges, the hot loop of a scan."""
        unpack, window_len = _U64.unpack_from, len(self.window)
        for _ in range(count):
            offset = self.pos - self.start
            if offset + 8 > window_len:
                offset = self._at(8)
                window_len = len(self.window)
            self.pos += 8 + unpack(self.window, offset)[0]
            if self.pos > self.size:
                raise GgufFormatError("the header ends early (the file is truncated or damaged)")


def _min_size(value_type: int) -> int:
    """The fewest bytes a value of this type takes: what a claimed count is checked against."""
    if value_type == _STRING:
        return 8
    if value_type == _ARRAY:
        return 12
    codec = _SCALARS.get(value_type)
    if codec is None:
        raise GgufFormatError(f"unknown metadata type {value_type} (damaged file)")
    return codec.size


class _Parser:
    def __init__(self, reader: _Reader) -> None:
        self.r = reader
        self.budget = MEMORY_BUDGET

    def header(self) -> GgufHeader:
        r = self.r
        if r.take(4) != GGUF_MAGIC:
            raise GgufFormatError("the file does not start with the GGUF signature")
        version = r.scalar(_U32)
        if version not in (2, 3):
            raise GgufFormatError(f"GGUF version {version} is not supported")
        n_tensors = r.scalar(_U64)
        n_kv = r.scalar(_U64)
        # 13 and 24: the smallest key/value and tensor entry (empty strings, a 1-byte value).
        if n_tensors > MAX_TENSORS or n_kv > MAX_KV:
            raise GgufFormatError("the header counts are implausible (damaged file)")
        r.expect(n_kv * 13 + n_tensors * 24)
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = self._string(MAX_KEY_BYTES, "key")
            if key in metadata:
                raise GgufFormatError(f"the key '{key}' appears twice (damaged file)")
            metadata[key] = self._value(r.scalar(_U32), depth=0)
        alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
        if type(alignment) is not int or alignment <= 0 or alignment & (alignment - 1):
            raise GgufFormatError("general.alignment is not a power of two (damaged file)")
        tensors: dict[str, TensorInfo] = {}
        for _ in range(n_tensors):
            tensor = self._tensor()
            if tensor.name in tensors:
                raise GgufFormatError(f"the tensor '{tensor.name}' appears twice (damaged file)")
            tensors[tensor.name] = tensor
        data_offset = -(-r.pos // alignment) * alignment
        return GgufHeader(version, metadata, tensors, data_offset, r.size)

    def _charge(self, n: int) -> None:
        self.budget -= n + _OBJECT_COST
        if self.budget < 0:
            raise GgufFormatError("the header holds implausibly much metadata (damaged file)")

    def _tensor(self) -> TensorInfo:
        r = self.r
        name = self._string(MAX_NAME_BYTES, "tensor name")
        n_dims = r.scalar(_U32)
        if n_dims > GGML_MAX_DIMS:
            raise GgufFormatError(f"tensor '{name}' has {n_dims} dimensions (damaged file)")
        shape = tuple(r.scalar(_U64) for _ in range(n_dims))
        elements = 1
        for dim in shape:
            elements *= dim
        if elements >= 1 << 63:  # ggml counts elements in int64
            raise GgufFormatError(f"tensor '{name}' claims {elements:,} elements (damaged file)")
        ggml_type = r.scalar(_U32)
        offset = r.scalar(_U64)
        self._charge(8 * n_dims)
        return TensorInfo(name, shape, ggml_type, offset)

    def _string(self, limit: int, what: str) -> str:
        length = self.r.scalar(_U64)
        if length > limit:
            raise GgufFormatError(f"a {what} of {length:,} bytes (damaged file)")
        self._charge(length)
        return self.r.take(length).decode("utf-8", errors="replace")

    def _value(self, value_type: int, depth: int) -> Any:
        if value_type == _STRING:
            length = self.r.scalar(_U64)
            if length > KEEP_STRING_BYTES:
                self.r.skip(length)
                return StringInfo(length)
            self._charge(length)
            return self.r.take(length).decode("utf-8", errors="replace")
        if value_type == _ARRAY:
            return self._array(depth + 1)
        codec = _SCALARS.get(value_type)
        if codec is None:
            raise GgufFormatError(f"unknown metadata type {value_type} (damaged file)")
        self._charge(0)
        return self.r.scalar(codec)

    def _array(self, depth: int, keep: bool = True) -> list[Any] | ArrayInfo:
        """An array's items when it is short and kept; else step over it (``ArrayInfo``).

        Arrays inside a long array are never kept (``keep=False``), only stepped over.
        """
        if depth > MAX_ARRAY_DEPTH:
            raise GgufFormatError("metadata arrays are nested too deeply (damaged file)")
        r = self.r
        item_type = r.scalar(_U32)
        length = r.scalar(_U64)
        r.expect(length * _min_size(item_type))
        if keep:
            self._charge(0)
            if length <= _KEEP_ARRAY_ITEMS:
                return [self._value(item_type, depth) for _ in range(length)]
        if item_type == _STRING:
            r.skip_strings(length)
        elif item_type == _ARRAY:
            for _ in range(length):
                self._array(depth + 1, keep=False)
        else:
            r.skip(_SCALARS[item_type].size * length)
        return ArrayInfo(item_type, length)
