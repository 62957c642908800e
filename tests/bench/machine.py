"""What machine a benchmark ran on, for the tables in RESULTS.md."""

from __future__ import annotations

import platform
from pathlib import Path

UI_STALL_TARGET_MS = 16.0
"""Every UI stall benchmark's target: the GUI thread busy at most one 60 Hz frame (issue 16)."""


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo, or what the platform module knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"
