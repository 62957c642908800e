"""``ask --save`` and ``ask --chat ID``: the command line writes to the window's history.

The same store (``HistoryStore`` in the data folder), the same records: a saved turn is a
conversation the window lists, with its images and the usage it keeps for answers it wrote
itself. A continued chat is read as the window shows it — the branch on screen, images
decoded from their blobs, the chat's system prompt — and the new turn is added under its
shown answer, asked with the chat's own sampling settings (``chat_sampling``, as the window
asks it) except those a flag sets for this turn. The privacy rules apply as in the window: a
private chat, or one holding document pages, is never continued on a remote backend.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from app.commands.turn import TurnResult
from app.core.conversation import Message, MessageStatus, Part, Role, TextPart
from app.core.errors import UserFacingError
from app.engine.backend_choice import Target, check_allowed, policy_for
from app.engine.base import Sampling
from app.storage.history import HistoryStore
from app.storage.records import ANSWER_LIMIT_KEY
from app.workflows.answer_record import chat_sampling, with_answer_limit


@dataclass
class ChatContext:
    """What a continued chat brings to the next turn."""

    conversation_id: int | None = None
    messages: list[Message] = field(default_factory=list)
    system_prompt: str = ""
    private: bool = False
    sampling: dict[str, Any] = field(default_factory=dict)
    """The chat's own sampling settings as stored (a document chat's answer limit among them)."""

    def asked_with(self, base: Sampling, given: set[str], answer_limit: int) -> Sampling:
        """What this turn is asked with: ``base`` (saved settings and flags) under the chat's
        own settings, as the window asks it, except the settings a flag ``given`` for this
        turn; a job's ``answer_limit`` is added to the chat's (``kept_sampling``), unless
        ``--max-tokens`` says how long the answer may be."""
        own = self.kept_sampling(answer_limit) or self.sampling
        own = {key: value for key, value in own.items() if key not in given}
        if "max_tokens" in given:
            own.pop(ANSWER_LIMIT_KEY, None)
        return chat_sampling(base, own)

    def kept_sampling(self, answer_limit: int) -> dict[str, Any] | None:
        """The chat's settings with a job's answer limit in them, as the window keeps them;
        None when they already have one as large."""
        return with_answer_limit(self.sampling, answer_limit)


SAMPLING_NAMES = frozenset(setting.name for setting in fields(Sampling))


def flags_given(args: object) -> set[str]:
    """The sampling settings a flag sets for this turn (argparse leaves the others None)."""
    return {name for name in SAMPLING_NAMES if getattr(args, name, None) is not None}


def open_history(data_dir: Path | None) -> HistoryStore:
    store = HistoryStore.open(data_dir)
    if store.recovery_notice:
        print(f"pixtral-desk: {store.recovery_notice}", file=sys.stderr)
    return store


def load_chat(store: HistoryStore, conversation_id: int, target: Target) -> ChatContext:
    """The chat's shown branch as the engine reads it; refused where the window refuses it."""
    loaded = store.load(conversation_id)
    if loaded.info.trashed_at is not None:
        raise UserFacingError(
            f"Chat {conversation_id} is in the trash; restore it first "
            f"(pixtral-desk history restore {conversation_id})."
        )
    messages = [stored.to_core(store.blobs) for stored in loaded.messages]
    if messages and messages[-1].role is Role.USER:
        raise UserFacingError(
            f"Chat {conversation_id} ends with a question that has no answer yet; answer or "
            "edit it in the window first."
        )
    check_allowed(policy_for(loaded.info.private, messages), target)
    return ChatContext(
        conversation_id,
        messages,
        loaded.info.system_prompt,
        loaded.info.private,
        dict(loaded.info.sampling),
    )


def save_turn(
    store: HistoryStore,
    chat: ChatContext,
    question: list[Part],
    result: TurnResult,
    *,
    backend: str,
    seed: int,
    private: bool,
    answer_limit: int = 0,
) -> int:
    """Store the question and its answer (a new chat unless ``chat`` names one); its id.

    A job's ``answer_limit`` is kept with the chat as the window keeps it, so its follow-ups
    get it too."""
    cid = chat.conversation_id
    kept = chat.kept_sampling(answer_limit)
    if cid is None:
        cid = store.create_conversation(
            backend=backend,
            system_prompt=chat.system_prompt,
            sampling=kept,
            private=private,
        )
    elif kept is not None:
        store.update_conversation(cid, sampling=kept)
    store.add_message(cid, Role.USER, question)
    status = MessageStatus.STOPPED if result.cancelled else MessageStatus.COMPLETE
    store.add_message(
        cid,
        Role.ASSISTANT,
        [TextPart(result.text)],
        status=status,
        backend=backend,
        usage=result.usage_record(seed),
    )
    return cid
