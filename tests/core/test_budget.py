"""The context budget: Pixtral's KV cost per token, default context, and overflow messages."""

from __future__ import annotations

import pytest

from app.core.budget import (
    GIB,
    KIB,
    MAX_CONTEXT,
    MIN_CONTEXT,
    PIXTRAL_12B_KV,
    KvType,
    TurnBudget,
    default_context,
)
from app.core.errors import ContextOverflowError


def test_pixtral_kv_cost_per_token() -> None:
    assert PIXTRAL_12B_KV.bytes_per_token(KvType.F16) == 160 * KIB
    assert PIXTRAL_12B_KV.bytes_per_token(KvType.Q8_0) == 85 * KIB
    assert PIXTRAL_12B_KV.bytes_per_token(KvType.Q4_0) == 45 * KIB
    assert PIXTRAL_12B_KV.bytes_per_token(KvType.F16) * MAX_CONTEXT == 20 * GIB
    assert KvType.Q8_0.needs_flash_attention and not KvType.F16.needs_flash_attention


def test_default_context_follows_memory() -> None:
    weights = int(7.5 * GIB)
    assert default_context(64 * GIB, weights) == MAX_CONTEXT
    small = default_context(16 * GIB, weights)
    assert small % 1024 == 0 and MIN_CONTEXT < small < MAX_CONTEXT
    assert default_context(16 * GIB, weights, kv_type=KvType.Q8_0) > small
    assert default_context(4 * GIB, weights) == MIN_CONTEXT


def test_a_turn_that_does_not_fit_says_by_how_much_and_how_to_fix_it() -> None:
    TurnBudget(prompt_tokens=1000, image_tokens=0, max_new_tokens=1000, n_ctx=4096).check()
    budget = TurnBudget(prompt_tokens=9000, image_tokens=8320, max_new_tokens=1024, n_ctx=8192)
    assert budget.over_by == 1832
    with pytest.raises(ContextOverflowError) as info:
        budget.check()
    message = str(info.value)
    assert "1,832 tokens over" in message
    for fix in (
        "lower the image detail",
        "remove some images",
        "raise the context size to at least 10,240",
        "start a new chat",
    ):
        assert fix in message
    text_only = TurnBudget(
        prompt_tokens=200_000, image_tokens=0, max_new_tokens=100, n_ctx=MAX_CONTEXT
    )
    assert "raise the context" not in " ".join(text_only.fixes())
    assert "image" not in " ".join(text_only.fixes())


def test_every_number_in_the_fixes_has_thousands_separators() -> None:
    budget = TurnBudget(prompt_tokens=23_593, image_tokens=0, max_new_tokens=9_956, n_ctx=32_768)
    fixes = " ".join(budget.fixes())
    assert "below 9,175" in fixes and "at least 33,792 tokens" in fixes
