"""The [IMG_BREAK] rows of an encoded image are rebuilt from the mmproj's own vector."""

from __future__ import annotations

import ctypes
import math

import numpy as np

from app.core.images import PatchGrid
from app.engine.local.img_break import all_finite, break_rows, read_img_break, repair_breaks
from tests.fixtures.pixtral_gguf import TINY, GgufPair


def test_break_rows_sit_at_the_end_of_every_row_but_the_last() -> None:
    assert break_rows(PatchGrid(cols=3, rows=2)) == [3]
    assert break_rows(PatchGrid(cols=2, rows=4)) == [2, 5, 8]
    assert break_rows(PatchGrid(cols=5, rows=1)) == []


def test_the_vector_is_read_from_the_mmproj(tiny_pair: GgufPair) -> None:
    import gguf

    vector = read_img_break(tiny_pair.mmproj)
    assert vector is not None and len(vector) == TINY.n_embd
    reference = next(
        t for t in gguf.GGUFReader(tiny_pair.mmproj).tensors if t.name == "v.token_embd.img_break"
    )
    assert np.allclose(np.asarray(vector), np.asarray(reference.data, dtype=np.float32).ravel())


def test_nan_break_rows_are_repaired(tiny_pair: GgufPair) -> None:
    vector = read_img_break(tiny_pair.mmproj)
    assert vector is not None
    grid, n_embd = PatchGrid(cols=3, rows=3), TINY.n_embd
    n_tokens = grid.rows * (grid.cols + 1) - 1
    embedding = (ctypes.c_float * (n_tokens * n_embd))(*([0.5] * (n_tokens * n_embd)))
    for index in break_rows(grid):  # what llama.cpp's 0 × garbage can leave there
        embedding[index * n_embd] = math.nan
        embedding[index * n_embd + 1] = math.inf
    assert not all_finite(embedding)
    repair_breaks(embedding, grid, n_embd, vector)
    assert all_finite(embedding)
    rows = np.ctypeslib.as_array(embedding).reshape(n_tokens, n_embd)
    for index in break_rows(grid):
        assert np.array_equal(rows[index], np.asarray(vector, dtype=np.float32))
    assert np.all(rows[0] == 0.5)
