"""Per-model GPU layers, context and KV type, kept in ``models.json``.

A Q8_0 that only fits with 20 layers on the GPU and a Q4_K_M that fits whole need different
settings; keeping them per model means switching the default model does not crash the next
load with the other model's numbers. The file lives beside ``settings.ini`` (not in it) because
its keys are file paths, which INI keys cannot hold safely. Keys are absolute paths so the same
file reached through a relative path or ``~`` still finds its entry.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from app.core.budget import KvType
from app.core.errors import UserFacingError
from app.settings import SETTINGS_BY_KEY

FILE_NAME = "models.json"
#: The settings a model may override, with the type each must have.
FIELDS: dict[str, type] = {"n_gpu_layers": int, "n_ctx": int, "kv_type": str}


class OverrideError(UserFacingError):
    """A per-model value is of the wrong kind (e.g. an unknown KV type)."""


def overrides_path(settings_path: str | Path) -> Path:
    """``models.json`` beside the settings file, so ``--config`` moves both together."""
    return Path(settings_path).with_name(FILE_NAME)


def _key(model_path: str | Path) -> str:
    return str(Path(model_path).expanduser().absolute())


class ModelOverrides:
    """Read and write the per-model values; every write replaces the file atomically."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def beside(cls, settings_path: str | Path) -> ModelOverrides:
        return cls(overrides_path(settings_path))

    def get(self, model_path: str | Path) -> dict[str, Any]:
        """The values saved for this model; ``{}`` when none (or the file is unreadable)."""
        if not model_path:
            return {}
        entry = self._load().get(_key(model_path), {})
        if not isinstance(entry, dict):
            return {}
        valid = {}
        for name, value in entry.items():
            if name in FIELDS:  # the file is outside input: a hand edit may hold anything
                with contextlib.suppress(OverrideError):
                    valid[name] = _checked(name, value)
        return valid

    def set(self, model_path: str | Path, **values: Any) -> dict[str, Any]:
        """Save values for a model; ``None`` removes one. Returns the model's entry after it."""
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise OverrideError(f"Unknown per-model setting(s): {', '.join(sorted(unknown))}.")
        data = self._load()
        entry = dict(data.get(_key(model_path)) or {})
        for name, value in values.items():
            if value is None:
                entry.pop(name, None)
            else:
                entry[name] = _checked(name, value)
        if entry:
            data[_key(model_path)] = entry
        else:
            data.pop(_key(model_path), None)
        self._save(data)
        return entry

    def _load(self) -> dict[str, Any]:
        # A damaged file must not stop the app from loading a model: it falls back to the
        # global settings, and the next save rewrites it.
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)  # a crash mid-write leaves the old file, never half a file


def _checked(name: str, value: Any) -> Any:
    if isinstance(value, (bool, float)) and FIELDS[name] is int:
        raise OverrideError(f"{name} must be a whole number, not {value!r}.")
    try:
        converted = FIELDS[name](value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise OverrideError(f"{name} must be a {FIELDS[name].__name__}, not {value!r}.") from exc
    if name == "kv_type":
        try:
            KvType(converted)
        except ValueError as exc:
            known = ", ".join(k.value for k in KvType)
            raise OverrideError(f"KV type must be one of {known}, not {value!r}.") from exc
    elif name == "n_ctx" and converted < 0:
        raise OverrideError("The context size cannot be negative (0 = pick from memory).")
    elif name == "n_gpu_layers" and converted < -1:
        raise OverrideError("GPU layers must be -1 (all), 0 (CPU only) or a positive count.")
    bounds = SETTINGS_BY_KEY[name].bounds
    if bounds is not None and not bounds[0] <= converted <= bounds[1]:
        raise OverrideError(f"{name} must be between {bounds[0]:,} and {bounds[1]:,}.")
    return converted
