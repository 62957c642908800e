"""The automatic context (``--n-ctx 0``) fits the memory its KV cache will live in.

llama.cpp keeps each layer's KV cache beside the layer's weights: with every layer on a GPU the
GPU's free memory decides, with none the RAM, with some both. Synthetic machines: Pixtral 12B
Q4_K_M (7.48 GB) with fake free RAM and a fake GPU; the KV costs 160 KiB a token at f16.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.backends import local_config
from app.core import model_files
from app.core.budget import GIB, MIN_CONTEXT, KvType
from app.models import hardware
from app.models.hardware import fitting_context, pick_context
from app.settings import Settings
from tests.models.pixtral_machine import PIXTRAL_Q4, fake_machine

F16_TOKENS_PER_GIB = GIB // (160 * 1024)  # 6,553


def test_with_every_layer_on_the_gpu_the_gpus_memory_decides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 8 GiB of RAM would hold no context beyond the floor; the 24 GiB GPU holds ~100K tokens.
    fake_machine(monkeypatch, ram_gib=8, vram_gib=24)
    on_gpu = pick_context(0, PIXTRAL_Q4, KvType.F16, n_gpu_layers=-1)
    assert 12 * F16_TOKENS_PER_GIB < on_gpu < 16 * F16_TOKENS_PER_GIB
    assert pick_context(0, PIXTRAL_Q4, KvType.F16, n_gpu_layers=40) == on_gpu
    assert pick_context(0, PIXTRAL_Q4, KvType.F16, n_gpu_layers=0) == MIN_CONTEXT


def test_a_small_gpu_limits_the_context_however_much_ram_is_free(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 64 GiB of RAM would give the full 131,072 tokens (20 GiB of KV) to a 12 GiB GPU.
    fake_machine(monkeypatch, ram_gib=64, vram_gib=12)
    n_ctx = pick_context(0, PIXTRAL_Q4, KvType.F16, n_gpu_layers=-1)
    assert 2 * F16_TOKENS_PER_GIB < n_ctx < 4 * F16_TOKENS_PER_GIB
    assert pick_context(0, PIXTRAL_Q4, KvType.F16, n_gpu_layers=0) == 131_072


def test_with_some_layers_on_the_gpu_each_device_holds_its_share(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Half the layers: each side holds half the weights and half the KV per token; the side
    # with less room left decides.
    fake_machine(monkeypatch, ram_gib=64, vram_gib=8)
    half = fitting_context(PIXTRAL_Q4, KvType.F16, n_gpu_layers=20)
    left_on_gpu = 8 * GIB - hardware.GPU_MARGIN - PIXTRAL_Q4.file_size // 2 - GIB
    assert half == left_on_gpu // (80 * 1024) // 1024 * 1024
    fake_machine(monkeypatch, ram_gib=8, vram_gib=64)
    left_in_ram = 8 * GIB - PIXTRAL_Q4.file_size // 2 - GIB
    assert fitting_context(PIXTRAL_Q4, KvType.F16, 20) == left_in_ram // (80 * 1024) // 1024 * 1024


def test_without_a_gpu_of_its_own_the_ram_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_machine(monkeypatch, ram_gib=23, vram_gib=None)
    left_in_ram = 23 * GIB - PIXTRAL_Q4.file_size - GIB
    expected = left_in_ram // (160 * 1024) // 1024 * 1024
    assert pick_context(0, PIXTRAL_Q4, KvType.F16, n_gpu_layers=-1) == expected == 98_304


def test_the_automatic_context_never_goes_below_4096(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where not even 4,096 tokens fit, the load is tried with 4,096 (documented floor)."""
    fake_machine(monkeypatch, ram_gib=2, vram_gib=2)
    assert MIN_CONTEXT == 4_096
    assert pick_context(0, PIXTRAL_Q4, KvType.F16, n_gpu_layers=-1) == 4_096
    assert pick_context(0, PIXTRAL_Q4, KvType.F16, n_gpu_layers=0) == 4_096


def test_the_load_fits_the_context_to_the_gpu_it_will_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``local_config`` hands the GPU layers setting in: all layers (-1, the default) on a
    24 GiB GPU with 8 GiB of RAM loads ~100K tokens, not the RAM's floor."""
    monkeypatch.setattr(model_files, "inspect_text_model", lambda _path: PIXTRAL_Q4)
    fake_machine(monkeypatch, ram_gib=8, vram_gib=24)
    values: dict[str, Any] = dict(Settings(Path("/nonexistent/settings.ini")).items())
    values.update(model=str(PIXTRAL_Q4.path), mmproj="", n_ctx=0, kv_type="f16")
    assert values["n_gpu_layers"] == -1
    on_gpu = local_config(values)
    assert on_gpu.n_ctx > 12 * F16_TOKENS_PER_GIB
    on_cpu = local_config({**values, "n_gpu_layers": 0})
    assert on_cpu.n_ctx == MIN_CONTEXT


def test_no_nvidia_smi_means_no_gpu_and_no_llama_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi anywhere
    hardware.discrete_gpu.cache_clear()

    def no_import() -> tuple[tuple[str, ...], bool]:
        raise AssertionError("llama.cpp imported without a GPU to ask about")

    monkeypatch.setattr(hardware, "llama_build", no_import)
    try:
        assert hardware.discrete_gpu() is None
    finally:
        hardware.discrete_gpu.cache_clear()
