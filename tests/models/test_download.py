"""Downloads through huggingface_hub against a loopback fake Hub."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.model_files import check_pair
from app.models import download as download_mod
from app.models.catalog import Quant, RemoteFile
from app.models.download import Downloader, DownloadError, Progress
from tests.fixtures.pixtral_gguf import GgufPair
from tests.models.fake_hub import COMMIT, FakeHub

REPO = "ggml-org/pixtral-12b-GGUF"


@pytest.fixture
def env(hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    return tmp_path / "hf" / "hub"


def _remote(name: str, data: bytes, sha256: str | None = None) -> RemoteFile:
    return RemoteFile(REPO, "main", name, len(data), True, sha256)


def test_a_pair_downloads_into_the_hf_cache_with_progress(
    hub: FakeHub, env: Path, tiny_pair: GgufPair
) -> None:
    model, mmproj = tiny_pair.model.read_bytes(), tiny_pair.mmproj.read_bytes()
    hub.add(REPO, "m.gguf", model)
    sha = hub.add(REPO, "p.gguf", mmproj)
    quant = Quant("ggml-org", "Q4_K_M", _remote("m.gguf", model), _remote("p.gguf", mmproj, sha))
    seen: list[Progress] = []
    model_path, mmproj_path = Downloader().download_pair(quant, seen.append)
    # HF_HOME and HF_ENDPOINT were honoured: the standard cache layout, from the fake Hub.
    storage = env / "models--ggml-org--pixtral-12b-GGUF"
    assert model_path == storage / "snapshots" / COMMIT / "m.gguf"
    assert model_path.read_bytes() == model and mmproj_path.read_bytes() == mmproj
    check_pair(model_path, mmproj_path)
    assert (env / "models--ggml-org--pixtral-12b-GGUF" / "refs" / "main").read_text() == COMMIT
    assert seen[-1].done_bytes == len(mmproj) and seen[-1].file_index == 2
    assert len({p.filename for p in seen}) == 2 and all(p.file_count == 2 for p in seen)
    assert "MB/s" in seen[-1].describe() and seen[0].fraction < 1.0
    # The second time nothing is fetched again.
    before = len([r for r in hub.requests if r[0] == "GET"])
    Downloader().download_pair(quant)
    assert len([r for r in hub.requests if r[0] == "GET"]) == before


def test_a_cut_connection_resumes_with_a_range_request(hub: FakeHub, env: Path) -> None:
    data = os.urandom(300_000)
    hub.add(REPO, "big.gguf", data)
    hub.cut_after["big.gguf"] = 100_000
    path = Downloader().download(_remote("big.gguf", data))
    assert path.read_bytes() == data
    ranges = [r[2] for r in hub.requests if r[0] == "GET"]
    assert ranges[0] is None and ranges[1] and ranges[1].startswith("bytes=")


def test_cancel_keeps_the_partial_file_and_a_new_downloader_resumes(
    hub: FakeHub, env: Path
) -> None:
    data = os.urandom(400_000)
    hub.add(REPO, "big.gguf", data)
    first = Downloader()

    def cancel_soon(p: Progress) -> None:
        if p.done_bytes >= 128 * 1024:  # the chunk that reports this is not written
            first.cancel()

    with pytest.raises(DownloadError) as paused:
        first.download(_remote("big.gguf", data), cancel_soon)
    assert paused.value.kind == "cancelled"
    parts = list(env.rglob("*.part"))
    assert len(parts) == 1 and 0 < parts[0].stat().st_size < len(data)
    have = parts[0].stat().st_size
    # "After a restart": a fresh Downloader continues from the partial file.
    seen: list[Progress] = []
    path = Downloader().download(_remote("big.gguf", data), seen.append)
    assert path.read_bytes() == data
    assert hub.requests[-1][2] == f"bytes={have}-"
    assert seen[0].done_bytes > have  # progress starts where it stopped, not at zero


def test_a_checksum_mismatch_deletes_the_file(hub: FakeHub, env: Path) -> None:
    data = os.urandom(50_000)
    hub.add(REPO, "x.gguf", data)
    hub.etags["x.gguf"] = "0" * 64  # the Hub's sha256 for it disagrees with the bytes
    with pytest.raises(DownloadError) as bad:
        Downloader().download(_remote("x.gguf", data))
    assert bad.value.kind == "checksum" and "damaged" in str(bad.value)
    assert not list(env.rglob("*.part")) and not list(env.rglob("x.gguf"))
    # A catalog sha256 is checked too, and wins over the ETag.
    hub.etags.clear()
    with pytest.raises(DownloadError, match="checksum"):
        Downloader().download(_remote("x.gguf", data, sha256="1" * 64))


@pytest.mark.parametrize(
    ("status", "code", "kind", "words"),
    [
        (403, "GatedRepo", "gated", "is gated: accept its terms"),
        (401, "RepoNotFound", "auth", "needs a login"),
        (404, "EntryNotFound", "not_found", "is not in"),
    ],
)
def test_hub_errors_become_clear_messages(
    hub: FakeHub, env: Path, status: int, code: str, kind: str, words: str
) -> None:
    hub.errors["x.gguf"] = (status, code)
    with pytest.raises(DownloadError) as err:
        Downloader().download(_remote("x.gguf", b"1234"))
    assert err.value.kind == kind and words in str(err.value)


def test_the_token_from_hf_token_is_sent(hub: FakeHub, env: Path) -> None:
    seen: dict[str, str] = {}
    original = Downloader._headers

    def spy(self: Downloader) -> dict[str, str]:
        headers = original(self)
        seen.update(headers)
        return headers

    data = b"abc" * 1000
    hub.add(REPO, "t.gguf", data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Downloader, "_headers", spy)
        Downloader().download(_remote("t.gguf", data))
    assert seen["authorization"] == "Bearer hf_test_token"


def test_a_lost_network_is_a_network_error(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on port 9
    with pytest.raises(DownloadError) as err:
        Downloader().download(_remote("x.gguf", b"1234"))
    assert err.value.kind == "network" and "resume where it stopped" in str(err.value)


def test_not_enough_space_is_refused_before_any_byte(
    hub: FakeHub, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(10_000)
    hub.add(REPO, "x.gguf", data)

    class Tiny:
        free = 1000

    monkeypatch.setattr(download_mod.shutil, "disk_usage", lambda _p: Tiny)
    with pytest.raises(DownloadError) as err:
        Downloader().download(_remote("x.gguf", data))
    assert err.value.kind == "disk_full" and "Not enough disk space" in str(err.value)
    assert not [r for r in hub.requests if r[0] == "GET"]


def test_a_full_disk_during_the_download_is_explained() -> None:
    error = download_mod.explain(OSError(28, "No space left on device"), _remote("x", b""), "h")
    assert error.kind == "disk_full" and "resume where it stopped" in str(error)
