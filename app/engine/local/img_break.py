"""Repair of the ``[IMG_BREAK]`` rows in Pixtral's vision-encoder output.

llama.cpp's Pixtral graph (``tools/mtmd/models/pixtral.cpp``, llama-cpp-python 0.3.36) builds
the row-break embeddings as ``scale(new_tensor(...), 0.0) + token_embd_img_break``. The new
tensor is never written, so it holds whatever the compute buffer held before; when that is an
Inf or NaN bit pattern, ``0 × Inf = NaN`` and the whole answer turns to NaN logits. It happens
now and then, more under memory churn, on every backend (found by a test that failed one run in
~25; see the fixture tests).

The correct value of each break row is exactly the ``v.token_embd.img_break`` vector, which we
read from the mmproj file ourselves. After every encode the engine overwrites those rows with
it: the result is what the graph meant to compute, whatever the buffer held.
"""

from __future__ import annotations

import array
import ctypes
from pathlib import Path

import numpy as np  # a dependency of llama-cpp-python

from app.core.gguf_header import read_gguf_header
from app.core.images import PatchGrid

IMG_BREAK_TENSOR = "v.token_embd.img_break"
_F32, _F16, _BF16 = 0, 1, 30


def read_img_break(mmproj: str | Path) -> array.array | None:
    """The ``[IMG_BREAK]`` embedding as float32 values, or None if the file has none we read."""
    header = read_gguf_header(mmproj)
    info = header.tensors.get(IMG_BREAK_TENSOR)
    if info is None or info.n_bytes is None:
        return None
    with Path(mmproj).open("rb") as handle:
        handle.seek(header.data_offset + info.offset)
        raw = handle.read(info.n_bytes)
    if info.ggml_type == _F32:
        values = array.array("f", raw)
    elif info.ggml_type == _F16:
        values = array.array("f", memoryview(raw).cast("e").tolist())
    elif info.ggml_type == _BF16:
        halves = array.array("H", raw)
        values = array.array("f", array.array("I", (h << 16 for h in halves)).tobytes())
    else:
        return None
    return values


def break_rows(grid: PatchGrid) -> list[int]:
    """Indexes of the break tokens in an image's embedding block (one per row but the last)."""
    return [row * (grid.cols + 1) + grid.cols for row in range(grid.rows - 1)]


def repair_breaks(
    embedding: ctypes.Array, grid: PatchGrid, n_embd: int, vector: array.array
) -> None:
    """Overwrite each break row of ``embedding`` (n_tokens × n_embd floats) with ``vector``."""
    if len(vector) != n_embd:
        raise ValueError(f"img_break has {len(vector)} values, the model expects {n_embd}")
    source = (ctypes.c_float * n_embd).from_buffer(vector)
    row_bytes = n_embd * ctypes.sizeof(ctypes.c_float)
    base = ctypes.addressof(embedding)
    for index in break_rows(grid):
        ctypes.memmove(base + index * row_bytes, source, row_bytes)


def all_finite(embedding: ctypes.Array) -> bool:
    return bool(np.isfinite(np.ctypeslib.as_array(embedding)).all())
