"""Build the PyInstaller one-folder bundle for the current OS.

    python packaging/build.py [--clean]

Output: ``dist/pixtral-desk/`` (executable ``pixtral-desk``, ``pixtral-desk.exe`` +
``pixtral-desk-cli.exe`` on Windows) and, on macOS, ``dist/Pixtral Desk.app``. Work files go to
``build/pyinstaller/``. Needs PyInstaller in the same environment as the app
(``pip install pyinstaller``); the bundle uses whatever llama-cpp-python variant (CPU, CUDA,
Metal) is installed there. Prints the bundle size and build time at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "pixtral-desk.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"


def tree_size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            file = Path(dirpath, name)
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache first")
    args = parser.parse_args(argv)
    try:
        import PyInstaller.__main__ as pyinstaller
    except ImportError:
        print("build.py: PyInstaller missing; run `pip install pyinstaller`", file=sys.stderr)
        return 1
    started = time.monotonic()
    options = ["--noconfirm", "--distpath", str(DIST), "--workpath", str(WORK)]
    if args.clean:
        options.append("--clean")
    pyinstaller.run([*options, str(SPEC)])
    elapsed = time.monotonic() - started
    bundle = DIST / "pixtral-desk"
    size = tree_size(bundle)
    print(f"bundle: {bundle} ({size / 2**20:.0f} MiB) built in {elapsed:.0f} s")
    app = DIST / "Pixtral Desk.app"
    if app.exists():
        print(f"app:    {app} ({tree_size(app) / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
