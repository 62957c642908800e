"""A model's human name from its file name: "pixtral-12b-Q4_K_M.gguf" → "Pixtral 12B · Q4_K_M".

The header names the model the settings point at before anything has read its file (reading a
GGUF header is disk I/O, never done on the GUI thread), so the name comes from the file name
alone. The model lists, which do read headers in the background, pass ``general.name`` and the
header's quantization instead; both end up in the same words.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from app.models.discovery import FILE_TYPES

_QUANTS = sorted({q.upper() for q in FILE_TYPES.values()}, key=len, reverse=True)
_QUANT_RE = re.compile(
    r"(?:^|[-_. ])(" + "|".join(re.escape(q) for q in _QUANTS) + r")(?=$|[-_. ])", re.IGNORECASE
)
_SIZE_RE = re.compile(r"^\d+(?:\.\d+)?[bBmM]$")  # "12b", "7B", "400m": parameter counts
_KEEP_UPPER = {"gguf", "f16", "f32", "bf16", "hf", "it"}


def split_quant(name: str) -> tuple[str, str]:
    """``name`` without its quantization, and the quantization ("" when it names none)."""
    matches = list(_QUANT_RE.finditer(name))
    if not matches:
        return name, ""
    found = matches[-1]  # the last: "Q4_K_M" in "pixtral-12b-q8-Q4_K_M" is the file's own
    rest = (name[: found.start(1)] + name[found.end(1) :]).strip("-_. ")
    return rest, found.group(1).upper()


def _word(word: str) -> str:
    if _SIZE_RE.match(word):
        return word.upper()
    if word.lower() in _KEEP_UPPER:
        return word.upper()
    return word[:1].upper() + word[1:] if word.islower() else word


def display_name(name: str, quant: str = "") -> str:
    """The human name of a model called ``name`` (a file name, a path or ``general.name``).

    ``quant`` is the quantization when it is known from the header; otherwise it is taken from
    the name. "" for an empty name.
    """
    stem = PurePath(name).name if ("/" in name or "\\" in name) else name
    if stem.lower().endswith(".gguf"):
        stem = stem[: -len(".gguf")]
    rest, named = split_quant(stem)
    words = [w for w in re.split(r"[-_ ]+", rest) if w]
    title = " ".join(_word(w) for w in words)
    quant = quant if quant and quant != "?" else named
    return " · ".join(part for part in (title, quant) if part)
