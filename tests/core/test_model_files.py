"""Model pair checks turn every file problem into one sentence, before llama.cpp sees the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.errors import ModelFileError
from app.core.model_files import NotPixtralError, check_pair, inspect_mmproj, inspect_text_model
from tests.fixtures.pixtral_gguf import TINY, GgufPair, write_pixtral_pair


@pytest.fixture(scope="module")
def small_pair(tmp_path_factory: pytest.TempPathFactory) -> GgufPair:
    """A Mistral Small 3.x-shaped pair: as wide as the tiny Pixtral, its projector 'pixtral'."""
    return write_pixtral_pair(tmp_path_factory.mktemp("small"), variant="mistral-small")


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


def test_a_mistral_small_projector_is_not_taken_for_pixtral(small_pair: GgufPair) -> None:
    with pytest.raises(NotPixtralError) as caught:
        inspect_mmproj(small_pair.mmproj)
    message = str(caught.value)
    assert "is a Mistral Small 3.x vision projector, not Pixtral 12B's" in message
    assert "2×2 patches" in message and "not supported yet" in message


def test_a_mistral_small_text_model_is_not_taken_for_pixtral(small_pair: GgufPair) -> None:
    with pytest.raises(NotPixtralError, match=r"is a Mistral Small 3\.x text model, not Pixtral"):
        inspect_text_model(small_pair.model)


def test_pixtral_and_mistral_small_files_never_cross_pair(
    tiny_pair: GgufPair, small_pair: GgufPair
) -> None:
    # Same width and projector type, so only the Mistral Small signs tell them apart.
    with pytest.raises(NotPixtralError, match=r"Mistral Small 3\.x vision projector"):
        check_pair(tiny_pair.model, small_pair.mmproj)
    with pytest.raises(NotPixtralError, match=r"Mistral Small 3\.x text model"):
        check_pair(small_pair.model, tiny_pair.mmproj)
    with pytest.raises(NotPixtralError):
        check_pair(small_pair.model, small_pair.mmproj)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_not_a_model_file(tmp_path: Path) -> None:
    fifo = tmp_path / "x.gguf"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        inspect_text_model(fifo)
