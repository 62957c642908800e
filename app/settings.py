"""Every setting declared once: name, type, default and what it is for.

Settings persist as an INI file in the platformdirs config directory (``--config`` overrides
it for tests and portable installs). The CLI builds its flags from the same declarations, so a
setting and its flag can never drift apart. API keys are never settings: they live in the OS
keyring.
"""

from __future__ import annotations

import configparser
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "pixtral-desk"


@dataclass(frozen=True)
class Setting:
    key: str
    kind: type
    default: Any
    doc: str
    choices: tuple[str, ...] = ()
    section: str = "engine"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "backend",
        str,
        "local",
        "Where answers are computed: local (this computer), mistral (La Plateforme) "
        "or openai (an OpenAI-compatible server).",
        ("local", "mistral", "openai"),
    ),
    Setting(
        "mistral_model",
        str,
        "",
        "La Plateforme model; empty = the best vision model it offers.",
        section="remote",
    ),
    Setting(
        "mistral_server_url",
        str,
        "https://api.mistral.ai",
        "La Plateforme address.",
        section="remote",
    ),
    Setting(
        "openai_base_url",
        str,
        "",
        "OpenAI-compatible server root including /v1, e.g. http://gpu-box:8000/v1.",
        section="remote",
    ),
    Setting("openai_model", str, "", "Model name on that server.", section="remote"),
    Setting(
        "data_dir",
        str,
        "",
        "History folder (conversations and images); empty = the user data folder.",
        section="storage",
    ),
    Setting("model", str, "", "Path of the Pixtral text model (.gguf)."),
    Setting("mmproj", str, "", "Path of the matching vision projector (mmproj .gguf)."),
    Setting(
        "n_gpu_layers",
        int,
        -1,
        "Layers to offload to the GPU; -1 = all when the build has a GPU, 0 = CPU only.",
    ),
    Setting(
        "n_ctx", int, 0, "Context size in tokens (up to 131072); 0 = pick from available memory."
    ),
    Setting(
        "kv_type",
        str,
        "f16",
        "KV cache type; q8_0 and q4_0 halve or quarter its memory (they turn on flash attention).",
        ("f16", "q8_0", "q4_0"),
    ),
    Setting("threads", int, 0, "CPU threads; 0 = one per core."),
    Setting(
        "n_batch",
        int,
        512,
        "Prompt tokens evaluated per batch (cancel is checked between batches).",
    ),
    Setting("temperature", float, 0.3, "Sampling temperature; 0 = greedy.", section="sampling"),
    Setting("top_p", float, 0.95, "Nucleus sampling threshold.", section="sampling"),
    Setting("max_tokens", int, 1024, "Most tokens an answer may have.", section="sampling"),
    Setting("seed", int, 42, "Sampling seed, for reproducible answers.", section="sampling"),
    Setting(
        "detail",
        str,
        "native",
        "Image detail: native = Mistral's full resolution (longest side 1024 px).",
        ("low", "medium", "high", "native"),
        section="sampling",
    ),
    Setting(
        "system_placement",
        str,
        "pixtral",
        "Where the system prompt goes: 'pixtral' (the model's template) "
        "or 'first' (keeps the cache across turns).",
        ("pixtral", "first"),
        section="sampling",
    ),
)

SETTINGS_BY_KEY = {setting.key: setting for setting in SETTINGS}


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "settings.ini"


class Settings:
    """Current values, backed by an INI file; unknown or malformed values fall back to defaults."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or Path(os.environ.get("PIXTRAL_DESK_CONFIG", "") or default_config_path())
        self._values: dict[str, Any] = {s.key: s.default for s in SETTINGS}
        self._load()

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[key] = _coerce(SETTINGS_BY_KEY[key], value)

    def items(self) -> Iterator[tuple[str, Any]]:
        yield from self._values.items()

    def save(self) -> None:
        parser = configparser.ConfigParser()
        for setting in SETTINGS:
            parser.setdefault(setting.section, {})[setting.key] = str(self._values[setting.key])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            parser.write(handle)
        os.replace(tmp, self.path)

    def _load(self) -> None:
        if not self.path.exists():
            return
        parser = configparser.ConfigParser()
        try:
            parser.read(self.path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            return
        for setting in SETTINGS:
            raw = parser.get(setting.section, setting.key, fallback=None)
            if raw is not None:
                with contextlib.suppress(ValueError):  # a bad value keeps the default
                    self._values[setting.key] = _coerce(setting, raw)


def _coerce(setting: Setting, value: Any) -> Any:
    converted = setting.kind(value)
    if setting.choices and converted not in setting.choices:
        raise ValueError(f"{setting.key} must be one of {', '.join(setting.choices)}")
    return converted
