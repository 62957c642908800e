"""Prompt presets as data: built-ins in ``resources/presets.json``, edited copies in a user file.

Presets are data, not code, so users can tune them without a release and a better built-in
prompt reaches everyone who has not edited that preset. The user file has the same schema as
the built-in one; an entry whose id is a built-in's replaces the fields it gives, other entries
add presets. A broken user file must never cost the user the built-ins, so loading it reports
the problem in one sentence and still hands back the built-ins.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.core.errors import UserFacingError
from app.core.images import Detail
from app.resources import resource

SCHEMA_VERSION = 1
MAX_FILE_BYTES = 4 * 1024 * 1024
"""A presets file is a few kilobytes; a larger one is not read (it is outside input)."""
MAX_PRESETS = 500
_FIELDS = ("id", "title", "prompt", "detail", "json_schema")


@dataclass(frozen=True)
class Preset:
    """One canned request: what the menu shows (``title``) and what is sent (``prompt``).

    ``detail`` is the image detail level the preset works best at (OCR and receipts need every
    pixel, a description does not); None leaves the user's setting alone. ``json_schema`` is
    the JSON schema its answers follow (compact JSON text; an object in the file), for a
    preset that extracts data: the command line constrains the answer to it.
    """

    id: str
    title: str
    prompt: str
    detail: str | None = None
    json_schema: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            key: value for key, value in asdict(self).items() if value is not None
        }
        if self.json_schema is not None:
            out["json_schema"] = json.loads(self.json_schema)
        return out


class PresetFileError(UserFacingError):
    """A user presets file cannot be used; ``presets`` holds the built-ins to carry on with."""

    def __init__(self, message: str, presets: list[Preset]) -> None:
        super().__init__(message)
        self.presets = presets


def builtin_presets_path() -> Path:
    return resource("presets.json")


def builtin_presets() -> list[Preset]:
    """The presets shipped with the app; a broken file here is our bug, so it raises."""
    path = builtin_presets_path()
    entries = _entries(json.loads(path.read_text(encoding="utf-8")), path)
    return [_new_preset(entry, path, index) for index, entry in enumerate(entries)]


def load_presets(user_file: Path | None = None) -> list[Preset]:
    """Built-ins, overridden and extended by ``user_file`` (a missing file is no error).

    Raises :class:`PresetFileError` when the user file is unreadable or malformed; its
    message names the file and the problem, and its ``presets`` are the built-ins, so the
    caller can show the message and go on (see :func:`load_presets_or_builtins`).
    """
    builtins = builtin_presets()
    if user_file is None or not user_file.exists():
        return builtins
    try:
        if user_file.stat().st_size > MAX_FILE_BYTES:
            raise PresetFileError(
                f"The presets file {user_file} is over {MAX_FILE_BYTES // 1024 // 1024} MB, too "
                "large to be presets; using the built-in presets.",
                builtins,
            )
        data = json.loads(user_file.read_text(encoding="utf-8"))
    except RecursionError:
        raise PresetFileError(
            f"The presets file {user_file} is nested too deeply to be presets; using the "
            "built-in presets.",
            builtins,
        ) from None
    except json.JSONDecodeError as exc:
        raise PresetFileError(
            f"The presets file {user_file} is not valid JSON (line {exc.lineno}, column "
            f"{exc.colno}: {exc.msg}); using the built-in presets.",
            builtins,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetFileError(
            f"The presets file {user_file} cannot be read ({exc}); using the built-in presets.",
            builtins,
        ) from None
    try:
        return _merge(builtins, _entries(data, user_file), user_file)
    except UserFacingError as exc:
        raise PresetFileError(f"{exc} Using the built-in presets.", builtins) from None


def load_presets_or_builtins(user_file: Path | None) -> tuple[list[Preset], str | None]:
    """The presets to use and, when the user file was refused, the sentence to show."""
    try:
        return load_presets(user_file), None
    except PresetFileError as exc:
        return exc.presets, str(exc)


def save_user_presets(path: Path, presets: list[Preset]) -> None:
    """Write the presets that differ from the built-ins (or are new) to ``path``.

    Unchanged built-ins are left out so that later improvements to them still reach the user.
    The file is replaced atomically: a crash mid-write must not leave a half file that would
    then be refused on the next start.
    """
    builtins = {preset.id: preset for preset in builtin_presets()}
    ids = [preset.id for preset in presets]
    duplicates = sorted({pid for pid in ids if ids.count(pid) > 1})
    if duplicates:
        raise UserFacingError(f"Two presets have the same id: {', '.join(duplicates)}.")
    changed = [preset.to_json() for preset in presets if builtins.get(preset.id) != preset]
    text = json.dumps({"version": SCHEMA_VERSION, "presets": changed}, indent=2, ensure_ascii=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _entries(data: Any, path: Path) -> list[dict[str, Any]]:
    """The list of preset objects in a file: ``{"presets": [...]}`` or, leniently, a bare list."""
    if isinstance(data, dict):
        version = data.get("version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise UserFacingError(
                f"The presets file {path} has version {version!r}; this app reads version "
                f"{SCHEMA_VERSION}."
            )
        data = data.get("presets")
    if not isinstance(data, list):
        raise UserFacingError(
            f'The presets file {path} must hold {{"presets": [...]}}, a list of presets.'
        )
    if len(data) > MAX_PRESETS:
        raise UserFacingError(f"The presets file {path} holds over {MAX_PRESETS} presets.")
    for index, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise UserFacingError(f"Preset {index + 1} in {path} is not an object.")
        unknown = sorted(set(entry) - set(_FIELDS))
        if unknown:
            raise UserFacingError(
                f"Preset {_name(entry, index)} in {path} has unknown field(s) "
                f"{', '.join(unknown)}; allowed: {', '.join(_FIELDS)}."
            )
        for key, value in entry.items():
            if key == "detail" and value is None:
                continue
            if key == "json_schema":
                if not isinstance(value, dict):
                    raise UserFacingError(
                        f"Preset {_name(entry, index)} in {path}: 'json_schema' must be a JSON "
                        "object (a JSON schema)."
                    )
                continue
            if not isinstance(value, str) or not value.strip():
                raise UserFacingError(
                    f"Preset {_name(entry, index)} in {path}: '{key}' must be non-empty text."
                )
        if entry.get("detail") is not None and entry["detail"] not in {d.value for d in Detail}:
            levels = ", ".join(d.value for d in Detail)
            raise UserFacingError(
                f"Preset {_name(entry, index)} in {path}: detail '{entry['detail']}' is not one "
                f"of {levels}."
            )
    return [_schema_as_text(entry) for entry in data]


def _schema_as_text(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with its schema as compact JSON text, the form a frozen ``Preset`` holds."""
    if "json_schema" not in entry:
        return entry
    schema = json.dumps(entry["json_schema"], ensure_ascii=False, separators=(",", ":"))
    return {**entry, "json_schema": schema}


def _merge(builtins: list[Preset], entries: list[dict[str, Any]], path: Path) -> list[Preset]:
    """Built-ins in their order with user fields applied, then the user's new presets."""
    merged = {preset.id: preset for preset in builtins}
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        preset_id = entry.get("id")
        if preset_id is None:
            raise UserFacingError(f"Preset {index + 1} in {path} has no 'id'.")
        if preset_id in seen:
            raise UserFacingError(f"Preset '{preset_id}' appears twice in {path}.")
        seen.add(preset_id)
        base = merged.get(preset_id)
        if base is None:
            merged[preset_id] = _new_preset(entry, path, index)
        else:
            merged[preset_id] = Preset(**{**asdict(base), **entry})
    return list(merged.values())


def _new_preset(entry: dict[str, Any], path: Path, index: int) -> Preset:
    missing = [key for key in ("id", "title", "prompt") if key not in entry]
    if missing:
        raise UserFacingError(
            f"Preset {_name(entry, index)} in {path} lacks {', '.join(missing)} "
            "(needed for a preset that is not a built-in)."
        )
    return Preset(**entry)


def _name(entry: dict[str, Any], index: int) -> str:
    """How a message names an entry: its id when it has a usable one, else its position."""
    preset_id = entry.get("id")
    return f"'{preset_id}'" if isinstance(preset_id, str) and preset_id else str(index + 1)
