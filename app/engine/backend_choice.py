"""Where a conversation runs, and when it may move: the privacy and fallback policy.

Pure Python so the rules are tested without a window. Four promises:
- every conversation says where it runs, in words a person understands;
- a private conversation never reaches a remote backend — not by a click, not by fallback;
- a conversation holding pages of a document never reaches a remote backend either, however
  the pages got there (a new chat, pages added later, an edit, a regenerate): the remote
  backends' shared payload builder refuses it (``chat_payload``), so no caller can bypass it;
- fallback to a remote backend is opt-in per conversation: when the local engine cannot answer
  (model missing, load failure, out of memory, context overflow) the app *offers* the switch,
  and performs it without asking only if the user allowed that for this conversation.
Remote backends keep no state and receive the whole history every turn (chat_payload), so a
switch mid-conversation replays it exactly; each answer is stored with its ``backend``, from
which the transcript's byline says where it ran.
Which backends exist, which of them are remote and what they are called is declared once, in
the backend registry (``app.backends``): the rules here see only a ``Target``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from app.core.conversation import Message
from app.core.document_marks import holds_document
from app.core.errors import UserFacingError
from app.engine.base import EngineError, ErrorKind


@dataclass(frozen=True)
class Target:
    """Where a conversation would run: its name in words, and whether that is off this computer.

    Made by the backend registry (``app.backends.target_of``); remote unless said otherwise,
    so a target built in haste fails safe.
    """

    label: str
    remote: bool = True


@dataclass(frozen=True)
class ConversationPolicy:
    """Per-conversation choices: private (local only) and whether fallback may run unasked."""

    private: bool = False
    allow_fallback: bool = False


class PrivacyError(UserFacingError):
    """A remote backend was requested for a private conversation."""


DOCUMENT_STAYS_LOCAL = (
    "This chat holds pages of a document; documents stay on this computer. "
    "Switch to the local model to ask about it."
)


class DocumentStaysLocal(PrivacyError):
    """A conversation with document pages was about to be sent to a remote backend."""

    def __init__(self) -> None:
        super().__init__(DOCUMENT_STAYS_LOCAL)


def check_no_document(messages: Iterable[Message]) -> None:
    """Raise ``DocumentStaysLocal`` if ``messages`` hold document pages (remote callers only)."""
    if holds_document(messages):
        raise DocumentStaysLocal()


def policy_for(
    private: bool, messages: Iterable[Message], allow_fallback: bool = False
) -> ConversationPolicy:
    """A conversation's policy: one holding document pages is private, whatever its flag."""
    messages = list(messages)
    return ConversationPolicy(private or holds_document(messages), allow_fallback)


def check_allowed(policy: ConversationPolicy, target: Target) -> None:
    """Raise ``PrivacyError`` if ``target`` would send a private conversation off the machine."""
    if policy.private and target.remote:
        raise PrivacyError(
            f"This conversation is private: it stays on this computer and cannot be sent to "
            f"{target.label}. Turn off “private” for this conversation first."
        )


class LocalFailure(StrEnum):
    MODEL_MISSING = "model_missing"
    LOAD_FAILED = "load_failed"
    OUT_OF_MEMORY = "out_of_memory"
    CONTEXT_OVERFLOW = "context_overflow"


def local_failure(error: EngineError, model_configured: bool = True) -> LocalFailure | None:
    """Which fallback-worthy failure a local ``EngineError`` is, if any.

    Bad input (a broken image) or a cancelled turn would fail remotely too, so they are not
    reasons to move a conversation.
    """
    if not model_configured:
        return LocalFailure.MODEL_MISSING
    if error.kind is ErrorKind.OUT_OF_MEMORY:
        return LocalFailure.OUT_OF_MEMORY
    if error.kind is ErrorKind.CONTEXT_OVERFLOW:
        return LocalFailure.CONTEXT_OVERFLOW
    if error.kind is ErrorKind.MODEL_FILE:
        missing = "not found" in error.message.lower() or "no such file" in error.detail.lower()
        return LocalFailure.MODEL_MISSING if missing else LocalFailure.LOAD_FAILED
    if error.kind is ErrorKind.CRASH:
        return LocalFailure.LOAD_FAILED
    return None


class Action(StrEnum):
    PERFORM = "perform"  # switch now, the user allowed it for this conversation
    OFFER = "offer"  # ask the user, with ``message`` as the question
    REFUSE = "refuse"  # no switch possible; ``message`` says why


@dataclass(frozen=True)
class FallbackDecision:
    action: Action
    target: Target | None
    message: str


_REASONS = {
    LocalFailure.MODEL_MISSING: "No local model is installed",
    LocalFailure.LOAD_FAILED: "The local model could not be loaded",
    LocalFailure.OUT_OF_MEMORY: "This computer ran out of memory for the local model",
    LocalFailure.CONTEXT_OVERFLOW: "This conversation no longer fits the local context window",
}


def decide_fallback(
    failure: LocalFailure | None,
    policy: ConversationPolicy,
    remote: Target | None,
) -> FallbackDecision:
    """What to do after a local failure: perform, offer or refuse a switch to ``remote``.

    ``remote`` is the configured remote target, or None when none is usable (no API key, no
    server configured).
    """
    if failure is None:
        return FallbackDecision(Action.REFUSE, None, "This error would not be fixed by a switch.")
    reason = _REASONS[failure]
    if policy.private:
        return FallbackDecision(
            Action.REFUSE,
            None,
            f"{reason}. This conversation is private, so it will not be sent elsewhere.",
        )
    if remote is None or not remote.remote:
        return FallbackDecision(
            Action.REFUSE,
            None,
            f"{reason}, and no remote backend is set up (add a La Plateforme key or a server "
            "in Settings).",
        )
    if policy.allow_fallback:
        return FallbackDecision(
            Action.PERFORM,
            remote,
            f"{reason}: this answer comes from {remote.label}, as allowed for this conversation.",
        )
    return FallbackDecision(
        Action.OFFER,
        remote,
        f"{reason}. Send this conversation — including its images and earlier messages — to "
        f"{remote.label}?",
    )
