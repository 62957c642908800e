"""Typed messages between the app and the llama.cpp worker process.

Commands go down the pipe, events come back. Everything is a frozen dataclass of plain data
(no ctypes objects), so it pickles across the process boundary. Cancel does not travel on the
pipe: the worker is busy inside llama.cpp when it matters, so it is a byte in shared memory
that llama.cpp's abort callback and the worker's loops read (see ``cancel_flag``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.budget import KvType
from app.core.prompt import Piece
from app.engine.base import Sampling


@dataclass(frozen=True)
class LocalEngineConfig:
    """Everything that decides how the worker loads the model; a change means a reload."""

    model_path: str
    mmproj_path: str | None = None
    n_ctx: int = 8192
    n_gpu_layers: int = -1
    """-1 offloads every layer when the llama.cpp build has a GPU backend; 0 keeps all on CPU."""
    kv_type: KvType = KvType.F16
    n_threads: int = 0
    """0 lets the engine pick (the number of CPU cores)."""
    n_batch: int = 512
    image_cache_mb: int = 512
    """Vision-encoder outputs kept by image hash, so a re-read prompt does not re-encode."""


@dataclass(frozen=True)
class LoadCommand:
    config: LocalEngineConfig


@dataclass(frozen=True)
class GenerateCommand:
    pieces: list[Piece] = field(repr=False)
    sampling: Sampling


@dataclass(frozen=True)
class CountCommand:
    """Tokenize only: how many positions the prompt takes, for the context meter."""

    pieces: list[Piece] = field(repr=False)


@dataclass(frozen=True)
class StatsCommand:
    """Ask for the worker's counters (``CacheStats``)."""


@dataclass(frozen=True)
class ShutdownCommand:
    pass


Command = LoadCommand | GenerateCommand | CountCommand | StatsCommand | ShutdownCommand


@dataclass(frozen=True)
class Loaded:
    device: str
    n_ctx: int
    n_ctx_train: int
    backends: tuple[str, ...]


@dataclass(frozen=True)
class Counted:
    prompt_tokens: int
    image_tokens: tuple[int, ...]


@dataclass(frozen=True)
class CacheStats:
    """The worker's own counters since it started (tests assert on these)."""

    tokens_evaluated: int
    """Prompt positions evaluated (text tokens and image embeddings), generated ones excluded."""
    images_encoded: int
    """Runs of the vision encoder; an image found in the cache or the embedding store is not one."""
    cached_positions: int
