"""The two ways a worker command ends early: a reported failure, or a cancelled load.

Their own module because the model loader, the image encoder and the session all raise them and
the worker catches them; none of those modules should have to import another just for these.
"""

from __future__ import annotations

from app.engine.base import ErrorKind


class EngineFailure(Exception):
    """A failure the worker reports as an ``EngineError`` event (the process stays up)."""

    def __init__(self, kind: ErrorKind, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.detail = detail


class Cancelled(Exception):
    """The user cancelled while the model was loading."""
