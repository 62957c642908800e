"""Which chat the KV sequence holds, and switching it: snapshot the one left, restore the next.

The session keeps one KV sequence. When a turn arrives for another chat (``GenerateCommand.chat``)
the sequence is copied out as bytes (``llama_state_seq_get_data``) into ``ChatStates`` (RAM, and
queued for disk), and the new chat's state, when one is held in RAM or saved on disk and
matches exactly, is copied in (``llama_state_seq_set_data``) instead of reading the chat again.

Exactly means: made under the same fingerprint (model and projector files, context size, KV
type), and its units (token ids, images by content hash) a prefix of the new prompt's — or the
new prompt a prefix of them, a regenerate of the last answer. Anything else is a normal
prefill, and the reason is logged and kept in ``last`` (``CacheStats.last_resume``).

The answers' sampled tokens travel with the state: after a restart an answer's text would
otherwise be tokenized again, maybe differently, and the prefix would not match.
"""

from __future__ import annotations

import ctypes
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import llama_cpp.llama_cpp as llama

from app.core.prompt import Piece
from app.engine.local import state_folder
from app.engine.local.prefix_cache import KvRecord, Unit, count_positions
from app.engine.local.state_cache import ChatStates
from app.engine.local.state_files import (
    ChatState,
    Fingerprint,
    StateFileError,
    file_identity,
    read_data,
)

if TYPE_CHECKING:
    from app.engine.local.llama_session import LlamaSession

log = logging.getLogger(__name__)
MAX_ANSWERS = 256


class ChatResume:
    """The chat the session's KV sequence belongs to, and moving states in and out of it."""

    def __init__(self, session: LlamaSession, states: ChatStates) -> None:
        self.session = session
        self.states = states
        self.chat = ""
        self.answers: OrderedDict[str, list[int]] = OrderedDict()
        self.last = ""
        """What the last switch did: "memory", "disk", or why the chat was read again."""
        self.restored = 0
        self.switch_s = 0.0
        self._fingerprint: Fingerprint | None = None

    def fingerprint(self) -> Fingerprint:
        if self._fingerprint is None:
            config = self.session.config
            self._fingerprint = Fingerprint(
                model=file_identity(config.model_path),
                mmproj=file_identity(config.mmproj_path),
                n_ctx=self.session.n_ctx,
                kv_type=str(config.kv_type.value),
            )
        return self._fingerprint

    def answered(self, text: str, tokens: list[int]) -> None:
        """An answer written in the current chat: its tokens go with the chat's state."""
        if not self.chat:
            return
        self.answers[text] = tokens
        self.answers.move_to_end(text)
        while len(self.answers) > MAX_ANSWERS:
            self.answers.popitem(last=False)

    def switch(self, chat: str, pieces: Sequence[Piece]) -> None:
        """Make the KV sequence ``chat``'s before its turn (nothing when it already is)."""
        if chat == self.chat:
            return
        started = time.perf_counter()
        self.leave()
        self.chat = chat
        if chat:
            self.last = self._enter(chat, pieces)
            log.info("chat state %s: %s", chat, self.last)
        self.switch_s = time.perf_counter() - started

    def leave(self) -> None:
        """Keep the current chat's state (RAM and the disk queue); the sequence is then free."""
        chat, self.chat = self.chat, ""
        answers, self.answers = self.answers, OrderedDict()
        if not chat or not self.session._cached.units or not self.states.keeps_any():
            return
        started = time.perf_counter()
        state = self._snapshot(chat, dict(answers))
        if state is not None:
            self.states.keep(state)
            log.info(
                "kept the state of %s: %d positions, %.1f MB in %.3f s", chat,
                self.session._cached.positions, len(state.data) / 1e6,
                time.perf_counter() - started,
            )  # fmt: skip

    def forget(self, chat: str) -> None:
        """``chat`` was deleted: if the sequence holds it, it is no one's (never kept)."""
        if chat and chat == self.chat:
            self.chat = ""
            self.answers = OrderedDict()

    # ----------------------------------------------------------------------------- private
    def _snapshot(self, chat: str, answers: dict[str, list[int]]) -> ChatState | None:
        ctx = self.session.ctx
        size = llama.llama_state_seq_get_size(ctx, 0)
        data = bytearray(size)
        written = llama.llama_state_seq_get_data(ctx, _c_bytes(data), size, 0)
        if written != size:
            log.warning("llama.cpp copied %d of %d state bytes: not kept", written, size)
            return None
        units = list(self.session._cached.units)
        return ChatState(chat, self.fingerprint(), units, answers, data)

    def _enter(self, chat: str, pieces: Sequence[Piece]) -> str:
        """Restore ``chat``'s state if one matches; what happened, in words."""
        held = self.states.take(chat)
        reasons = []
        if held is not None:
            reason = self._check(held.fingerprint, held.answers, held.units, pieces)
            if not reason:
                reason = self._restore(held.data, held.units, held.answers)
            if not reason:
                return "memory"
            reasons.append(f"memory: {reason}")
        header = self.states.header(chat)
        if isinstance(header, str):
            reasons.append(header)
            return "read again (" + "; ".join(reasons) + ")"
        reason = self._check(header.fingerprint, header.answers, header.units, pieces)
        if not reason:
            try:
                data = read_data(header)
            except (StateFileError, OSError) as exc:
                self.states.delete(header.path)
                reason = f"saved state unusable, deleted: {exc}"
            else:
                reason = self._restore(data, header.units, header.answers)
        if not reason:
            state_folder.touch(header.path)
            return "disk"
        reasons.append(reason)
        return "read again (" + "; ".join(reasons) + ")"

    def _check(
        self,
        fingerprint: Fingerprint,
        answers: dict[str, list[int]],
        units: list[Unit],
        pieces: Sequence[Piece],
    ) -> str:
        """Why a state cannot serve this prompt ("" when it can). A saved header's units were
        checked against its prefix hash when it was read, so they are compared as they are."""
        mismatch = self.fingerprint().mismatch(fingerprint)
        if mismatch:
            return mismatch
        for text, tokens in answers.items():
            self.session._remember_answer(text, list(tokens))
        new, _images = self.session._units(pieces)
        n = min(len(units), len(new))
        if new[:n] != units[:n]:
            first = next((i for i, (a, b) in enumerate(zip(new, units, strict=False)) if a != b), n)
            return f"the conversation differs from the saved state at position {first} (an edit)"
        return ""

    def _restore(self, data: bytearray, units: list[Unit], answers: dict[str, list[int]]) -> str:
        """Copy ``data`` into sequence 0; "" on success, else why not (the sequence is empty)."""
        session = self.session
        memory = llama.llama_get_memory(session.ctx)
        llama.llama_memory_clear(memory, True)
        session._cached.truncate(0)
        read = llama.llama_state_seq_set_data(session.ctx, _c_bytes(data), len(data), 0)
        positions = count_positions(units)
        if read != len(data) or llama.llama_memory_seq_pos_max(memory, 0) != positions - 1:
            llama.llama_memory_clear(memory, True)
            return "llama.cpp did not accept the saved state"
        record = KvRecord()
        record.units = list(units)
        record.positions = positions
        session._cached = record
        for text, tokens in answers.items():
            self.answered(text, list(tokens))
        self.restored += 1
        return ""


def _c_bytes(data: bytearray) -> ctypes.Array:
    """``data`` as the ``uint8_t *`` llama.cpp reads and writes, without a copy."""
    return (ctypes.c_uint8 * len(data)).from_buffer(data)
