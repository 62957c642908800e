"""Searching hostile folders ends, never blocks, and says what it skipped.

Each test leaves a real pair beside the trap, so "finished" also means "found what is there".
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models import folder_walk
from app.models.discovery import ScanResult, scan
from app.models.folder_walk import Walk, WalkLimits
from tests.fixtures.pixtral_gguf import GgufPair

FINISHES_WITHIN_S = 2.0


def _with_pair(folder: Path, pair: GgufPair) -> GgufPair:
    real = folder / "real"
    real.mkdir(parents=True)
    shutil.copy(pair.model, real / "model.gguf")
    shutil.copy(pair.mmproj, real / "mmproj.gguf")
    return GgufPair(real / "model.gguf", real / "mmproj.gguf")


def _scan_in_time(folder: Path, limits: WalkLimits | None = None) -> ScanResult:
    """Scan in a thread, so a scan that hangs fails the test instead of the whole run."""
    out: list[ScanResult | BaseException] = []

    def run() -> None:
        try:
            out.append(scan([], extra_folders=[folder], limits=limits))
        except BaseException as exc:  # handed to the test thread to judge
            out.append(exc)

    start = time.perf_counter()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(FINISHES_WITHIN_S)
    took = time.perf_counter() - start
    if thread.is_alive():
        for fifo in folder.rglob("*.gguf"):  # a blocked open() waits for a writer: be one
            if fifo.is_fifo():
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(FINISHES_WITHIN_S)
        pytest.fail(f"the scan did not finish within {FINISHES_WITHIN_S} s")
    assert took < FINISHES_WITHIN_S
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]


def _found_the_pair(result: ScanResult, pair: GgufPair) -> None:
    assert [(p.model.path, p.mmproj.path) for p in result.pairs] == [(pair.model, pair.mmproj)]


def test_symlink_loops_end_and_are_reported(tmp_path: Path, tiny_pair: GgufPair) -> None:
    pair = _with_pair(tmp_path, tiny_pair)
    (tmp_path / "a" / "b").mkdir(parents=True)
    os.symlink("../..", tmp_path / "a" / "b" / "up")  # a folder loop
    os.symlink("self.gguf", tmp_path / "self.gguf")  # a file link to itself (ELOOP)
    os.symlink("two.gguf", tmp_path / "one.gguf")  # two links to each other
    os.symlink("one.gguf", tmp_path / "two.gguf")
    result = _scan_in_time(tmp_path)
    _found_the_pair(result, pair)
    reasons = {path.name: why for path, why in result.skipped}
    assert reasons == {
        "up": folder_walk.LOOP,
        "self.gguf": folder_walk.LOOP,
        "one.gguf": folder_walk.LOOP,
        "two.gguf": folder_walk.LOOP,
    }
    assert result.skipped_summary.startswith("skipped 4 entries (symlink loop: 4; first: ")


def test_a_linked_folder_is_searched_once(tmp_path: Path, tiny_pair: GgufPair) -> None:
    pair = _with_pair(tmp_path / "disk", tiny_pair)
    os.symlink(tmp_path / "disk", tmp_path / "link-to-disk")  # followed, not listed twice
    result = _scan_in_time(tmp_path)
    assert len(result.pairs) == 1 and result.pairs[0].model.path.name == pair.model.name
    assert result.skipped == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_gguf_is_skipped_not_opened(tmp_path: Path, tiny_pair: GgufPair) -> None:
    pair = _with_pair(tmp_path, tiny_pair)
    os.mkfifo(tmp_path / "x.gguf")
    result = _scan_in_time(tmp_path)
    _found_the_pair(result, pair)
    assert result.skipped == [(tmp_path / "x.gguf", folder_walk.NOT_REGULAR)]
    assert result.rejected == []  # never handed to the header reader


@pytest.fixture
def locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder that cannot be listed: mode 000, and refused by hand where we run as root."""
    folder = tmp_path / "locked"
    (folder / "inside").mkdir(parents=True)
    folder.chmod(0)
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # root reads it anyway
        real_scandir = os.scandir

        def scandir(path: str | os.PathLike[str]) -> object:
            if Path(path) == folder:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(folder_walk.os, "scandir", scandir)
    yield folder
    folder.chmod(0o755)


def test_an_unreadable_folder_is_skipped(tmp_path: Path, tiny_pair: GgufPair, locked: Path) -> None:
    pair = _with_pair(tmp_path, tiny_pair)
    result = _scan_in_time(tmp_path)
    _found_the_pair(result, pair)
    assert result.skipped == [(locked, folder_walk.DENIED)]
    assert "permission denied: 1" in result.skipped_summary


def test_the_entry_budget_stops_the_search_and_says_so(tmp_path: Path) -> None:
    for i in range(50):
        (tmp_path / f"f{i:02}.txt").touch()
    walk = Walk(WalkLimits(max_entries=10))
    assert list(walk.files(tmp_path)) == []
    assert walk.stopped == "stopped after 10 entries"
    assert walk.summary() == "stopped after 10 entries"


def test_the_time_budget_stops_the_search(tmp_path: Path, tiny_pair: GgufPair) -> None:
    _with_pair(tmp_path, tiny_pair)
    ticks = iter(range(1000))
    walk = Walk(WalkLimits(max_seconds=1), clock=lambda: float(next(ticks)))
    found = list(walk.files(tmp_path))
    assert len(found) == 0 and walk.stopped == "stopped after 1 s"


def test_depth_is_bounded(tmp_path: Path, tiny_pair: GgufPair) -> None:
    deep = tmp_path.joinpath(*"abcd")
    deep.mkdir(parents=True)
    shutil.copy(tiny_pair.model, deep / "model.gguf")
    shutil.copy(tiny_pair.model, deep.parent / "model.gguf")
    walk = Walk(WalkLimits(max_depth=3))
    assert [f.path for f in walk.files(tmp_path)] == [deep.parent / "model.gguf"]
    assert walk.skipped == [(deep, folder_walk.TOO_DEEP)]
