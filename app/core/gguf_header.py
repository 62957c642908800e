"""A reader for the header of GGUF files: metadata and tensor table, never the weights.

llama.cpp aborts the whole process on some malformed files, so every model file is read here
first (in pure Python, in milliseconds) and refused with a clear message when it is not what
it claims to be: not GGUF, truncated, a projector where a model was expected, and so on.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

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
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
    12: "<d",
}  # fmt: skip
_STRING = 8
_ARRAY = 9
_KEEP_ARRAY_ITEMS = 64
"""Arrays longer than this (token lists, merges) are skipped, keeping only their length."""


class GgufFormatError(ValueError):
    """The bytes are not a readable GGUF header; the message says what is wrong."""


@dataclass(frozen=True)
class ArrayInfo:
    """A metadata array too long to keep; only its item type and length are recorded."""

    item_type: int
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
    path = Path(path)
    with path.open("rb") as handle:
        size = path.stat().st_size
        if size < 24:
            raise GgufFormatError("the file is too short to be a GGUF model")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            return _Parser(view, size).header()


class _Parser:
    def __init__(self, view: mmap.mmap, size: int) -> None:
        self.view = view
        self.size = size
        self.pos = 0

    def header(self) -> GgufHeader:
        if self.view[:4] != GGUF_MAGIC:
            raise GgufFormatError("the file does not start with the GGUF signature")
        self.pos = len(GGUF_MAGIC)
        version = self._scalar("<I")
        if version not in (2, 3):
            raise GgufFormatError(f"GGUF version {version} is not supported")
        n_tensors = self._scalar("<Q")
        n_kv = self._scalar("<Q")
        if n_tensors > 1_000_000 or n_kv > 1_000_000:
            raise GgufFormatError("the header counts are implausible (damaged file)")
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = self._string()
            metadata[key] = self._value(self._scalar("<I"))
        tensors: dict[str, TensorInfo] = {}
        for _ in range(n_tensors):
            name = self._string()
            n_dims = self._scalar("<I")
            if n_dims > 8:
                raise GgufFormatError(f"tensor '{name}' has {n_dims} dimensions (damaged file)")
            shape = tuple(self._scalar("<Q") for _ in range(n_dims))
            ggml_type = self._scalar("<I")
            offset = self._scalar("<Q")
            tensors[name] = TensorInfo(name, shape, ggml_type, offset)
        alignment = int(metadata.get("general.alignment", DEFAULT_ALIGNMENT)) or DEFAULT_ALIGNMENT
        data_offset = -(-self.pos // alignment) * alignment
        return GgufHeader(version, metadata, tensors, data_offset, self.size)

    def _need(self, n: int) -> None:
        if self.pos + n > self.size:
            raise GgufFormatError("the header ends early (the file is truncated or damaged)")

    def _scalar(self, fmt: str) -> Any:
        n = struct.calcsize(fmt)
        self._need(n)
        (value,) = struct.unpack_from(fmt, self.view, self.pos)
        self.pos += n
        return value

    def _string(self) -> str:
        length = self._scalar("<Q")
        self._need(length)
        raw = self.view[self.pos : self.pos + length]
        self.pos += length
        return raw.decode("utf-8", errors="replace")

    def _value(self, value_type: int) -> Any:
        if value_type == _STRING:
            return self._string()
        if value_type == _ARRAY:
            return self._array()
        fmt = _SCALARS.get(value_type)
        if fmt is None:
            raise GgufFormatError(f"unknown metadata type {value_type} (damaged file)")
        return self._scalar(fmt)

    def _array(self) -> list[Any] | ArrayInfo:
        item_type = self._scalar("<I")
        length = self._scalar("<Q")
        if length <= _KEEP_ARRAY_ITEMS:
            return [self._value(item_type) for _ in range(length)]
        if item_type == _STRING:
            for _ in range(length):
                self._skip_string()
        elif item_type == _ARRAY:
            for _ in range(length):
                self._array()
        else:
            fmt = _SCALARS.get(item_type)
            if fmt is None:
                raise GgufFormatError(f"unknown array item type {item_type} (damaged file)")
            step = struct.calcsize(fmt) * length
            self._need(step)
            self.pos += step
        return ArrayInfo(item_type, length)

    def _skip_string(self) -> None:
        length = self._scalar("<Q")
        self._need(length)
        self.pos += length
