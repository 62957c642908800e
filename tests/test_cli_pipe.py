"""``pixtral-desk history list | head -1``: a reader that goes away early ends the command
quietly, through a real pipe whose read end is closed before the command
writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import EXIT_BROKEN_PIPE
from app.core.conversation import TextPart
from app.storage.history import HistoryStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pipe") / "data"
    with HistoryStore.open(root) as store:
        for i in range(30):
            cid = store.create_conversation(title=f"chat {i}")
            store.add_message(cid, "user", [TextPart(f"question {i} about pipes")])
    return root


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize(
    "command",
    [["list"], ["list", "--json"], ["show", "1"], ["search", "pipes"], ["--version"]],
    ids=["list", "list-json", "show", "search", "version"],
)
def test_closed_pipe_ends_quietly(
    data: Path, tmp_path: Path, command: list[str], buffered: bool
) -> None:
    """Buffered, the error comes at the final flush; unbuffered (PYTHONUNBUFFERED), at print."""
    argv = ["history", "--data-dir", str(data), *command] if command[0] != "--version" else command
    env = {**os.environ, "PIXTRAL_DESK_CONFIG": str(tmp_path / "settings.ini")}
    env.pop("PYTHONUNBUFFERED", None)
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command writes a byte
    try:
        done = subprocess.run(
            [sys.executable, "-m", "app", *argv],
            cwd=ROOT,
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    if command[0] != "--version":
        assert done.returncode == EXIT_BROKEN_PIPE
