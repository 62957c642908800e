"""Model pair checks turn every file problem into one sentence, before llama.cpp sees the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.errors import ModelFileError
from app.core.model_files import check_pair, inspect_mmproj, inspect_text_model
from tests.fixtures.pixtral_gguf import TINY, GgufPair, write_pixtral_pair


def test_a_good_pair_is_described(tiny_pair: GgufPair) -> None:
    text, vision = check_pair(tiny_pair.model, tiny_pair.mmproj)
    assert text.architecture == "llama"
    assert (text.n_layer, text.n_embd, text.n_head_kv) == (
        TINY.n_layer,
        TINY.n_embd,
        TINY.n_head_kv,
    )
    assert vision is not None and vision.projection_dim == TINY.n_embd
    assert vision.projector_type == "pixtral"
    assert check_pair(tiny_pair.model, None)[1] is None


def test_swapped_and_mismatched_files(tiny_pair: GgufPair, tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not the text model"):
        inspect_text_model(tiny_pair.mmproj)
    with pytest.raises(ModelFileError, match="not a vision projector"):
        inspect_mmproj(tiny_pair.model)
    other = write_pixtral_pair(tmp_path / "other", projection_dim=TINY.n_embd + 32)
    with pytest.raises(ModelFileError, match="not a pair"):
        check_pair(tiny_pair.model, other.mmproj)
    llava = write_pixtral_pair(tmp_path / "llava", projector_type="mlp")
    with pytest.raises(ModelFileError, match="not for Pixtral"):
        inspect_mmproj(llava.mmproj)


def test_truncated_empty_and_missing_files(tiny_pair: GgufPair, tmp_path: Path) -> None:
    data = tiny_pair.model.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[: len(data) - 1000])
    with pytest.raises(ModelFileError, match="truncated"):
        inspect_text_model(cut)
    empty = tmp_path / "empty.gguf"
    empty.touch()
    with pytest.raises(ModelFileError, match="0 bytes"):
        inspect_text_model(empty)
    with pytest.raises(ModelFileError, match="does not exist"):
        inspect_text_model(tmp_path / "missing.gguf")
    with pytest.raises(ModelFileError, match="folder"):
        inspect_text_model(tmp_path)
