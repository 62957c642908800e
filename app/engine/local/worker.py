"""The worker process: llama.cpp lives here, so its aborts cannot take the app down.

llama.cpp calls ``abort()`` on some malformed files (``GGML_ASSERT``) and the OS may kill a
process that runs out of memory. Either way only this process dies; the app sees the pipe
close, reports a human error, and starts a fresh worker for the next request. The worker's
stderr goes to a log file so the assert message can be shown as the technical detail.

Images' pixels are kept here across requests (``pixel_store``), outside the llama.cpp session:
they do not depend on the model, so a model change keeps them and the app's record of them
(``wire.WorkerImages``) stays true for as long as this process lives.

So are the states of chats the user left (``state_cache``): kept in RAM, and written to the
cache folder a chunk at a time while no command waits, never during an answer; at shutdown
the open chat's state and whatever is still pending are written before the process ends.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from app.engine.base import EngineError, ErrorKind, Finished, FinishReason
from app.engine.local.cancel_flag import CancelFlag
from app.engine.local.pixel_store import MIB, PixelStore
from app.engine.local.protocol import (
    ChatForgotten,
    CountCommand,
    ForgetChatCommand,
    GenerateCommand,
    ImagesDropped,
    ImagesMissing,
    LoadCommand,
    LocalEngineConfig,
    ShutdownCommand,
    StatsCommand,
)
from app.engine.local.state_cache import ChatStates


def worker_main(conn: Connection, cancel_raw: Any, log_path: str | None) -> None:
    """Serve commands from ``conn`` until it closes or a shutdown arrives."""
    if log_path:
        _redirect_stderr(log_path)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C belongs to the app, which cancels
    from app.engine.local.llama_session import Cancelled, EngineFailure, LlamaSession

    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s"
    )
    cancel = CancelFlag(cancel_raw)
    session: LlamaSession | None = None
    pixels = PixelStore()
    states = ChatStates()
    while True:
        try:
            while states.has_pending() and not conn.poll(0):
                states.save_step()  # idle: write left chats' states, a chunk at a time
            command = conn.recv()
        except (EOFError, OSError):
            break
        if isinstance(command, ShutdownCommand):
            if session is not None:
                session.resume.leave()
            states.flush()
            break
        try:
            pieces = None
            if isinstance(command, (GenerateCommand, CountCommand)):
                # First, whatever else happens: keep the pixels that came, so the app's record
                # of them (updated once the command was written) is true.
                resolved = pixels.resolve(command.pieces)
                if resolved.dropped:
                    conn.send(ImagesDropped(resolved.dropped))
                if resolved.missing:
                    conn.send(ImagesMissing(resolved.missing))
                    continue
                pieces = resolved.pieces
            if isinstance(command, LoadCommand):
                pixels.budget_bytes = command.config.pixel_cache_mb * MIB
                if session is not None:
                    session.resume.leave()
                    session.close()
                    session = None
                _configure_states(states, command.config)
                candidate = LlamaSession(command.config, cancel, conn.send, states)
                try:
                    loaded = candidate.load()
                except BaseException:
                    candidate.close()
                    raise
                session = candidate
                conn.send(loaded)
            elif isinstance(command, ForgetChatCommand):
                if session is not None:
                    session.resume.forget(command.chat)
                states.forget(command.chat)
                conn.send(ChatForgotten(command.chat))
            elif session is None:
                conn.send(EngineError(ErrorKind.INTERNAL, "The model is not loaded."))
            elif isinstance(command, GenerateCommand) and pieces is not None:
                session.generate(pieces, command.sampling, command.chat)
            elif isinstance(command, CountCommand) and pieces is not None:
                conn.send(session.count(pieces))
            elif isinstance(command, StatsCommand):
                conn.send(session.stats())
        except Cancelled:
            conn.send(Finished(FinishReason.CANCELLED, ""))
        except EngineFailure as failure:
            conn.send(EngineError(failure.kind, failure.message, detail=failure.detail))
        except Exception as exc:  # report, keep serving: the app decides what to do
            conn.send(
                EngineError(
                    ErrorKind.INTERNAL,
                    f"The local engine hit an unexpected error: {exc}",
                    detail=traceback.format_exc(),
                )
            )
    if session is not None:
        session.close()


def _configure_states(states: ChatStates, config: LocalEngineConfig) -> None:
    folder = Path(config.state_dir) if config.state_dir else None
    states.configure(config.state_ram_mb * MIB, folder, config.state_disk_mb * MIB)


def _redirect_stderr(log_path: str) -> None:
    """Point fd 2 at the log file: llama.cpp and ggml write there directly, bypassing Python."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115 - lives as long as the process
