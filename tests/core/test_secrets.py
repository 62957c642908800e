"""One redaction for history, logs and crash reports: known keys of any shape, and key shapes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.secrets import REDACTED, forget_secrets, redact, remember_secret


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


def test_a_remembered_key_of_any_shape_is_redacted():
    key = "my.server/key+42"
    assert redact(f"unknown key {key}!") == f"unknown key {key}!"
    remember_secret(key)
    assert redact(f"unknown key {key}!") == f"unknown key {REDACTED}!"
    assert redact(f'{{"k": "{key}{key}"}}') == f'{{"k": "{REDACTED}{REDACTED}"}}'


def test_short_values_are_not_remembered():
    remember_secret("abc")
    remember_secret(None)
    remember_secret("")
    assert redact("abc def") == "abc def"


def test_a_key_containing_another_is_replaced_whole():
    remember_secret("short-key-1")
    remember_secret("short-key-1-and-more")
    assert redact("x short-key-1-and-more y") == f"x {REDACTED} y"


@pytest.mark.parametrize(
    "text",
    [
        "invalid header Authorization: Bearer abc.DEF-123_xyz",
        '{"authorization": "Basic dXNlcjpwYXNzd29yZA=="}',
        "Authorization: Token abcdef0123456789",
        "authorization=rawtokenvalue",
    ],
)
def test_authorization_values_of_every_scheme_are_redacted(text: str):
    out = redact(text)
    assert REDACTED in out
    for secret in ("abc.DEF-123_xyz", "dXNlcjpwYXNzd29yZA", "abcdef0123456789", "rawtokenvalue"):
        assert secret not in out


def test_ordinary_error_words_stay():
    text = "La Plateforme refused the API key (HTTP 401). Check it in Settings → API keys."
    assert redact(text) == text
