"""Who wrote an answer: the model's short name and where it ran, from what was stored with it.

Each answer is stored with the backend that wrote it, the model it asked for (file name or
model id) and, once finished, the engine's usage record, whose ``device`` says where it ran
("CUDA", "CPU", a server's host). The transcript shows that as a caption above the answer —
"Pixtral 12B · Local · CUDA" — so a chat that switched models or fell back to La Plateforme
says which answer came from where. Only stored facts are shown: an answer from before models
were recorded shows no model rather than a guess.
"""

from __future__ import annotations

import re

from app.backends import LA_PLATEFORME, backend_spec
from app.core.conversation import Role
from app.models.model_names import display_name
from app.storage.records import StoredMessage

MAX_CHARS = 40
"""A model name comes from a file or a server: longer ones are cut, with an ellipsis."""

_VERSION_WORD = re.compile(r"^(?:latest|\d{4}|v?\d{2}\.\d{2})$", re.IGNORECASE)
"""Trailing words of a release id that name a date or "latest", not the model."""

NOT_LOADED = "not loaded"


def short_model_name(model: str) -> str:
    """A model's short human name: "Pixtral 12B" for ``pixtral-12b-Q4_K_M.gguf``, "Pixtral
    Large" for ``pixtral-large-latest``; "" when ``model`` is empty."""
    title = display_name(model.strip()).split(" · ")[0]
    words = title.split()
    while len(words) > 1 and _VERSION_WORD.match(words[-1]):
        words.pop()
    name = " ".join(words)
    return name if len(name) <= MAX_CHARS else name[: MAX_CHARS - 1].rstrip() + "…"


def local_place(device: str) -> str:
    """Where a local model runs, as the byline and the header's model control both say it."""
    return f"Local · {device}" if device else "Local"


def where_ran(stored: StoredMessage) -> str:
    """Where an answer ran: "Local · CUDA", "La Plateforme", a server's host; "" when the
    answer does not say."""
    if stored.role is not Role.ASSISTANT or not stored.backend:
        return ""
    spec = backend_spec(stored.backend)
    device = str((stored.usage or {}).get("device") or "")
    device = "" if device == NOT_LOADED else device[:MAX_CHARS]
    if spec is not None and not spec.remote:
        return local_place(device)
    if spec is LA_PLATEFORME:
        return "La Plateforme"
    return device or "Your server"


def model_badge(stored: StoredMessage) -> str:
    """The short name of the model that wrote an answer; "" for questions and unknown models."""
    return short_model_name(stored.model) if stored.role is Role.ASSISTANT else ""
