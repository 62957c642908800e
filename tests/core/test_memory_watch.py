"""The memory watch ends a child process that passes its ceiling, and only such a one."""

from __future__ import annotations

import multiprocessing
import time

from app.core.memory_watch import EXIT_OVER_MEMORY, process_memory_bytes, watch_memory
from tests.fixtures.process_memory import linux_only, rss_mb

MIB = 1024 * 1024


@linux_only
def test_it_reads_this_process_s_resident_memory() -> None:
    used = process_memory_bytes()
    assert used is not None
    assert abs(used / MIB - rss_mb()) < max(16.0, 0.1 * rss_mb())


def _grow(headroom_mb: int, grow_mb: int) -> None:
    """Child: watch with ``headroom_mb`` above what it uses now, then use ``grow_mb`` more."""
    used = process_memory_bytes()
    assert used is not None
    watch_memory(used + headroom_mb * MIB, interval_s=0.01)
    held = []
    for _ in range(grow_mb // 16):
        held.append(bytearray(16 * MIB))  # zero-filled pages the kernel must really hand out
        for offset in range(0, 16 * MIB, 4096):
            held[-1][offset] = 1
        time.sleep(0.005)
    time.sleep(0.1)  # a last look by the watch


def _run_child(headroom_mb: int, grow_mb: int) -> int | None:
    child = multiprocessing.get_context("spawn").Process(target=_grow, args=(headroom_mb, grow_mb))
    child.start()
    child.join(60)
    if child.is_alive():
        child.kill()
        child.join()
    return child.exitcode


@linux_only
def test_a_process_past_its_ceiling_is_ended() -> None:
    assert _run_child(headroom_mb=64, grow_mb=512) == EXIT_OVER_MEMORY


@linux_only
def test_a_process_under_its_ceiling_runs_on() -> None:
    assert _run_child(headroom_mb=256, grow_mb=64) == 0
