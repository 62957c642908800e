"""A model's human name comes from its file name alone (the header reads no file for it)."""

from __future__ import annotations

import pytest

from app.models.model_names import display_name, split_quant


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("pixtral-12b-Q4_K_M.gguf", "Pixtral 12B · Q4_K_M"),
        ("/home/ana/models/Pixtral-12B-2409-Q8_0.gguf", "Pixtral 12B 2409 · Q8_0"),
        ("pixtral-12b.f16.gguf", "Pixtral 12B · F16"),
        ("mistral-community_pixtral-12b-IQ4_XS.gguf", "Mistral Community Pixtral 12B · IQ4_XS"),
        ("Pixtral 12B 2409", "Pixtral 12B 2409"),
        ("", ""),
    ],
)
def test_file_names_become_human_names(name: str, shown: str) -> None:
    assert display_name(name) == shown


def test_the_headers_quantization_wins_over_the_file_names() -> None:
    assert display_name("pixtral-12b-Q8_0.gguf", "Q4_K_M") == "Pixtral 12B · Q4_K_M"
    assert display_name("model", "?") == "Model"  # "?": the header named none


def test_the_last_quantization_in_a_name_is_the_files() -> None:
    assert split_quant("pixtral-q8_0-Q4_K_M") == ("pixtral-q8_0", "Q4_K_M")
    assert split_quant("pixtral-12b") == ("pixtral-12b", "")
