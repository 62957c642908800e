"""llama.cpp driven directly: one model, one context, one KV sequence kept across turns.

Runs only inside the worker process. ``MTMDChatHandler`` clears the KV cache and re-encodes
every image on each call; here the prompt is tokenized piece by piece (control tokens by id,
user text never parsed for control tokens, images through mtmd), compared with what the cache
holds (``prefix_cache``), and only the new tail is evaluated. Vision-encoder outputs are kept
by image hash too (``image_encoder``), so an image is encoded once even when the text before it
changes. Loading and freeing the model, context and projector is ``llama_model``'s; this module
is a turn: what to evaluate, evaluating it, and the decode loop that streams the answer.
"""

from __future__ import annotations

import codecs
import ctypes
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

import llama_cpp.llama_cpp as llama
import llama_cpp.mtmd_cpp as mtmd

from app.core.budget import TurnBudget
from app.core.errors import ContextOverflowError
from app.core.images import PreparedImage
from app.core.prompt import ControlPiece, ImagePiece, Piece, TextPiece
from app.engine.base import (
    ErrorKind,
    Finished,
    FinishReason,
    Prefill,
    Sampling,
    Token,
    Usage,
)
from app.engine.local.cancel_flag import CancelFlag
from app.engine.local.chat_resume import ChatResume
from app.engine.local.engine_failure import Cancelled, EngineFailure
from app.engine.local.grammar import SchemaGrammarError, schema_grammar
from app.engine.local.llama_model import LlamaModel
from app.engine.local.prefix_cache import (
    ImageUnit,
    KvRecord,
    Unit,
    count_positions,
    reusable_units,
)
from app.engine.local.protocol import CacheStats, Counted, LocalEngineConfig
from app.engine.local.state_cache import ChatStates

MIN_FITTED_ANSWER = 256
"""A job's answer limit shrinks to the room left in the context, but never below this: with
less room than that the turn is refused with the usual sentence and its fixes."""


class LlamaSession(LlamaModel):
    """The loaded model with the record of its KV sequence: evaluates and answers each turn."""

    def __init__(
        self,
        config: LocalEngineConfig,
        cancel: CancelFlag,
        emit: Callable[[object], None],
        states: ChatStates | None = None,
    ):
        super().__init__(config, cancel, emit)
        self._cached = KvRecord()
        self._answers: OrderedDict[str, list[int]] = OrderedDict()
        self.tokens_evaluated = 0
        self.resume = ChatResume(self, states or ChatStates())
        """Which chat the KV sequence holds; other chats' states kept (``chat_resume``)."""

    # ------------------------------------------------------------------------------ prompt
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
                layout = self.images.layout(piece.image)
                units.extend(layout.head)
                units.append(ImageUnit(piece.image.sha256, layout.n_pos))
                units.extend(layout.tail)
                images[piece.image.sha256] = piece.image
        return units, images

    def count(self, pieces: Sequence[Piece]) -> Counted:
        units, _images = self._units(pieces)
        return self._counted(units)

    def _counted(self, units: Sequence[Unit]) -> Counted:
        """Prompt positions, and per image its block plus the tokens mtmd puts around it."""
        image_tokens = []
        for unit in units:
            if isinstance(unit, ImageUnit):
                layout = self.images.layouts[unit.sha256]
                image_tokens.append(len(layout.head) + layout.n_pos + len(layout.tail))
        return Counted(prompt_tokens=count_positions(units), image_tokens=tuple(image_tokens))

    def stats(self) -> CacheStats:
        return CacheStats(
            self.tokens_evaluated,
            self.images.images_encoded,
            states_restored=self.resume.restored,
            last_resume=self.resume.last,
            states_saved=self.resume.states.files_written,
            switch_s=self.resume.switch_s,
            save_s=self.resume.states.last_save_s,
        )

    # -------------------------------------------------------------------------- generating
    def generate(self, pieces: Sequence[Piece], sampling: Sampling, chat: str = "") -> None:
        """Evaluate what is new in the prompt, then stream the answer as events.

        A prompt that ends with text instead of ``[/INST]`` continues an answer that stopped
        at the answer limit. That text is fed back as the tokens this engine sampled, so the
        cache already holds all of it but the last token, and the new tokens are remembered
        as the rest of the same answer.
        """
        started = time.perf_counter()
        self.resume.switch(chat, pieces)  # another chat's turn: swap the KV sequence's state
        units, images = self._units(pieces)
        counted = self._counted(units)
        prompt_tokens = counted.prompt_tokens
        sampling = self._fitted(sampling, prompt_tokens)
        try:
            TurnBudget(
                prompt_tokens, sum(counted.image_tokens), sampling.max_tokens, self.n_ctx
            ).check()
        except ContextOverflowError as exc:
            raise EngineFailure(ErrorKind.CONTEXT_OVERFLOW, str(exc)) from exc

        keep = reusable_units(self._cached.units, units)
        self._truncate_cache(keep)
        cached_tokens = self._cached.positions
        images_before = self.images.images_encoded
        prefill_ok = self._prefill(
            units[len(self._cached) :], images, prompt_tokens - cached_tokens
        )
        prefill_s = time.perf_counter() - started
        if not prefill_ok:
            self.emit(Finished(FinishReason.CANCELLED, ""))
            return
        text, sampled, reason, first_token_at, decode_s = self._decode(sampling)
        generated = len(sampled)
        partial = pieces[-1].text if pieces and isinstance(pieces[-1], TextPiece) else None
        if partial is None:
            self._remember_answer(text, sampled)
        else:
            self._remember_answer(partial + text, self._answer_tokens(partial) + sampled)
        ttft = (first_token_at or time.perf_counter()) - started
        self.emit(
            Usage(
                prompt_tokens=prompt_tokens,
                cached_tokens=cached_tokens,
                evaluated_tokens=prompt_tokens - cached_tokens,
                image_tokens=counted.image_tokens,
                images_encoded=self.images.images_encoded - images_before,
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

    def _fitted(self, sampling: Sampling, prompt_tokens: int) -> Sampling:
        """A job's ceiling (``fit_context``) cut to the room the prompt leaves."""
        if not sampling.fit_context:
            return sampling
        wanted = sampling.max_tokens
        room = self.n_ctx - prompt_tokens
        return replace(sampling, max_tokens=max(min(wanted, room), min(wanted, MIN_FITTED_ANSWER)))

    def _answer_tokens(self, text: str) -> list[int]:
        """The tokens an answer was sampled as (or its text tokenized, for one not ours)."""
        tokens = self._answers.get(text)
        return list(tokens) if tokens is not None else list(self._tokenize(text))

    def _remember_answer(self, text: str, tokens: list[int]) -> None:
        # Kept even with trailing spaces: a cut answer comes back exactly as it was written.
        if not text:
            return
        self._answers[text] = tokens
        self._answers.move_to_end(text)
        self.resume.answered(text, tokens)
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
        chunks, chunk, _layout = self.images.chunks(image)
        try:
            embedding = self.images.embedding(unit, image, chunk)
            if embedding is None or self.cancel.is_set():
                return False
            position = self._cached.positions
            new_position = llama.llama_pos(0)
            status = mtmd.mtmd_helper_decode_image_chunk(
                self.images.mctx, self.ctx, chunk, embedding, position, 0, self.config.n_batch,
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
        if sampling.json_schema:
            llama.llama_sampler_chain_add(chain, self._grammar_sampler(sampling.json_schema, chain))
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

    def _grammar_sampler(self, schema_json: str, chain: object) -> object:
        """The grammar sampler that keeps the answer to the schema; first in the chain, so the
        others pick among the tokens it allows (a finished JSON value allows only end-of-text)."""
        try:
            grammar = schema_grammar(schema_json)
        except SchemaGrammarError as exc:
            llama.llama_sampler_free(chain)
            raise EngineFailure(ErrorKind.BAD_INPUT, str(exc)) from exc
        sampler = llama.llama_sampler_init_grammar(self.vocab, grammar.encode(), b"root")
        if not sampler:
            llama.llama_sampler_free(chain)
            raise EngineFailure(
                ErrorKind.BAD_INPUT, "llama.cpp could not use the grammar made from the schema."
            )
        return sampler


# The worker catches these two by this module's name; they live in engine_failure.
__all__ = ["Cancelled", "EngineFailure", "LlamaSession"]
