"""``ask --chat``: which settings a continued chat is asked with, read from a real command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import cli
from app.commands.chat_link import ChatContext, flags_given
from app.engine.base import Sampling

STORED = {"temperature": 0.9, "top_p": 0.5, "max_tokens": 2, "seed": 4242}
"""The chat's own sampling, as the window keeps it."""


def _asked(tmp_path: Path, *flags: str) -> Sampling:
    """What ``ask --chat`` asks with for these flags, as ``run_ask`` builds it."""
    args = cli._parser().parse_args(["--config", str(tmp_path / "s.ini"), "ask", *flags, "Hi"])
    values = cli._resolved(args)
    base = Sampling(values["temperature"], values["top_p"], values["max_tokens"], values["seed"])
    return ChatContext(sampling=dict(STORED)).asked_with(base, flags_given(args), 0)


def test_a_flag_not_typed_keeps_the_chat_s_own_setting(tmp_path: Path) -> None:
    (tmp_path / "s.ini").write_text("[sampling]\ntemperature = 0.1\nmax_tokens = 300\n")
    assert _asked(tmp_path) == Sampling(0.9, 0.5, 2, 4242)  # neither defaults nor the file win


@pytest.mark.parametrize(
    ("flags", "typed"),
    [
        (["--temperature", "0.3"], {"temperature": 0.3}),  # the default's value, typed: it wins
        (["--seed", "-1", "--top-p", "0.95"], {"seed": -1, "top_p": 0.95}),
        (["--max-tokens", "64"], {"max_tokens": 64}),
    ],
)
def test_a_typed_flag_beats_the_chat_s_own_setting(
    tmp_path: Path, flags: list[str], typed: dict
) -> None:
    asked = _asked(tmp_path, *flags)
    assert {key: getattr(asked, key) for key in STORED} == {**STORED, **typed}
