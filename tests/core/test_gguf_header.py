"""The GGUF header reader agrees with the reference ``gguf`` package and never reads weights."""

from __future__ import annotations

from pathlib import Path

import gguf
import pytest

from app.core.gguf_header import GGML_BLOCK, GgufFormatError, read_gguf_header
from tests.fixtures.pixtral_gguf import GgufPair


def test_block_sizes_match_ggml() -> None:
    for type_id, (per_block, block_bytes) in GGML_BLOCK.items():
        assert gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(type_id)] == (per_block, block_bytes)


@pytest.mark.parametrize("which", ["model", "mmproj"])
def test_header_matches_the_reference_reader(tiny_pair: GgufPair, which: str) -> None:
    path: Path = getattr(tiny_pair, which)
    ours = read_gguf_header(path)
    reference = gguf.GGUFReader(path)
    assert set(ours.tensors) == {t.name for t in reference.tensors}
    for tensor in reference.tensors:
        mine = ours.tensors[tensor.name]
        assert mine.shape == tuple(int(d) for d in tensor.shape)
        assert mine.n_bytes == int(tensor.n_bytes)
        assert ours.data_offset + mine.offset == int(tensor.data_offset)
    assert ours.data_end == path.stat().st_size
    assert ours.architecture == ("llama" if which == "model" else "clip")


def test_damaged_headers_raise_a_format_error(tmp_path: Path, tiny_pair: GgufPair) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\xff" * 40)
    with pytest.raises(GgufFormatError):
        read_gguf_header(bad)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(tiny_pair.model.read_bytes()[:100])
    with pytest.raises(GgufFormatError, match="ends early"):
        read_gguf_header(cut)
