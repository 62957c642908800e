"""``pixtral-desk models list | find | recommend | download``.

The ``run`` functions are called through a parser built here, as ``app/cli.py`` will build it;
``download`` goes through huggingface_hub to the loopback fake Hub.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import pytest

from app.core.errors import UserFacingError
from app.models import models_cli
from app.models.catalog import CATALOG_PATH, load_catalog
from app.models.download import DownloadError
from app.models.hardware import GIB, GpuInfo, HardwareReport
from tests.fixtures.pixtral_gguf import GgufPair, write_pixtral_pair
from tests.models.fake_hub import COMMIT, FakeHub

REPO = "ggml-org/pixtral-12b-GGUF"


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="pixtral-desk")
    models_cli.add_models_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return int(args.run(args))


@pytest.fixture
def hf_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return tmp_path / "hf" / "hub"


@pytest.fixture
def tiny_catalog(tiny_pair: GgufPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-release catalog whose files are the tiny pair, so sizes and disk checks are real."""
    shape = json.loads(Path(CATALOG_PATH).read_text())["shape"]
    data = {
        "schema": 1,
        "shape": shape,
        "releases": [
            {
                "id": "ggml-org",
                "label": "Tiny test Pixtral",
                "repo": REPO,
                "revision": "main",
                "reference": True,
                "mmproj": {"file": "p.gguf", "size_bytes": tiny_pair.mmproj.stat().st_size},
                "quants": [
                    {"quant": "F32", "file": "m.gguf", "size_bytes": tiny_pair.model.stat().st_size}
                ],
            }
        ],
    }
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data))
    monkeypatch.setattr(models_cli, "load_catalog", lambda: load_catalog(path))
    return path


def test_list_shows_the_real_catalog(capsys, hf_home: Path) -> None:
    assert _run("models", "list", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    names = {r["name"] for r in rows}
    assert "ggml-org:Q4_K_M" in names and all(r["mmproj_file"] for r in rows)
    assert not any(r["downloaded"] for r in rows)
    assert _run("models", "list") == 0
    out = capsys.readouterr().out
    assert "ggml-org:Q4_K_M" in out and "GB" in out and "mmproj" in out


def test_find_pairs_in_a_folder_by_header(capsys, tmp_path: Path, hf_home: Path) -> None:
    folder = tmp_path / "models"
    pair = write_pixtral_pair(folder / "pixtral")
    lonely = tmp_path / "elsewhere"  # its own FOLDER: a projector is looked for per folder
    lonely.mkdir()
    shutil.copy(pair.model, lonely / "text-only.gguf")
    assert _run("models", "find", "--only", str(folder), str(lonely), "--json") == 0
    found = json.loads(capsys.readouterr().out)
    assert [(p["model"], p["mmproj"]) for p in found["pairs"]] == [
        (str(pair.model), str(pair.mmproj))
    ]
    assert found["pairs"][0]["source"] == "Folder" and found["pairs"][0]["size_bytes"] > 0
    assert found["unpaired_models"] == [str(lonely / "text-only.gguf")]

    assert _run("models", "find", "--only", str(folder), str(lonely)) == 0
    captured = capsys.readouterr()
    assert f"model:  {pair.model}" in captured.out and f"mmproj: {pair.mmproj}" in captured.out
    assert "has no vision projector" in captured.err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_find_survives_loops_and_fifos_and_names_mistral_small(
    capsys, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    folder = tmp_path / "models"
    pair = write_pixtral_pair(folder / "pixtral")
    write_pixtral_pair(folder / "small", variant="mistral-small")
    os.symlink("..", folder / "pixtral" / "up")
    os.symlink("loop.gguf", folder / "loop.gguf")
    os.mkfifo(folder / "x.gguf")
    assert _run("models", "find", "--only", str(folder)) == 0
    captured = capsys.readouterr()
    assert f"model:  {pair.model}" in captured.out
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert [line for line in lines if "search skipped" in line] == [
        f"pixtral-desk: search skipped 3 entries (symlink loop: 2, not a regular file: 1; "
        f"first: {folder / 'loop.gguf'})."
    ]
    small = [line for line in lines if "Mistral Small 3.x" in line]
    assert len(small) == 2 and all(str(folder / "small") in line for line in small)

    assert _run("models", "find", "--only", str(folder), "--json") == 0
    found = json.loads(capsys.readouterr().out)
    assert {row["reason"] for row in found["skipped"]} == {"symlink loop", "not a regular file"}
    assert len(found["lookalikes"]) == 2 and found["skipped_summary"].startswith("skipped 3")


def test_find_reports_nothing_found_and_bad_folders(capsys, tmp_path: Path) -> None:
    assert _run("models", "find", "--only", str(tmp_path)) == 1
    assert "models download" in capsys.readouterr().err
    with pytest.raises(UserFacingError, match="No such folder"):
        _run("models", "find", str(tmp_path / "missing"))
    with pytest.raises(UserFacingError, match="needs at least one FOLDER"):
        _run("models", "find", "--only")


def test_recommend_prints_the_choice_for_the_probed_hardware(
    capsys, monkeypatch: pytest.MonkeyPatch, hf_home: Path
) -> None:
    gpu = GpuInfo("Test GPU", 24 * GIB, 23 * GIB, "nvidia")
    report = HardwareReport(("CUDA", "CPU"), True, (gpu,), 64 * GIB, 32 * GIB, 500 * GIB, hf_home)
    monkeypatch.setattr("app.models.hardware.probe", lambda *_a, **_k: report)
    assert _run("models", "recommend", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    rec = out["recommendation"]
    assert rec["name"].startswith("ggml-org:") and rec["n_gpu_layers"] == -1
    assert rec["n_ctx"] >= 16_384 and rec["kv_type"] in ("f16", "q8_0")
    assert any("Test GPU" in line for line in out["hardware"])
    assert _run("models", "recommend") == 0
    text = capsys.readouterr().out
    assert "Recommended: ggml-org:" in text and "pixtral-desk models download ggml-org:" in text


def test_recommend_says_when_nothing_fits(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    report = HardwareReport(("CPU",), False, (), 8 * GIB, 3 * GIB, 500 * GIB, Path("/"))
    monkeypatch.setattr("app.models.hardware.probe", lambda *_a, **_k: report)
    assert _run("models", "recommend") == 1
    assert "La Plateforme" in capsys.readouterr().out


def test_download_fetches_both_files_with_progress_on_stderr(
    capsys, hub: FakeHub, hf_home: Path, tiny_catalog: Path, tiny_pair: GgufPair, monkeypatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    hub.add(REPO, "m.gguf", tiny_pair.model.read_bytes())
    hub.add(REPO, "p.gguf", tiny_pair.mmproj.read_bytes())
    assert _run("models", "download", "ggml-org", "--quant", "f32") == 0
    captured = capsys.readouterr()
    snapshot = hf_home / "models--ggml-org--pixtral-12b-GGUF" / "snapshots" / COMMIT
    assert captured.out.splitlines() == [str(snapshot / "m.gguf"), str(snapshot / "p.gguf")]
    assert (snapshot / "m.gguf").read_bytes() == tiny_pair.model.read_bytes()
    # One self-overwriting line: carriage returns, speed and time left, a newline at the end.
    assert "\r" in captured.err and "MB/s" in captured.err and "left" in captured.err
    assert "100.0%" in captured.err and captured.err.endswith("\n")
    # Now `list` sees it, and a second download fetches nothing and prints the same paths.
    assert _run("models", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["downloaded"] is True
    gets = len([r for r in hub.requests if r[0] == "GET"])
    assert _run("models", "download", "ggml-org:F32", "--json") == 0
    assert json.loads(capsys.readouterr().out)["mmproj"] == str(snapshot / "p.gguf")
    assert len([r for r in hub.requests if r[0] == "GET"]) == gets


def test_download_errors_are_one_clear_message(
    hub: FakeHub, hf_home: Path, tiny_catalog: Path, monkeypatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    with pytest.raises(UserFacingError, match="has no Q2_K file; it has F32"):
        _run("models", "download", "ggml-org", "--quant", "Q2_K")
    with pytest.raises(UserFacingError, match="No model called 'nobody'"):
        _run("models", "download", "nobody")
    hub.errors["m.gguf"] = (403, "GatedRepo")
    with pytest.raises(DownloadError, match="is gated") as gated:
        _run("models", "download", "ggml-org")
    assert isinstance(gated.value, UserFacingError) and "\n" not in str(gated.value)
