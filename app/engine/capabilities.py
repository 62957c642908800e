"""What a backend can do beyond the ``Backend`` protocol, named instead of probed.

Every backend answers, stops and closes; only some load a model first, count tokens, list the
models a server offers or talk to a server the user named. Those abilities are declared with
each backend in the registry (``app.backends``), and a caller checks the declaration, then
uses the matching protocol below, rather than asking an object whether it happens to have a
method of that name: a method that exists by accident is not a promise.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from app.engine.base import Backend, EngineError, EngineEvent, GenerationRequest

if TYPE_CHECKING:
    from app.engine.local.protocol import Counted, Loaded, LocalEngineConfig
    from app.engine.mistral_api import RemoteModel


class Capability(StrEnum):
    LOADS_MODEL = "loads_model"
    """Reads model files into memory before it answers; ``load()`` does that ahead of time."""
    COUNTS_TOKENS = "counts_tokens"
    """Tells the exact size of a prompt before it is sent (the context meter's number)."""
    LISTS_MODELS = "lists_models"
    """Asks its service which models accept images, so the user picks from a real list."""
    HAS_DEVICE = "has_device"
    """Runs on this computer's CPU or GPU: the header names the device and what loading costs."""
    SERVER_URL = "server_url"
    """Talks to a server the user named (``base_url``): its host is how the app names it."""
    FOLLOWS_SCHEMA = "follows_schema"
    """Keeps an answer to a JSON schema (``Sampling.json_schema``): a grammar locally, JSON
    schema mode on La Plateforme."""


class ModelLoader(Backend, Protocol):
    """A backend with ``Capability.LOADS_MODEL``."""

    config: LocalEngineConfig

    def load(self) -> Iterator[EngineEvent | Loaded]: ...


class TokenCounter(Backend, Protocol):
    """A backend with ``Capability.COUNTS_TOKENS``."""

    def count_tokens(self, request: GenerationRequest) -> Counted | EngineError: ...


class ModelLister(Backend, Protocol):
    """A backend with ``Capability.LISTS_MODELS``."""

    def vision_models(self) -> list[RemoteModel]: ...


class ServerBackend(Backend, Protocol):
    """A backend with ``Capability.SERVER_URL``."""

    base_url: str
