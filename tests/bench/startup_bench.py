"""Cold start: launch to main window shown, for the bundle and for `python -m app`.

    python packaging/build.py && python tests/bench/startup_bench.py [--runs 5]

Each run starts a fresh process with the window offscreen and an empty history; the app prints
a line when the window is shown (PIXTRAL_DESK_SMOKE_MS) and quits. Also prints the bundle size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "pixtral-desk"


def time_to_window(command: list[str]) -> float:
    work = Path(tempfile.mkdtemp(prefix="pixtral-start-"))
    config = work / "settings.ini"
    config.write_text(f"[storage]\ndata_dir = {work / 'data'}\n")
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PIXTRAL_DESK_CONFIG": str(config),
        "PIXTRAL_DESK_LOG_DIR": str(work / "logs"),
        "PIXTRAL_DESK_SMOKE_MS": "0",
    }
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if "main window shown" in line:
            elapsed = time.perf_counter() - started
            break
    else:
        raise RuntimeError(f"{command} never showed its window")
    process.wait(60)
    return elapsed


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    candidates = [("python -m app", [sys.executable, "-m", "app"])]
    if (BUNDLE / "pixtral-desk").exists():
        candidates.append(("bundle (dist/pixtral-desk)", [str(BUNDLE / "pixtral-desk")]))
    for name, command in candidates:
        time_to_window(command)  # warm the file cache once; report warm starts
        times = [time_to_window(command) for _ in range(args.runs)]
        rows.append((name, statistics.median(times), min(times), max(times)))
    print("| start | median s | min s | max s |\n|---|---|---|---|")
    for name, median, low, high in rows:
        print(f"| {name} | {median:.2f} | {low:.2f} | {high:.2f} |")
    if BUNDLE.exists():
        print(f"\nbundle size: {folder_size(BUNDLE) / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
