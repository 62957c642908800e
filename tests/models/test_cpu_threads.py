"""The automatic thread counts, read from fake sysfs topologies, and where they are applied.

With one thread per logical core, any other busy process stalls llama.cpp's decode (every step
waits at a barrier for the thread that lost its core), so 0 means the physical cores, one fewer
on small machines, and prompts may use every logical CPU.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.backends import local_config
from app.models import cpu_threads
from app.models.cpu_threads import (
    CpuTopology,
    ThreadCounts,
    default_threads,
    read_topology,
    thread_counts,
)
from app.settings import Settings


def _sysfs(root: Path, cores: list[tuple[int, int]]) -> Path:
    """A fake /sys/devices/system/cpu: logical CPU i sits on core ``cores[i]`` = (package, id)."""
    for cpu, (package, core) in enumerate(cores):
        topology = root / f"cpu{cpu}" / "topology"
        topology.mkdir(parents=True)
        (topology / "physical_package_id").write_text(f"{package}\n")
        (topology / "core_id").write_text(f"{core}\n")
    return root


def test_two_cores_decode_on_one_and_read_prompts_on_both(tmp_path: Path) -> None:
    root = _sysfs(tmp_path, [(0, 0), (0, 1)])
    topology = read_topology(root, cpus=[0, 1])
    assert topology == CpuTopology(logical=2, physical=2)
    assert default_threads(topology) == ThreadCounts(decode=1, batch=2)


def test_hyper_threads_count_once_and_a_small_machine_keeps_a_core_free(tmp_path: Path) -> None:
    # 4 cores with 2 hyper-threads each, numbered as Linux does: siblings are cpu N and N+4.
    root = _sysfs(tmp_path, [(0, c) for c in range(4)] * 2)
    topology = read_topology(root, cpus=list(range(8)))
    assert topology == CpuTopology(logical=8, physical=4)
    assert default_threads(topology) == ThreadCounts(decode=3, batch=8)


def test_big_machines_use_every_physical_core(tmp_path: Path) -> None:
    root = _sysfs(tmp_path, [(0, c) for c in range(8)] * 2)
    assert default_threads(read_topology(root, cpus=list(range(16)))) == ThreadCounts(8, 16)


def test_core_ids_repeat_across_sockets(tmp_path: Path) -> None:
    root = _sysfs(tmp_path, [(p, c) for p in (0, 1) for c in range(4)])
    assert read_topology(root, cpus=list(range(8))).physical == 8


def test_only_the_cpus_this_process_may_use_count(tmp_path: Path) -> None:
    """A container or ``taskset`` narrows the affinity mask: the other cores are not ours."""
    root = _sysfs(tmp_path, [(0, c) for c in range(8)] * 2)
    assert read_topology(root, cpus=[2, 10]) == CpuTopology(logical=2, physical=1)
    assert default_threads(read_topology(root, cpus=[2, 10])) == ThreadCounts(1, 2)


def test_without_sysfs_every_logical_cpu_counts_as_a_core(tmp_path: Path) -> None:
    assert read_topology(tmp_path / "absent", cpus=list(range(6))) == CpuTopology(6, 6)
    assert default_threads(CpuTopology(6, 6)) == ThreadCounts(6, 6)


def test_one_core_still_gets_a_thread() -> None:
    assert default_threads(CpuTopology(1, 1)) == ThreadCounts(1, 1)


def test_this_machine_is_read_honestly() -> None:
    topology = read_topology()
    assert 1 <= topology.physical <= topology.logical
    assert topology.logical == len(cpu_threads.allowed_cpus())


def test_a_number_the_user_set_is_used_for_both() -> None:
    assert thread_counts(6, CpuTopology(2, 2)) == ThreadCounts(6, 6)
    assert thread_counts(0, CpuTopology(8, 4)) == ThreadCounts(3, 8)


def _values(tiny_pair: Any, **changes: Any) -> dict[str, Any]:
    values = dict(Settings(Path("/nonexistent/settings.ini")).items())
    values.update(model=str(tiny_pair.model), mmproj=str(tiny_pair.mmproj), n_ctx=2048)
    values.update(changes)
    return values


def test_the_engine_config_gets_the_automatic_counts(
    tiny_pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cpu_threads, "read_topology", lambda: CpuTopology(8, 4))
    config = local_config(_values(tiny_pair, threads=0))
    assert (config.n_threads, config.n_threads_batch) == (3, 8)
    config = local_config(_values(tiny_pair, threads=5))
    assert (config.n_threads, config.n_threads_batch) == (5, 5)


_LOAD = r"""
import sys
import llama_cpp.llama_cpp as llama
from app.engine.local.cancel_flag import CancelFlag
from app.engine.local.llama_model import LlamaModel
from app.engine.local.protocol import LocalEngineConfig
config = LocalEngineConfig(sys.argv[1], None, n_ctx=512, n_threads=1, n_threads_batch=2)
model = LlamaModel(config, CancelFlag(), lambda _event: None)
model.load()
print(llama.llama_n_threads(model.ctx), llama.llama_n_threads_batch(model.ctx))
model.close()
"""


def test_the_engine_hands_both_counts_to_llama_cpp(tiny_pair) -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _LOAD, str(tiny_pair.model)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["1", "2"]
