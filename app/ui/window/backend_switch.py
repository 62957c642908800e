"""Choosing where answers come from: model files, La Plateforme, a server, and fallback.

Kept apart from the window's layout code: these are the decisions that move a conversation
off this computer, so they live together and are easy to review. Nothing here runs a request;
it changes settings, asks the user, tells the engine's owner, and hands the session a backend.
Which backends exist and how each is set up comes from the registry (``app.backends``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from app.backends import FALLBACK, LOCAL, BackendSpec, SetupFlow, backend_spec, make_backend
from app.core.errors import UserFacingError
from app.engine.api_keys import ApiKeys
from app.engine.backend_choice import (
    DOCUMENT_STAYS_LOCAL,
    Action,
    decide_fallback,
    local_failure,
    policy_for,
)
from app.engine.base import EngineError, ErrorKind
from app.models.model_folders import ModelFolders, remember_folder
from app.ui.session.chat_session import ChatSession
from app.ui.session.engine_owner import EngineOwner


class BackendSwitcher:
    """``say`` shows one passing line (the window's activity bar); dialogs open over
    ``parent``."""

    def __init__(
        self,
        engine: EngineOwner,
        session: ChatSession,
        say: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        self.engine = engine
        self.session = session
        self.say = say
        self.parent = parent

    def set_up(self, kind: str) -> None:
        """The setup assistant's button for ``kind``: ask what that backend needs, then use it."""
        spec = backend_spec(kind)
        if spec is None:
            return
        if spec.setup is SetupFlow.API_KEY:
            self._ask_key(spec)
        elif spec.setup is SetupFlow.SERVER:
            self._ask_server(spec)
        else:
            self.choose_model_files()

    def choose_backend(self, kind: str) -> None:
        """The model menu's entry for ``kind``: answer there now when it is set up (its key
        saved, its server or model named), else ask what it needs first, as the setup does."""
        spec = backend_spec(kind)
        if spec is None:
            return
        if self._is_set_up(spec):
            self.use_backend(backend=spec.kind)
        else:
            self.set_up(kind)

    def _is_set_up(self, spec: BackendSpec) -> bool:
        settings = self.engine.settings
        if spec.setup is SetupFlow.API_KEY:
            return bool(ApiKeys().get(spec.key_account))
        if spec.setup is SetupFlow.SERVER:
            return bool(settings[spec.url_key])
        return bool(settings[spec.model_key])

    def _ask_key(self, spec: BackendSpec) -> None:
        """Ask for the service's key (kept in the OS keyring), then answer from there."""
        from app.ui.setup.api_key_dialog import ApiKeyDialog, mistral_key_tester

        keys = ApiKeys()
        tester = mistral_key_tester(self.engine.settings[spec.url_key])
        ApiKeyDialog(keys, tester, spec.key_account, self.parent).exec()
        if keys.get(spec.key_account):
            self.use_backend(backend=spec.kind)

    def _ask_server(self, spec: BackendSpec) -> None:
        settings = self.engine.settings
        url, ok = QInputDialog.getText(
            self.parent,
            "OpenAI-compatible server",
            "Server address (vLLM, llama-server, Ollama, LM Studio), including /v1:",
            text=settings[spec.url_key] or "http://localhost:8000/v1",
        )
        if not ok or not url.strip():
            return
        model, ok = QInputDialog.getText(
            self.parent, "OpenAI-compatible server", "Model name on that server:",
            text=settings[spec.model_key] or "pixtral",
        )  # fmt: skip
        if ok:
            self.use_backend(
                **{"backend": spec.kind, spec.url_key: url.strip(), spec.model_key: model}
            )

    def use_backend(self, **values: str) -> None:
        """Save ``values`` (the backend and what it needs) and have the engine rebuilt now."""
        for key, value in values.items():
            self.engine.settings[key] = value
        self.engine.settings.save()
        self.engine.settings_changed(force=True)

    def choose_model_files(self) -> None:
        model, _ = QFileDialog.getOpenFileName(
            self.parent, "Choose the Pixtral model", "", "GGUF (*.gguf)"
        )
        if not model:
            return
        mmproj, _ = QFileDialog.getOpenFileName(
            self.parent,
            "Choose its vision projector (mmproj)",
            str(Path(model).parent),
            "GGUF (*.gguf)",
        )
        # A model picked by hand from a folder of the user's own is listed by Settings → Models
        # and the setup assistant from now on: they search the remembered folders.
        remember_folder(ModelFolders.beside(self.engine.settings.path), [], Path(model).parent)
        self.use_model_files(model, mmproj)

    def use_model_files(self, model: str, mmproj: str) -> None:
        """Answer on this computer with this model pair."""
        self.use_backend(backend=LOCAL.kind, model=model, mmproj=mmproj)

    def offer_fallback(self, error: EngineError, answer_id: int | None) -> None:
        """When the local engine cannot answer, offer La Plateforme (never for private chats
        or chats holding a document); when a remote one refused a private or document chat,
        offer the local model."""
        if answer_id is not None and error.kind is ErrorKind.PRIVACY:
            self.offer_local(answer_id, error.message)
            return
        if answer_id is None or self.engine.spec.remote:
            return
        failure = local_failure(error, bool(self.engine.model_name()))
        if failure is None:
            return
        remote = FALLBACK.target() if ApiKeys().get(FALLBACK.key_account) else None
        info = self.session.info
        allowed = bool(info and info.allow_fallback)
        shown = [m.core for m in self.session.messages]
        policy = policy_for(bool(info and info.private), shown, allow_fallback=allowed)
        decision = decide_fallback(failure, policy, remote)
        if decision.action is Action.REFUSE:
            self.say(decision.message)
            return
        if decision.action is Action.OFFER:
            buttons = QMessageBox.StandardButton
            answer = QMessageBox.question(
                self.parent,
                "Answer elsewhere?",
                decision.message + "\n\n“Yes to All” does this for the rest of this chat.",
                buttons.Yes | buttons.YesToAll | buttons.No,
            )
            if answer == buttons.YesToAll and info is not None:
                self.session.update_settings(allow_fallback=True)
            elif answer != buttons.Yes:
                return
        else:
            self.say(decision.message)
        values = {**dict(self.engine.settings.items()), "backend": FALLBACK.kind}
        try:
            backend = make_backend(values, self.say)
        except UserFacingError as exc:
            self.say(str(exc))
            return
        self.session.regenerate(answer_id, backend=backend)

    def offer_local(self, answer_id: int, reason: str = DOCUMENT_STAYS_LOCAL) -> None:
        """A remote backend refused a private or document chat: offer to answer it here."""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.parent,
            "This chat stays on this computer",
            reason + "\n\nUse the local model and answer this question now?",
            buttons.Yes | buttons.No,
        )
        if answer != buttons.Yes:
            return
        self.use_backend(backend=LOCAL.kind)
        self.session.regenerate(answer_id)
