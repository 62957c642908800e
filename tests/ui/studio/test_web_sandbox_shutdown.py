"""The sandbox's profile outlives every page, however the app ends (``release_sandbox``).

Qt wants every page deleted before its profile; otherwise it warns "Release of profile requested
but WebEnginePage still not deleted. Expect troubles!" and the process may crash on its way out
(it did: a window handed to ``deleteLater`` as pytest-qt does, then the interpreter exiting, ended
in a segfault, exit status 139). Each way out runs in a process of its own
(``studio_exit.py``), because what is checked is how that process ends.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
WARNINGS = ("Release of profile requested", "still not deleted")


def _run_studio(way: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.ui.studio.studio_exit", way],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "way",
    [
        "open",  # the app quits with the studio open
        "reopen",  # closed and reopened three times, then closed, then the app quits
        "teardown",  # as pytest ends: the window handed to deleteLater, no quit, no event loop
    ],
)
def test_every_page_is_deleted_before_the_profile(way: str) -> None:
    result = _run_studio(way)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "page shown and rendered" in result.stdout
    for warning in WARNINGS:
        assert warning not in output
