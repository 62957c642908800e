"""Chat states kept across chat switches and restarts, on the tiny pair with the real llama.cpp.

A restored state must answer exactly as a full prefill does (greedy), and must be used only
when it matches exactly: every mismatch falls back to reading the chat, with the reason in the
worker's ``CacheStats.last_resume``; a damaged file is deleted and the worker keeps serving.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.budget import KvType
from app.core.conversation import Message
from app.engine.base import Finished, GenerationRequest, Sampling, Usage
from app.engine.local.backend import LocalBackend
from app.engine.local.protocol import CacheStats, LocalEngineConfig
from app.engine.local.state_files import chat_file_name, read_header
from tests.engine.local.configs import tiny_config
from tests.engine.local.test_backend import _image
from tests.fixtures.pixtral_gguf import GgufPair, write_pixtral_pair

GREEDY = Sampling(temperature=0.0, max_tokens=10, seed=1)
LONG_TEXT = " ".join(f"Paragraph {i} says something about the picture." for i in range(30))


def _engine(config: LocalEngineConfig, tmp_path: Path) -> LocalBackend:
    return LocalBackend(config, log_path=tmp_path / "engine.log")


def _turn(engine: LocalBackend, messages: list[Message], chat: str) -> tuple[str, Usage]:
    events = list(engine.generate(GenerationRequest(messages, sampling=GREEDY, chat=chat)))
    finished = events[-1]
    assert isinstance(finished, Finished), events[-3:]
    usages = [e for e in events if isinstance(e, Usage)]
    return finished.text, usages[0]


def _stats(engine: LocalBackend) -> CacheStats:
    stats = engine.stats()
    assert isinstance(stats, CacheStats), stats
    return stats


def _first_turn() -> list[Message]:
    return [Message.user(LONG_TEXT, [_image(48, 32, 21), _image(32, 48, 22)])]


def _second_turn(first: list[Message], answer: str, question: str = "And then?") -> list[Message]:
    return [*first, Message.assistant(answer), Message.user(question)]


def _reference(config: LocalEngineConfig, tmp_path: Path) -> str:
    """The second answer from a full prefill (only BOS and [INST] reused), on a worker that
    wrote the first answer itself, so its tokens are the same ones the restored state holds."""
    engine = _engine(config, tmp_path)
    try:
        first = _first_turn()
        answer, _ = _turn(engine, first, "")
        _turn(engine, [Message.user("something else entirely")], "")
        text, usage = _turn(engine, _second_turn(first, answer), "")
        assert usage.cached_tokens <= 2  # read again: a full prefill
        return text
    finally:
        engine.close()


@pytest.fixture
def config(tiny_pair: GgufPair, tmp_path: Path) -> LocalEngineConfig:
    return tiny_config(tiny_pair, state_dir=str(tmp_path / "states"))


def test_switching_back_restores_from_memory_and_answers_as_a_full_prefill(
    config: LocalEngineConfig, tmp_path: Path
) -> None:
    engine = _engine(config, tmp_path)
    try:
        first = _first_turn()
        answer, usage1 = _turn(engine, first, "chat-a")
        _turn(engine, [Message.user("Another chat, another subject")], "chat-b")
        text, usage = _turn(engine, _second_turn(first, answer), "chat-a")
        stats = _stats(engine)
    finally:
        engine.close()
    assert stats.last_resume == "memory"
    assert stats.states_restored == 1
    assert usage.cached_tokens > usage1.prompt_tokens  # the first turn and its answer: kept
    assert usage.evaluated_tokens < 12
    assert text == _reference(config, tmp_path)


def test_restart_restores_from_disk_and_answers_as_a_full_prefill(
    config: LocalEngineConfig, tmp_path: Path
) -> None:
    first = _first_turn()
    engine = _engine(config, tmp_path)
    try:
        answer, usage1 = _turn(engine, first, "chat-a")
    finally:
        engine.close()  # quitting writes the open chat's state
    assert (Path(config.state_dir) / chat_file_name("chat-a")).is_file()
    engine = _engine(config, tmp_path)
    try:
        text, usage = _turn(engine, _second_turn(first, answer), "chat-a")
        stats = _stats(engine)
    finally:
        engine.close()
    assert stats.last_resume == "disk"
    assert usage.cached_tokens > usage1.prompt_tokens
    assert text == _reference(config, tmp_path)


def _saved_chat(config: LocalEngineConfig, tmp_path: Path) -> tuple[list[Message], str]:
    """Chat "chat-a" answered once and saved at quit; its messages and answer."""
    first = _first_turn()
    engine = _engine(config, tmp_path)
    try:
        answer, _ = _turn(engine, first, "chat-a")
    finally:
        engine.close()
    return first, answer


def _resume_on(
    config: LocalEngineConfig, tmp_path: Path, messages: list[Message]
) -> tuple[CacheStats, Usage]:
    engine = _engine(config, tmp_path)
    try:
        _text, usage = _turn(engine, messages, "chat-a")
        return _stats(engine), usage
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("model", "the model file differs"),
        ("mmproj", "the projector file differs"),
        ("n_ctx", "the context size differs"),
        ("kv_type", "the KV cache type differs"),
    ],
)
def test_a_state_made_otherwise_is_not_used_and_says_why(
    config: LocalEngineConfig, tmp_path: Path, change: str, reason: str
) -> None:
    first, answer = _saved_chat(config, tmp_path)
    other = write_pixtral_pair(tmp_path / "other", seed=7)
    changed = {
        "model": {"model_path": str(other.model)},
        "mmproj": {"mmproj_path": str(other.mmproj)},
        "n_ctx": {"n_ctx": 2048},
        "kv_type": {"kv_type": KvType.Q8_0},
    }[change]
    stats, usage = _resume_on(replace(config, **changed), tmp_path, _second_turn(first, answer))
    assert reason in stats.last_resume
    assert stats.states_restored == 0
    assert usage.cached_tokens <= 2


def test_an_edited_earlier_message_is_read_again(config: LocalEngineConfig, tmp_path: Path) -> None:
    first, answer = _saved_chat(config, tmp_path)
    edited = [Message.user(LONG_TEXT.replace("Paragraph 3 ", "Paragraph three "), first[0].images)]
    stats, usage = _resume_on(config, tmp_path, _second_turn(edited, answer))
    assert "differs from the saved state" in stats.last_resume
    assert stats.states_restored == 0
    assert usage.cached_tokens <= 2


@pytest.mark.parametrize("damage", ["truncated", "data flipped", "header flipped", "garbage"])
def test_a_damaged_state_file_is_deleted_and_the_chat_read_again(
    config: LocalEngineConfig, tmp_path: Path, damage: str
) -> None:
    first, answer = _saved_chat(config, tmp_path)
    path = Path(config.state_dir) / chat_file_name("chat-a")
    raw = bytearray(path.read_bytes())
    if damage == "truncated":
        raw = raw[: len(raw) - 100]
    elif damage == "data flipped":
        raw[-50] ^= 0xFF
    elif damage == "header flipped":
        raw[30] ^= 0xFF
    else:
        raw = bytearray(b"not a state at all")
    path.write_bytes(bytes(raw))
    engine = _engine(config, tmp_path)
    try:
        _text, usage = _turn(engine, _second_turn(first, answer), "chat-a")
        stats = _stats(engine)
        assert not path.exists()  # deleted at once (quitting writes a good one)
    finally:
        engine.close()
    assert "unusable, deleted" in stats.last_resume
    assert usage.cached_tokens <= 2 and usage.generated_tokens > 0
    assert read_header(path).chat == "chat-a"


def test_a_turn_of_no_chat_keeps_and_saves_nothing(
    config: LocalEngineConfig, tmp_path: Path
) -> None:
    engine = _engine(config, tmp_path)
    try:
        _turn(engine, _first_turn(), "")
        _turn(engine, [Message.user("next")], "")
    finally:
        engine.close()
    assert not list(Path(config.state_dir).glob("*"))


def test_a_forgotten_chat_is_deleted_and_not_saved_again_at_quit(
    config: LocalEngineConfig, tmp_path: Path
) -> None:
    folder = Path(config.state_dir)
    engine = _engine(config, tmp_path)
    try:
        _turn(engine, _first_turn(), "chat-a")
        _turn(engine, [Message.user("Another chat")], "chat-b")  # chat A is left: saved
        deadline = time.monotonic() + 10
        while not (folder / chat_file_name("chat-a")).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (folder / chat_file_name("chat-a")).exists()
        engine.forget_chat("chat-a")
        assert not (folder / chat_file_name("chat-a")).exists()
        engine.forget_chat("chat-b")  # the open chat: not written at quit
    finally:
        engine.close()
    assert not list(folder.glob("*"))
    engine = _engine(config, tmp_path)
    try:
        engine.forget_chat("chat-c")  # no worker yet: the file alone, if any
        assert engine.loaded is None
    finally:
        engine.close()
