"""The conversation on screen: history, engine and the answer being written.

The window only talks to this object. What it does with the history alone (list, open, rename,
pin, trash, export, switch a version, delete) lives in ``SessionHistory``, which this extends;
here is the turn: save the question and an empty answer, ask the engine through
``EngineBridge``, stream the answer into the history, and finish it as complete, stopped or
failed. A private conversation is refused a remote backend before anything is sent.
Results come back as signals on the GUI thread.

Each turn gets a fresh random seed unless the user fixed one, so Regenerate writes a new
answer; the seed is stored with the answer (``answer_record``). An answer cut at the answer
limit can be continued: the same message grows, and the engine reads nothing again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.backends import target_of
from app.core.composition import Composition
from app.core.conversation import Message, MessageStatus, Role, TextPart
from app.core.images import PreparedImage
from app.core.prompt import SystemPlacement
from app.engine.backend_choice import ConversationPolicy, PrivacyError, check_allowed
from app.engine.base import (
    Backend,
    EngineError,
    ErrorKind,
    Finished,
    FinishReason,
    GenerationRequest,
    Sampling,
    Usage,
)
from app.storage.history import HistoryStore
from app.ui.common.background import run_in_background
from app.ui.session.bridge import EngineBridge
from app.ui.session.question_edit import edited_parts
from app.ui.session.session_history import (
    OpenedConversation,
    SessionHistory,
    ignore_result,
)
from app.workflows.answer_record import answer_usage, chat_sampling, with_answer_limit
from app.workflows.documents import DOCUMENT_ANSWER_TOKENS


def model_id(backend: Backend | None) -> str:
    """The model an answer is stored with: the local model file's name, a remote model's id.

    Kept with each answer so the transcript can say which model wrote it; "" when unknown."""
    config = getattr(backend, "config", None)
    path = str(getattr(config, "model_path", "") or "")
    if path:
        return Path(path).name
    return str(getattr(backend, "model", "") or "")


class ChatSession(SessionHistory):
    turn_started = Signal(object)  # OpenedConversation, last message = the reply being written
    token_received = Signal(str)
    prefill_progressed = Signal(object)
    loading_progressed = Signal(object)
    usage_ready = Signal(object)  # Usage
    turn_finished = Signal(object)  # Finished
    turn_failed = Signal(object)  # EngineError

    def __init__(
        self,
        store: HistoryStore,
        backend: Callable[[], Backend | None],
        sampling: Callable[[], Sampling],
        placement: Callable[[], SystemPlacement] = lambda: SystemPlacement.PIXTRAL,
        problem: Callable[[], str] = lambda: "",
        parent: QObject | None = None,
        bridge: EngineBridge | None = None,
    ) -> None:
        """``bridge`` runs the turns; the engine's owner passes its own, which also loads the
        model ahead of the first turn."""
        super().__init__(store, parent)
        self._backend = backend
        self._sampling = sampling
        self._placement = placement
        self._problem = problem
        self.bridge = bridge or EngineBridge(self)
        self._reply_id: int | None = None
        self._reply_text: list[str] = []
        self._turn_backend: Backend | None = None
        self._turn_seed = 0
        self._turn_usage: Usage | None = None
        self._continue_next = False
        self._continued: tuple[str, dict | None] | None = None  # the cut answer's text, usage
        self.bridge.token_received.connect(self._on_bridge_token_received)
        self.bridge.prefill_progressed.connect(self.prefill_progressed)
        self.bridge.loading_progressed.connect(self.loading_progressed)
        self.bridge.usage_ready.connect(self._on_bridge_usage_ready)
        self.bridge.reply_finished.connect(self._on_bridge_reply_finished)
        self.bridge.reply_failed.connect(self._on_bridge_reply_failed)

    # -------------------------------------------------------------------------------- turns
    def backend(self) -> Backend | None:
        return self._backend()

    @property
    def generating(self) -> bool:
        return self.bridge.busy

    def send(self, composition: Composition, private: bool = False, answer_limit: int = 0) -> None:
        """Save the question and an empty answer, then start answering.

        The question is exactly ``composition.parts()``, the parts the context meter counted;
        ``private`` makes a new conversation private (document chats start that way).
        ``answer_limit`` is what the job needs (a page of HTML); a question about a document
        gets ``DOCUMENT_ANSWER_TOKENS``. It is kept with the chat, so its follow-ups,
        regenerations and continuations get it too.
        """
        parts = composition.parts()
        cid = self.conversation_id
        backend = self._backend()
        name = backend.name if backend is not None else ""
        if composition.document:
            answer_limit = max(answer_limit, DOCUMENT_ANSWER_TOKENS)
        chat = dict(self.info.sampling) if cid and self.info is not None else {}
        raised = with_answer_limit(chat, answer_limit)

        def work() -> OpenedConversation:
            conversation = cid or self.store.create_conversation(
                backend=name, private=private, sampling=raised
            )
            if cid and raised is not None:
                self.store.update_conversation(conversation, sampling=raised)
            user_id = self.store.add_message(conversation, Role.USER, parts)
            self._core[user_id] = Message(Role.USER, parts)
            self.store.start_reply(conversation, backend=name, model=model_id(backend))
            return self._load(conversation)

        self._db(work, self._begin_turn)

    def regenerate(self, answer_id: int, backend: Backend | None = None) -> None:
        """A new version of an answer; ``backend`` answers this one turn (a fallback)."""
        self._turn_backend = backend
        turn = backend or self._backend()  # what _begin_turn will answer with
        name, model = (turn.name, model_id(turn)) if turn is not None else ("", "")

        def work() -> OpenedConversation:
            reply = self.store.regenerate(answer_id, backend=name, model=model)
            return self._load(self.store.get_message(reply).conversation_id)

        self._db(work, self._begin_turn)

    def continue_answer(self, answer_id: int) -> None:
        """Write on from the end of an answer cut at the answer limit, into the same message.

        The local engine still holds the conversation and the answer in its cache, so only
        the answer's last token is read again; a remote backend gets the answer as the start
        of its reply.
        """

        def work() -> OpenedConversation:
            self.store.resume_reply(answer_id)
            return self._load(self.store.get_message(answer_id).conversation_id)

        self._continue_next = True
        self._db(work, self._begin_turn)

    def edit(
        self, question_id: int, text: str, images: Sequence[PreparedImage] | None = None
    ) -> None:
        """A new version of a question, answered afresh; the old one stays.

        ``text`` replaces what the user typed and ``images`` (when given) the images they
        attached; a document's pages (its header, page labels, text layers and page images)
        are kept as they were, so citations still lead somewhere.
        """
        turn = self._backend()
        name, model = (turn.name, model_id(turn)) if turn is not None else ("", "")

        def work() -> OpenedConversation:
            old = self.store.get_message(question_id)
            parts = edited_parts(self._core_of(old).parts, text, images)
            new_id = self.store.edit_message(question_id, parts)
            self._core[new_id] = Message(Role.USER, parts)
            self.store.start_reply(old.conversation_id, backend=name or old.backend, model=model)
            return self._load(old.conversation_id)

        self._db(work, self._begin_turn)

    def stop(self) -> None:
        self.bridge.stop()

    def request(self, continuing: bool = False) -> GenerationRequest:
        """What the engine is asked: the shown branch up to the last question (``continuing``:
        up to and with the cut answer being continued)."""
        messages = [m.core for m in self.messages]
        if messages and messages[-1].role is Role.ASSISTANT and not continuing:
            messages = messages[:-1]
        info = self.info
        return GenerationRequest(
            messages=messages,
            system_prompt=info.system_prompt if info else "",
            placement=self._placement(),
            sampling=chat_sampling(self._sampling(), info.sampling if info else {}),
            continue_answer=continuing,
            chat=self.chat_key(),
        )

    def chat_key(self, conversation_id: int | None = None) -> str:
        """Names a conversation (the one shown by default) to the engine, which keeps its KV
        state under it, so coming back to it reads nothing again; the history file is in it,
        so two never share one."""
        cid = conversation_id if conversation_id is not None else self.conversation_id
        return f"{self.store.db.path}#{cid}" if cid is not None else ""

    def trash(self, conversation_id: int) -> None:
        """Trash the conversation, and have the engine delete what it kept of it (its state
        in memory and in the cache folder): it holds what the chat said. Off the GUI thread:
        the engine answers once a running turn ends."""
        super().trash(conversation_id)
        forget = getattr(self._backend(), "forget_chat", None)
        if forget is not None:
            key = self.chat_key(conversation_id)
            run_in_background(lambda: forget(key), ignore_result, guard=self)

    # ------------------------------------------------------------------------------ private
    def close(self) -> None:
        """Stop answering and finish pending history writes; later work is ignored."""
        self.bridge.stop()
        self.bridge.wait(5000)
        super().close()

    def _begin_turn(self, opened: OpenedConversation) -> None:
        backend, self._turn_backend = self._turn_backend or self._backend(), None
        self.info = opened.info
        self.messages = opened.messages
        reply = opened.messages[-1].stored
        self._reply_id = reply.id
        self._reply_text = []
        self._turn_usage = None
        continuing, self._continue_next = self._continue_next, False
        self._continued = (reply.text, reply.usage) if continuing else None
        request = self.request(continuing)
        request = replace(request, sampling=request.sampling.with_fixed_seed())
        self._turn_seed = request.sampling.seed
        self.turn_started.emit(opened)
        self.refresh_list()
        if backend is None:
            self._on_bridge_reply_failed(
                EngineError(
                    ErrorKind.MODEL_FILE,
                    self._problem()
                    or "No model is set up. Choose the Pixtral model files in Settings.",
                )
            )
            return
        refusal = self._privacy_refusal(backend)
        if refusal is not None:
            self._on_bridge_reply_failed(refusal)
            return
        self.bridge.start(backend, request)

    def _privacy_refusal(self, backend: Backend) -> EngineError | None:
        """A private conversation never goes to a remote backend, whatever the settings say."""
        target = target_of(backend)
        policy = ConversationPolicy(private=bool(self.info and self.info.private))
        try:
            check_allowed(policy, target)
        except PrivacyError as exc:
            return EngineError(ErrorKind.PRIVACY, str(exc))
        return None

    def _on_bridge_token_received(self, text: str) -> None:
        self._reply_text.append(text)
        reply = self._reply_id
        if reply is not None:
            self._db(lambda: self.store.append_stream(reply, text), ignore_result)
        self.token_received.emit(text)

    def _on_bridge_usage_ready(self, usage: Usage) -> None:
        self.last_usage = self._turn_usage = usage
        self.usage_ready.emit(usage)

    def _on_bridge_reply_finished(self, finished: Finished) -> None:
        """Signals carry the whole answer: a continuation's new text follows the cut one."""
        status = (
            MessageStatus.STOPPED
            if finished.reason is FinishReason.CANCELLED
            else MessageStatus.COMPLETE
        )
        if self._continued is not None:
            finished = Finished(finished.reason, self._continued[0] + finished.text)
        self._finish(status, finished.text, reason=finished.reason)
        self.turn_finished.emit(finished)

    def _on_bridge_reply_failed(self, error: EngineError) -> None:
        if self._continued is not None:
            error = replace(error, text=self._continued[0] + error.text)
        self._finish(MessageStatus.FAILED, error.text, error.message)
        self.turn_failed.emit(error)

    def _finish(
        self,
        status: MessageStatus,
        text: str,
        error: str | None = None,
        reason: FinishReason | None = None,
    ) -> None:
        reply = self._reply_id
        self._reply_id = None
        if reply is None:
            return
        earlier = self._continued[1] if self._continued is not None else None
        self._continued = None
        usage = answer_usage(self._turn_usage, self._turn_seed, reason, earlier)
        if self.messages and self.messages[-1].stored.id == reply:
            self.messages[-1].core = Message(Role.ASSISTANT, [TextPart(text)], status)
            self.messages[-1].stored.status = status
            self.messages[-1].stored.usage = usage

        def work() -> None:
            self.store.finish_reply(reply, status, usage=usage, error=error)

        self._db(work, lambda _r: self.refresh_list())
