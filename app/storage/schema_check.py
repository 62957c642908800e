"""A tiny declarative validator for JSON that comes from outside.

An export file is hostile input: any field may hold any JSON type, any size, any depth. One
description of what each field may hold (the ``Spec`` nodes below) and one function,
``check``, replace the scattered ``isinstance`` tests that let ``role: ["user"]`` raise
TypeError and ``updated_at: 1e300`` into the database. ``check`` returns a clean copy: known
keys only, defaults filled in, so the code that stores it can index without ``.get``.

Every refusal is ``Invalid(where, problem)``; ``where`` is a human path such as
``("conversation 3", "message 7")`` and ``problem`` names the field ("role must be 'user' or
'assistant'"), so the caller can print one sentence a person can act on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

REQUIRED: Any = object()
"""``Field.default`` for a key that must be present."""


class Invalid(Exception):
    """A value does not match its spec; ``str()`` is the sentence to show."""

    def __init__(self, where: tuple[str, ...], problem: str) -> None:
        super().__init__(where, problem)
        self.where = where
        self.problem = problem

    def __str__(self) -> str:
        return f"{', '.join(self.where)}: {self.problem}" if self.where else self.problem


@dataclass(frozen=True)
class Text:
    max_chars: int
    choices: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    what: str = ""
    """How ``pattern`` is described in a refusal ("a sha256 hex digest")."""
    non_empty: bool = False


@dataclass(frozen=True)
class Number:
    low: float
    high: float
    whole: bool = False
    what: str = ""
    """How the range is described in a refusal ("a time between 1970 and 2200")."""


@dataclass(frozen=True)
class Flag:
    """``true`` or ``false`` (never 0/1: JSON says which it means)."""


@dataclass(frozen=True)
class Nullable:
    inner: Spec


@dataclass(frozen=True)
class Lenient:
    """A value kept only when it matches ``inner``; anything else reads as None, never a
    refusal. For a field that only informs (a mark on a chat): refusing a whole file over it
    would lose far more than the field is worth."""

    inner: Spec


@dataclass(frozen=True)
class Field:
    spec: Spec
    default: Any = REQUIRED


@dataclass(frozen=True)
class Record:
    """A JSON object with known keys. Unknown keys are checked against ``extra`` and kept, or
    dropped when ``extra`` is None (a later format may add fields this version ignores)."""

    fields: Mapping[str, Field]
    extra: Spec | None = None
    max_extra: int = 64
    rule: Callable[[dict[str, Any], tuple[str, ...]], None] | None = None
    """Checks between fields (a parent must come earlier); raises ``Invalid``."""


@dataclass(frozen=True)
class Items:
    """A JSON list; each item is named ``"<label> <n>"`` (1-based) in a refusal."""

    item: Spec
    max_items: int
    label: str
    min_items: int = 0


@dataclass(frozen=True)
class Table:
    """A JSON object used as a map: keys match ``key``; each entry named ``"<label> <key>"``."""

    key: Text
    value: Spec
    max_items: int
    label: str


@dataclass(frozen=True)
class Variant:
    """An object whose shape depends on one of its keys (a part's ``kind``)."""

    key: str
    shapes: Mapping[str, Record]


@dataclass(frozen=True)
class FreeJson:
    """Any JSON object (settings, usage figures) kept as is, within a depth and a size."""

    max_depth: int = 8
    max_values: int = 1000
    max_chars: int = 100_000
    any_value: bool = False
    """Any JSON value (an extra key's), not only an object."""


Spec = Union[  # noqa: UP007
    Text, Number, Flag, Nullable, Lenient, Record, Items, Table, Variant, FreeJson
]


def check(value: Any, spec: Spec, where: tuple[str, ...] = (), name: str = "value") -> Any:
    """``value`` if it matches ``spec`` (a cleaned copy for containers), else ``Invalid``."""
    if isinstance(spec, Nullable):
        return None if value is None else check(value, spec.inner, where, name)
    if isinstance(spec, Lenient):
        try:
            return check(value, spec.inner, where, name)
        except Invalid:
            return None
    if isinstance(spec, Text):
        return _text(value, spec, where, name)
    if isinstance(spec, Number):
        return _number(value, spec, where, name)
    if isinstance(spec, Flag):
        if not isinstance(value, bool):
            raise Invalid(where, f"{name} must be true or false")
        return value
    if isinstance(spec, Record):
        return _record(value, spec, where, name)
    if isinstance(spec, Variant):
        if not isinstance(value, dict):
            raise Invalid(where, f"{name} must be an object")
        kind = value.get(spec.key)
        if not isinstance(kind, str) or kind not in spec.shapes:
            raise Invalid(where, f"{spec.key} must be {_either(tuple(spec.shapes))}")
        return _record(value, spec.shapes[kind], where, name)
    if isinstance(spec, Items):
        if not isinstance(value, list):
            raise Invalid(where, f"{name} must be a list")
        if not spec.min_items <= len(value) <= spec.max_items:
            raise Invalid(where, f"{name} must have {_count(spec.min_items, spec.max_items)}")
        label = spec.label
        return [
            check(v, spec.item, (*where, f"{label} {i + 1}"), label) for i, v in enumerate(value)
        ]
    if isinstance(spec, Table):
        if not isinstance(value, dict):
            raise Invalid(where, f"{name} must be an object")
        if len(value) > spec.max_items:
            raise Invalid(where, f"{name} must have at most {spec.max_items:,} entries")
        out = {}
        for key, item in value.items():
            check(key, spec.key, where, f"each key of {name}")
            out[key] = check(item, spec.value, (*where, f"{spec.label} {key[:12]}"), spec.label)
        return out
    if isinstance(spec, FreeJson):
        if not (spec.any_value or isinstance(value, dict)):
            raise Invalid(where, f"{name} must be an object")
        _measure(value, spec, where, name)
        return value
    raise TypeError(f"unknown spec {spec!r}")


def _text(value: Any, spec: Text, where: tuple[str, ...], name: str) -> str:
    if spec.choices:
        if not isinstance(value, str) or value not in spec.choices:
            raise Invalid(where, f"{name} must be {_either(spec.choices)}")
        return value
    if not isinstance(value, str):
        raise Invalid(where, f"{name} must be text")
    if len(value) > spec.max_chars:
        raise Invalid(where, f"{name} must be at most {spec.max_chars:,} characters")
    if not _is_unicode(value):
        raise Invalid(where, f"{name} must be valid Unicode text (it holds a lone surrogate)")
    if spec.non_empty and not value:
        raise Invalid(where, f"{name} must not be empty")
    if spec.pattern is not None and not spec.pattern.fullmatch(value):
        raise Invalid(where, f"{name} must be {spec.what or 'well formed'}")
    return value


def _number(value: Any, spec: Number, where: tuple[str, ...], name: str) -> float | int:
    number_type = int if spec.whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, number_type):
        raise Invalid(where, f"{name} must be a {'whole ' if spec.whole else ''}number")
    # An int is finite however long (math.isfinite raises OverflowError past 1e308).
    finite = isinstance(value, int) or math.isfinite(value)
    if not (finite and spec.low <= value <= spec.high):
        span = spec.what or f"between {spec.low:g} and {spec.high:g}"
        raise Invalid(where, f"{name} must be {span}")
    return value


def _record(value: Any, spec: Record, where: tuple[str, ...], name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(where, f"{name} must be an object")
    out: dict[str, Any] = {}
    for key, item in spec.fields.items():
        if key in value:
            inner = item.spec.inner if isinstance(item.spec, Nullable) else item.spec
            at = (*where, key) if isinstance(inner, Record | Variant) else where
            out[key] = check(value[key], item.spec, at, key)
        elif item.default is REQUIRED:
            raise Invalid(where, f"{key} is missing")
        else:
            default = item.default
            out[key] = type(default)(default) if isinstance(default, dict | list) else default
    if spec.extra is not None:
        extra = [key for key in value if key not in spec.fields]
        if len(extra) > spec.max_extra:
            raise Invalid(where, f"{name} must have at most {spec.max_extra} other keys")
        for key in extra:
            if not _is_unicode(key):
                raise Invalid(where, f"{name} has a key that is not valid Unicode text")
            out[key] = check(value[key], spec.extra, where, key[:40])
    if spec.rule is not None:
        spec.rule(out, where)
    return out


def _measure(value: Any, spec: FreeJson, where: tuple[str, ...], name: str) -> None:
    """Depth, count and text size of free JSON, walked without recursion."""
    values = chars = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        values += 1
        if depth > spec.max_depth:
            raise Invalid(where, f"{name} is nested more than {spec.max_depth} levels deep")
        if values > spec.max_values:
            raise Invalid(where, f"{name} must hold at most {spec.max_values:,} values")
        if isinstance(item, dict):
            chars += sum(len(k) for k in item)
            if not all(_is_unicode(k) for k in item):
                raise Invalid(where, f"{name} must hold valid Unicode text only")
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            chars += len(item)
            if not _is_unicode(item):
                raise Invalid(where, f"{name} must hold valid Unicode text only")
        elif isinstance(item, float) and not math.isfinite(item):
            raise Invalid(where, f"{name} must hold finite numbers only")
        if chars > spec.max_chars:
            raise Invalid(where, f"{name} must hold at most {spec.max_chars:,} characters")


def _is_unicode(text: str) -> bool:
    """SQLite stores UTF-8, and JSON can spell a lone surrogate ("\\ud800") that has none."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _either(choices: tuple[str, ...]) -> str:
    quoted = [f"'{c}'" for c in choices]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _count(low: int, high: int) -> str:
    if low == high:
        return f"exactly {low} items"
    return f"at most {high:,} items" if low == 0 else f"{low} to {high:,} items"


__all__ = [
    "REQUIRED",
    "Field",
    "Flag",
    "FreeJson",
    "Invalid",
    "Items",
    "Lenient",
    "Nullable",
    "Number",
    "Record",
    "Spec",
    "Table",
    "Text",
    "Variant",
    "check",
]
