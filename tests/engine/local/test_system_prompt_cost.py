"""What a system prompt costs a follow-up, as README states it: in the model's own (``pixtral``)
placement it moves to the last question, so each follow-up re-reads from the previous question
on (turn 2: all but ``<s>[INST]``, the first turn's image tokens included); in the ``first``
placement, or without one, a follow-up reads only what was added. Counts are the engine's."""

from __future__ import annotations

import io

from PIL import Image

from app.core.conversation import Message
from app.core.images import prepare_image
from app.core.prompt import SystemPlacement
from app.engine.base import Finished, GenerationRequest, Sampling, Usage
from app.engine.local.backend import LocalBackend

GREEDY = Sampling(temperature=0.0, max_tokens=8, seed=1)
SYSTEM = "You are terse."


def _three_turns(backend: LocalBackend, system: str, placement: SystemPlacement) -> list[Usage]:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 160), (90, 140, 200)).save(buffer, format="PNG")
    image = prepare_image(buffer.getvalue(), "native", name="square.png")
    messages = [Message.user("What is in this picture?", [image])]
    usages = []
    for turn in (1, 2, 3):
        events = list(backend.generate(GenerationRequest(messages, system, placement, GREEDY)))
        (usage,) = [e for e in events if isinstance(e, Usage)]
        answer = events[-1]
        assert isinstance(answer, Finished)
        usages.append(usage)
        messages = [*messages, Message.assistant(answer.text), Message.user(f"And {turn}?")]
    return usages


def test_a_system_prompt_in_the_pixtral_placement_re_reads_from_the_previous_question(
    backend: LocalBackend,
) -> None:
    first, second, third = _three_turns(backend, SYSTEM, SystemPlacement.PIXTRAL)
    assert second.cached_tokens <= 2  # <s>[INST], then the first question differs
    assert second.evaluated_tokens > first.prompt_tokens - 2
    assert second.images_encoded == 0  # the image is kept; its tokens are read again
    # Turn 3 keeps the first question (its image too) and answer; it re-reads from the second
    # question on.
    assert sum(first.image_tokens) < third.cached_tokens < second.prompt_tokens
    assert third.evaluated_tokens < second.evaluated_tokens // 2


def test_without_it_or_in_the_first_placement_a_follow_up_reads_only_what_was_added(
    backend: LocalBackend,
) -> None:
    for system, placement in ((SYSTEM, SystemPlacement.FIRST), ("", SystemPlacement.PIXTRAL)):
        first, second, third = _three_turns(backend, system, placement)
        assert second.cached_tokens >= first.prompt_tokens, placement
        assert third.cached_tokens >= second.prompt_tokens, placement
        assert second.evaluated_tokens < 20 and third.evaluated_tokens < 20, placement
