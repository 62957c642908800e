"""What the user is told when the worker process died: the words for how it ended.

Apart from the backend, which only gathers the facts (the exit code, the log's tail), so the
words can be read and changed in one place.
"""

from __future__ import annotations

import signal

from app.engine.base import EngineError, ErrorKind


def crash_error(code: int | None, phase: str, detail: str) -> EngineError:
    """The error for a worker that ended with ``code`` while ``phase``; ``detail`` is the
    tail of its log (a GGML_ASSERT there names the cause)."""
    if code == -signal.SIGKILL:
        return EngineError(
            ErrorKind.OUT_OF_MEMORY,
            f"The local engine was killed while {phase}, most likely because the computer "
            "ran out of memory. Try a smaller context size, a q8_0 KV cache, fewer GPU "
            "layers or a smaller model file. Your conversation is safe.",
            detail=detail,
        )
    how = describe_exit(code)
    cause = next((line for line in reversed(detail.splitlines()) if "GGML_ASSERT" in line), "")
    hint = (
        " The model files look damaged or incompatible with this llama.cpp version."
        if cause or phase == "loading the model"
        else ""
    )
    return EngineError(
        ErrorKind.CRASH,
        f"The local engine crashed while {phase} ({how}).{hint} Your conversation is safe; "
        "the engine restarts with your next message.",
        detail=(cause + "\n" + detail).strip(),
    )


def describe_exit(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            return f"it was stopped by {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"
