"""What a turn is asked with and what is kept with its answer besides the text.

Asked with: the app's sampling settings, overridden by the chat's own, and raised to the
answer limit the chat's job needs (``answer_limit`` in its sampling: a page of HTML or an
answer about a document needs more than a chat reply). Kept with the answer, in its usage
JSON: the engine's counters, the seed it was written with (so a version can be written again
exactly: set that seed and regenerate) and why it ended (an answer cut at the answer limit is
shown as such and can be continued). All of it is plain JSON in the history and its exports.

The window (``ChatSession``) and the command line (``ask --chat``, ``--save``) both ask and keep
through these functions, so a chat continued in a terminal is asked as the window asks it and
its answers read in the window as the window's own. Qt-free for that reason: ``app/commands``
may not import ``app/ui``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields, replace
from typing import Any

from app.engine.base import FinishReason, Sampling, Usage
from app.storage.records import ANSWER_LIMIT_KEY, CONTINUED_SEEDS_KEY, FINISH_KEY, SEED_KEY


def chat_sampling(app: Sampling, chat: Mapping[str, Any]) -> Sampling:
    """The settings a turn of this chat is asked with.

    The chat's own settings win, by the ``Sampling`` fields' names; a key this version does
    not know (a file imported from a newer one) is ignored. A job's answer limit only ever
    raises the limit, and only as far as the context has room (``fit_context``).
    """
    names = {setting.name for setting in fields(Sampling)}
    sampling = replace(app, **{k: v for k, v in chat.items() if k in names})
    limit = chat.get(ANSWER_LIMIT_KEY)
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > sampling.max_tokens:
        sampling = replace(sampling, max_tokens=limit, fit_context=True)
    return sampling


def with_answer_limit(chat: Mapping[str, Any], limit: int) -> dict[str, Any] | None:
    """The chat's sampling with a job's answer limit in it; None when it has one as large."""
    current = chat.get(ANSWER_LIMIT_KEY)
    if limit <= 0 or (isinstance(current, int) and current >= limit):
        return None
    return {**chat, ANSWER_LIMIT_KEY: limit}


def answer_usage(
    usage: Usage | None,
    seed: int,
    reason: FinishReason | None,
    earlier: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The usage JSON of an answer: counters, seed, finish reason.

    ``earlier`` is the usage of the answer a Continue wrote more of: its first seed stays the
    answer's seed and this turn's is added to the seeds of its continuations.
    """
    record: dict[str, Any] = asdict(usage) if usage is not None else {}
    record[SEED_KEY] = seed
    if earlier is not None and isinstance(earlier.get(SEED_KEY), int):
        seeds = earlier.get(CONTINUED_SEEDS_KEY)
        before = [s for s in seeds if isinstance(s, int)] if isinstance(seeds, list) else []
        record[SEED_KEY] = earlier[SEED_KEY]
        record[CONTINUED_SEEDS_KEY] = [*before, seed]
    if reason is not None:
        record[FINISH_KEY] = reason.value
    return record
