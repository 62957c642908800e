"""One answer from a backend's events, as a value: the text, what it cost, how it ended.

``ask`` streams it to the terminal, ``batch`` turns it into a JSON line, ``--save`` keeps it in
the history: all three read the same record, so a token count or a finish reason cannot be
worded one way on the terminal and another way in the history.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app.engine.base import EngineError, ErrorKind, Finished, FinishReason, Token, Usage
from app.workflows.answer_record import answer_usage

FATAL_KINDS = frozenset({ErrorKind.MODEL_FILE, ErrorKind.AUTH, ErrorKind.PRIVACY})
"""Failures that would fail every other input too: a batch stops at the first one."""


@dataclass
class TurnResult:
    text: str = ""
    usage: Usage | None = None
    finished: Finished | None = None
    error: EngineError | None = None
    wall_s: float = 0.0

    @property
    def cancelled(self) -> bool:
        return self.finished is not None and self.finished.reason is FinishReason.CANCELLED

    def usage_record(self, seed: int) -> dict[str, Any]:
        """What the history keeps with the answer, as the window keeps it: the engine's
        counters, the seed it was written with and why it ended (``answer_usage``, the window's
        own function)."""
        reason = self.finished.reason if self.finished is not None else None
        return answer_usage(self.usage, seed, reason)

    def tokens(self) -> dict[str, Any]:
        """The engine's own counts for a JSON line ({} when the turn got no ``Usage``)."""
        u = self.usage
        if u is None:
            return {}
        return {
            "prompt": u.prompt_tokens,
            "cached": u.cached_tokens,
            "evaluated": u.evaluated_tokens,
            "images": list(u.image_tokens),
            "generated": u.generated_tokens,
        }

    def timings(self) -> dict[str, float]:
        out = {"total_s": round(self.wall_s, 3)}
        if self.usage is not None:
            out.update(
                ttft_s=round(self.usage.ttft_s, 3),
                prefill_s=round(self.usage.prefill_s, 3),
                decode_s=round(self.usage.decode_s, 3),
            )
        return out


def run_turn(events: Iterable[object], on_token: Callable[[str], None] | None = None) -> TurnResult:
    """Read a backend's events to the end; ``on_token`` sees the answer as it streams."""
    started = time.perf_counter()
    result = TurnResult()
    pieces: list[str] = []
    for event in events:
        if isinstance(event, Token):
            pieces.append(event.text)
            if on_token is not None:
                on_token(event.text)
        elif isinstance(event, Usage):
            result.usage = event
        elif isinstance(event, EngineError):
            result.error = event
            break
        elif isinstance(event, Finished):
            result.finished = event
            break
    result.text = result.finished.text if result.finished and result.finished.text else ""
    result.text = result.text or "".join(pieces)
    result.wall_s = time.perf_counter() - started
    return result


def parsed_json(text: str) -> tuple[Any, str]:
    """The answer as JSON and "" , or None and the sentence saying why it is not JSON."""
    try:
        return json.loads(text), ""
    except (json.JSONDecodeError, RecursionError) as exc:
        where = (
            f" (line {exc.lineno}, column {exc.colno}: {exc.msg})" if hasattr(exc, "msg") else ""
        )
        return None, f"The answer is not valid JSON{where}."
