"""Images through mtmd: the vision projector, how each image is laid out, its encoded embedding.

Encoding is the slowest step of a turn with a new image, and ``MTMDChatHandler`` re-encodes
every image on every call. Here both what mtmd makes of an image (the text tokens around it and
how many positions its block spans, needed just to count a prompt) and the vision encoder's
output are kept by image hash, so an image is tokenized once and encoded once even when the text
before it changes. Evaluating an embedding into the KV cache stays with the session
(``llama_session``), which keeps the record of what the cache holds.
"""

from __future__ import annotations

import array
import ctypes
import os
from collections import OrderedDict
from dataclasses import dataclass

import llama_cpp.mtmd_cpp as mtmd

from app.core.images import PreparedImage
from app.engine.base import ErrorKind
from app.engine.local.cancel_flag import CancelFlag
from app.engine.local.engine_failure import Cancelled, EngineFailure
from app.engine.local.img_break import all_finite, read_img_break, repair_breaks
from app.engine.local.prefix_cache import ImageUnit

MAX_IMAGE_PATCHES = 64 * 64


@dataclass
class ImageLayout:
    """How mtmd lays out one image: text tokens around a block of ``n_pos`` embeddings."""

    head: tuple[int, ...]
    n_pos: int
    tail: tuple[int, ...]


class ImageEncoder:
    """Owns the mtmd context, and what it has made of each image, by hash."""

    def __init__(self, cancel: CancelFlag, cache_bytes: int) -> None:
        self.cancel = cancel
        self.cache_bytes = cache_bytes
        self.mctx = None
        self.n_embd = 0
        self.layouts: dict[str, ImageLayout] = {}
        self._embeddings: OrderedDict[str, ctypes.Array] = OrderedDict()
        self._embedding_bytes = 0
        self._img_break: array.array | None = None
        self.images_encoded = 0

    def load(
        self,
        path: str,
        model: object,
        *,
        n_embd: int,
        threads: int,
        use_gpu: bool,
        flash_attn_type: int,
        progress_callback: object,
    ) -> None:
        """Load the vision projector at ``path`` for ``model`` (raises ``Cancelled`` if asked)."""
        self.n_embd = n_embd
        params = mtmd.mtmd_context_params_default()
        params.use_gpu = use_gpu
        params.n_threads = threads
        params.print_timings = False
        # The app sizes every image itself (app/core/images.py); lift mtmd's own area cap so
        # it never resizes again and the predicted token count is the one spent.
        params.image_min_tokens = 1
        params.image_max_tokens = MAX_IMAGE_PATCHES
        params.flash_attn_type = flash_attn_type
        params.progress_callback = progress_callback
        self._img_break = read_img_break(path)
        self.mctx = mtmd.mtmd_init_from_file(path.encode(), model, params)
        if not self.mctx:
            if self.cancel.is_set():
                raise Cancelled()
            raise EngineFailure(
                ErrorKind.MODEL_FILE,
                f"llama.cpp could not load the vision projector '{os.path.basename(path)}'. "
                "It may be damaged or made for another model.",
            )

    def close(self) -> None:
        if self.mctx:
            mtmd.mtmd_free(self.mctx)
            self.mctx = None

    def layout(self, image: PreparedImage) -> ImageLayout:
        layout = self.layouts.get(image.sha256)
        if layout is None:
            chunks, _chunk, layout = self.chunks(image)
            mtmd.mtmd_input_chunks_free(chunks)
            self.layouts[image.sha256] = layout
        return layout

    def chunks(self, image: PreparedImage) -> tuple[object, object, ImageLayout]:
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
        return chunks, image_chunk, ImageLayout(tuple(head), n_pos, tuple(tail))

    def embedding(
        self, unit: ImageUnit, image: PreparedImage, chunk: object
    ) -> ctypes.Array | None:
        """The encoder's output for ``chunk``, from the cache or encoded now; None if cancelled."""
        embedding = self._embeddings.get(unit.sha256)
        if embedding is None:
            if mtmd.mtmd_encode_chunk(self.mctx, chunk) != 0:
                if self.cancel.is_set():
                    return None
                raise EngineFailure(
                    ErrorKind.INTERNAL, f"The vision encoder failed on '{image.name}'."
                )
            embedding = self._remember_embedding(unit, image)
            self.images_encoded += 1
        return embedding

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
        while self._embedding_bytes > self.cache_bytes and len(self._embeddings) > 1:
            _old, dropped = self._embeddings.popitem(last=False)
            self._embedding_bytes -= ctypes.sizeof(dropped)
        return embedding
