"""One streaming interface for every backend, and the events it produces.

A backend turns a ``GenerationRequest`` into an iterator of events: loading progress, prefill
progress, tokens, one ``Usage`` and one ``Finished`` or ``EngineError``. Chat logic and the
window only ever see these events, so local llama.cpp, La Plateforme and OpenAI-compatible
servers are interchangeable. ``cancel()`` may be called from any thread.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from app.core.conversation import Message
from app.core.prompt import SystemPlacement

RANDOM_SEED = -1
"""The seed setting that means "a new random seed for every answer"."""
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class Sampling:
    """Sampling settings of one request; temperature 0 means greedy.

    ``seed`` -1 draws a new seed for each answer, so a regenerated answer is a new one; any
    other value fixes it, so the same question gets the same answer again. ``fit_context``
    marks ``max_tokens`` as a job's generous ceiling (a whole page of HTML): when the prompt
    leaves less room in the context, the answer gets the room there is instead of the turn
    being refused.
    """

    temperature: float = 0.3
    top_p: float = 0.95
    max_tokens: int = 1024
    seed: int = RANDOM_SEED
    fit_context: bool = False
    json_schema: str = ""
    """A JSON schema (as JSON text) the answer must follow; "" leaves the answer free. The local
    engine turns it into a grammar, La Plateforme into its JSON schema mode."""

    def with_fixed_seed(self) -> Sampling:
        """These settings with a concrete seed: a fresh random one in place of -1.

        The caller keeps what this returns, so the seed an answer was written with can be
        stored beside it and used again to write the same answer.
        """
        if self.seed >= 0:
            return self
        return replace(self, seed=secrets.randbelow(MAX_SEED + 1))


@dataclass(frozen=True)
class GenerationRequest:
    """What to answer. With ``continue_answer`` the messages end with an answer that stopped
    at the answer limit, and the backend writes on from its last word (the new text only)."""

    messages: Sequence[Message]
    system_prompt: str = ""
    placement: SystemPlacement = SystemPlacement.PIXTRAL
    sampling: Sampling = field(default_factory=Sampling)
    continue_answer: bool = False
    chat: str = ""
    """Which conversation this is ("" for none): the local engine keeps each chat's KV state
    under it, so coming back to a chat, even after a restart, reads nothing again."""


class LoadStage(StrEnum):
    STARTING = "starting"
    MODEL = "model"
    MMPROJ = "mmproj"


@dataclass(frozen=True)
class Loading:
    """Model loading; ``progress`` runs 0→1 within each stage."""

    stage: LoadStage
    progress: float


@dataclass(frozen=True)
class Prefill:
    """Reading the prompt: tokens evaluated so far out of those that need evaluating."""

    tokens_done: int
    tokens_total: int
    images_done: int
    images_total: int


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Usage:
    """What a turn cost; the counters come from the engine itself, not from estimates."""

    prompt_tokens: int
    cached_tokens: int
    evaluated_tokens: int
    image_tokens: tuple[int, ...]
    images_encoded: int
    generated_tokens: int
    ttft_s: float
    prefill_s: float
    decode_s: float
    backend: str
    device: str
    n_ctx: int = 0

    @property
    def tokens_per_s(self) -> float:
        # The first token comes out of prefill; the decode rate counts the ones after it.
        produced = max(self.generated_tokens - 1, 0)
        return produced / self.decode_s if self.decode_s > 0 else 0.0


class FinishReason(StrEnum):
    """Why an answer ended. ``LENGTH``: it reached ``max_tokens`` and can be continued;
    ``CONTEXT_FULL``: the context window has no room left for more."""

    STOP = "stop"
    LENGTH = "length"
    CONTEXT_FULL = "context_full"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Finished:
    reason: FinishReason
    text: str


class ErrorKind(StrEnum):
    BAD_INPUT = "bad_input"
    MODEL_FILE = "model_file"
    CONTEXT_OVERFLOW = "context_overflow"
    CRASH = "crash"
    OUT_OF_MEMORY = "out_of_memory"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    NETWORK = "network"
    SERVER = "server"
    PRIVACY = "privacy"
    INTERNAL = "internal"


@dataclass(frozen=True)
class EngineError:
    """A turn failed; ``text`` keeps what was produced before the failure."""

    kind: ErrorKind
    message: str
    text: str = ""
    detail: str = ""


EngineEvent = Loading | Prefill | Token | Usage | Finished | EngineError


class Backend(Protocol):
    """What the chat logic needs of any backend."""

    name: str

    def generate(self, request: GenerationRequest) -> Iterator[EngineEvent]: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...
