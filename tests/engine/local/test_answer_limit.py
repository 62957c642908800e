"""Seeds, answers cut at the answer limit, and Continue, on the real engine (tiny random model).

The tiny model's answers are gibberish, but they follow the sampler exactly: different seeds
give different answers at temperature > 0, the same seed the same answer, and greedy decoding
is deterministic. That is enough to check that a continued answer is the one the model would
have written without the limit, and that continuing reads nothing again.
"""

from __future__ import annotations

from app.core.conversation import Message
from app.engine.base import (
    EngineError,
    ErrorKind,
    Finished,
    FinishReason,
    GenerationRequest,
    Sampling,
    Token,
    Usage,
)
from app.engine.local.backend import LocalBackend
from app.engine.local.llama_session import MIN_FITTED_ANSWER
from tests.engine.local.configs import tiny_config
from tests.fixtures.pixtral_gguf import GgufPair

QUESTION = [Message.user("Write a long story")]


def _answer(
    engine: LocalBackend, request: GenerationRequest
) -> tuple[Finished, Usage, list[Token]]:
    events = list(engine.generate(request))
    finished = events[-1]
    assert isinstance(finished, Finished), events[-3:]
    usages = [e for e in events if isinstance(e, Usage)]
    assert len(usages) == 1
    return finished, usages[0], [e for e in events if isinstance(e, Token)]


def test_the_seed_decides_the_answer(backend: LocalBackend) -> None:
    def text(seed: int) -> str:
        sampling = Sampling(temperature=0.8, top_p=0.95, max_tokens=12, seed=seed)
        return _answer(backend, GenerationRequest(QUESTION, sampling=sampling))[0].text

    first, second, first_again = text(11), text(12), text(11)
    assert first != second
    assert first == first_again


def test_a_random_seed_is_drawn_once_and_kept() -> None:
    random = Sampling(seed=-1)
    drawn = {random.with_fixed_seed().seed for _ in range(20)}
    assert len(drawn) > 1 and all(0 <= seed < 2**31 for seed in drawn)
    fixed = Sampling(seed=5)
    assert fixed.with_fixed_seed() is fixed


def test_an_answer_cut_at_the_limit_continues_from_the_cache(backend: LocalBackend) -> None:
    greedy = Sampling(temperature=0.0, max_tokens=8, seed=1)
    whole, _usage, whole_tokens = _answer(
        backend, GenerationRequest(QUESTION, sampling=Sampling(0.0, 1.0, 16, 1))
    )
    assert whole.reason is FinishReason.LENGTH

    cut, cut_usage, _tokens = _answer(backend, GenerationRequest(QUESTION, sampling=greedy))
    assert cut.reason is FinishReason.LENGTH and cut_usage.generated_tokens == 8
    continued = GenerationRequest(
        [*QUESTION, Message.assistant(cut.text)], sampling=greedy, continue_answer=True
    )
    more, usage, _tokens = _answer(backend, continued)
    # Only the answer's last token is read again: the question and the answer are cached.
    assert usage.prompt_tokens == cut_usage.prompt_tokens + 8
    assert usage.cached_tokens == usage.prompt_tokens - 1
    assert usage.evaluated_tokens == 1
    assert more.reason is FinishReason.LENGTH and usage.generated_tokens == 8
    # The model went on where it stopped: the two halves are the answer written in one go.
    assert cut.text + more.text == whole.text
    assert len(whole_tokens) > 0

    # A follow-up question after the continued answer reuses all of it too.
    follow_up = [*QUESTION, Message.assistant(cut.text + more.text), Message.user("And then?")]
    _finished, next_usage, _tokens = _answer(backend, GenerationRequest(follow_up, sampling=greedy))
    assert next_usage.cached_tokens >= usage.prompt_tokens + 8 - 1


def test_a_jobs_limit_shrinks_to_the_room_left(tiny_pair: GgufPair, tmp_path) -> None:
    engine = LocalBackend(tiny_config(tiny_pair, n_ctx=1024), log_path=tmp_path / "engine.log")
    try:
        long_question = [Message.user("word " * 200)]
        counted = engine.count_tokens(GenerationRequest(long_question))
        room = 1024 - counted.prompt_tokens
        assert MIN_FITTED_ANSWER <= room < 8192
        job = Sampling(temperature=0.0, max_tokens=8192, seed=1, fit_context=True)
        finished, usage, _tokens = _answer(engine, GenerationRequest(long_question, sampling=job))
        assert finished.reason is FinishReason.LENGTH
        assert usage.generated_tokens == room

        # Without the job's leave to shrink, the same limit is refused with the numbers.
        strict = Sampling(temperature=0.0, max_tokens=8192, seed=1)
        refused = list(engine.generate(GenerationRequest(long_question, sampling=strict)))[-1]
        assert isinstance(refused, EngineError) and refused.kind is ErrorKind.CONTEXT_OVERFLOW

        # Less room than a useful answer: refused too, rather than a few words.
        longer = [Message.user("word " * 280)]
        left = 1024 - engine.count_tokens(GenerationRequest(longer)).prompt_tokens
        assert 0 < left < MIN_FITTED_ANSWER
        tight = list(engine.generate(GenerationRequest(longer, sampling=job)))[-1]
        assert isinstance(tight, EngineError) and tight.kind is ErrorKind.CONTEXT_OVERFLOW
    finally:
        engine.close()
