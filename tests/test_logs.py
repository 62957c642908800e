"""Logging hygiene: rotation, no API keys, no message text at the default level."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.secrets import REDACTED
from app.logs import (
    app_log_path,
    engine_log_path,
    log_message_event,
    log_message_text,
    redact,
    setup_logging,
)

MISTRAL_KEY = "Xk3pQ9vL2mN7rT4wZ8yB1cD6fG5hJ0sA"  # 32 letters and digits, like a Mistral key


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield tmp_path / "logs"
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def _flushed(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text",
    [
        "api_key=Abc123secretvalue",
        "API-KEY: 'Abc123secretvalue'",
        '{"api_key": "Abc123secretvalue"}',
        "Authorization: Bearer Abc123secretvalue",
        "using sk-proj-Abc123secretvalue now",
        f"the key is {MISTRAL_KEY}.",
        "hf_Abc123secretvalueAbc123secretvalue",
    ],
)
def test_redact_removes_keys(text: str) -> None:
    out = redact(text)
    assert "Abc123secretvalue" not in out and MISTRAL_KEY not in out
    assert REDACTED in out


def test_redact_keeps_ids_and_numbers() -> None:
    conversation_id = "0123456789abcdef0123456789abcdef"  # uuid4().hex
    text = f"conversation {conversation_id} max_tokens=512 n_ctx: 4096"
    assert redact(text) == text


def test_log_records_are_redacted_including_args_and_tracebacks(log_dir: Path) -> None:
    setup_logging(log_dir)
    log = logging.getLogger("pixtral.test")
    log.warning("request failed api_key=%s", "Abc123secretvalue")
    log.info("header %s", {"Authorization": f"Bearer {MISTRAL_KEY}"})
    try:
        raise RuntimeError(f"bad key {MISTRAL_KEY}")
    except RuntimeError:
        log.exception("boom")
    text = _flushed(app_log_path(log_dir))
    assert "Abc123secretvalue" not in text and MISTRAL_KEY not in text
    assert text.count(REDACTED) >= 3 and "RuntimeError" in text


def test_message_text_is_not_logged_at_info(log_dir: Path) -> None:
    setup_logging(log_dir)
    log = logging.getLogger("pixtral.chat")
    secret = "my private question about the photo"
    log_message_event(log, "c0ffee", len(secret))
    log_message_text(log, "c0ffee", secret)
    log.info("slip: %s", secret, extra={"content": True})  # marked content above DEBUG: dropped
    text = _flushed(app_log_path(log_dir))
    assert f"chars={len(secret)}" in text and "c0ffee" in text
    assert secret not in text


def test_message_text_is_logged_at_debug_only(log_dir: Path) -> None:
    setup_logging(log_dir, level=logging.DEBUG)
    log_message_text(logging.getLogger("pixtral.chat"), "c1", "hello there")
    assert "hello there" in _flushed(app_log_path(log_dir))


def test_rotation_past_the_size(log_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr("app.logs.MAX_BYTES", 10_000)
    setup_logging(log_dir)
    log = logging.getLogger("pixtral.rotation")
    for n in range(400):
        log.info("line %04d %s", n, "x" * 80)
    _flushed(app_log_path(log_dir))
    assert (log_dir / "pixtral-desk.log.1").exists()
    assert app_log_path(log_dir).stat().st_size <= 10_000
    assert not (log_dir / "pixtral-desk.log.6").exists()  # 5 backups at most


def test_setup_twice_replaces_its_handler(log_dir: Path) -> None:
    setup_logging(log_dir)
    setup_logging(log_dir)
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_pixtral_desk", False)]
    assert len(ours) == 1


def test_engine_log_sits_beside_and_is_rolled_over(log_dir: Path, monkeypatch) -> None:
    log_dir.mkdir(parents=True)
    engine = engine_log_path(log_dir)
    assert engine == log_dir / "engine.log"
    engine.write_bytes(b"x" * 5000)
    monkeypatch.setattr("app.logs.MAX_BYTES", 1000)
    assert setup_logging(log_dir) == log_dir
    assert not engine.exists() and (log_dir / "engine.log.1").stat().st_size == 5000


def test_log_dir_env_override(tmp_path: Path, monkeypatch) -> None:
    from app.logs import LOG_DIR_ENV, default_log_dir

    monkeypatch.setenv(LOG_DIR_ENV, str(tmp_path / "portable"))
    assert default_log_dir() == tmp_path / "portable"
    monkeypatch.delenv(LOG_DIR_ENV)
    assert default_log_dir().name in {"log", "Logs", "pixtral-desk"}
