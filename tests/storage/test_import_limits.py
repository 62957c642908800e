"""Zip and JSON bombs: what an import reads is capped before and while reading.

The bombs are built by hand (a deflate block repeated), so a 1 GiB member costs a 1 MB file
and well under a second to make; the import runs in a subprocess to measure its peak memory.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from app.core.conversation import ImagePart, TextPart
from app.storage import import_reader
from app.storage.errors import ImportFormatError
from app.storage.export import ZIP_JSON_NAME, export_all_json, export_json
from app.storage.history import HistoryStore
from app.storage.importer import import_file

MiB = 1024 * 1024
GiB = 1024 * MiB
ROOT = Path(__file__).resolve().parents[2]


def write_bomb(path: Path, inflated: int, declared: int, name: str = ZIP_JSON_NAME) -> None:
    """A zip with one deflated member of ``inflated`` bytes of "a" that says it has
    ``declared`` (a lie when they differ)."""
    chunk = b"a" * MiB
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)  # repeats byte for byte
    stream = block * (inflated // MiB) + deflate.flush()
    crc = 0
    for _ in range(inflated // MiB):
        crc = zlib.crc32(chunk, crc)
    raw = name.encode()
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(stream), declared, len(raw), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        *(0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(stream), declared, len(raw)),
        *(0, 0, 0, 0, 0, 0),
    )
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central) + len(raw), len(local + raw + stream), 0
    )
    path.write_bytes(local + raw + stream + central + raw + end)


_MEASURE = textwrap.dedent(
    """
    import resource, sys, time
    from app.storage.history import HistoryStore
    from app.storage.importer import import_file
    from app.storage.errors import ImportFormatError
    import PIL.Image  # loaded before the baseline, like the app has it

    def peak():
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss if sys.platform == "darwin" else rss * 1024

    with HistoryStore.open(sys.argv[1]) as store:
        before, started = peak(), time.perf_counter()
        try:
            import_file(store, sys.argv[2])
            outcome = "imported"
        except ImportFormatError as exc:
            outcome = str(exc)
        print(peak() - before, round(time.perf_counter() - started, 3))
        print(outcome)
    """
)


def measure(tmp_path: Path, bomb: Path) -> tuple[int, float, str]:
    """Peak memory growth (bytes), seconds and outcome of importing ``bomb`` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(tmp_path / "data"), str(bomb)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    figures, outcome = done.stdout.strip().split("\n", 1)
    grown, seconds = figures.split()
    return int(grown), float(seconds), outcome


@pytest.mark.parametrize(
    ("declared", "reason"),
    [(GiB, "inflates to 1,024 MB, over the 256 MB limit"), (1000, "cannot be read from the zip")],
    ids=["honest", "lying"],
)
def test_a_zip_bomb_is_refused_in_small_memory(tmp_path: Path, declared: int, reason: str) -> None:
    bomb = tmp_path / "all.zip"
    write_bomb(bomb, GiB, declared)
    assert bomb.stat().st_size < 2 * MiB
    grown, seconds, outcome = measure(tmp_path, bomb)
    assert reason in outcome and outcome.startswith("all.zip cannot be imported: ")
    assert grown < 32 * MiB, f"peak memory grew by {grown / MiB:.0f} MiB"
    assert seconds < 5


def test_a_lying_member_under_the_limit_is_read_no_further_than_it_says(
    tmp_path: Path, store: HistoryStore
) -> None:
    bomb = tmp_path / "all.zip"
    write_bomb(bomb, 64 * MiB, 2 * MiB)
    started = time.perf_counter()
    with pytest.raises(ImportFormatError, match="cannot be read from the zip"):
        import_file(store, bomb)
    assert time.perf_counter() - started < 2


def test_a_json_file_over_the_limit_is_refused_before_parsing(
    tmp_path: Path, store: HistoryStore, monkeypatch
) -> None:
    monkeypatch.setattr(import_reader, "MAX_JSON_BYTES", 1000)
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"pad": "x" * 2000}), encoding="utf-8")
    with pytest.raises(ImportFormatError, match="larger than 1000 bytes"):
        import_file(store, big)


def test_too_many_zip_members_are_refused_before_the_directory_is_parsed(
    tmp_path: Path, store: HistoryStore, monkeypatch
) -> None:
    monkeypatch.setattr(import_reader, "MAX_ZIP_MEMBERS", 5)
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(10):
            archive.writestr(f"blobs/{i}", b"x")
    parsed: list[object] = []
    monkeypatch.setattr(import_reader.zipfile, "ZipFile", lambda *a: parsed.append(a))
    with pytest.raises(ImportFormatError, match="more than 5 files"):
        import_file(store, many)
    assert parsed == []


@pytest.fixture
def archive(tmp_path: Path, store: HistoryStore, make_image) -> Path:
    cid = store.create_conversation()
    store.add_message(cid, "user", [ImagePart(make_image(size=(300, 200))), TextPart("hi")])
    return export_all_json(store, tmp_path / "all.zip")


def test_an_attachment_over_the_limit_is_refused(
    tmp_path: Path, archive: Path, monkeypatch
) -> None:
    monkeypatch.setattr(import_reader, "MAX_BLOB_BYTES", 100)
    with HistoryStore.open(tmp_path / "fresh") as fresh:
        with pytest.raises(ImportFormatError, match=r"attachment \w+: inflates to .* over the 100"):
            import_file(fresh, archive)
        assert fresh.list_conversations() == []


def test_everything_a_zip_inflates_to_is_capped(tmp_path: Path, archive: Path, monkeypatch) -> None:
    with zipfile.ZipFile(archive) as z:
        json_size = z.getinfo(ZIP_JSON_NAME).file_size
    monkeypatch.setattr(import_reader, "MAX_TOTAL_BYTES", json_size + 10)
    with (
        HistoryStore.open(tmp_path / "fresh") as fresh,
        pytest.raises(ImportFormatError, match="the zip inflates to more than"),
    ):
        import_file(fresh, archive)


def test_a_base64_attachment_over_the_limit_is_refused(
    tmp_path: Path, store: HistoryStore, make_image, monkeypatch
) -> None:
    cid = store.create_conversation()
    store.add_message(cid, "user", [ImagePart(make_image(size=(300, 200)))])
    path = export_json(store, cid, tmp_path / "one.json")
    monkeypatch.setattr(import_reader, "MAX_BLOB_BYTES", 100)
    with pytest.raises(ImportFormatError, match="is larger than 100 bytes"):
        import_file(store, path)
