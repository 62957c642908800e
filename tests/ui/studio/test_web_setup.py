"""The Chromium switches that shut QtWebEngine's network are set once, and set last."""

from __future__ import annotations

import os

import pytest

from app.ui.studio.web_setup import CHROMIUM_FLAGS, CHROMIUM_FLAGS_ENV, prepare_web_engine


def test_our_switches_follow_inherited_ones_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chromium keeps the last value of a repeated switch, so an inherited proxy cannot win."""
    inherited = (
        '--disable-gpu --proxy-server=http://corp:3128 --host-resolver-rules="MAP * ~NOTFOUND"'
    )
    monkeypatch.setenv(CHROMIUM_FLAGS_ENV, inherited)
    prepare_web_engine()
    prepare_web_engine()
    assert os.environ[CHROMIUM_FLAGS_ENV] == " ".join(
        ["--disable-gpu", "--proxy-server=http://corp:3128", *CHROMIUM_FLAGS]
    )
