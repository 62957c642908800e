"""One redaction for history, logs and crash reports: known keys of any shape, and key shapes."""

from __future__ import annotations

import base64
import itertools
import string
import time
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.core import secrets
from app.core.secrets import (
    MIN_SECRET_LENGTH,
    REDACTED,
    StreamRedactor,
    forget_secrets,
    redact,
    redact_known,
    remember_secret,
)


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


# Pieces and encodings of a remembered key, in whole texts and in streams.

KEY = "pd/live+7Qx=3kz9w!"  # no shape: only remembering it can catch it
ALPHABET = string.ascii_letters + string.digits + "-_./+=!~"  # no "[" or "]": not in REDACTED
ORDINARY = string.printable


def pieces(text: str, key: str) -> list[str]:
    """Every piece of ``key`` of ``MIN_SECRET_LENGTH`` characters found in ``text``."""
    n = MIN_SECRET_LENGTH
    return [key[i : i + n] for i in range(len(key) - n + 1) if key[i : i + n] in text]


def chunked(text: str, cuts: list[int]) -> list[str]:
    edges = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(edges)]


def stream(chunks: list[str]) -> str:
    redactor = StreamRedactor()
    return "".join([*(redactor.feed(c) for c in chunks), redactor.flush()])


def test_a_piece_of_eight_characters_is_redacted_of_seven_kept():
    remember_secret(KEY)
    assert redact_known(f"key {KEY[3:11]} is invalid") == f"key {REDACTED} is invalid"
    assert redact_known(f"key {KEY[3:10]}… is invalid") == f"key {KEY[3:10]}… is invalid"
    assert redact_known(f"'{KEY[:12]}' + '{KEY[12:]}'") == f"'{REDACTED}' + '{KEY[12:]}'"


@pytest.mark.parametrize(
    "echo",
    [
        quote(KEY, safe=""),
        quote_plus(KEY),
        base64.b64encode(KEY.encode()).decode(),
        base64.urlsafe_b64encode(KEY.encode()).decode(),
        *(base64.b64encode(f"{user}:{KEY}".encode()).decode() for user in ("", "a", "bo", "eve")),
    ],
)
def test_url_encoded_and_base64_keys_are_redacted_whole_and_in_pieces(echo: str):
    remember_secret(KEY)
    for text in (f"got {echo}.", f"got {echo[-12:]}.", f"got {echo[-20:-6]}."):
        out = redact_known(text)
        # What stays is at most the user's part of ``user:key`` (two base64 groups).
        assert REDACTED in out and len(out) - len(REDACTED) <= len("got .") + 8, out


@settings(max_examples=300, deadline=None)
@given(
    key=st.text(ALPHABET, min_size=MIN_SECRET_LENGTH, max_size=48),
    before=st.text(ORDINARY, max_size=40),
    after=st.text(ORDINARY, max_size=40),
    bounds=st.tuples(st.integers(0, 48), st.integers(0, 48)),
    cuts=st.lists(st.integers(0, 200), max_size=12),
)
def test_no_piece_of_the_key_comes_out_of_any_chunking(key, before, after, bounds, cuts):
    forget_secrets()
    remember_secret(key)
    start = min(bounds[0], len(key) - MIN_SECRET_LENGTH)
    end = max(min(bounds[1], len(key)), start + MIN_SECRET_LENGTH)
    text = before + key[start:end] + after + key  # a piece, then the whole key
    out = stream(chunked(text, cuts))
    assert pieces(out, key) == []
    assert pieces(redact(text), key) == []
    assert out == redact_known(text)  # a stream says what the whole text would


@settings(max_examples=300, deadline=None)
@given(
    key=st.text(ALPHABET, min_size=MIN_SECRET_LENGTH, max_size=48),
    text=st.text(ORDINARY, max_size=300),
    cuts=st.lists(st.integers(0, 300), max_size=12),
)
def test_text_without_the_key_passes_unchanged(key, text, cuts):
    forget_secrets()
    remember_secret(key)
    state = secrets._state
    assert state is not None
    assume(not state.grams.search(text))
    assert stream(chunked(text, cuts)) == text
    assert redact_known(text) == text


def test_ordinary_text_is_held_back_by_a_character_at_most():
    """The window shows an answer as it comes: only a tail that may begin a key waits."""
    remember_secret("Zq9xW4vK8mN2pL7rT5yB3cH6")
    redactor = StreamRedactor()
    assert redactor.feed("The answer is: ") == "The answer is: "
    said = redactor.feed("forty")
    assert said in ("fort", "forty")
    assert said + redactor.feed("-two.\n") == "forty-two.\n"  # "\n" is in no form of a key


def test_a_long_stream_of_key_echoes_takes_linear_time():
    """A server repeating the key for 100K characters: each chunk is looked at once (held text
    stays shorter than the key), not the whole stream again."""
    remember_secret(KEY)
    text = (KEY[5:] + " " + KEY + KEY[:9]) * (100_000 // (2 * len(KEY) + 1))
    chunks = [text[i : i + 3] for i in range(0, len(text), 3)]
    began = time.perf_counter()
    out = stream(chunks)
    elapsed = time.perf_counter() - began
    assert pieces(out, KEY) == [] and out == redact_known(text)
    assert elapsed < 5.0  # quadratic: minutes (a noisy 2-core machine: measured ~0.5 s)
