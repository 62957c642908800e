"""What this machine has, read without loading a model.

The default context size depends on it: Pixtral's KV cache costs 160 KiB per token at f16, so a
128K context does not fit most machines and must not be assumed. The context is fitted to the
memory the KV cache will live in: llama.cpp keeps each layer's KV cache beside that layer's
weights, so with every layer on a GPU it is the GPU's free memory that counts, not the RAM.
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from app.core.budget import GIB, MAX_CONTEXT, KvShape, KvType, default_context
from app.core.errors import UserFacingError
from app.core.model_files import TextModelInfo
from app.core.system_info import parse_system_info
from app.models.kv_choice import KvChoice, choose_kv


def available_memory_bytes() -> int:
    """Memory the OS can hand out now (Linux ``MemAvailable``; elsewhere free pages)."""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


GPU_MARGIN = 512 * 1024**2
"""Kept free on a GPU for the CUDA context, the driver and fragmentation (memory_fit too)."""


def pick_context(
    requested: int, model: TextModelInfo, kv_type: KvType, n_gpu_layers: int = 0
) -> int:
    """``requested`` when set, else the largest context the memory allows (capped by training).

    The automatic context never goes below ``MIN_CONTEXT`` (4,096 tokens): a smaller one holds
    barely one full-size image, so where not even 4,096 fits the load is tried with 4,096 and
    llama.cpp's out-of-memory error (or the OS) says so, rather than a context too small to use.
    """
    if requested > MAX_CONTEXT:
        raise UserFacingError(
            f"A context of {requested:,} tokens is more than Pixtral Desk supports "
            f"({MAX_CONTEXT:,}); use --n-ctx {MAX_CONTEXT} or less."
        )
    if requested > 0:
        return max(requested, 256)
    chosen = fitting_context(model, kv_type, n_gpu_layers)
    if model.n_ctx_train:
        chosen = min(chosen, model.n_ctx_train)
    return chosen


def fitting_context(model: TextModelInfo, kv_type: KvType, n_gpu_layers: int) -> int:
    """The largest context whose KV cache fits where it will live (``MIN_CONTEXT`` at least).

    llama.cpp puts each layer's weights and KV cache on the device that runs the layer. With
    every layer on a GPU of its own memory that is the GPU's free memory (less a margin for
    the driver); with none, the RAM; with some, each device must hold its share, and the
    smaller context wins. Apple Silicon's GPU shares the RAM, so there the RAM counts, and a
    GPU that ``discrete_gpu`` cannot see (no ``nvidia-smi``) is treated as absent.
    """
    ram = available_memory_bytes()
    gpu = discrete_gpu() if n_gpu_layers != 0 else None
    on_gpu = 0
    if gpu is not None:
        on_gpu = model.n_layer if n_gpu_layers < 0 else min(n_gpu_layers, model.n_layer)
    if on_gpu <= 0:
        return default_context(ram, model.file_size, model.kv_shape, kv_type)
    assert gpu is not None
    share = on_gpu / model.n_layer
    shape = model.kv_shape
    gpu_fit = default_context(
        gpu.free_bytes - GPU_MARGIN,
        int(model.file_size * share),
        KvShape(on_gpu, shape.n_head_kv, shape.head_dim),
        kv_type,
    )
    if on_gpu == model.n_layer:
        return gpu_fit
    ram_fit = default_context(
        ram,
        model.file_size - int(model.file_size * share),
        KvShape(model.n_layer - on_gpu, shape.n_head_kv, shape.head_dim),
        kv_type,
    )
    return min(gpu_fit, ram_fit)


def pick_context_and_kv(
    requested: int,
    model: TextModelInfo,
    kv_type: KvType,
    *,
    kv_chosen: bool,
    n_gpu_layers: int = 0,
) -> KvChoice:
    """The context and KV type to load with (``kv_chosen``: the user picked ``kv_type``;
    ``n_gpu_layers`` as the engine will load it, -1 for all: it decides where the KV lives).

    With an automatic context (``requested`` 0) and a KV type left at its default, the KV type
    is the one that gets the user the most context (``kv_choice.choose_kv``): on a machine
    where f16 stops short of the model's full context, q8_0 holds nearly twice as many tokens.
    A context the user set, or a KV type they chose, is loaded as it is.
    """
    if requested > 0 or kv_chosen:
        n_ctx = pick_context(requested, model, kv_type, n_gpu_layers)
        return KvChoice(kv_type, n_ctx, f"{kv_type.value} KV cache, as set")
    full = min(MAX_CONTEXT, model.n_ctx_train or MAX_CONTEXT)
    return choose_kv(lambda kv: pick_context(0, model, kv, n_gpu_layers), full)


# --- Probe: what the machine and the installed llama.cpp can do ------------------------------

GPU_BACKENDS = ("CUDA", "Metal", "Vulkan", "ROCm", "HIP", "SYCL", "OpenCL", "MUSA", "CANN")
LLAMA_CPP_REQUIREMENT = "llama-cpp-python>=0.3.36,<0.4"
"""The versions the engine supports (pyproject's pin): a reinstall without the upper bound could
bring a 0.4 whose API the engine was never run against."""
CUDA_REINSTALL = (
    'CMAKE_ARGS="-DGGML_CUDA=on" pip install --force-reinstall --no-cache-dir '
    f'"{LLAMA_CPP_REQUIREMENT}"'
)
METAL_REINSTALL = (
    'CMAKE_ARGS="-DGGML_METAL=on" pip install --force-reinstall --no-cache-dir '
    f'"{LLAMA_CPP_REQUIREMENT}"'
)
MIB = 1024**2


@dataclass(frozen=True)
class GpuInfo:
    """One accelerator; on Apple Silicon the memory is the unified system RAM."""

    name: str
    total_bytes: int
    free_bytes: int
    vendor: str  # "nvidia" | "apple"
    unified: bool = False


@dataclass(frozen=True)
class HardwareReport:
    backends: tuple[str, ...]
    gpu_offload: bool
    gpus: tuple[GpuInfo, ...]
    ram_total_bytes: int
    ram_available_bytes: int
    disk_free_bytes: int
    disk_path: Path

    @property
    def gpu_backends(self) -> tuple[str, ...]:
        return tuple(b for b in self.backends if b in GPU_BACKENDS)

    @property
    def can_offload(self) -> bool:
        """A GPU is present *and* this llama.cpp build can use it."""
        return bool(self.gpus) and self.gpu_offload and bool(self.gpu_backends)

    def gpu_support_warning(self) -> str | None:
        """The sentence to show when a GPU sits idle because of how llama.cpp was built."""
        if not self.gpus or self.can_offload:
            return None
        gpu = self.gpus[0]
        command = METAL_REINSTALL if gpu.vendor == "apple" else CUDA_REINSTALL
        built = ", ".join(self.backends) or "CPU"
        return (
            f"This computer has a GPU ({gpu.name}) but the installed llama-cpp-python was built "
            f"without GPU support ({built} only), so Pixtral will run on the CPU, many times "
            f"slower. To use the GPU, reinstall it with GPU support:\n{command}"
        )

    def summary_lines(self) -> list[str]:
        """Human-readable lines for the CLI and the setup assistant."""
        lines = [f"llama.cpp backends: {', '.join(self.backends) or 'CPU'}"]
        for gpu in self.gpus:
            kind = " (unified memory)" if gpu.unified else ""
            lines.append(
                f"GPU: {gpu.name}{kind}, {gpu.free_bytes / GIB:.1f} GiB free of "
                f"{gpu.total_bytes / GIB:.1f} GiB"
            )
        if not self.gpus:
            lines.append("GPU: none found")
        lines.append(
            f"RAM: {self.ram_available_bytes / GIB:.1f} GiB available of "
            f"{self.ram_total_bytes / GIB:.1f} GiB"
        )
        lines.append(f"Disk: {self.disk_free_bytes / GIB:.1f} GiB free in {self.disk_path}")
        warning = self.gpu_support_warning()
        if warning:
            lines.append(warning)
        return lines


def llama_build() -> tuple[tuple[str, ...], bool]:
    """(backends compiled into the installed llama.cpp, whether it can offload to a GPU).

    Importing ``llama_cpp`` loads the shared library but no model; it costs ~100 ms.
    """
    try:
        import llama_cpp.llama_cpp as llama
    except Exception:
        return ("CPU",), False
    info = llama.llama_print_system_info().decode(errors="replace")
    return parse_system_info(info), bool(llama.llama_supports_gpu_offload())


def nvidia_gpus(timeout_s: float = 5.0) -> tuple[GpuInfo, ...]:
    """GPUs reported by ``nvidia-smi`` (on PATH); empty when it is absent or fails."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return ()
    query = "--query-gpu=name,memory.total,memory.free"
    try:
        done = subprocess.run(
            [exe, query, "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    if done.returncode != 0:
        return ()
    gpus = []
    for line in done.stdout.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3:
            continue
        try:
            total, free = int(float(parts[1]) * MIB), int(float(parts[2]) * MIB)
        except ValueError:
            continue
        gpus.append(GpuInfo(parts[0], total, free, "nvidia"))
    return tuple(gpus)


def total_memory_bytes() -> int:
    """Physical RAM (Linux ``MemTotal``; elsewhere ``sysconf``)."""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return available_memory_bytes()


def apple_gpus(ram_total: int, ram_available: int) -> tuple[GpuInfo, ...]:
    """Apple Silicon's GPU shares system RAM, so its memory is the RAM figures."""
    if platform.system() != "Darwin" or platform.machine() != "arm64":
        return ()
    return (GpuInfo("Apple Silicon GPU", ram_total, ram_available, "apple", unified=True),)


@functools.cache
def gpu_usable() -> bool:
    """Whether a model can run on a GPU here: the installed llama.cpp can offload *and* the
    machine has one. Asked once per process (the GPUs do not come and go), so the header can
    ask it whenever it words the memory a model needs without calling nvidia-smi each time."""
    _backends, offload = llama_build()
    if not offload:
        return False
    return bool(nvidia_gpus() or apple_gpus(total_memory_bytes(), available_memory_bytes()))


@functools.cache
def discrete_gpu() -> GpuInfo | None:
    """The GPU with memory of its own that this llama.cpp will put layers on, or None.

    Asked once per process: nvidia-smi and importing llama.cpp cost ~0.1 s each, and the free
    memory is wanted as it was before this app's own model took any of it. Only NVIDIA GPUs
    are seen (through nvidia-smi); ``nvidia-smi`` absent means no probe and no import at all.
    """
    gpus = nvidia_gpus()
    if not gpus:
        return None
    _backends, offload = llama_build()
    return gpus[0] if offload else None


def probe(disk_path: str | Path | None = None) -> HardwareReport:
    """Everything the setup assistant needs, without loading a model (well under a second)."""
    backends, offload = llama_build()
    ram_total, ram_free = total_memory_bytes(), available_memory_bytes()
    gpus = nvidia_gpus() or apple_gpus(ram_total, ram_free)
    path = Path(disk_path) if disk_path else Path.home()
    while not path.exists() and path != path.parent:
        path = path.parent  # a download folder that does not exist yet
    return HardwareReport(
        backends=backends,
        gpu_offload=offload,
        gpus=gpus,
        ram_total_bytes=ram_total,
        ram_available_bytes=ram_free,
        disk_free_bytes=shutil.disk_usage(path).free,
        disk_path=path,
    )
