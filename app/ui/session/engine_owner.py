"""The one owner of the engine: the backend the settings call for, what its model reported, and
why there is none.

Everything about the engine that outlives a turn lives here, so no two objects keep their own
copy: the backend (built through the registry in ``app.backends`` and rebuilt exactly when a
setting it is built from changes, ``ENGINE_KEYS``), the device and context size its model
reported, the reason no backend could be built, and the ``EngineBridge`` that runs it off the
GUI thread. The session asks it for the backend of each turn; the window and its helpers read
it and tell it when the settings changed, and learn what happened from its signals.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import cast

from PySide6.QtCore import QObject, QThreadPool, Signal

from app.backends import (
    BACKENDS_BY_KIND,
    BackendSpec,
    MissingSettingError,
    can,
    make_backend,
    memory_estimate,
)
from app.core.errors import UserFacingError
from app.core.prompt import SystemPlacement
from app.engine.backend_choice import Target
from app.engine.base import Backend, Sampling, Usage
from app.engine.capabilities import Capability, ModelLoader
from app.engine.local.protocol import Loaded
from app.settings import ENGINE_KEYS, Settings
from app.ui.common.background import run_in_background
from app.ui.session.bridge import EngineBridge

QUIT_WAIT_MS = 40_000
"""How long quitting waits, the window already hidden, for a backend being closed in the
background (its worker writes the open chat's state: ``SHUTDOWN_WAIT_S`` at most)."""

DEFAULT_CONTEXT = 4096
"""The context size assumed before a model says its own and the settings name none."""

CHOOSE_A_MODEL = (
    "Choose a model to start: use one found on this computer, download one, or connect "
    "La Plateforme."
)
"""Why Send waits while no model is set: what to do, in the window's words (the factory's own
message names command-line flags, which mean nothing here)."""

_MISSING_IN_WINDOW = {
    "model": CHOOSE_A_MODEL,
    "openai_base_url": "Enter your server's address in Settings (Engine) to start.",
}


class EngineOwner(QObject):
    backend_changed = Signal()  # the settings call for another backend; the old device is gone
    model_loaded = Signal(object)  # Loaded: the model is in memory, its device and size known
    problem_changed = Signal(str)  # why no backend could be built ("" once one could)
    model_unloaded = Signal()  # the local model's worker has stopped: its memory is free

    def __init__(
        self, settings: Settings, log_path: Path | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.log_path = log_path
        self.bridge = EngineBridge(self)
        self._backend: Backend | None = None
        self._key: tuple | None = None  # the engine settings the backend was built from
        self._told = self._engine_settings()  # the engine settings as last announced
        self._problem = ""
        self._device = ""
        self._n_ctx = 0
        self._loading = False
        self._closer = QThreadPool(self)  # one at a time, in order: each ends before the next
        self._closer.setMaxThreadCount(1)
        self._closing = 0  # backends being closed there
        self._last_gone: threading.Event | None = None  # set once the last of them has ended
        bridge = self.bridge
        bridge.loading_progressed.connect(self._on_bridge_loading_progressed)
        for ended in (bridge.load_failed, bridge.reply_finished, bridge.reply_failed):
            ended.connect(self._on_bridge_load_ended)  # a turn may load the model on its own
        self.bridge.model_loaded.connect(self._on_bridge_model_loaded)
        self.bridge.usage_ready.connect(self._on_bridge_usage_ready)

    # ------------------------------------------------------------------------ what it is
    @property
    def spec(self) -> BackendSpec:
        """The declaration of the backend the settings choose (their choices are registered)."""
        return BACKENDS_BY_KIND[self.settings["backend"]]

    @property
    def problem(self) -> str:
        """Why there is no backend (the session says it when a turn cannot start), or ""."""
        return self._problem

    @property
    def device(self) -> str:
        """Where the model runs, as the engine reported it ("" until it has)."""
        return self._device

    @property
    def loading(self) -> bool:
        """True while the model is being read into memory (a preload or a turn's own load),
        or the one it replaces is still being closed (a switch)."""
        return self._loading or self._closing > 0

    def loaded(self) -> bool:
        """Whether the local model is in memory now (its device is known once it is)."""
        return self.spec.can(Capability.LOADS_MODEL) and bool(self._device)

    def context_size(self) -> int:
        """The context window a turn must fit: the loaded model's, else the settings'."""
        return self._n_ctx or int(self.settings["n_ctx"]) or DEFAULT_CONTEXT

    def model_name(self) -> str:
        """The model the settings name for the chosen backend ("" when none is chosen)."""
        return str(self.settings[self.spec.model_key]) if self.spec.model_key else ""

    def configured(self) -> bool:
        """Whether there is something to answer with: a backend that loads a model needs one."""
        return not self.spec.can(Capability.LOADS_MODEL) or bool(self.model_name())

    def unavailable(self) -> str:
        """Why nothing can be sent now, in the window's words; "" when a backend is there (or
        has not been tried yet). The window disables Send with this as the reason."""
        if not self.configured():
            return _MISSING_IN_WINDOW["model"]
        return self._problem

    def target(self) -> Target:
        """Where conversations go with the current settings, in words."""
        spec = self.spec
        return spec.target(str(self.settings[spec.url_key]) if spec.url_key else "")

    def memory_estimate(self) -> str:
        """What loading the local model will take, shown before it loads ("" if unknown)."""
        return memory_estimate(self._backend)

    def sampling(self) -> Sampling:
        s = self.settings
        return Sampling(s["temperature"], s["top_p"], s["max_tokens"], s["seed"])

    def placement(self) -> SystemPlacement:
        return SystemPlacement(self.settings["system_placement"])

    # ----------------------------------------------------------------------- the backend
    def backend(self) -> Backend | None:
        """The backend for the current settings, built on first use and again whenever a
        setting it is built from changed; None when it cannot be built (``problem`` says why)."""
        key = self._engine_settings()
        if self._backend is None or key != self._key:
            if self._backend is not None:
                self._retire(self._backend)
                self._backend = None
            self._key = key
            try:
                self._backend = make_backend(
                    dict(self.settings.items()),
                    log_path=self.log_path,
                    settings_path=self.settings.path,
                )
                start_after = getattr(self._backend, "start_after", None)
                if start_after is not None and self._last_gone is not None:
                    start_after(self._last_gone)  # never two models in memory at once
                self._set_problem("")
            except MissingSettingError as exc:
                self._set_problem(
                    _MISSING_IN_WINDOW.get(exc.setting, "Finish the setup in Settings to start.")
                )
            except UserFacingError as exc:
                self._set_problem(str(exc))
        return self._backend

    def start(self) -> None:
        """Build the backend and start loading its model in the background, if it loads one,
        so the first answer does not wait for it."""
        backend = self.backend()
        if backend is not None and can(backend, Capability.LOADS_MODEL):
            self.bridge.preload(cast(ModelLoader, backend))

    def settings_changed(self, force: bool = False) -> None:
        """The settings were edited: when one the backend is built from changed, forget what
        the old model reported, build the new backend and start loading its model.

        ``force`` rebuilds even with the same settings: a model's own overrides are kept
        outside them, and choosing the same files again means "try again". While an answer is
        being written the old backend finishes it and the next turn builds the new one; but a
        turn still waiting for its model to start (a quick A → B → C switch) ends at once with a
        message, and B never starts: the last choice wins.

        Returns at once: the old backend is closed in the background (``unload``'s way), and
        the new one starts its worker only once the old worker has ended; ``loading`` is True
        meanwhile, and a turn sent then waits for the new model, as it does while one loads.
        """
        told, self._told = self._told, self._engine_settings()
        if not force and told == self._told:
            return
        self._device = ""
        if not self.bridge.busy or self._supersede(self._backend):
            self._key = None
            self.start()
        self.backend_changed.emit()

    def unload(self) -> bool:
        """Stop the local model's worker process so its memory (RAM and VRAM) is freed.

        The worker is stopped off the GUI thread (it is given a moment to shut down cleanly);
        ``model_unloaded`` says when it is gone. The next turn, or ``start``, loads the model
        again. Refused (False) while an answer is being written or the model is loading: the
        turn or the load owns the worker then.
        """
        backend = self._backend
        if backend is None or self.bridge.busy or self._loading:
            return False
        if not can(backend, Capability.LOADS_MODEL):
            return False
        self._backend = None
        self._key = None
        self._device = ""
        self._n_ctx = 0
        self._retire(backend)
        return True

    def set_loaded(self, device: str, n_ctx: int) -> None:
        """What the engine said it runs on and how much context it holds."""
        self._device = device
        self._n_ctx = n_ctx

    def close(self) -> None:
        """At quit, the window already hidden: let the workers write the open chat's state.

        Closes the current backend here first (its worker gets up to ``SHUTDOWN_WAIT_S``; one
        still waiting for its predecessor then starts nothing), then waits, bounded, for
        those still being closed in the background."""
        if self._backend is not None:
            self.bridge.forget(self._backend)
            self._backend.close()
            self._backend = None
        self._closer.waitForDone(QUIT_WAIT_MS)

    # --------------------------------------------------------------------------- private
    def _retire(self, backend: Backend) -> None:
        """Close ``backend`` off the GUI thread: its worker may take seconds to write the open
        chat's state. ``model_unloaded`` says when it has ended; a backend built meanwhile
        starts its worker only after that (``_last_gone``)."""
        self._supersede(backend)  # not started yet: it never will (closing it waits its turn)
        self.bridge.forget(backend)
        self._loading = False  # whatever it was loading is no concern of the window's any more
        gone = threading.Event()
        self._last_gone = gone
        self._closing += 1

        def close() -> None:
            try:
                backend.close()
            finally:
                gone.set()

        def closed(_none: object) -> None:
            self._closing -= 1
            if self._last_gone is gone:
                self._last_gone = None
            self.model_unloaded.emit()

        run_in_background(close, closed, closed, pool=self._closer, guard=self)

    @staticmethod
    def _supersede(backend: Backend | None) -> bool:
        """Tell a backend that waits for its predecessor that it is replaced; True when it had
        started nothing (and now never will). Backends that load no model start nothing."""
        supersede = getattr(backend, "supersede", None)
        return bool(supersede()) if supersede is not None else False

    def _engine_settings(self) -> tuple:
        return tuple(self.settings[key] for key in ENGINE_KEYS)

    def _set_problem(self, problem: str) -> None:
        if problem != self._problem:
            self._problem = problem
            self.problem_changed.emit(problem)

    def _on_bridge_loading_progressed(self, _event: object) -> None:
        self._loading = True

    def _on_bridge_load_ended(self, _event: object) -> None:
        self._loading = False

    def _on_bridge_model_loaded(self, loaded: object) -> None:
        self._loading = False
        if isinstance(loaded, Loaded):
            self.set_loaded(loaded.device, loaded.n_ctx)
        else:
            self.set_loaded("", 0)
        self.model_loaded.emit(loaded)

    def _on_bridge_usage_ready(self, usage: Usage) -> None:
        self._loading = False
        self.set_loaded(usage.device, usage.n_ctx or self._n_ctx)
