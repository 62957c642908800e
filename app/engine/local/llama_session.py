"""llama.cpp driven directly: one model, one context, one KV sequence kept across turns.

Runs only inside the worker process. ``MTMDChatHandler`` clears the KV cache and re-encodes
every image on each call; here the prompt is tokenized piece by piece (control tokens by id,
user text never parsed for control tokens, images through mtmd), compared with what the cache
holds (``prefix_cache``), and only the new tail is evaluated. Vision-encoder outputs are kept
by image hash too, so an image is encoded once even when the text before it changes.
"""

from __future__ import annotations

import array
import codecs
import ctypes
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import llama_cpp.llama_cpp as llama
import llama_cpp.mtmd_cpp as mtmd

from app.core.budget import KvType, TurnBudget
from app.core.errors import ContextOverflowError
from app.core.images import PreparedImage
from app.core.prompt import Control, ControlPiece, ImagePiece, Piece, TextPiece
from app.core.system_info import parse_system_info
from app.engine.base import (
    ErrorKind,
    Finished,
    FinishReason,
    Loading,
    LoadStage,
    Prefill,
    Sampling,
    Token,
    Usage,
)
from app.engine.local.cancel_flag import CancelFlag, c_strlen_address
from app.engine.local.img_break import all_finite, read_img_break, repair_breaks
from app.engine.local.prefix_cache import (
    ImageUnit,
    KvRecord,
    Unit,
    count_positions,
    reusable_units,
)
from app.engine.local.protocol import CacheStats, Counted, Loaded, LocalEngineConfig

GGML_TYPE = {KvType.F16: 1, KvType.Q8_0: 8, KvType.Q4_0: 2}
FLASH_ATTN_AUTO, FLASH_ATTN_ENABLED = -1, 1
MAX_IMAGE_PATCHES = 64 * 64
GPU_BACKENDS = ("CUDA", "Metal", "Vulkan", "ROCm", "HIP", "SYCL", "OpenCL")


class EngineFailure(Exception):
    """A failure the worker reports as an ``EngineError`` event (the process stays up)."""

    def __init__(self, kind: ErrorKind, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.detail = detail


class Cancelled(Exception):
    """The user cancelled while the model was loading."""


@dataclass
class _ImageLayout:
    """How mtmd lays out one image: text tokens around a block of ``n_pos`` embeddings."""

    head: tuple[int, ...]
    n_pos: int
    tail: tuple[int, ...]


def build_backends() -> tuple[str, ...]:
    """The ggml backends compiled into the installed llama.cpp (``CPU``, ``CUDA``, …)."""
    return parse_system_info(llama.llama_print_system_info().decode(errors="replace"))


class LlamaSession:
    """Owns the llama.cpp model, context and vision projector inside the worker."""

    def __init__(
        self, config: LocalEngineConfig, cancel: CancelFlag, emit: Callable[[object], None]
    ):
        self.config = config
        self.cancel = cancel
        self.emit = emit
        self.model = None
        self.ctx = None
        self.mctx = None
        self.vocab = None
        self.n_ctx = 0
        self.device = "CPU"
        self._cached = KvRecord()
        self._layouts: dict[str, _ImageLayout] = {}
        self._embeddings: OrderedDict[str, ctypes.Array] = OrderedDict()
        self._embedding_bytes = 0
        self._answers: OrderedDict[str, list[int]] = OrderedDict()
        self._img_break: array.array | None = None
        self._callbacks: list[object] = []  # ctypes callbacks must outlive their C users
        self.tokens_evaluated = 0
        self.images_encoded = 0

    # ----------------------------------------------------------------------------- loading
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
        cparams = llama.llama_context_default_params()
        cparams.n_ctx = cfg.n_ctx
        cparams.n_batch = cfg.n_batch
        cparams.n_ubatch = cfg.n_batch
        cparams.n_threads = threads
        cparams.n_threads_batch = threads
        cparams.type_k = cparams.type_v = GGML_TYPE[cfg.kv_type]
        quantized = cfg.kv_type.needs_flash_attention
        cparams.flash_attn_type = FLASH_ATTN_ENABLED if quantized else FLASH_ATTN_AUTO
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
            self._load_mmproj(threads, use_gpu, quantized)
        return Loaded(
            device=self.device,
            n_ctx=self.n_ctx,
            n_ctx_train=llama.llama_model_n_ctx_train(self.model),
            backends=backends,
        )

    def _load_mmproj(self, threads: int, use_gpu: bool, flash: bool) -> None:
        params = mtmd.mtmd_context_params_default()
        params.use_gpu = use_gpu
        params.n_threads = threads
        params.print_timings = False
        # The app sizes every image itself (app/core/images.py); lift mtmd's own area cap so
        # it never resizes again and the predicted token count is the one spent.
        params.image_min_tokens = 1
        params.image_max_tokens = MAX_IMAGE_PATCHES
        params.flash_attn_type = FLASH_ATTN_ENABLED if flash else FLASH_ATTN_AUTO
        params.progress_callback = self._progress_callback(
            mtmd.mtmd_progress_callback, LoadStage.MMPROJ
        )
        path = self.config.mmproj_path or ""
        self._img_break = read_img_break(path)
        self.mctx = mtmd.mtmd_init_from_file(path.encode(), self.model, params)
        if not self.mctx:
            self._raise_if_cancelled()
            raise EngineFailure(
                ErrorKind.MODEL_FILE,
                f"llama.cpp could not load the vision projector '{os.path.basename(path)}'. "
                "It may be damaged or made for another model.",
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
        if self.mctx:
            mtmd.mtmd_free(self.mctx)
            self.mctx = None
        if self.ctx:
            llama.llama_free(self.ctx)
            self.ctx = None
        if self.model:
            llama.llama_model_free(self.model)
            self.model = None

    # -------------------------------------------------------------------------- tokenizing
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

    def _units(self, pieces: Sequence[Piece]) -> tuple[list[Unit], dict[str, PreparedImage]]:
        """The prompt as cache units, and the images it holds by hash."""
        units: list[Unit] = []
        images: dict[str, PreparedImage] = {}
        for piece in pieces:
            if isinstance(piece, ControlPiece):
                units.append(self._control_ids[piece.token])
            elif isinstance(piece, TextPiece):
                # An answer this engine wrote is fed back as the tokens it sampled: re-tokenizing
                # its text can split it differently and would throw the cache away from there.
                answer = self._answers.get(piece.text)
                units.extend(answer if answer is not None else self._tokenize(piece.text))
            elif isinstance(piece, ImagePiece):
                layout = self._layout(piece.image)
                units.extend(layout.head)
                units.append(ImageUnit(piece.image.sha256, layout.n_pos))
                units.extend(layout.tail)
                images[piece.image.sha256] = piece.image
        return units, images

    def _layout(self, image: PreparedImage) -> _ImageLayout:
        layout = self._layouts.get(image.sha256)
        if layout is None:
            chunks, _chunk, layout = self._image_chunks(image)
            mtmd.mtmd_input_chunks_free(chunks)
            self._layouts[image.sha256] = layout
        return layout

    def _image_chunks(self, image: PreparedImage) -> tuple[object, object, _ImageLayout]:
        """Run mtmd's tokenizer on one image; the caller frees the returned chunk list."""
        if not self.mctx:
            raise EngineFailure(
                ErrorKind.BAD_INPUT,
                "This model was loaded without its vision projector (mmproj), so it cannot "
                "read images. Choose the mmproj file in the model settings.",
            )
        width, height = image.size
        pixels = (ctypes.c_uint8 * len(image.rgb)).from_buffer_copy(image.rgb)
        bitmap = mtmd.mtmd_bitmap_init(width, height, pixels)
        mtmd.mtmd_bitmap_set_id(bitmap, image.sha256.encode())
        part = mtmd.mtmd_input_part(None, bitmap)
        parts = (ctypes.POINTER(mtmd.mtmd_input_part) * 1)(ctypes.pointer(part))
        chunks = mtmd.mtmd_input_chunks_init()
        status = mtmd.mtmd_tokenize_from_parts(self.mctx, chunks, parts, 1, False)
        mtmd.mtmd_bitmap_free(bitmap)
        if status != 0:
            mtmd.mtmd_input_chunks_free(chunks)
            raise EngineFailure(
                ErrorKind.BAD_INPUT, f"'{image.name}' could not be prepared for the model."
            )
        head: list[int] = []
        tail: list[int] = []
        image_chunk = None
        n_pos = 0
        for index in range(mtmd.mtmd_input_chunks_size(chunks)):
            chunk = mtmd.mtmd_input_chunks_get(chunks, index)
            if mtmd.mtmd_input_chunk_get_type(chunk) == mtmd.MTMD_INPUT_CHUNK_TYPE_IMAGE:
                image_chunk = chunk
                n_pos = mtmd.mtmd_input_chunk_get_n_pos(chunk)
                continue
            count = ctypes.c_size_t(0)
            tokens = mtmd.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(count))
            (tail if image_chunk else head).extend(tokens[i] for i in range(count.value))
        if image_chunk is None:
            mtmd.mtmd_input_chunks_free(chunks)
            raise EngineFailure(ErrorKind.INTERNAL, "mtmd produced no image chunk")
        return chunks, image_chunk, _ImageLayout(tuple(head), n_pos, tuple(tail))

    def count(self, pieces: Sequence[Piece]) -> Counted:
        units, _images = self._units(pieces)
        return self._counted(units)

    def _counted(self, units: Sequence[Unit]) -> Counted:
        """Prompt positions, and per image its block plus the tokens mtmd puts around it."""
        image_tokens = []
        for unit in units:
            if isinstance(unit, ImageUnit):
                layout = self._layouts[unit.sha256]
                image_tokens.append(len(layout.head) + layout.n_pos + len(layout.tail))
        return Counted(prompt_tokens=count_positions(units), image_tokens=tuple(image_tokens))

    def stats(self) -> CacheStats:
        return CacheStats(self.tokens_evaluated, self.images_encoded, self._cached.positions)

    # -------------------------------------------------------------------------- generating
    def generate(self, pieces: Sequence[Piece], sampling: Sampling) -> None:
        """Evaluate what is new in the prompt, then stream the answer as events."""
        started = time.perf_counter()
        units, images = self._units(pieces)
        counted = self._counted(units)
        prompt_tokens = counted.prompt_tokens
        try:
            TurnBudget(
                prompt_tokens, sum(counted.image_tokens), sampling.max_tokens, self.n_ctx
            ).check()
        except ContextOverflowError as exc:
            raise EngineFailure(ErrorKind.CONTEXT_OVERFLOW, str(exc)) from exc

        keep = reusable_units(self._cached.units, units)
        self._truncate_cache(keep)
        cached_tokens = self._cached.positions
        images_before = self.images_encoded
        prefill_ok = self._prefill(
            units[len(self._cached) :], images, prompt_tokens - cached_tokens
        )
        prefill_s = time.perf_counter() - started
        if not prefill_ok:
            self.emit(Finished(FinishReason.CANCELLED, ""))
            return
        text, sampled, reason, first_token_at, decode_s = self._decode(sampling)
        generated = len(sampled)
        self._remember_answer(text, sampled)
        ttft = (first_token_at or time.perf_counter()) - started
        self.emit(
            Usage(
                prompt_tokens=prompt_tokens,
                cached_tokens=cached_tokens,
                evaluated_tokens=prompt_tokens - cached_tokens,
                image_tokens=counted.image_tokens,
                images_encoded=self.images_encoded - images_before,
                generated_tokens=generated,
                ttft_s=ttft,
                prefill_s=prefill_s,
                decode_s=decode_s,
                backend="local",
                device=self.device,
                n_ctx=self.n_ctx,
            )
        )
        self.emit(Finished(reason, text))

    def _remember_answer(self, text: str, tokens: list[int]) -> None:
        if not text or text != text.rstrip(" "):
            return
        self._answers[text] = tokens
        self._answers.move_to_end(text)
        while len(self._answers) > 256:
            self._answers.popitem(last=False)

    def _truncate_cache(self, keep: int) -> None:
        memory = llama.llama_get_memory(self.ctx)
        position = self._cached.positions_of(keep)
        if llama.llama_memory_seq_rm(memory, 0, position, -1):
            self._cached.truncate(keep)
        else:
            llama.llama_memory_clear(memory, True)
            self._cached.truncate(0)

    def _prefill(self, todo: Sequence[Unit], images: dict[str, PreparedImage], total: int) -> bool:
        """Evaluate ``todo`` after the cached prefix; False when cancelled."""
        n_images = sum(isinstance(u, ImageUnit) for u in todo)
        done = images_done = 0
        self.emit(Prefill(0, total, 0, n_images))
        index = 0
        while index < len(todo):
            if self.cancel.is_set():
                return False
            unit = todo[index]
            if isinstance(unit, ImageUnit):
                if not self._eval_image(unit, images[unit.sha256]):
                    return False
                done += unit.n_pos
                images_done += 1
                index += 1
            else:
                run: list[int] = []
                while index < len(todo) and not isinstance(todo[index], ImageUnit):
                    run.append(todo[index])  # type: ignore[arg-type]
                    index += 1
                    if len(run) == self.config.n_batch:
                        break
                if not self._eval_tokens(run):
                    return False
                done += len(run)
            self.emit(Prefill(done, total, images_done, n_images))
        return True

    def _eval_tokens(self, tokens: list[int]) -> bool:
        array = (llama.llama_token * len(tokens))(*tokens)
        status = llama.llama_decode(self.ctx, llama.llama_batch_get_one(array, len(tokens)))
        if status != 0:
            self._truncate_cache(len(self._cached))
            if status == 2 or self.cancel.is_set():
                return False
            raise self._decode_failure(status)
        self._cached.extend(tokens)
        self.tokens_evaluated += len(tokens)
        return True

    def _eval_image(self, unit: ImageUnit, image: PreparedImage) -> bool:
        chunks, chunk, _layout = self._image_chunks(image)
        try:
            embedding = self._embeddings.get(unit.sha256)
            if embedding is None:
                if mtmd.mtmd_encode_chunk(self.mctx, chunk) != 0:
                    if self.cancel.is_set():
                        return False
                    raise EngineFailure(
                        ErrorKind.INTERNAL, f"The vision encoder failed on '{image.name}'."
                    )
                embedding = self._remember_embedding(unit, image)
                self.images_encoded += 1
            if self.cancel.is_set():
                return False
            position = self._cached.positions
            new_position = llama.llama_pos(0)
            status = mtmd.mtmd_helper_decode_image_chunk(
                self.mctx, self.ctx, chunk, embedding, position, 0, self.config.n_batch,
                ctypes.byref(new_position), mtmd.mtmd_helper_post_decode_callback(), None,
            )  # fmt: skip
            if status != 0:
                self._truncate_cache(len(self._cached))
                if self.cancel.is_set():
                    return False
                raise self._decode_failure(status)
            self._cached.append(unit)
            self.tokens_evaluated += unit.n_pos
            return True
        finally:
            mtmd.mtmd_input_chunks_free(chunks)

    def _remember_embedding(self, unit: ImageUnit, image: PreparedImage) -> ctypes.Array:
        count = unit.n_pos * self.n_embd
        embedding = (ctypes.c_float * count)()
        ctypes.memmove(embedding, mtmd.mtmd_get_output_embd(self.mctx), count * 4)
        if self._img_break is not None:
            repair_breaks(embedding, image.grid, self.n_embd, self._img_break)
        if not all_finite(embedding):
            raise EngineFailure(
                ErrorKind.INTERNAL,
                f"The vision encoder produced invalid numbers for '{image.name}'. "
                "The vision projector file may be damaged.",
            )
        self._embeddings[unit.sha256] = embedding
        self._embedding_bytes += count * 4
        budget = self.config.image_cache_mb * 1024 * 1024
        while self._embedding_bytes > budget and len(self._embeddings) > 1:
            _old, dropped = self._embeddings.popitem(last=False)
            self._embedding_bytes -= ctypes.sizeof(dropped)
        return embedding

    def _decode_failure(self, status: int) -> EngineFailure:
        if status == 1:
            return EngineFailure(
                ErrorKind.CONTEXT_OVERFLOW,
                "The context is full; start a new chat or raise the context size.",
            )
        return EngineFailure(
            ErrorKind.INTERNAL, f"llama.cpp failed to evaluate the prompt (status {status})."
        )

    def _decode(
        self, sampling: Sampling
    ) -> tuple[str, list[int], FinishReason, float | None, float]:
        sampler = self._sampler(sampling)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pieces: list[str] = []
        sampled: list[int] = []
        first_token_at: float | None = None
        reason = FinishReason.LENGTH
        piece_buffer = ctypes.create_string_buffer(256)
        token_array = (llama.llama_token * 1)()
        try:
            while len(sampled) < sampling.max_tokens:
                token = llama.llama_sampler_sample(sampler, self.ctx, -1)
                if first_token_at is None:
                    first_token_at = time.perf_counter()
                if llama.llama_vocab_is_eog(self.vocab, token):
                    reason = FinishReason.STOP
                    break
                sampled.append(token)
                n = llama.llama_token_to_piece(self.vocab, token, piece_buffer, 256, 0, False)
                text = decoder.decode(piece_buffer.raw[: max(n, 0)])
                if text:
                    pieces.append(text)
                    self.emit(Token(text))
                if self.cancel.is_set():
                    reason = FinishReason.CANCELLED
                    break
                if self._cached.positions >= self.n_ctx:
                    reason = FinishReason.CONTEXT_FULL
                    break
                token_array[0] = token
                status = llama.llama_decode(self.ctx, llama.llama_batch_get_one(token_array, 1))
                if status != 0:
                    self._truncate_cache(len(self._cached))
                    reason = FinishReason.CANCELLED if status == 2 else FinishReason.CONTEXT_FULL
                    break
                self._cached.append(token)
        finally:
            llama.llama_sampler_free(sampler)
        tail = decoder.decode(b"", final=True)
        if tail:
            pieces.append(tail)
            self.emit(Token(tail))
        decode_s = time.perf_counter() - first_token_at if first_token_at else 0.0
        return "".join(pieces), sampled, reason, first_token_at, decode_s

    def _sampler(self, sampling: Sampling) -> object:
        chain = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())
        if sampling.temperature <= 0:
            llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_greedy())
        else:
            llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_top_p(sampling.top_p, 1))
            llama.llama_sampler_chain_add(
                chain, llama.llama_sampler_init_temp(sampling.temperature)
            )
            llama.llama_sampler_chain_add(
                chain, llama.llama_sampler_init_dist(sampling.seed & 0xFFFFFFFF)
            )
        return chain
