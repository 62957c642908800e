"""packaging/README.md's "Where your data lives" table and clean-up are what the code does.

Each folder in the table is compared with the path the code computes (platformdirs, the
Hugging Face cache rule) in a clean environment with a known home: the column of this OS, and
the macOS column on any OS (platformdirs' macOS rules are plain paths under the home). The
clean-up commands must remove every folder the app writes and, in the shared Hugging Face
cache, only the repositories the app downloads from."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import platformdirs
import platformdirs.macos
import pytest

from app.engine.local.state_files import default_state_dir
from app.logs import LOG_DIR_ENV, default_log_dir
from app.models.catalog import load_catalog
from app.models.download import hub_cache_dir
from app.settings import default_config_path
from app.storage.history import default_data_dir

README = (Path(__file__).resolve().parent.parent / "packaging" / "README.md").read_text(
    encoding="utf-8"
)
TABLE_HEAD = "| | Linux | macOS | Windows |"
COLUMNS = {"linux": 1, "darwin": 2, "win32": 3}
ROWS: dict[str, Callable[[], Path]] = {
    "History": default_data_dir,
    "Settings": lambda: default_config_path().parent,
    "Logs": default_log_dir,
    "Saved chat states": default_state_dir,
    "Downloaded models": hub_cache_dir,
}
ENVIRONMENT = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
               "HF_HOME", "HF_HUB_CACHE", LOG_DIR_ENV, "PIXTRAL_DESK_STATE_DIR")  # fmt: skip


def _table() -> dict[str, list[str]]:
    lines = README.splitlines()
    start = lines.index(TABLE_HEAD) + 2
    rows = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells
    return rows


def _cell(row: str, column: int) -> str:
    (cells,) = [cells for name, cells in _table().items() if name.startswith(row)]
    return cells[column]


def _path(cell: str, home: Path) -> Path:
    """The first path in a cell, with ``~`` and ``%VAR%`` expanded."""
    text = re.findall(r"`([^`]+)`", cell)[0]
    if text.startswith("~"):
        text = str(home) + text[1:]
    text = re.sub(r"%(\w+)%", lambda m: os.environ[m.group(1)], text)
    return Path(text)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment: a home of our own, no XDG, Hugging Face or log-folder variables."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.skipif(sys.platform not in COLUMNS, reason="the table covers Linux, macOS, Windows")
@pytest.mark.parametrize("row", ROWS)
def test_this_oss_column_is_where_the_code_writes(home: Path, row: str) -> None:
    assert _path(_cell(row, COLUMNS[sys.platform]), home) == ROWS[row]()


@pytest.mark.parametrize("row", ROWS)
def test_the_macos_column_is_where_the_code_writes_on_a_mac(
    home: Path, monkeypatch: pytest.MonkeyPatch, row: str
) -> None:
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.macos.MacOS)
    assert _path(_cell(row, COLUMNS["darwin"]), home) == ROWS[row]()


def test_the_model_cache_variables_the_table_names_move_it(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cell = _cell("Downloaded models", COLUMNS["linux"])
    assert "`$HF_HUB_CACHE`" in cell and "`$HF_HOME/hub`" in cell
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    assert hub_cache_dir() == home / "hf" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(home / "elsewhere"))
    assert hub_cache_dir() == home / "elsewhere"


def _removed(home: Path) -> list[Path]:
    """Every path the Linux clean-up's ``rm -rf`` lines remove."""
    block = README.split("To remove **everything**", 1)[1].split("```sh", 1)[1].split("```")[0]
    words = block.replace("\\\n", " ").split()
    return [Path(str(home) + w[1:]) for w in words if w.startswith("~")]


@pytest.mark.skipif(sys.platform != "linux", reason="the commands are written out for Linux")
def test_the_clean_up_removes_what_the_app_wrote_and_nothing_shared(home: Path) -> None:
    removed = _removed(home)
    hub = hub_cache_dir()
    written = (default_data_dir(), default_config_path().parent, default_log_dir(),
               default_state_dir())  # fmt: skip
    for folder in written:
        assert any(folder == gone or gone in folder.parents for gone in removed), folder
    assert not any(gone == hub or gone in hub.parents for gone in removed), "the shared cache"
    in_hub = {gone for gone in removed if hub in gone.parents}
    repos = {release.repo for release in load_catalog().releases}
    assert in_hub == {hub / ("models--" + repo.replace("/", "--")) for repo in repos}
    app_folders = {
        default_data_dir(),
        default_config_path().parent,
        default_log_dir().parent,  # ~/.local/state/pixtral-desk: its log/ is all there is
        default_state_dir().parent,  # ~/.cache/pixtral-desk: its states/ is all there is
    }
    assert set(removed) - in_hub == app_folders  # nothing the app never writes
