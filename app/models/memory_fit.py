"""How much memory a Pixtral setup needs, estimated before loading, and what fits this machine.

Newcomers pick a context or a quantization that does not fit, and llama.cpp
then fails deep inside a load (or the OS kills it). The estimate adds up what llama.cpp
allocates — weights (the file sizes: llama.cpp maps them as they are), the KV cache
(``KvShape.bytes_per_token``: 160/85/45 KiB per token for Pixtral 12B at f16/q8_0/q4_0) and
the compute buffers of the text model and the vision encoder — so the UI can show it and
``recommend`` can choose a quantization, GPU layers and the largest context that fits.

Compute buffers follow what llama.cpp's graph reserve allocates (checked against its log on
the tiny model, see tests/models/test_memory_fit_actual.py):

* text: ``n_ubatch × n_vocab × 4`` (logits) or the per-token activations, whichever is larger
  (the allocator reuses one for the other), plus the attention mask ``n_ctx × n_ubatch`` in f16
  with flash attention, or the full ``n_head × n_ctx × n_ubatch`` f32 scores without it;
* vision: the f32 input pixels, ``patches × (4·d + 2·ff) × 4`` activations, and without flash
  attention the ``heads × patches²`` scores. llama.cpp reserves for a 256×256 warm-up image
  at load and grows the buffer for the largest image later, so the worst case is estimated at
  ``max_image_patches`` (4,096 for a 1024×1024 image, as the engine allows).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.core.budget import GIB, MAX_CONTEXT, MIN_CONTEXT, KvType
from app.core.gguf_header import read_gguf_header
from app.models.catalog import Catalog, ModelShape, Quant
from app.models.hardware import GPU_MARGIN, HardwareReport
from app.models.kv_choice import choose_kv

MIB = 1024**2
KV_PAD = 256  # llama.cpp rounds the KV cache up to a multiple of 256 cells
DEFAULT_UBATCH = 512
MAX_IMAGE_PATCHES = 64 * 64
RAM_RESERVE = 2 * GIB  # the OS, the window, the worker process
PATCH_PIXELS = 16 * 16 * 3
PIXTRAL_VISION = (1024, 16, 4096)  # the encoder's v_n_embd, v_n_head, v_n_ff


def shape_from_files(model: str | Path, mmproj: str | Path | None = None) -> ModelShape:
    """Read the shape from the headers (milliseconds; the weights are not read).

    Without an mmproj (or where its header lacks a key) the vision numbers are Pixtral 12B's.
    """
    header = read_gguf_header(model)
    arch = header.architecture
    n_embd = int(header.get(f"{arch}.embedding_length"))
    n_head = int(header.get(f"{arch}.attention.head_count"))
    vocab = header.get(f"{arch}.vocab_size")
    if not vocab:
        tokens = header.get("tokenizer.ggml.tokens")
        vocab = getattr(tokens, "length", None) or len(tokens or ()) or 131072
    v_n_embd, v_n_head, v_n_ff = PIXTRAL_VISION
    if mmproj is not None:
        vision = read_gguf_header(mmproj)
        v_n_embd = int(vision.get("clip.vision.embedding_length", v_n_embd))
        v_n_head = int(vision.get("clip.vision.attention.head_count", v_n_head))
        v_n_ff = int(vision.get("clip.vision.feed_forward_length", v_n_ff))
    return ModelShape(
        n_layer=int(header.get(f"{arch}.block_count")),
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=int(header.get(f"{arch}.attention.head_count_kv", n_head)),
        head_dim=int(header.get(f"{arch}.attention.key_length", 0) or n_embd // n_head),
        n_ff=int(header.get(f"{arch}.feed_forward_length", 4 * n_embd)),
        n_vocab=int(vocab),
        n_ctx_train=int(header.get(f"{arch}.context_length", MAX_CONTEXT)),
        v_n_embd=v_n_embd,
        v_n_head=v_n_head,
        v_n_ff=v_n_ff,
    )


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes by item and by place (GPU / system RAM); ``total`` is what must exist in all."""

    weights: int
    mmproj: int
    kv: int
    text_compute: int
    vision_compute: int
    gpu: int
    cpu: int
    n_ctx: int
    kv_type: KvType
    n_gpu_layers: int

    @property
    def total(self) -> int:
        return self.gpu + self.cpu

    def describe(self) -> str:
        """One line for the UI: the total and its parts, in GiB."""

        def g(n: int) -> str:
            return f"{n / GIB:.1f}"

        where = f" ({g(self.gpu)} GiB on the GPU, {g(self.cpu)} GiB in RAM)" if self.gpu else ""
        return (
            f"≈ {g(self.total)} GiB{where}: weights {g(self.weights)} + vision "
            f"{g(self.mmproj)} + KV cache {g(self.kv)} ({self.n_ctx:,} tokens, {self.kv_type}) "
            f"+ buffers {g(self.text_compute + self.vision_compute)}"
        )


def _pad(n_ctx: int) -> int:
    return -(-n_ctx // KV_PAD) * KV_PAD


def text_compute_bytes(dims: ModelShape, n_ctx: int, n_ubatch: int, flash_attn: bool) -> int:
    logits = n_ubatch * dims.n_vocab * 4
    activations = n_ubatch * (2 * dims.n_embd + dims.n_ff + dims.n_head * dims.head_dim) * 4
    if flash_attn:
        attention = _pad(n_ctx) * n_ubatch * 2
    else:
        attention = dims.n_head * _pad(n_ctx) * n_ubatch * 4 + _pad(n_ctx) * n_ubatch * 2
    return max(logits, activations) + attention


def vision_compute_bytes(dims: ModelShape, patches: int, flash_attn: bool) -> int:
    pixels = patches * PATCH_PIXELS * 4
    activations = patches * (4 * dims.v_n_embd + 2 * dims.v_n_ff) * 4
    scores = 0 if flash_attn else dims.v_n_head * patches * patches * 4
    return pixels + activations + scores


def estimate(
    dims: ModelShape,
    weights_bytes: int,
    mmproj_bytes: int,
    n_ctx: int,
    kv_type: KvType = KvType.F16,
    n_gpu_layers: int = 0,
    *,
    n_ubatch: int = DEFAULT_UBATCH,
    flash_attn: bool = True,
    image_patches: int = MAX_IMAGE_PATCHES,
) -> MemoryEstimate:
    """Estimate what llama.cpp allocates for this setup; ``n_gpu_layers < 0`` means all.

    Layers are offloaded evenly: each of ``n_layer`` blocks plus the output layer holds an equal
    share of the weights (the token embeddings stay in RAM, which this ignores: <5 % for 12B).
    The vision encoder and the compute buffers go to the GPU when anything does.
    """
    flash_attn = flash_attn or kv_type.needs_flash_attention
    slots = dims.n_layer + 1
    on_gpu = slots if n_gpu_layers < 0 else min(n_gpu_layers, slots)
    kv = _pad(n_ctx) * dims.kv_shape.bytes_per_token(kv_type)
    text_compute = text_compute_bytes(dims, n_ctx, n_ubatch, flash_attn)
    vision_compute = vision_compute_bytes(dims, image_patches, flash_attn)
    gpu_weights = weights_bytes * on_gpu // slots
    gpu_kv = kv * min(on_gpu, dims.n_layer) // dims.n_layer
    gpu = 0
    if on_gpu:
        gpu = gpu_weights + gpu_kv + mmproj_bytes + text_compute + vision_compute
    cpu_compute = 0 if on_gpu else text_compute + vision_compute
    cpu_mmproj = 0 if on_gpu else mmproj_bytes
    cpu = (weights_bytes - gpu_weights) + (kv - gpu_kv) + cpu_compute + cpu_mmproj
    return MemoryEstimate(
        weights=weights_bytes,
        mmproj=mmproj_bytes,
        kv=kv,
        text_compute=text_compute,
        vision_compute=vision_compute,
        gpu=gpu,
        cpu=cpu,
        n_ctx=n_ctx,
        kv_type=kv_type,
        n_gpu_layers=on_gpu,
    )


def estimate_files(
    model: str | Path,
    mmproj: str | Path,
    n_ctx: int,
    kv_type: KvType = KvType.F16,
    n_gpu_layers: int = 0,
    **kwargs: int | bool,
) -> MemoryEstimate:
    """``estimate`` for a pair on disk: shapes from the headers, weights from the file sizes."""
    dims = shape_from_files(model, mmproj)
    return estimate(
        dims,
        Path(model).stat().st_size,
        Path(mmproj).stat().st_size,
        n_ctx,
        kv_type,
        n_gpu_layers,
        **kwargs,  # type: ignore[arg-type]
    )


# --- Recommendation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    quant: Quant
    n_gpu_layers: int  # -1 = all
    n_ctx: int
    kv_type: KvType
    estimate: MemoryEstimate
    reason: str
    kv_note: str = ""
    """Why this KV type, in words (e.g. "q8_0 KV cache: the full 131,072-token context fits;
    f16 would fit only 82,944")."""


@dataclass(frozen=True)
class Budget:
    """Usable bytes: GPU (0 = no usable GPU) and RAM; ``unified`` when they are the same."""

    gpu: int
    ram: int
    unified: bool = False

    @classmethod
    def from_report(cls, report: HardwareReport) -> Budget:
        ram = max(0, report.ram_available_bytes - RAM_RESERVE)
        if not report.can_offload:
            return cls(0, ram)
        gpu = report.gpus[0]
        if gpu.unified:
            return cls(ram, ram, unified=True)
        return cls(max(0, gpu.free_bytes - GPU_MARGIN), ram)

    def fits(self, est: MemoryEstimate) -> bool:
        if self.unified:
            return est.total <= self.ram
        return est.gpu <= self.gpu and est.cpu <= self.ram


def largest_context(
    dims: ModelShape,
    weights: int,
    mmproj: int,
    budget: Budget,
    kv_type: KvType,
    n_gpu_layers: int,
) -> int:
    """The largest context (multiple of 1024, ≥ 4,096, ≤ training length) that fits; 0 if none."""
    top = min(MAX_CONTEXT, dims.n_ctx_train or MAX_CONTEXT) // 1024
    low = MIN_CONTEXT // 1024

    def ok(k: int) -> bool:
        return budget.fits(estimate(dims, weights, mmproj, k * 1024, kv_type, n_gpu_layers))

    if top < low or not ok(low):
        return 0
    while low < top:  # largest k in [low, top] with ok(k); ok is monotone in k
        mid = (low + top + 1) // 2
        if ok(mid):
            low = mid
        else:
            top = mid - 1
    return low * 1024


def recommend(
    catalog: Catalog,
    report: HardwareReport,
    *,
    min_context: int = 16_384,
    release_id: str | None = None,
    kv_type: KvType | None = None,
) -> Recommendation | None:
    """The best quantization of a release for this machine, with GPU layers and context.

    Prefers, in order: the whole model on the GPU (largest quantization that keeps at least
    ``min_context``); else a partial offload of Q4_K_M or smaller; else CPU only, where Q4_K_M
    is the sweet spot (speed on a CPU falls with file size). ``None`` when not even the
    smallest quantization fits with a 4,096-token context. The KV type follows
    ``kv_choice.choose_kv``: f16 where it reaches the full context, else q8_0 (more context
    in the same memory), unless ``kv_type`` is given (the user's own choice).
    """
    release = next((r for r in catalog.releases if r.id == release_id), catalog.reference())
    dims = catalog.shape
    budget = Budget.from_report(report)
    by_size = sorted(release.quants, key=lambda q: q.model.size_bytes, reverse=True)
    q4_size = next((q.model.size_bytes for q in by_size if q.quant == "Q4_K_M"), 0)
    cpu_choices = [q for q in by_size if q.model.size_bytes <= q4_size] or by_size

    full = min(MAX_CONTEXT, dims.n_ctx_train or MAX_CONTEXT)

    def attempt(quant: Quant, ngl: int, want: int, reason: str) -> Recommendation | None:
        w, m = quant.model.size_bytes, quant.mmproj.size_bytes
        choice = choose_kv(
            lambda kv: largest_context(dims, w, m, budget, kv, ngl), full, explicit=kv_type
        )
        if choice.n_ctx < want:
            return None
        est = estimate(dims, w, m, choice.n_ctx, choice.kv_type, ngl)
        return Recommendation(quant, ngl, choice.n_ctx, choice.kv_type, est, reason, choice.note)

    if budget.gpu:
        for quant in by_size:
            found = attempt(quant, -1, min_context, "the whole model fits on the GPU")
            if found:
                return found
        for quant in cpu_choices:
            for ngl in range(dims.n_layer, 0, -1):
                found = attempt(quant, ngl, min_context, f"{ngl} of {dims.n_layer} layers on GPU")
                if found:
                    return found
    for want in (min_context, MIN_CONTEXT):
        for quant in cpu_choices:
            found = attempt(quant, 0, want, "runs on the CPU")
            if found:
                return found
    return None
