"""The estimate against what llama.cpp really allocates, on the tiny model.

llama.cpp is loaded in a subprocess (it may abort the process on bad input, and its log goes to
the C-level stderr) with the engine's parameters; its own log lines name every buffer it
allocates: model weights, KV cache, output, and the compute buffers of the text model and the
vision encoder. The vision encoder reserves for its 256×256 warm-up image at load, so the
estimate is asked for 256 patches here.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from app.core.budget import KvType
from app.models.memory_fit import estimate_files

# Measured on llama-cpp-python 0.3.36 (CPU): -1.4 % (f16), -1.6 % (q8_0); the bound leaves room
# for llama.cpp's allocator to change a little between versions.
MAX_RELATIVE_ERROR = 0.10
WARMUP_PATCHES = 16 * 16

_LOADER = r"""
import sys
import llama_cpp.llama_cpp as llama
from llama_cpp import mtmd_cpp as mtmd
model, mmproj, n_ctx, kv = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
llama.llama_backend_init()
mparams = llama.llama_model_default_params()
mparams.n_gpu_layers = 0
m = llama.llama_model_load_from_file(model.encode(), mparams)
cparams = llama.llama_context_default_params()
cparams.n_ctx, cparams.n_batch, cparams.n_ubatch = n_ctx, 512, 512
types = {"f16": 1, "q8_0": 8, "q4_0": 2}
cparams.type_k = cparams.type_v = types[kv]
if kv != "f16":
    cparams.flash_attn_type = 1
ctx = llama.llama_init_from_model(m, cparams)
vparams = mtmd.mtmd_context_params_default()
vparams.use_gpu, vparams.n_threads, vparams.image_max_tokens = False, 2, 64 * 64
assert mtmd.mtmd_init_from_file(mmproj.encode(), m, vparams)
print("LOADED", flush=True)
"""

_BUFFER = re.compile(r"(model|KV|output|compute) buffer size\s*=\s*([\d.]+) MiB")
_CLIP_MODEL = re.compile(r"load_hparams: model size:\s*([\d.]+) MiB")


def _allocated(model: str, mmproj: str, n_ctx: int, kv: KvType) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _LOADER, model, mmproj, str(n_ctx), str(kv)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    log = done.stdout + done.stderr
    assert "LOADED" in done.stdout, log[-2000:]
    mib = [float(v) for _, v in _BUFFER.findall(log)] + [float(v) for v in _CLIP_MODEL.findall(log)]
    kinds = {k for k, _ in _BUFFER.findall(log)}
    assert {"model", "KV", "compute"} <= kinds and _CLIP_MODEL.search(log), log[-2000:]
    return int(sum(mib) * 1024**2)


@pytest.mark.parametrize("kv_type", [KvType.F16, KvType.Q8_0])
def test_the_estimate_is_within_10_percent_of_llama_cpp_allocations(tiny_pair, kv_type) -> None:
    n_ctx = 4096
    actual = _allocated(str(tiny_pair.model), str(tiny_pair.mmproj), n_ctx, kv_type)
    est = estimate_files(
        tiny_pair.model, tiny_pair.mmproj, n_ctx, kv_type, image_patches=WARMUP_PATCHES
    )
    error = (est.total - actual) / actual
    print(f"kv={kv_type} estimate={est.total} actual={actual} error={error:+.1%}")
    assert abs(error) <= MAX_RELATIVE_ERROR
