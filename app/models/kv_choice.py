"""Which KV cache type the automatic setup uses: the one that gives the user the most context.

Pixtral 12B's KV cache costs 160 KiB per token at f16 and 85 KiB at q8_0, so on a 23 GiB
machine f16 stops at ~83K tokens while q8_0 holds the model's full 128K in ~19 GiB. A user who
left the KV type alone expects the full context where it fits, so the automatic choice is f16
only where f16 already reaches it, and q8_0 wherever q8_0 gives more. A KV type the user chose
(in the settings, on the command line or for one model in ``models.json``) is kept as it is:
they may have picked f16 for quality or q4_0 for room, and silently overriding that would be
worse than a smaller context.

The rule is the same for ``models recommend`` (memory_fit's detailed estimate) and for the load
with an automatic context (hardware.pick_context's quick one); each hands in its own measure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.core.budget import KvType
from app.settings import SETTINGS_BY_KEY


@dataclass(frozen=True)
class KvChoice:
    """The KV type chosen, the context it allows, and the sentence that says why."""

    kv_type: KvType
    n_ctx: int
    note: str


def explicit_kv_type(
    values: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> KvType | None:
    """The KV type the user chose, or None when it was left at the default.

    A per-model override is always a choice (it is saved only from the model's own settings);
    the global value counts as chosen when it differs from the declared default. An explicit
    ``f16`` equal to the default cannot be told apart from "left alone", and is treated so.
    """
    if overrides and "kv_type" in overrides:
        return KvType(overrides["kv_type"])
    value = values.get("kv_type", SETTINGS_BY_KEY["kv_type"].default)
    if value != SETTINGS_BY_KEY["kv_type"].default:
        return KvType(value)
    return None


def choose_kv(
    context_for: Callable[[KvType], int], full: int, explicit: KvType | None = None
) -> KvChoice:
    """Apply the rule with ``context_for(kv_type)``, the largest context that fits (0: none).

    ``full`` is the context the user would want (131,072, or the model's training length when
    shorter). Returns f16 when f16 reaches ``full`` or q8_0 gains nothing; else q8_0.
    """
    if explicit is not None:
        ctx = context_for(explicit)
        return KvChoice(explicit, ctx, f"{explicit.value} KV cache, as chosen in the settings")
    f16 = context_for(KvType.F16)
    if f16 >= full:
        return KvChoice(KvType.F16, f16, f"f16 KV cache: the full {full:,}-token context fits")
    q8 = context_for(KvType.Q8_0)
    if q8 <= f16:
        return KvChoice(KvType.F16, f16, f"f16 KV cache: {f16:,} tokens fit")
    f16_part = f"f16 would fit only {f16:,}" if f16 else "f16 would not fit at all"
    if q8 >= full:
        note = f"q8_0 KV cache: the full {full:,}-token context fits; {f16_part}"
    else:
        note = (
            f"q8_0 KV cache: {q8:,} tokens fit, not the full {full:,} (too little memory); "
            f"{f16_part}"
        )
    return KvChoice(KvType.Q8_0, q8, note)
