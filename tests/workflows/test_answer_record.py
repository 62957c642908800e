"""What a turn is asked with (the app's settings, the chat's, the job's answer limit) and what
is kept with its answer (seed, finish reason)."""

from __future__ import annotations

from app.engine.base import FinishReason, Sampling, Usage
from app.storage.records import ANSWER_LIMIT_KEY
from app.workflows.answer_record import answer_usage, chat_sampling, with_answer_limit

APP = Sampling(temperature=0.3, top_p=0.95, max_tokens=1024, seed=-1)


def test_a_jobs_limit_raises_the_answer_limit_within_the_context() -> None:
    page = chat_sampling(APP, {ANSWER_LIMIT_KEY: 8192})
    assert (page.max_tokens, page.fit_context) == (8192, True)
    # A user who allows longer answers than the job needs keeps theirs, and its strictness.
    generous = chat_sampling(Sampling(max_tokens=16_000), {ANSWER_LIMIT_KEY: 8192})
    assert (generous.max_tokens, generous.fit_context) == (16_000, False)
    assert chat_sampling(APP, {}) == APP
    # The chat's own settings still win; odd values of the limit are ignored.
    own = chat_sampling(APP, {"seed": 42, "temperature": 0.0, ANSWER_LIMIT_KEY: True})
    assert (own.seed, own.temperature, own.max_tokens) == (42, 0.0, 1024)


def test_a_chat_keeps_the_largest_limit_a_job_asked_for() -> None:
    assert with_answer_limit({}, 2048) == {ANSWER_LIMIT_KEY: 2048}
    assert with_answer_limit({"seed": 1}, 8192) == {"seed": 1, ANSWER_LIMIT_KEY: 8192}
    assert with_answer_limit({ANSWER_LIMIT_KEY: 8192}, 2048) is None
    assert with_answer_limit({}, 0) is None


def _usage(generated: int) -> Usage:
    return Usage(10, 0, 10, (), 0, generated, 0.1, 0.1, 0.5, "local", "CPU", 4096)


def test_an_answer_keeps_its_seed_and_why_it_ended() -> None:
    record = answer_usage(_usage(8), 1234, FinishReason.LENGTH)
    assert record["seed"] == 1234 and record["finish_reason"] == "length"
    assert record["generated_tokens"] == 8
    # A turn that failed before any counters still keeps its seed.
    assert answer_usage(None, 5, None) == {"seed": 5}


def test_a_continued_answer_keeps_its_first_seed_and_lists_the_others() -> None:
    first = answer_usage(_usage(8), 1234, FinishReason.LENGTH)
    second = answer_usage(_usage(8), 99, FinishReason.LENGTH, earlier=first)
    third = answer_usage(_usage(3), 7, FinishReason.STOP, earlier=second)
    assert (third["seed"], third["continued_seeds"], third["finish_reason"]) == (
        1234,
        [99, 7],
        "stop",
    )
