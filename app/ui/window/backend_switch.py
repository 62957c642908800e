"""Choosing where answers come from: model files, La Plateforme, a server, and fallback.

Kept apart from the window's layout code: these are the decisions that move a conversation
off this computer, so they live together and are easy to review. Nothing here runs a request;
it changes settings, asks the user, and hands the session a backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from app.backends import make_backend
from app.core.errors import UserFacingError
from app.engine.api_keys import MISTRAL, ApiKeys
from app.engine.backend_choice import (
    DOCUMENT_STAYS_LOCAL,
    PLATEFORME,
    Action,
    decide_fallback,
    local_failure,
    policy_for,
)
from app.engine.base import EngineError, ErrorKind

if TYPE_CHECKING:
    from app.ui.window.main_window import MainWindow


class BackendSwitcher:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def use_plateforme(self) -> None:
        """Ask for the La Plateforme key (kept in the OS keyring), then answer from there."""
        from app.engine.api_keys import MISTRAL, ApiKeys
        from app.ui.setup.api_key_dialog import ApiKeyDialog, mistral_key_tester

        keys = ApiKeys()
        tester = mistral_key_tester(self.window.settings["mistral_server_url"])
        ApiKeyDialog(keys, tester, MISTRAL, self.window).exec()
        if keys.get(MISTRAL):
            self.use_backend(backend="mistral")

    def use_server(self) -> None:
        url, ok = QInputDialog.getText(
            self.window,
            "OpenAI-compatible server",
            "Server address (vLLM, llama-server, Ollama, LM Studio), including /v1:",
            text=self.window.settings["openai_base_url"] or "http://localhost:8000/v1",
        )
        if not ok or not url.strip():
            return
        model, ok = QInputDialog.getText(
            self.window, "OpenAI-compatible server", "Model name on that server:",
            text=self.window.settings["openai_model"] or "pixtral",
        )  # fmt: skip
        if ok:
            self.use_backend(backend="openai", openai_base_url=url.strip(), openai_model=model)

    def use_backend(self, **values: str) -> None:
        for key, value in values.items():
            self.window.settings[key] = value
        self.window.settings.save()
        self.window.device = ""
        self.window._engine_changed()
        self.window.refresh_engine_label()

    def choose_model_files(self) -> None:
        model, _ = QFileDialog.getOpenFileName(
            self.window, "Choose the Pixtral model", "", "GGUF (*.gguf)"
        )
        if not model:
            return
        mmproj, _ = QFileDialog.getOpenFileName(
            self.window,
            "Choose its vision projector (mmproj)",
            str(Path(model).parent),
            "GGUF (*.gguf)",
        )
        self.use_backend(backend="local", model=model, mmproj=mmproj)

    def offer_fallback(self, error: EngineError, answer_id: int | None) -> None:
        """When the local engine cannot answer, offer La Plateforme (never for private chats
        or chats holding a document); when a remote one refused a private or document chat,
        offer the local model."""
        if answer_id is not None and error.kind is ErrorKind.PRIVACY:
            self.offer_local(answer_id, error.message)
            return
        if answer_id is None or self.window.settings["backend"] != "local":
            return
        failure = local_failure(error, bool(self.window.settings["model"]))
        if failure is None:
            return
        remote = PLATEFORME if ApiKeys().get(MISTRAL) else None
        info = self.window.session.info
        allowed = bool(info and info.allow_fallback)
        shown = [m.core for m in self.window.session.messages]
        policy = policy_for(bool(info and info.private), shown, allow_fallback=allowed)
        decision = decide_fallback(failure, policy, remote)
        if decision.action is Action.REFUSE:
            self.window.activity.setText(decision.message)
            return
        if decision.action is Action.OFFER:
            buttons = QMessageBox.StandardButton
            answer = QMessageBox.question(
                self.window,
                "Answer elsewhere?",
                decision.message + "\n\n“Yes to All” does this for the rest of this chat.",
                buttons.Yes | buttons.YesToAll | buttons.No,
            )
            if answer == buttons.YesToAll and info is not None:
                self.window.session.update_settings(allow_fallback=True)
            elif answer != buttons.Yes:
                return
        else:
            self.window.activity.setText(decision.message)
        values = {**dict(self.window.settings.items()), "backend": "mistral"}
        try:
            backend = make_backend(values, self.window.activity.setText)
        except UserFacingError as exc:
            self.window.activity.setText(str(exc))
            return
        self.window.session.regenerate(answer_id, backend=backend)

    def offer_local(self, answer_id: int, reason: str = DOCUMENT_STAYS_LOCAL) -> None:
        """A remote backend refused a private or document chat: offer to answer it here."""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.window,
            "This chat stays on this computer",
            reason + "\n\nUse the local model and answer this question now?",
            buttons.Yes | buttons.No,
        )
        if answer != buttons.Yes:
            return
        self.use_backend(backend="local")
        self.window.session.regenerate(answer_id)
