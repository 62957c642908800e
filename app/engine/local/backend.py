"""The local backend: the app's side of the llama.cpp worker process.

Starts the worker on demand, (re)loads the model when the configuration changes, streams the
worker's events to the caller, turns a dead worker into an ``EngineError`` with a human
message, and makes cancel effective within 300 ms: the worker sees the shared cancel flag at
once; if it has not finished 200 ms later (busy in the vision encoder, say), the worker is
killed and the partial answer is returned as stopped.

Images go down the pipe with their pixels once per worker process, then by hash (``wire``);
an image the worker turns out not to hold is sent again, so a turn never runs without it.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from app.core.child_process import main_script_hidden
from app.core.errors import ModelFileError
from app.core.model_files import check_pair
from app.core.prompt import ImagePiece, Piece, PromptError, build_prompt, prompt_images
from app.engine.base import (
    EngineError,
    EngineEvent,
    ErrorKind,
    Finished,
    FinishReason,
    GenerationRequest,
    Loading,
    LoadStage,
    Token,
)
from app.engine.local.cancel_flag import CancelFlag
from app.engine.local.protocol import (
    CacheStats,
    ChatForgotten,
    Command,
    CountCommand,
    Counted,
    ForgetChatCommand,
    GenerateCommand,
    ImagesDropped,
    ImagesMissing,
    LoadCommand,
    Loaded,
    LocalEngineConfig,
    ShutdownCommand,
    StatsCommand,
    WirePiece,
)
from app.engine.local.start_gate import SWITCHED, StartGate
from app.engine.local.state_files import chat_file_name
from app.engine.local.wire import WireStats, WorkerImages, count_images, send
from app.engine.local.worker import worker_main
from app.engine.local.worker_crash import crash_error

CANCEL_GRACE_S = 0.2
SHUTDOWN_WAIT_S = 30.0
"""How long ``close`` lets the worker write the open chat's state before ending it."""
POLL_S = 0.01
LOG_LIMIT_BYTES = 4 * 1024 * 1024
MISSING_IMAGE_RETRIES = 2
"""Sends after an ``ImagesMissing``: the missing images' pixels, then every image's."""
_TERMINAL = (Loaded, Counted, CacheStats, ChatForgotten, Finished, EngineError, ImagesMissing)


class LocalBackend:
    """Pixtral on this computer through llama.cpp, in a worker process."""

    name = "local"

    def __init__(self, config: LocalEngineConfig, log_path: str | Path | None = None) -> None:
        self.config = config
        self.log_path = (
            Path(log_path) if log_path else Path(tempfile.gettempdir()) / "pixtral-desk-engine.log"
        )
        self._mp = multiprocessing.get_context("spawn")
        self._cancel = CancelFlag(self._mp.RawArray("c", 2))
        self._cancel_at: float | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn = None
        self._loaded: Loaded | None = None
        self._loaded_config: LocalEngineConfig | None = None
        self._busy = threading.Lock()
        self._gate = StartGate()
        self._images = WorkerImages()
        self.wire = WireStats()
        """What this backend wrote to the worker's pipe (tests and benchmarks read it)."""

    # ------------------------------------------------------------------------------ public
    @property
    def loaded(self) -> Loaded | None:
        return self._loaded

    @property
    def device(self) -> str:
        return self._loaded.device if self._loaded else "not loaded"

    def generate(self, request: GenerationRequest) -> Iterator[EngineEvent]:
        """Stream one answer; always ends with ``Finished`` or ``EngineError``."""
        with self._busy:
            self._cancel.clear()
            self._cancel_at = None
            pieces = self._pieces(request)
            if isinstance(pieces, EngineError):
                yield pieces
                return
            produced: list[str] = []
            sampling, chat = request.sampling, request.chat
            for event in self._load_then_prompt(
                lambda wire: GenerateCommand(wire, sampling, chat), pieces, "answering"
            ):
                if isinstance(event, Token):
                    produced.append(event.text)
                elif isinstance(event, EngineError) and not event.text:
                    event = EngineError(event.kind, event.message, "".join(produced), event.detail)
                elif isinstance(event, Finished) and not event.text and produced:
                    event = Finished(event.reason, "".join(produced))
                if not isinstance(event, (Loaded, Counted, CacheStats)):
                    yield event

    def count_tokens(self, request: GenerationRequest) -> Counted | EngineError:
        """Exact prompt size for the context meter (loads the model if needed)."""
        with self._busy:
            self._cancel.clear()
            pieces = self._pieces(request)
            if isinstance(pieces, EngineError):
                return pieces
            return self._last(self._load_then_prompt(CountCommand, pieces, "counting tokens"))

    def stats(self) -> CacheStats | EngineError:
        with self._busy:
            return self._last(self._load_then(StatsCommand(), "reading statistics"))

    def forget_chat(self, chat: str) -> None:
        """Delete what the engine keeps of a deleted chat: its state in RAM and on disk.

        Waits for a running turn to end, so call it off the GUI thread."""
        with self._busy:
            if self._alive():
                self._last(self._exchange(ForgetChatCommand(chat), "forgetting a chat"))
            elif self.config.state_dir:
                (Path(self.config.state_dir) / chat_file_name(chat)).unlink(missing_ok=True)

    def load(self) -> Iterator[EngineEvent | Loaded]:
        """Load now (the window does this at start so the first answer comes sooner).

        A load that a switch made pointless (``supersede``) ends quietly, cancelled: the
        backend chosen since loads its own model, so there is nothing to tell the user."""
        with self._busy:
            self._cancel.clear()
            self._cancel_at = None
            for event in self._ensure_loaded():
                yield Finished(FinishReason.CANCELLED, "") if event is SWITCHED else event

    def cancel(self) -> None:
        """Stop whatever the engine is doing; safe from any thread."""
        self._cancel.set()
        if self._cancel_at is None:
            self._cancel_at = time.monotonic()

    def start_after(self, predecessor_gone: threading.Event) -> None:
        """Start no worker before ``predecessor_gone`` is set.

        The backend this one replaces may still be ending its worker (writing the open chat's
        state, seconds at 16K tokens), and two models never share the memory. Whatever first
        needs the worker (a load, a turn, a token count) waits for it, off the GUI thread; a
        backend superseded or closed while it waits starts nothing, ever (``StartGate``)."""
        self._gate.follow(predecessor_gone)

    def supersede(self) -> bool:
        """Another backend replaces this one: if no worker runs now, none ever will (True).

        A quick A → B → C switch must not load B (seconds of disk, gigabytes of memory) only
        to close it for C. Whatever waits for B's worker stops waiting at once: a load ends
        quietly, a turn or a token count with ``SWITCHED``. False, changing nothing, when the
        worker is already running (``close`` ends it). Returns at once, from any thread."""
        return self._gate.supersede(lambda: self._process is not None)

    def close(self) -> None:
        """End the worker; it first writes the open chat's state to the cache folder.

        A backend built by a switch (``start_after``) starts nothing after this: its owner
        never uses it again, and a request still queued for it must not bring a worker back.
        Waits up to ``SHUTDOWN_WAIT_S``: call it off the GUI thread, or at quit once the window
        is hidden."""
        self._gate.close()
        if self._process is not None and self._process.is_alive() and self._conn is not None:
            try:
                self._conn.send(ShutdownCommand())
                self._process.join(SHUTDOWN_WAIT_S)
            except (OSError, BrokenPipeError):
                pass
        self._reset()

    # ----------------------------------------------------------------------------- private
    def _pieces(self, request: GenerationRequest) -> list[Piece] | EngineError:
        try:
            pieces = build_prompt(
                request.messages, request.system_prompt, request.placement, request.continue_answer
            )
        except PromptError as exc:
            return EngineError(ErrorKind.BAD_INPUT, str(exc))
        if prompt_images(pieces) and not self.config.mmproj_path:
            return EngineError(
                ErrorKind.BAD_INPUT,
                "This conversation has images, but no vision projector (mmproj) is set for "
                f"'{Path(self.config.model_path).name}'. A text-only model cannot read images: "
                "choose the Pixtral mmproj file in the model settings.",
            )
        return pieces

    def _last(self, events: Iterator[object]) -> object:
        last: object = None
        for last in events:  # noqa: B007 - we want the final reply
            pass
        return last

    def _load_then(self, command: Command, phase: str) -> Iterator[object]:
        yield from self._loaded_then(lambda: self._exchange(command, phase))

    def _load_then_prompt(
        self, make: Callable[[list[WirePiece]], Command], pieces: list[Piece], phase: str
    ) -> Iterator[object]:
        yield from self._loaded_then(lambda: self._exchange_prompt(make, pieces, phase))

    def _loaded_then(self, exchange: Callable[[], Iterator[object]]) -> Iterator[object]:
        for event in self._ensure_loaded():
            if isinstance(event, (EngineError, Finished)):
                yield event
                return
            if not isinstance(event, Loaded):
                yield event
        yield from exchange()

    def _exchange_prompt(
        self, make: Callable[[list[WirePiece]], Command], pieces: list[Piece], phase: str
    ) -> Iterator[object]:
        """Send a prompt-carrying command, with pixels only for images the worker lacks.

        Built after loading, since a (re)started worker holds no images. When the worker
        answers ``ImagesMissing`` (it did nothing), those images go again with their pixels;
        should it ask once more, every image does. Never more sends than that, so no loop.
        """
        for attempt in range(MISSING_IMAGE_RETRIES + 1):
            wire, with_pixels = self._images.to_wire(
                pieces, everything=attempt == MISSING_IMAGE_RETRIES
            )
            missing: ImagesMissing | None = None
            for event in self._exchange(make(wire), phase, with_pixels):
                if isinstance(event, ImagesMissing):
                    missing = event
                else:
                    yield event
            if missing is None:
                return
            self._images.dropped(missing.sha256s)
            self.wire.resends += 1
            if self._cancel.is_set():
                yield Finished(FinishReason.CANCELLED, "")
                return
        self._reset()  # a worker that keeps asking for what it was sent is not trusted again
        yield EngineError(
            ErrorKind.INTERNAL,
            "The local engine lost track of this conversation's images. Try again; the "
            "engine restarts with your next message.",
        )

    def _ensure_loaded(self) -> Iterator[object]:
        if self._loaded is not None and self._loaded_config == self.config and self._alive():
            yield self._loaded
            return
        try:
            check_pair(self.config.model_path, self.config.mmproj_path)
        except ModelFileError as exc:
            yield EngineError(ErrorKind.MODEL_FILE, str(exc))
            return
        if not self._alive():
            if self._gate.waits:
                yield Loading(LoadStage.STARTING, 0.0)  # the window shows the switch as loading
                self._gate.wait()
            if not self._gate.start(self._start):
                yield SWITCHED
                return
        yield Loading(LoadStage.STARTING, 0.0)
        self._loaded = None
        for event in self._exchange(LoadCommand(self.config), "loading the model"):
            if isinstance(event, Loaded):
                self._loaded = event
                self._loaded_config = self.config
            yield event

    def _alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def _start(self) -> None:
        self._reset()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_path.exists() and self.log_path.stat().st_size > LOG_LIMIT_BYTES:
            self.log_path.unlink()  # llama.cpp is chatty; keep only recent runs
        parent_conn, child_conn = self._mp.Pipe()
        self._process = self._mp.Process(
            target=worker_main,
            args=(child_conn, self._cancel.raw, str(self.log_path)),
            name="pixtral-engine",
            daemon=True,
        )
        with main_script_hidden():
            self._process.start()
        child_conn.close()
        self._conn = parent_conn
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0

    def _exchange(
        self, command: Command, phase: str, with_pixels: Sequence[ImagePiece] = ()
    ) -> Iterator[object]:
        """Send ``command`` and yield replies until a terminal one, a crash or a cancel.

        ``with_pixels`` are the images whose pixels the command carries: once it is written,
        the worker holds them. ``ImagesDropped`` replies are applied here, not yielded.
        """
        assert self._conn is not None and self._process is not None
        try:
            send(self._conn, command, self.wire)
        except (OSError, BrokenPipeError):
            yield self._crash(phase)
            return
        self._images.sent(with_pixels)
        count_images(getattr(command, "pieces", ()), self.wire)
        while True:
            if self._conn.poll(POLL_S):
                try:
                    reply = self._conn.recv()
                except (EOFError, OSError):
                    yield self._crash(phase)
                    return
                if isinstance(reply, ImagesDropped):
                    self._images.dropped(reply.sha256s)
                    continue
                yield reply
                if isinstance(reply, _TERMINAL):
                    return
            elif not self._process.is_alive():
                yield self._crash(phase)
                return
            if self._cancel_at is not None and time.monotonic() - self._cancel_at > CANCEL_GRACE_S:
                # The worker is deep inside a C call that does not check the flag: end it.
                self._reset()
                yield Finished(FinishReason.CANCELLED, "")
                return

    def _crash(self, phase: str) -> EngineError:
        process = self._process
        code = None
        if process is not None:
            process.join(2.0)
            code = process.exitcode
        detail = self._log_tail()
        self._reset()
        return crash_error(code, phase, detail)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(getattr(self, "_log_offset", 0))
                text = handle.read()[-16384:].decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _reset(self) -> None:
        self._images.forget_all()  # the next worker process holds no images
        process, self._process = self._process, None
        if process is not None and process.is_alive():
            process.kill()
            process.join(1.0)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._loaded = None
        self._loaded_config = None
