"""The PyInstaller bundle, built and run the way a user's double-click would run it.

Builds `dist/pixtral-desk/` with `packaging/build.py` (about half a minute on 2 cores), then
runs the bundled executable: `--version`, `tokens` on an image, a headless `ask` on the tiny
fixture model (the llama.cpp worker spawned from inside the bundle), and the window offscreen
for a moment, which must quit cleanly with exit code 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.pixtral_gguf import GgufPair

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "pixtral-desk"
EXE = BUNDLE / ("pixtral-desk.exe" if sys.platform == "win32" else "pixtral-desk")

pytest.importorskip("PyInstaller", reason="the packaging extra is not installed")


@pytest.fixture(scope="module")
def bundle() -> Path:
    built = subprocess.run(
        [sys.executable, "packaging/build.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert EXE.exists()
    return EXE


def _run(exe: Path, *args: str, env: dict[str, str] | None = None, timeout: int = 120):
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=timeout, env=env or os.environ
    )


def test_version_tokens_and_ask_run_from_the_bundle(
    bundle: Path, tiny_pair: GgufPair, image_file, tmp_path: Path
) -> None:
    version = _run(bundle, "--version")
    assert version.returncode == 0 and "pixtral-desk" in version.stdout
    picture = image_file(1024, 768, "photo.png")
    tokens = _run(bundle, "tokens", str(picture), "--json")
    assert tokens.returncode == 0, tokens.stderr
    assert json.loads(tokens.stdout)["images"][0]["local_tokens"] == 48 * 65
    env = {**os.environ, "PIXTRAL_DESK_CONFIG": str(tmp_path / "settings.ini")}
    asked = _run(
        bundle, "ask", "--model", str(tiny_pair.model), "--mmproj", str(tiny_pair.mmproj),
        "--image", str(picture), "--max-tokens", "4", "--n-ctx", "8192", "--json", "Hi", env=env,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr[-2000:]
    assert json.loads(asked.stdout)["image_tokens"] == [48 * 65]


def test_the_window_opens_offscreen_and_quits_cleanly(bundle: Path, tmp_path: Path) -> None:
    config = tmp_path / "settings.ini"
    config.write_text(f"[storage]\ndata_dir = {tmp_path / 'data'}\n")
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PIXTRAL_DESK_CONFIG": str(config),
        "PIXTRAL_DESK_SMOKE_MS": "6000",
        "PIXTRAL_DESK_SMOKE_PREVIEW": "1",
    }
    shown = _run(bundle, env=env, timeout=120)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "main window shown" in shown.stdout
    assert "preview rendered 64x48" in shown.stdout  # QtWebEngine works inside the bundle
    assert "Traceback" not in shown.stderr
