"""One Pixtral 12B Q4_K_M header and a synthetic machine to fit it into, for the tests of the
automatic context and KV type: both pick from the same model and the same fake free memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.budget import GIB
from app.core.model_files import TextModelInfo
from app.models import hardware
from app.models.hardware import GpuInfo

PIXTRAL_Q4 = TextModelInfo(
    path=Path("/models/pixtral-12b-Q4_K_M.gguf"),
    architecture="llama",
    name="Pixtral 12B",
    n_layer=40,
    n_embd=5120,
    n_head=32,
    n_head_kv=8,
    head_dim=128,
    n_ctx_train=1_024_000,  # what real headers say; the app caps it at 131,072
    file_size=7_480_000_000,
)


def fake_machine(monkeypatch: pytest.MonkeyPatch, ram_gib: float, vram_gib: float | None) -> None:
    """``ram_gib`` of RAM free; a GPU with ``vram_gib`` free that llama.cpp can use (None: no
    GPU of its own, whatever this machine has)."""
    monkeypatch.setattr(hardware, "available_memory_bytes", lambda: int(ram_gib * GIB))
    gpu = None if vram_gib is None else GpuInfo("GPU", 80 * GIB, int(vram_gib * GIB), "nvidia")
    monkeypatch.setattr(hardware, "discrete_gpu", lambda: gpu)
