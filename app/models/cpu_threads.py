"""How many CPU threads llama.cpp gets when the user leaves it to the app (threads = 0).

llama.cpp splits every operation of a decode step between its threads and waits (spinning) at
a barrier until all of them are done. With one thread per logical core, any other busy process
(the window drawing the streamed answer, a browser, a build) takes a core from one thread, and
every barrier then waits for a thread that is not running: measured on 2 cores with ~45 % load
from other work, decode fell from 160 to 3–6 tokens/s. So answers use the physical cores
(hyper-threads share a core's execution units and add little to a memory-bound decode) and, on
machines with 4 cores or fewer, leave one core free. Reading a prompt or an image does much
more work between barriers, so ``n_threads_batch`` may use every logical core.

The cores are read from Linux's sysfs topology among the CPUs this process may run on (its
affinity mask, which containers and ``taskset`` narrow); elsewhere, or when sysfs cannot be
read, every logical CPU counts as a core (``os.cpu_count()``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CPU_ROOT = Path("/sys/devices/system/cpu")
SMALL_MACHINE_CORES = 4
"""Up to this many physical cores, one is left for the window and the rest of the system."""


@dataclass(frozen=True)
class CpuTopology:
    """Logical CPUs this process may use, and the physical cores they belong to."""

    logical: int
    physical: int


@dataclass(frozen=True)
class ThreadCounts:
    """Threads for generating tokens (``n_threads``) and for prompts and images (batch)."""

    decode: int
    batch: int


def allowed_cpus() -> list[int]:
    """The logical CPUs this process may run on (all of them where affinity is unknown)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return list(range(os.cpu_count() or 1))


def _core_key(topology: Path) -> tuple[str, ...]:
    """What identifies the physical core of one logical CPU (raises OSError if unreadable).

    ``core_id`` repeats across sockets, so it is paired with ``physical_package_id``.
    """
    package = (topology / "physical_package_id").read_text().strip()
    core = (topology / "core_id").read_text().strip()
    return (package, core)


def read_topology(cpu_root: Path = CPU_ROOT, cpus: list[int] | None = None) -> CpuTopology:
    """Count the distinct physical cores among ``cpus`` (default: the allowed ones)."""
    cpus = allowed_cpus() if cpus is None else cpus
    logical = max(1, len(cpus))
    cores: set[tuple[str, ...]] = set()
    for cpu in cpus:
        try:
            cores.add(_core_key(cpu_root / f"cpu{cpu}" / "topology"))
        except OSError:  # no sysfs (not Linux) or a hidden CPU: cannot tell cores apart
            return CpuTopology(logical, logical)
    return CpuTopology(logical, min(logical, max(1, len(cores))))


def default_threads(topology: CpuTopology | None = None) -> ThreadCounts:
    """The automatic thread counts: physical cores for decode (one fewer on ≤ 4), all for batch."""
    topo = topology or read_topology()
    decode = topo.physical - 1 if topo.physical <= SMALL_MACHINE_CORES else topo.physical
    return ThreadCounts(decode=max(1, decode), batch=max(1, topo.logical))


def thread_counts(setting: int, topology: CpuTopology | None = None) -> ThreadCounts:
    """The ``threads`` setting applied: a number the user set is used for both, 0 = automatic."""
    if setting > 0:
        return ThreadCounts(setting, setting)
    return default_threads(topology)
