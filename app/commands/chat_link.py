"""``ask --save`` and ``ask --chat ID``: the command line writes to the window's history.

The same store (``HistoryStore`` in the data folder), the same records: a saved turn is a
conversation the window lists, with its images and the usage it keeps for answers it wrote
itself. A continued chat is read as the window shows it — the branch on screen, images
decoded from their blobs, the chat's system prompt — and the new turn is added under its
shown answer. The privacy rules apply as in the window: a private chat, or one holding
document pages, is never continued on a remote backend.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.commands.turn import TurnResult
from app.core.conversation import Message, MessageStatus, Part, Role, TextPart
from app.core.errors import UserFacingError
from app.engine.backend_choice import Target, check_allowed, policy_for
from app.storage.history import HistoryStore
from app.storage.records import ANSWER_LIMIT_KEY


@dataclass
class ChatContext:
    """What a continued chat brings to the next turn."""

    conversation_id: int | None = None
    messages: list[Message] = field(default_factory=list)
    system_prompt: str = ""
    private: bool = False
    answer_limit: int = 0
    """A job's answer limit the chat keeps (a document chat's), which its turns get."""


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
    limit = loaded.info.sampling.get(ANSWER_LIMIT_KEY)
    return ChatContext(
        conversation_id,
        messages,
        loaded.info.system_prompt,
        loaded.info.private,
        limit if isinstance(limit, int) and not isinstance(limit, bool) else 0,
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
    """Store the question and its answer (a new chat unless ``chat`` names one); its id."""
    cid = chat.conversation_id
    if cid is None:
        sampling: dict[str, Any] = {ANSWER_LIMIT_KEY: answer_limit} if answer_limit else {}
        cid = store.create_conversation(
            backend=backend,
            system_prompt=chat.system_prompt,
            sampling=sampling,
            private=private,
        )
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
