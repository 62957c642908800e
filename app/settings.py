"""Every setting declared once: name, type, default and what it is for.

Settings persist as an INI file in the platformdirs config directory (``--config`` overrides
it for tests and portable installs). The CLI builds its flags from the same declarations, so a
setting and its flag can never drift apart. API keys are never settings: they live in the OS
keyring.
"""

from __future__ import annotations

import configparser
import contextlib
import json
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
    bounds: tuple[float, float] | None = None
    """Smallest and largest value a number may take; the CLI, the file and the dialog obey it."""


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
        bounds=(-1, 999),
    ),
    Setting(
        "n_ctx",
        int,
        0,
        "Context size in tokens (up to 131072); 0 = pick from available memory.",
        bounds=(0, 131_072),
    ),
    Setting(
        "kv_type",
        str,
        "f16",
        "KV cache type; q8_0 and q4_0 halve or quarter its memory (they turn on flash attention). "
        "Left at f16 with the context picked from memory, q8_0 is used where f16 would not hold "
        "the full context.",
        ("f16", "q8_0", "q4_0"),
    ),
    Setting(
        "threads",
        int,
        0,
        "CPU threads; 0 = automatic: one per physical core, one core left free on machines "
        "with 4 or fewer (a busy core stalls every thread); prompts and images use all.",
        bounds=(0, 256),
    ),
    Setting(
        "n_batch",
        int,
        512,
        "Prompt tokens evaluated per batch (cancel is checked between batches).",
        bounds=(32, 8192),
    ),
    Setting(
        "state_ram_mb",
        int,
        2048,
        "Memory (MB) for the states of chats you left recently, so going back to one answers "
        "at once instead of reading it again; 0 keeps none.",
        bounds=(0, 262_144),
    ),
    Setting(
        "state_disk_mb",
        int,
        4096,
        "Disk space (MB) in the cache folder for saved chat states, so a chat reopened after a "
        "restart answers at once; least recently used go first; 0 saves none.",
        bounds=(0, 4_194_304),
    ),
    Setting(
        "temperature",
        float,
        0.3,
        "Sampling temperature; 0 = greedy.",
        section="sampling",
        bounds=(0.0, 2.0),
    ),
    Setting(
        "top_p", float, 0.95, "Nucleus sampling threshold.", section="sampling", bounds=(0.0, 1.0)
    ),
    Setting(
        "max_tokens",
        int,
        1024,
        "Most tokens an answer may have.",
        section="sampling",
        bounds=(1, 131_072),
    ),
    Setting(
        "seed",
        int,
        -1,
        "Sampling seed; -1 = a new random seed for every answer (each answer keeps the seed it "
        "was written with), any other value writes the same answer to the same question.",
        section="sampling",
        bounds=(-1, 2**31 - 1),
    ),
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
    Setting(
        "appearance",
        str,
        "system",
        "Light or dark look: system = follow the operating system as it changes.",
        ("system", "light", "dark"),
        section="window",
    ),
)

SETTINGS_BY_KEY = {setting.key: setting for setting in SETTINGS}

ENGINE_KEYS: tuple[str, ...] = tuple(s.key for s in SETTINGS if s.section in ("engine", "remote"))
"""The settings a backend is built from: which one answers, its model, server and how the local
model is loaded. Changing any of them means a new backend (and, locally, loading the model
again); sampling and storage settings are read per turn and change nothing of the engine."""


MAX_FILE_BYTES = 1024 * 1024
"""A settings file is a few hundred bytes; anything over this is not ours and is not parsed."""


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "settings.ini"


class Settings:
    """Current values, backed by an INI file; unknown or malformed values fall back to defaults.

    Every value survives a save and a load exactly: the parser does no ``%`` interpolation
    (a folder named ``100%`` is a path, not a template), and a string INI cannot hold as it is
    (a newline, a leading ``#``, surrounding spaces, a quote) is written as a JSON string.
    A file that cannot be read is kept as ``settings.ini.unreadable`` before the first save
    replaces it, so a hand edit gone wrong loses nothing.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or Path(os.environ.get("PIXTRAL_DESK_CONFIG", "") or default_config_path())
        self._values: dict[str, Any] = {s.key: s.default for s in SETTINGS}
        self._unreadable = False
        self._load()

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[key] = coerce(SETTINGS_BY_KEY[key], value)

    def items(self) -> Iterator[tuple[str, Any]]:
        yield from self._values.items()

    def save(self) -> None:
        parser = _parser()
        for setting in SETTINGS:
            if not parser.has_section(setting.section):
                parser.add_section(setting.section)
            parser.set(setting.section, setting.key, _to_ini(self._values[setting.key]))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._unreadable:
            with contextlib.suppress(OSError):
                os.replace(self.path, self.path.with_name(self.path.name + ".unreadable"))
            self._unreadable = False
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            parser.write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def _load(self) -> None:
        try:
            if not self.path.is_file():
                return
            if self.path.stat().st_size > MAX_FILE_BYTES:
                raise ValueError("too large")
            text = self.path.read_text(encoding="utf-8")
            parser = _parser()
            parser.read_string(text)
        except (configparser.Error, OSError, UnicodeDecodeError, ValueError):
            self._unreadable = self.path.exists()
            return
        for setting in SETTINGS:
            raw = parser.get(setting.section, setting.key, fallback=None)
            if raw is not None:
                with contextlib.suppress(ValueError):  # a bad value keeps the default
                    self._values[setting.key] = coerce(setting, _from_ini(raw))


def _parser() -> configparser.ConfigParser:
    """No interpolation (``%`` is literal), duplicates tolerated (a hand edit wins, last one)."""
    return configparser.ConfigParser(interpolation=None, strict=False)


def _to_ini(value: Any) -> str:
    text = str(value)
    if text != text.strip() or not text.isprintable() or text.startswith('"'):
        return json.dumps(text)  # ASCII escapes: newlines, controls, even lone surrogates
    return text


def _from_ini(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        with contextlib.suppress(ValueError):
            decoded = json.loads(raw)
            if isinstance(decoded, str):
                return decoded
    return raw


def coerce(setting: Setting, value: Any) -> Any:
    """``value`` as the setting's type within its choices and bounds, or ValueError saying why."""
    if isinstance(value, str) and setting.kind is not str:
        value = value.strip()
    if setting.kind is int and isinstance(value, float):
        raise ValueError(f"{setting.key} must be a whole number")
    try:
        converted = setting.kind(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{setting.key} must be a {_KIND_NAMES[setting.kind]}") from None
    if setting.choices and converted not in setting.choices:
        raise ValueError(f"{setting.key} must be one of {', '.join(setting.choices)}")
    if setting.bounds is not None:
        low, high = setting.bounds
        if not low <= converted <= high:  # also refuses NaN
            raise ValueError(f"{setting.key} must be between {low:,} and {high:,}")
    return converted


_KIND_NAMES = {int: "whole number", float: "number", str: "text"}
