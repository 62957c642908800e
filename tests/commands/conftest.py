"""The command run as a user's shell runs it: a subprocess, its own settings and history."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.pixtral_gguf import GgufPair

ROOT = Path(__file__).resolve().parents[2]

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Run:
    """``cli(*args, input=None, env=None)``: the real command, settings in ``tmp_path``."""

    def run(
        *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            cwd=ROOT,
            env={
                **os.environ,
                "PIXTRAL_DESK_CONFIG": str(tmp_path / "settings.ini"),
                **(env or {}),
            },
            input=input,
            capture_output=True,
            text=True,
            timeout=180,
        )

    return run


@pytest.fixture
def local(tiny_pair: GgufPair) -> list[str]:
    """The flags that run the tiny model greedily, quickly and reproducibly."""
    return ["--model", str(tiny_pair.model), "--mmproj", str(tiny_pair.mmproj),
            "--n-ctx", "4096", "--threads", "2", "--temperature", "0", "--detail", "low",
            "--max-tokens", "8"]  # fmt: skip
