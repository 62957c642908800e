"""The context budget: how many tokens fit, and what to do when a turn does not.

Pixtral 12B's KV cache costs 2 × 40 layers × 8 KV heads × 128 dims per token: 160 KiB at f16,
85 KiB at q8_0, 45 KiB at q4_0 (block overhead included). A full 131,072-token context is
20 GiB at f16, so the default context is picked from the memory there is, never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.core.errors import ContextOverflowError

MAX_CONTEXT = 131_072
MIN_CONTEXT = 4_096
KIB = 1024
GIB = 1024**3


class KvType(StrEnum):
    """KV cache element type; the quantized ones need flash attention in llama.cpp."""

    F16 = "f16"
    Q8_0 = "q8_0"
    Q4_0 = "q4_0"

    @property
    def needs_flash_attention(self) -> bool:
        return self is not KvType.F16

    @property
    def bytes_per_element(self) -> float:
        # q8_0: 34 bytes per 32 values; q4_0: 18 bytes per 32 values.
        return {KvType.F16: 2.0, KvType.Q8_0: 34 / 32, KvType.Q4_0: 18 / 32}[self]


@dataclass(frozen=True)
class KvShape:
    """What one token costs in the KV cache of a model."""

    n_layer: int
    n_head_kv: int
    head_dim: int

    def bytes_per_token(self, kv_type: KvType) -> int:
        elements = 2 * self.n_layer * self.n_head_kv * self.head_dim
        return int(elements * kv_type.bytes_per_element)


PIXTRAL_12B_KV = KvShape(n_layer=40, n_head_kv=8, head_dim=128)


def default_context(
    free_bytes: int,
    weights_bytes: int,
    kv: KvShape = PIXTRAL_12B_KV,
    kv_type: KvType = KvType.F16,
    reserve_bytes: int = 1 * GIB,
) -> int:
    """The largest context (a multiple of 1024, 4,096…131,072) whose KV fits what is left.

    ``reserve_bytes`` keeps room for compute buffers, the vision encoder's activations and the
    rest of the system.
    """
    left = free_bytes - weights_bytes - reserve_bytes
    tokens = left // max(kv.bytes_per_token(kv_type), 1)
    tokens = (tokens // 1024) * 1024
    return int(max(MIN_CONTEXT, min(MAX_CONTEXT, tokens)))


@dataclass(frozen=True)
class TurnBudget:
    """What a turn will use of the context window."""

    prompt_tokens: int
    image_tokens: int
    max_new_tokens: int
    n_ctx: int

    @property
    def needed(self) -> int:
        return self.prompt_tokens + self.max_new_tokens

    @property
    def over_by(self) -> int:
        return max(0, self.needed - self.n_ctx)

    @property
    def fits(self) -> bool:
        return self.over_by == 0

    def fixes(self) -> list[str]:
        """What the user can do, most effective first; only fixes that would be enough."""
        over = self.over_by
        fixes: list[str] = []
        if self.image_tokens:
            fixes.append("lower the image detail")
            if self.image_tokens >= over:
                fixes.append("remove some images")
        if self.max_new_tokens > over:
            limit = self.max_new_tokens - over
            fixes.append(f"lower the answer limit (max tokens) below {limit:,}")
        if self.needed <= MAX_CONTEXT and self.n_ctx < MAX_CONTEXT:
            fixes.append(f"raise the context size to at least {_round_up(self.needed):,} tokens")
        fixes.append("start a new chat")
        return fixes

    def check(self) -> None:
        """Raise ``ContextOverflowError`` with the numbers and the fixes when it won't fit."""
        if self.fits:
            return
        raise ContextOverflowError(
            f"This turn needs {self.needed:,} tokens ({self.prompt_tokens:,} prompt + "
            f"{self.max_new_tokens:,} for the answer) but the context holds {self.n_ctx:,}: "
            f"{self.over_by:,} tokens over. To fix it: " + "; ".join(self.fixes()) + "."
        )


def _round_up(tokens: int) -> int:
    return min(MAX_CONTEXT, -(-tokens // 1024) * 1024)
