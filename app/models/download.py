"""Download a model pair from the Hugging Face Hub, resumable across restarts.

Why not plain ``hf_hub_download``: since huggingface_hub 1.x (PR #4228) it downloads into a
process-unique temp file and deletes it on any failure, so a 7 GB download cut at 90 % — or
paused by the user, or interrupted by quitting the app — starts again from zero. This module
uses huggingface_hub's own pieces instead — ``get_hf_file_metadata`` (the HEAD, auth and the
Hub's error codes: gated, not found), ``file_download.http_get`` (the streaming GET, with its
in-call retries that resume with ``Range``) and ``build_hf_headers`` (``HF_TOKEN``) — but keeps
the partial file at ``blobs/<etag>.part`` in the standard cache layout, so the next attempt
continues where the last stopped, and the finished file lands where ``hf_hub_download`` and
every other HF tool would look for it (``HF_HUB_CACHE`` / ``HF_HOME``; ``HF_ENDPOINT`` too).

After the last byte the file is checked against its sha256 — the catalog's when recorded, else
the Hub's ETag, which for LFS files *is* the sha256 — and a mismatch deletes the partial file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from app.core.errors import UserFacingError
from app.models.catalog import Quant, RemoteFile

SPACE_MARGIN = 256 * 1024**2
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DownloadError(UserFacingError):
    """A download failed; ``kind`` is one of: auth, gated, not_found, network, disk_full,
    checksum, cancelled, failed. The partial file is kept unless the checksum was wrong."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Progress:
    filename: str
    done_bytes: int
    total_bytes: int
    speed_bps: float  # over the last few seconds
    file_index: int  # 1-based, of file_count
    file_count: int

    @property
    def fraction(self) -> float:
        return self.done_bytes / self.total_bytes if self.total_bytes else 0.0

    @property
    def eta_s(self) -> float | None:
        if self.speed_bps <= 0:
            return None
        return max(0.0, (self.total_bytes - self.done_bytes) / self.speed_bps)

    def describe(self) -> str:
        eta = self.eta_s
        left = "—" if eta is None else f"{int(eta // 60)} min {int(eta % 60):02d} s"
        return (
            f"{self.filename} ({self.file_index}/{self.file_count}): "
            f"{self.done_bytes / 1e9:.2f} of {self.total_bytes / 1e9:.2f} GB, "
            f"{self.speed_bps / 1e6:.1f} MB/s, {left} left"
        )


def hub_cache_dir() -> Path:
    """``HF_HUB_CACHE``, else ``HF_HOME/hub``, else ``~/.cache/huggingface/hub`` — read now,
    not at import, so a change in the environment (or a test) takes effect."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface"
    return Path(home).expanduser() / "hub"


class Downloader:
    """Downloads files into the HF cache; call from a worker thread (it blocks)."""

    def __init__(
        self,
        cache_dir: str | Path | None = None,
        endpoint: str | None = None,
        token: str | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir else hub_cache_dir()
        self.endpoint = (
            endpoint or os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
        ).rstrip("/")
        self.token = token or os.environ.get("HF_TOKEN") or None
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        """Stop at the next chunk; the partial file stays for the next attempt (that is pause)."""
        self.cancel_event.set()

    def download_pair(
        self, quant: Quant, progress: Callable[[Progress], None] | None = None
    ) -> tuple[Path, Path]:
        """Download the model and its mmproj — always both — and return their paths."""
        model, mmproj = quant.files
        self._check_space([model, mmproj])
        paths = [
            self.download(f, progress, i + 1, 2, check_space=False)
            for i, f in enumerate((model, mmproj))
        ]
        return paths[0], paths[1]

    def download(
        self,
        remote: RemoteFile,
        progress: Callable[[Progress], None] | None = None,
        file_index: int = 1,
        file_count: int = 1,
        check_space: bool = True,
    ) -> Path:
        """Download one file (resuming a partial one) and return its snapshot path."""
        from huggingface_hub import file_download

        self.cancel_event.clear()
        meta = self._metadata(remote)
        storage = self.cache_dir / file_download.repo_folder_name(
            repo_id=remote.repo, repo_type="model"
        )
        snapshot = storage / "snapshots" / meta.commit_hash / remote.filename
        if snapshot.exists():
            return snapshot
        blob = storage / "blobs" / meta.etag
        part = blob.with_name(blob.name + ".part")
        part.parent.mkdir(parents=True, exist_ok=True)
        size = meta.size or remote.size_bytes
        have = part.stat().st_size if part.exists() else 0
        if have > size:
            part.unlink()
            have = 0
        if check_space:
            self._need(size - have, part.parent, remote.filename)
        bar = _bar_class(self, remote.filename, size, file_index, file_count, progress)
        headers = self._headers()
        if urlsplit(meta.location).netloc != urlsplit(self.endpoint).netloc:
            headers.pop("authorization", None)  # a signed CDN URL: never send the token there
        try:
            with part.open("ab") as out:
                file_download.http_get(
                    meta.location,
                    out,
                    resume_size=have,
                    headers=headers,
                    expected_size=size,
                    displayed_filename=remote.filename,
                    tqdm_class=bar,
                )
        except Exception as exc:
            raise explain(exc, remote, self.endpoint) from exc
        self._verify(part, remote.sha256 or (meta.etag if _SHA256.match(meta.etag) else None))
        os.replace(part, blob)
        _link(blob, snapshot)
        ref = storage / "refs" / remote.revision
        ref.parent.mkdir(parents=True, exist_ok=True)
        if not _SHA256.match(remote.revision):
            ref.write_text(meta.commit_hash)
        return snapshot

    # --- helpers ----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        from huggingface_hub.utils import build_hf_headers

        return build_hf_headers(token=self.token, library_name="pixtral-desk")

    def _metadata(self, remote: RemoteFile):  # -> HfFileMetadata
        from huggingface_hub import get_hf_file_metadata, hf_hub_url

        url = hf_hub_url(
            remote.repo, remote.filename, revision=remote.revision, endpoint=self.endpoint
        )
        try:
            meta = get_hf_file_metadata(url, token=self.token, endpoint=self.endpoint)
        except Exception as exc:
            raise explain(exc, remote, self.endpoint) from exc
        if not meta.commit_hash or not meta.etag:
            raise DownloadError(
                "failed",
                f"{self.endpoint} did not answer like the Hugging Face Hub (no commit or ETag "
                "header). Check HF_ENDPOINT and any proxy.",
            )
        return meta

    def _check_space(self, files: list[RemoteFile]) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._need(sum(f.size_bytes for f in files), self.cache_dir, "the model pair")

    def _need(self, n_bytes: int, folder: Path, what: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(folder).free
        if free < n_bytes + SPACE_MARGIN:
            raise DownloadError(
                "disk_full",
                f"Not enough disk space for {what}: it needs {n_bytes / 1e9:.1f} GB but "
                f"{folder} has {free / 1e9:.1f} GB free. Free some space or set HF_HOME to "
                "a larger disk.",
            )

    def _verify(self, part: Path, sha256: str | None) -> None:
        if not sha256:
            return
        digest = hashlib.sha256()
        with part.open("rb") as handle:
            while chunk := handle.read(8 * 1024**2):
                if self.cancel_event.is_set():
                    raise DownloadError("cancelled", "Download paused while checking it.")
                digest.update(chunk)
        if digest.hexdigest() != sha256.lower():
            part.unlink(missing_ok=True)
            raise DownloadError(
                "checksum",
                f"'{part.name.removesuffix('.part')}' arrived damaged (checksum mismatch) and "
                "was deleted; download it again.",
            )


def _link(blob: Path, snapshot: Path) -> None:
    """A relative symlink as huggingface_hub makes; a move where symlinks are not allowed."""
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    try:
        snapshot.symlink_to(os.path.relpath(blob, snapshot.parent))
    except OSError:
        shutil.move(str(blob), str(snapshot))


def _bar_class(
    downloader: Downloader,
    filename: str,
    total: int,
    index: int,
    count: int,
    report: Callable[[Progress], None] | None,
) -> type:
    """A tqdm class for ``http_get`` that reports our ``Progress`` and checks for cancel."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    class _Bar(hf_tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs["disable"] = True  # no console bar inside a GUI
            super().__init__(*args, **kwargs)
            self.done = int(kwargs.get("initial") or 0)  # type: ignore[call-overload]
            self.samples: deque[tuple[float, int]] = deque([(time.monotonic(), self.done)])

        def update(self, n: float | None = 1) -> bool | None:
            self.done += int(n or 0)
            now = time.monotonic()
            self.samples.append((now, self.done))
            while len(self.samples) > 2 and now - self.samples[0][0] > 5.0:
                self.samples.popleft()
            t0, d0 = self.samples[0]
            speed = (self.done - d0) / (now - t0) if now > t0 else 0.0
            if report:
                report(Progress(filename, self.done, total, speed, index, count))
            if downloader.cancel_event.is_set():
                raise DownloadError("cancelled", "Download paused; it will resume from here.")
            return None

    return _Bar


def explain(exc: BaseException, remote: RemoteFile, endpoint: str) -> DownloadError:
    """One sentence a person can act on, for everything a download can raise."""
    if isinstance(exc, DownloadError):
        return exc
    from huggingface_hub import errors as hf

    page = f"{endpoint}/{remote.repo}"
    if isinstance(exc, hf.GatedRepoError):
        return DownloadError(
            "gated",
            f"{remote.repo} is gated: accept its terms at {page} while logged in, then set "
            "HF_TOKEN to an access token of that account.",
        )
    if isinstance(exc, hf.RepositoryNotFoundError):
        return DownloadError(
            "auth",
            f"{remote.repo} was not found or needs a login (HTTP 401). Check the name, or set "
            "HF_TOKEN to an access token that can read it.",
        )
    if isinstance(exc, hf.RevisionNotFoundError | hf.EntryNotFoundError):
        return DownloadError(
            "not_found",
            f"'{remote.filename}' is not in {remote.repo} (HTTP 404); the catalog may be out of "
            f"date. See {page} for the files it has.",
        )
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status in (401, 403):
        return DownloadError(
            "auth", f"{remote.repo} refused access (HTTP {status}); set HF_TOKEN to a valid token."
        )
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DownloadError(
            "disk_full",
            f"The disk filled up while downloading '{remote.filename}'. Free some space; the "
            "download will resume where it stopped.",
        )
    if _is_network(exc):
        return DownloadError(
            "network",
            f"The connection to {endpoint} was lost while downloading '{remote.filename}'. "
            "Check the network and try again: it will resume where it stopped.",
        )
    return DownloadError("failed", f"Downloading '{remote.filename}' failed: {exc}")


def _is_network(exc: BaseException) -> bool:
    names = {c.__module__.split(".")[0] for c in type(exc).__mro__}
    if names & {"httpx", "httpx2", "httpcore", "requests", "urllib3"}:
        return True
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    return isinstance(exc, OSError) and "Consistency check failed" in str(exc)
