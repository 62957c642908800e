"""Chat states the worker holds: recent ones in RAM, and the queue of those to write to disk.

A chat the user leaves keeps its KV sequence as bytes here (``ChatState``), so coming back
restores it instead of reading the chat again. RAM holds the most recently left chats within a
byte budget; each left chat is also queued for the cache folder, written a chunk at a time
while the worker has nothing else to do (``save_step``, called between commands), so a save
never slows an answer. At quit the worker writes what is left (``flush``).

Lives in the worker for as long as the process does, across model reloads: a state carries the
fingerprint it was made under and is used only where that matches.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import OrderedDict
from pathlib import Path

from app.engine.local import state_folder
from app.engine.local.state_files import (
    ChatState,
    StateFileError,
    StateHeader,
    StateWriter,
    chat_file_name,
    read_header,
)

log = logging.getLogger(__name__)


class ChatStates:
    """The RAM states by chat (least recently left first out) and the pending disk writes."""

    def __init__(self, ram_budget: int = 0, folder: Path | None = None, disk_budget: int = 0):
        self.ram: OrderedDict[str, ChatState] = OrderedDict()
        self.pending: OrderedDict[str, ChatState] = OrderedDict()
        self._writer: StateWriter | None = None
        self.files_written = 0
        self.last_save_s = 0.0
        self._save_s = 0.0
        self.configure(ram_budget, folder, disk_budget)

    def configure(self, ram_budget: int, folder: Path | None, disk_budget: int) -> None:
        self.ram_budget = ram_budget
        self.folder = folder
        self.disk_budget = disk_budget if folder is not None else 0
        self._fit_ram()

    def keeps_any(self) -> bool:
        """Whether a left chat's state has anywhere to go (both budgets 0: not copied out)."""
        return self.ram_budget > 0 or self.disk_budget > 0

    # --------------------------------------------------------------------------------- RAM
    def keep(self, state: ChatState) -> None:
        """A chat was left: hold its state in RAM (budget allowing) and queue it for disk."""
        self.ram.pop(state.chat, None)
        if len(state.data) <= self.ram_budget:
            self.ram[state.chat] = state
            self._fit_ram()
        if self._writer is not None and self._writer.state.chat == state.chat:
            self._writer.abort()  # a newer state of the same chat replaces it
            self._writer = None
        self.pending.pop(state.chat, None)
        if self.folder is not None and len(state.data) <= self.disk_budget:
            self.pending[state.chat] = state
        elif self.folder is not None:
            log.info("chat state of %s MB is over the disk budget: not saved", _mb(state.data))

    def take(self, chat: str) -> ChatState | None:
        """The state held in memory for ``chat``, if any (RAM, else one waiting to be written)."""
        state = self.ram.pop(chat, None)
        if state is not None:
            return state
        if chat in self.pending:
            return self.pending[chat]
        if self._writer is not None and self._writer.state.chat == chat:
            return self._writer.state
        return None

    def ram_bytes(self) -> int:
        return sum(len(s.data) for s in self.ram.values())

    def _fit_ram(self) -> None:
        while self.ram and self.ram_bytes() > self.ram_budget:
            self.ram.popitem(last=False)

    # -------------------------------------------------------------------------------- disk
    def has_pending(self) -> bool:
        return self._writer is not None or bool(self.pending)

    def save_step(self) -> None:
        """Write the next chunk of the next pending state; errors are logged, never raised."""
        if self.folder is None:
            self.pending.clear()
            return
        started = time.perf_counter()
        try:
            if self._writer is None:
                if not self.pending:
                    return
                _chat, state = self.pending.popitem(last=False)
                self._writer = StateWriter(self.folder, state)
                self._save_s = 0.0
            done = self._writer.step()
            self._save_s += time.perf_counter() - started
            if done:
                path, self._writer = self._writer.path, None
                self.files_written += 1
                self.last_save_s = self._save_s
                state_folder.evict(self.folder, self.disk_budget, keep=path)
        except OSError as exc:
            log.warning("could not save a chat state: %s", exc)
            if self._writer is not None:
                with contextlib.suppress(OSError):
                    self._writer.abort()
                self._writer = None

    def flush(self) -> None:
        """Write everything still pending (at quit)."""
        while self.has_pending():
            self.save_step()

    def header(self, chat: str) -> StateHeader | str:
        """The checked header of ``chat``'s saved state, or why there is none to use.

        A damaged file is deleted here, so it is reported once and never read again.
        """
        if self.folder is None or self.disk_budget <= 0:
            return "no state folder"
        path = self.folder / chat_file_name(chat)
        try:
            header = read_header(path)
        except FileNotFoundError:
            return "no saved state"
        except (StateFileError, OSError) as exc:
            self.delete(path)
            return f"saved state unusable, deleted: {exc}"
        if header.chat != chat:
            return "the saved state belongs to another chat"
        return header

    def forget(self, chat: str) -> None:
        """Drop everything kept of ``chat`` (it was deleted): RAM, the queue, its file."""
        self.ram.pop(chat, None)
        self.pending.pop(chat, None)
        if self._writer is not None and self._writer.state.chat == chat:
            with contextlib.suppress(OSError):
                self._writer.abort()
            self._writer = None
        if self.folder is not None:
            self.delete(self.folder / chat_file_name(chat))

    def delete(self, path: Path) -> None:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not delete %s: %s", path, exc)


def _mb(data: bytearray) -> str:
    return f"{len(data) / 1e6:,.0f}"
