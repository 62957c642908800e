"""The llama.cpp model, context and vision projector: loaded, freed, and text turned to tokens.

Apart from the session (``llama_session``) so that what a turn does with the KV cache reads
apart from how the handles come to exist: the load parameters, load progress and cancel through
the progress callbacks, the ``strlen`` abort callback (``cancel_flag``), and the check that the
file is a Mistral/Pixtral instruct model. The session extends this class rather than holding an
instance so that its decode loop reads ``self.ctx`` and ``self.vocab`` with no extra lookup per
token.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable

import llama_cpp.llama_cpp as llama
import llama_cpp.mtmd_cpp as mtmd

from app.core.budget import KvType
from app.core.prompt import Control
from app.core.system_info import parse_system_info
from app.engine.base import ErrorKind, Loading, LoadStage
from app.engine.local.cancel_flag import CancelFlag, c_strlen_address
from app.engine.local.engine_failure import Cancelled, EngineFailure
from app.engine.local.image_encoder import ImageEncoder
from app.engine.local.protocol import Loaded, LocalEngineConfig

GGML_TYPE = {KvType.F16: 1, KvType.Q8_0: 8, KvType.Q4_0: 2}
FLASH_ATTN_AUTO, FLASH_ATTN_ENABLED = -1, 1
GPU_BACKENDS = ("CUDA", "Metal", "Vulkan", "ROCm", "HIP", "SYCL", "OpenCL")


def build_backends() -> tuple[str, ...]:
    """The ggml backends compiled into the installed llama.cpp (``CPU``, ``CUDA``, …)."""
    return parse_system_info(llama.llama_print_system_info().decode(errors="replace"))


class LlamaModel:
    """Owns the llama.cpp model, context and vision projector inside the worker."""

    def __init__(
        self, config: LocalEngineConfig, cancel: CancelFlag, emit: Callable[[object], None]
    ):
        self.config = config
        self.cancel = cancel
        self.emit = emit
        self.model = None
        self.ctx = None
        self.vocab = None
        self.n_ctx = 0
        self.device = "CPU"
        self.images = ImageEncoder(cancel, config.image_cache_mb * 1024 * 1024)
        self._callbacks: list[object] = []  # ctypes callbacks must outlive their C users

    def load(self) -> Loaded:
        cfg = self.config
        llama.llama_backend_init()
        backends = build_backends()
        gpu = [b for b in backends if b in GPU_BACKENDS]
        use_gpu = bool(gpu) and cfg.n_gpu_layers != 0 and llama.llama_supports_gpu_offload()
        self.device = gpu[0] if use_gpu else "CPU"

        mparams = llama.llama_model_default_params()
        mparams.n_gpu_layers = (999 if cfg.n_gpu_layers < 0 else cfg.n_gpu_layers) if use_gpu else 0
        mparams.progress_callback = self._progress_callback(
            llama.llama_progress_callback, LoadStage.MODEL
        )
        self.model = llama.llama_model_load_from_file(cfg.model_path.encode(), mparams)
        if not self.model:
            self._raise_if_cancelled()
            raise EngineFailure(
                ErrorKind.MODEL_FILE,
                f"llama.cpp could not load the model '{os.path.basename(cfg.model_path)}'. "
                "The file may be damaged or of an unsupported kind.",
            )
        self.vocab = llama.llama_model_get_vocab(self.model)
        self._control_ids = self._find_control_ids()

        threads = cfg.n_threads or os.cpu_count() or 4
        batch_threads = cfg.n_threads_batch or threads
        cparams = llama.llama_context_default_params()
        cparams.n_ctx = cfg.n_ctx
        cparams.n_batch = cfg.n_batch
        cparams.n_ubatch = cfg.n_batch
        cparams.n_threads = threads
        cparams.n_threads_batch = batch_threads
        cparams.type_k = cparams.type_v = GGML_TYPE[cfg.kv_type]
        quantized = cfg.kv_type.needs_flash_attention
        flash_attn_type = FLASH_ATTN_ENABLED if quantized else FLASH_ATTN_AUTO
        cparams.flash_attn_type = flash_attn_type
        abort = llama.ggml_abort_callback(c_strlen_address())
        self._callbacks.append(abort)
        cparams.abort_callback = abort
        cparams.abort_callback_data = ctypes.c_void_p(self.cancel.address)
        self.ctx = llama.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            raise EngineFailure(
                ErrorKind.OUT_OF_MEMORY,
                f"There is not enough memory for a {cfg.n_ctx:,}-token context. "
                "Lower the context size, use a q8_0 KV cache or offload fewer layers.",
            )
        self.n_ctx = llama.llama_n_ctx(self.ctx)
        self.n_embd = llama.llama_model_n_embd_inp(self.model)
        if cfg.mmproj_path:
            self.images.load(
                cfg.mmproj_path,
                self.model,
                n_embd=self.n_embd,
                threads=batch_threads,  # encoding an image is batch work, like a prompt
                use_gpu=use_gpu,
                flash_attn_type=flash_attn_type,
                progress_callback=self._progress_callback(
                    mtmd.mtmd_progress_callback, LoadStage.MMPROJ
                ),
            )
        return Loaded(
            device=self.device,
            n_ctx=self.n_ctx,
            n_ctx_train=llama.llama_model_n_ctx_train(self.model),
            backends=backends,
        )

    def _progress_callback(self, ctype: type, stage: LoadStage) -> object:
        last = [-1.0]

        def report(progress: float, _user_data: object) -> bool:
            if progress - last[0] >= 0.05 or progress >= 1.0:
                last[0] = progress
                self.emit(Loading(stage, min(max(progress, 0.0), 1.0)))
            return not self.cancel.is_set()

        callback = ctype(report)
        self._callbacks.append(callback)
        return callback

    def _raise_if_cancelled(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    def _find_control_ids(self) -> dict[Control, int]:
        ids = {
            Control.BOS: llama.llama_vocab_bos(self.vocab),
            Control.EOS: llama.llama_vocab_eos(self.vocab),
        }
        for control in (Control.INST, Control.END_INST):
            tokens = self._tokenize(control.value, parse_special=True)
            if len(tokens) != 1:
                raise EngineFailure(
                    ErrorKind.MODEL_FILE,
                    f"The model's vocabulary has no '{control.value}' control token; "
                    "it is not a Mistral/Pixtral instruct model.",
                )
            ids[control] = tokens[0]
        return ids

    def close(self) -> None:
        self.images.close()
        if self.ctx:
            llama.llama_free(self.ctx)
            self.ctx = None
        if self.model:
            llama.llama_model_free(self.model)
            self.model = None

    def _tokenize(self, text: str, parse_special: bool = False) -> list[int]:
        data = text.encode("utf-8")
        capacity = len(data) + 8
        while True:
            buffer = (llama.llama_token * capacity)()
            n = llama.llama_tokenize(
                self.vocab, data, len(data), buffer, capacity, False, parse_special
            )
            if n >= 0:
                return list(buffer[:n])
            capacity = -n
