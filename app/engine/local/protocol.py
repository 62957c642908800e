"""Typed messages between the app and the llama.cpp worker process.

Commands go down the pipe, events come back. Everything is a frozen dataclass of plain data
(no ctypes objects), so it pickles across the process boundary. Cancel does not travel on the
pipe: the worker is busy inside llama.cpp when it matters, so it is a byte in shared memory
that llama.cpp's abort callback and the worker's loops read (see ``cancel_flag``).

An image's pixels cross the pipe once per worker process: after that the prompt names it by
hash (``HeldImage``) and the worker uses its own copy (``pixel_store``). The worker says which
copies it let go (``ImagesDropped``) and answers a name it does not hold with
``ImagesMissing`` instead of doing the work, so the app sends those pixels again (``wire``).
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
    """Threads for generating tokens; 0 = every logical CPU. The app passes
    ``app.models.cpu_threads.thread_counts`` (fewer: a busy core stalls every decode step)."""
    n_threads_batch: int = 0
    """Threads for reading prompts and images; 0 = the same as ``n_threads``."""
    n_batch: int = 512
    image_cache_mb: int = 512
    """Vision-encoder outputs kept by image hash, so a re-read prompt does not re-encode."""
    pixel_cache_mb: int = 256
    """Prepared images' pixels kept by hash in the worker, so the app sends each one once.

    256 MB is ~80 images at the largest size (1024×1024 RGB, 3 MB): more than a 128K-token
    context can hold (~31 such images), so a whole conversation and a few switches between
    chats fit. The images of the request in hand are kept even above the budget."""
    state_ram_mb: int = 2048
    """States of recently left chats kept in the worker's RAM, so coming back reads nothing."""
    state_disk_mb: int = 4096
    """Saved chat states in ``state_dir`` (least recently used out); 0 saves none."""
    state_dir: str = ""
    """Where chat states are saved; "" = none saved (the app passes the user cache folder)."""


@dataclass(frozen=True)
class HeldImage:
    """An image in a prompt, named by the hash of a copy the worker already holds.

    Stands where an ``ImagePiece`` would; ``name`` is the current file name, for messages.
    """

    sha256: str
    name: str


WirePiece = Piece | HeldImage
"""A prompt piece as it crosses the pipe: images with their pixels, or by hash only."""


@dataclass(frozen=True)
class LoadCommand:
    config: LocalEngineConfig


@dataclass(frozen=True)
class GenerateCommand:
    pieces: list[WirePiece] = field(repr=False)
    sampling: Sampling
    chat: str = ""
    """Which chat this turn belongs to: the worker keeps each chat's KV state apart by it
    (``chat_resume``); "" for a turn of no chat (a one-off job), whose state is not kept."""


@dataclass(frozen=True)
class CountCommand:
    """Tokenize only: how many positions the prompt takes, for the context meter."""

    pieces: list[WirePiece] = field(repr=False)


@dataclass(frozen=True)
class StatsCommand:
    """Ask for the worker's counters (``CacheStats``)."""


@dataclass(frozen=True)
class ForgetChatCommand:
    """The chat was deleted: drop its state from RAM, the disk queue and the cache folder."""

    chat: str


@dataclass(frozen=True)
class ShutdownCommand:
    pass


Command = (
    LoadCommand
    | GenerateCommand
    | CountCommand
    | StatsCommand
    | ForgetChatCommand
    | ShutdownCommand
)


@dataclass(frozen=True)
class Loaded:
    device: str
    n_ctx: int
    n_ctx_train: int
    backends: tuple[str, ...]


@dataclass(frozen=True)
class ChatForgotten:
    """The reply to ``ForgetChatCommand``: nothing of that chat is kept any more."""

    chat: str


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
    states_restored: int = 0
    """Chat states put back into the KV sequence (from RAM or disk) instead of a prefill."""
    last_resume: str = ""
    """What the last chat switch did: "memory", "disk", or why the chat was read again."""
    states_saved: int = 0
    """Chat state files written to the cache folder."""
    switch_s: float = 0.0
    """Seconds the last chat switch took: keeping the left chat's state, restoring the next."""
    save_s: float = 0.0
    """Seconds spent writing the last state file (its chunks, summed)."""


@dataclass(frozen=True)
class ImagesDropped:
    """The worker let go of these images' pixels (its byte budget); sent before the work."""

    sha256s: tuple[str, ...]


@dataclass(frozen=True)
class ImagesMissing:
    """The reply to a prompt naming images the worker does not hold: nothing was done.

    The app sends the command again with these images' pixels.
    """

    sha256s: tuple[str, ...]
