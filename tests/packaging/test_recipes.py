"""The packaging recipes are well-formed, checked without building anything."""

from __future__ import annotations

import ast
import configparser
import plistlib
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
HICOLOR = PACKAGING / "linux" / "icons" / "hicolor"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
SHELL_SCRIPTS = ("linux/install.sh", "linux/make_tarball.sh", "macos/make_dmg.sh")


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_desktop_file_has_the_required_keys() -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(PACKAGING / "linux" / "pixtral-desk.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    for key in ("Name", "Exec", "Icon", "Type", "Categories"):
        assert entry.get(key), key
    assert entry["Type"] == "Application"
    assert entry["Icon"] == "pixtral-desk"  # a theme name, resolved in hicolor
    assert entry["Exec"].split()[0].strip('"').endswith("pixtral-desk")
    assert entry["Categories"].endswith(";")
    assert entry.get("Terminal", "false") == "false"


@pytest.mark.parametrize("size", SIZES)
def test_every_hicolor_icon_exists_at_its_size(size: int) -> None:
    icon = HICOLOR / f"{size}x{size}" / "apps" / "pixtral-desk.png"
    assert icon.is_file(), f"{icon} missing: run python packaging/make_icons.py"
    assert _png_size(icon) == (size, size)


def test_windows_and_macos_icons_exist() -> None:
    assert (PACKAGING / "windows" / "pixtral-desk.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert (PACKAGING / "macos" / "pixtral-desk.icns").read_bytes()[:4] == b"icns"


def test_spec_parses_and_bundles_resources_and_llama_libs() -> None:
    spec = PACKAGING / "pixtral-desk.spec"
    source = spec.read_text(encoding="utf-8")
    ast.parse(source, filename=str(spec))
    assert '"resources"' in source  # the top-level resources/ folder, as app/resources.py expects
    assert "llama_cpp/lib" in source  # libllama, libggml*, libmtmd keep their relative place
    for suffix in (".so", ".dylib", ".dll"):
        assert f'"{suffix}"' in source
    assert "launcher.py" in source and (PACKAGING / "launcher.py").is_file()
    assert "freeze_support()" in (PACKAGING / "launcher.py").read_text(encoding="utf-8")
    for name in ("Analysis", "EXE", "COLLECT", "BUNDLE"):
        assert f"{name}(" in source, name


def test_build_script_parses() -> None:
    ast.parse((PACKAGING / "build.py").read_text(encoding="utf-8"))
    ast.parse((PACKAGING / "make_icons.py").read_text(encoding="utf-8"))


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
@pytest.mark.parametrize("script", SHELL_SCRIPTS)
def test_shell_scripts_pass_bash_n(script: str) -> None:
    done = subprocess.run(
        ["bash", "-n", str(PACKAGING / script)], capture_output=True, text=True, timeout=10
    )
    assert done.returncode == 0, done.stderr


def test_install_script_never_removes_user_data() -> None:
    text = (PACKAGING / "linux" / "install.sh").read_text(encoding="utf-8")
    assert "--uninstall" in text
    removals = [line for line in text.splitlines() if "rm -rf" in line]
    assert removals and all('"$app_dir"' in line for line in removals), removals


def test_info_plist_is_valid() -> None:
    with open(PACKAGING / "macos" / "Info.plist", "rb") as fh:
        info = plistlib.load(fh)
    assert info["CFBundleIdentifier"] == "org.pixtraldesk.PixtralDesk"
    assert info["CFBundleIconFile"] == "pixtral-desk.icns"
    assert info["CFBundleExecutable"] == "pixtral-desk"
    assert info["NSScreenCaptureUsageDescription"]
    assert info["NSHighResolutionCapable"] is True
    with open(PACKAGING / "macos" / "entitlements.plist", "rb") as fh:
        plistlib.load(fh)


def test_inno_setup_script_has_a_start_menu_shortcut() -> None:
    text = (PACKAGING / "windows" / "pixtral-desk.iss").read_text(encoding="utf-8")
    for section in ("[Setup]", "[Files]", "[Icons]"):
        assert section in text
    assert '"{group}\\{#AppName}"' in text
    assert "dist\\pixtral-desk\\*" in text
    assert "SetupIconFile=pixtral-desk.ico" in text
