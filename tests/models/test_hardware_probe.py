"""The hardware probe, with a fake ``nvidia-smi`` on PATH."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app.core.system_info import parse_system_info
from app.models import hardware
from app.models.hardware import CUDA_REINSTALL, GpuInfo, probe


def _fake_nvidia_smi(folder: Path, output: str, rc: int = 0) -> None:
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\ncat <<'END'\n{output}\nEND\nexit {rc}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def fake_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return folder


def test_system_info_backends_are_parsed() -> None:
    info = "CUDA : ARCHS = 890 | USE_GRAPHS = 1 | PEER_MAX_BATCH_SIZE = 128 | CPU : SSE3 = 1 | "
    assert parse_system_info(info) == ("CUDA", "CPU")
    assert parse_system_info("") == ("CPU",)


def test_nvidia_gpu_name_and_free_memory_come_from_nvidia_smi(fake_path: Path) -> None:
    _fake_nvidia_smi(fake_path, "NVIDIA GeForce RTX 4090, 24564, 23000\nNVIDIA T4, 15360, 100")
    gpus = hardware.nvidia_gpus()
    assert gpus[0] == GpuInfo("NVIDIA GeForce RTX 4090", 24564 * 2**20, 23000 * 2**20, "nvidia")
    assert gpus[1].name == "NVIDIA T4"


def test_a_failing_nvidia_smi_means_no_gpu(fake_path: Path) -> None:
    _fake_nvidia_smi(fake_path, "NVIDIA-SMI has failed", rc=9)
    assert hardware.nvidia_gpus() == ()


def test_a_cpu_only_build_with_a_gpu_present_says_how_to_reinstall(
    fake_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fake_nvidia_smi(fake_path, "NVIDIA A10, 23028, 22000")
    monkeypatch.setattr(hardware, "llama_build", lambda: (("CPU",), False))
    report = probe(tmp_path / "not-yet" / "created")
    assert report.gpus and not report.can_offload
    warning = report.gpu_support_warning()
    assert warning and "NVIDIA A10" in warning and CUDA_REINSTALL in warning
    assert any(CUDA_REINSTALL in line for line in report.summary_lines())
    assert report.disk_path == tmp_path and report.disk_free_bytes > 0
    assert 0 < report.ram_available_bytes <= report.ram_total_bytes


def test_a_cuda_build_with_a_gpu_offloads_and_warns_about_nothing(
    fake_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_nvidia_smi(fake_path, "NVIDIA A10, 23028, 22000")
    monkeypatch.setattr(hardware, "llama_build", lambda: (("CUDA", "CPU"), True))
    report = probe()
    assert report.can_offload and report.gpus[0].free_bytes == 22000 * 2**20
    assert report.gpu_support_warning() is None


def test_the_real_build_is_probed_without_loading_a_model(
    fake_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(fake_path))  # no nvidia-smi at all
    monkeypatch.setattr(hardware.platform, "system", lambda: "Linux")
    report = probe()
    assert "CPU" in report.backends and report.gpus == ()
    assert report.gpu_support_warning() is None


def test_apple_silicon_reports_unified_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware.platform, "system", lambda: "Darwin")
    monkeypatch.setattr(hardware.platform, "machine", lambda: "arm64")
    (gpu,) = hardware.apple_gpus(32 * 2**30, 20 * 2**30)
    assert gpu.unified and gpu.total_bytes == 32 * 2**30 and gpu.free_bytes == 20 * 2**30
