"""What the settings are called on screen: labels, the words for each choice, and the sections.

The settings file and the command line keep the internal names and values (``kv_type = q8_0``);
people read "Memory for the conversation: Compact (8-bit)". One table here serves the settings
dialog and the models page, so the same value never reads two ways.
"""

from __future__ import annotations

from app.core.images import Detail
from app.ui.common.detail_words import detail_label

LABELS = {
    "backend": "Answers computed by",
    "model": "Model file",
    "mmproj": "Vision projector (mmproj)",
    "n_gpu_layers": "Layers on the GPU",
    "n_ctx": "Conversation length (tokens)",
    "kv_type": "Conversation memory",
    "threads": "CPU threads",
    "n_batch": "Prompt batch (tokens)",
    "state_ram_mb": "Memory for recent chats (MB)",
    "state_disk_mb": "Disk space for saved chats (MB)",
    "temperature": "Creativity (temperature)",
    "top_p": "Word choice breadth (top p)",
    "max_tokens": "Longest answer (tokens)",
    "seed": "Seed",
    "detail": "Image detail",
    "system_placement": "System prompt position",
    "data_dir": "History folder",
    "mistral_model": "Model",
    "mistral_server_url": "Address",
    "openai_base_url": "Server address",
    "openai_model": "Model",
    "appearance": "Appearance",
}
"""The label of each setting's row (the accessible name of its editor too)."""

CHOICES: dict[str, dict[str, str]] = {
    "backend": {
        "local": "This computer (local model)",
        "mistral": "La Plateforme",
        "openai": "OpenAI-compatible server",
    },
    "kv_type": {
        "f16": "Full precision (16-bit)",
        "q8_0": "Compact (8-bit)",
        "q4_0": "Smallest (4-bit)",
    },
    "system_placement": {
        "pixtral": "As the model was trained (last message)",
        "first": "First message (keeps the cache)",
    },
    "detail": {level.value: detail_label(level) for level in Detail},
    "appearance": {"system": "Follow the system", "light": "Light", "dark": "Dark"},
}
"""What each choice means, in words; the combo keeps the value as its item data."""

SPECIAL_VALUES = {
    "n_gpu_layers": "All",
    "n_ctx": "Pick from memory",
    "threads": "Automatic",
    "seed": "Random each answer",
    "state_ram_mb": "Off",
    "state_disk_mb": "Off",
}
"""The words a number field shows at its lowest value, which means "let the app choose"."""

RESUME_HEADING = "Resuming chats"
"""The section the saved chat states' size and Clear button join (``state_cache_section``)."""

SECTIONS: tuple[tuple[str, tuple[tuple[str, str, tuple[str, ...]], ...]], ...] = (
    ("Engine", (
        ("Where answers come from", "This computer keeps everything private; the others send "
         "your messages to a server.", ("backend",)),
        ("Model files", "The Pixtral model and its vision projector: two GGUF files.",
         ("model", "mmproj")),
        ("Performance", "How the local model uses this computer's memory and processors.",
         ("n_gpu_layers", "n_ctx", "kv_type", "threads", "n_batch")),
        (RESUME_HEADING, "What the model has read of a chat is kept, so going back to it, "
         "even after a restart, answers at once instead of reading it all again.",
         ("state_ram_mb", "state_disk_mb")),
    )),
    ("Answers", (
        ("Sampling", "How the model picks its words: lower creativity gives steadier answers.",
         ("temperature", "top_p", "max_tokens", "seed")),
        ("Images and instructions", "How much of each image the model sees, and where the "
         "system prompt goes.", ("detail", "system_placement")),
    )),
    ("Remote", (
        ("La Plateforme", "Mistral's own servers; needs an API key, kept in the system keyring.",
         ("mistral_model", "mistral_server_url")),
        ("OpenAI-compatible server", "Any server that speaks the OpenAI chat API, such as vLLM "
         "or llama-server.", ("openai_base_url", "openai_model")),
    )),
    ("History", (
        ("History", "Conversations and their images are kept in this folder, on this computer.",
         ("data_dir",)),
    )),
    ("Appearance", (
        ("Appearance", "Light, dark, or follow the operating system as it changes.",
         ("appearance",)),
    )),
)  # fmt: skip
"""Tabs of the settings dialog, each a list of (heading, description, setting keys)."""


def label(key: str) -> str:
    return LABELS.get(key, key)


def choice(key: str, value: str) -> str:
    """The words for ``value`` of the choice setting ``key`` (the value itself if none)."""
    return CHOICES.get(key, {}).get(value, value)
