"""Memory estimates and recommendations."""

from __future__ import annotations

from pathlib import Path

from app.core.budget import GIB, KvType
from app.models.catalog import load_catalog
from app.models.hardware import GpuInfo, HardwareReport
from app.models.memory_fit import Budget, estimate, largest_context, recommend, shape_from_files

KIB = 1024
CATALOG = load_catalog()
DIMS = CATALOG.shape


def _report(gpu_free_gib: float = 0, ram_gib: float = 32, cuda: bool = True) -> HardwareReport:
    gpus = (GpuInfo("GPU", 24 * GIB, int(gpu_free_gib * GIB), "nvidia"),) if gpu_free_gib else ()
    backends = ("CUDA", "CPU") if cuda else ("CPU",)
    return HardwareReport(backends, cuda, gpus, 64 * GIB, int(ram_gib * GIB), 500 * GIB, Path("/"))


def test_kv_cache_costs_160_85_45_kib_per_token_for_pixtral_12b() -> None:
    for kv_type, kib in ((KvType.F16, 160), (KvType.Q8_0, 85), (KvType.Q4_0, 45)):
        est = estimate(DIMS, 0, 0, 1024, kv_type)
        assert est.kv == 1024 * kib * KIB


def test_gpu_layers_move_weights_and_kv_to_the_gpu() -> None:
    cpu = estimate(DIMS, 7 * GIB, GIB, 8192)
    half = estimate(DIMS, 7 * GIB, GIB, 8192, n_gpu_layers=20)
    full = estimate(DIMS, 7 * GIB, GIB, 8192, n_gpu_layers=-1)
    assert cpu.gpu == 0 and full.cpu == 0 and full.n_gpu_layers == 41
    assert 0 < half.gpu < full.gpu and half.cpu < cpu.cpu
    assert abs(cpu.total - full.total) < 1 * KIB  # the same bytes, only placed elsewhere
    assert "GiB on the GPU" in full.describe() and "8,192 tokens" in full.describe()


def test_flash_attention_off_costs_the_full_attention_scores() -> None:
    on = estimate(DIMS, 0, 0, 32768, flash_attn=True)
    off = estimate(DIMS, 0, 0, 32768, flash_attn=False)
    # 32 heads x 32768 x 512 x 4 bytes = 2 GiB of scores per layer pass.
    assert off.text_compute - on.text_compute >= 2 * GIB
    # A quantized KV cache forces flash attention on, as in llama.cpp.
    assert estimate(DIMS, 0, 0, 32768, KvType.Q8_0, flash_attn=False).text_compute == (
        on.text_compute
    )


def test_largest_context_is_the_biggest_that_fits() -> None:
    budget = Budget(gpu=0, ram=12 * GIB)
    ctx = largest_context(DIMS, 7 * GIB, GIB, budget, KvType.F16, 0)
    assert ctx % 1024 == 0 and ctx >= 4096
    assert budget.fits(estimate(DIMS, 7 * GIB, GIB, ctx, KvType.F16))
    assert not budget.fits(estimate(DIMS, 7 * GIB, GIB, ctx + 1024, KvType.F16))
    assert largest_context(DIMS, 20 * GIB, GIB, budget, KvType.F16, 0) == 0


def test_a_24_gib_gpu_gets_q8_fully_offloaded() -> None:
    rec = recommend(CATALOG, _report(gpu_free_gib=23))
    assert rec and rec.quant.quant == "Q8_0" and rec.n_gpu_layers == -1
    assert rec.n_ctx >= 16384 and rec.estimate.gpu <= 23 * GIB


def test_a_12_gib_gpu_gets_q4_fully_offloaded() -> None:
    rec = recommend(CATALOG, _report(gpu_free_gib=11))
    assert rec and rec.quant.quant == "Q4_K_M" and rec.n_gpu_layers == -1
    assert rec.estimate.gpu <= 11 * GIB - 512 * 2**20


def test_an_8_gib_gpu_gets_a_partial_offload() -> None:
    rec = recommend(CATALOG, _report(gpu_free_gib=7.5))
    assert rec and rec.quant.quant == "Q4_K_M" and 0 < rec.n_gpu_layers < 40


def test_cpu_only_machines_get_q4_and_small_machines_get_nothing() -> None:
    rec = recommend(CATALOG, _report(ram_gib=16, cuda=False))
    assert rec and rec.quant.quant == "Q4_K_M" and rec.n_gpu_layers == 0
    assert rec.estimate.total <= 14 * GIB
    assert recommend(CATALOG, _report(ram_gib=6, cuda=False)) is None


def test_a_gpu_the_build_cannot_use_does_not_count() -> None:
    rec = recommend(CATALOG, _report(gpu_free_gib=23, ram_gib=16, cuda=False))
    assert rec and rec.n_gpu_layers == 0


def test_dims_come_from_the_headers(tiny_pair) -> None:
    dims = shape_from_files(tiny_pair.model, tiny_pair.mmproj)
    assert (dims.n_layer, dims.n_embd, dims.n_head_kv, dims.head_dim) == (2, 64, 2, 32)
    assert (dims.n_vocab, dims.n_ff, dims.v_n_embd) == (512, 96, 32)
