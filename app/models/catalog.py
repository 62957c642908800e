"""The known Pixtral GGUF releases, read from ``resources/models/catalog.json``.

The list is data, not code: a new conversion or a corrected size is a JSON
edit. Every entry names its model file *and* the mmproj published with it, because a model
downloaded without its projector is the most common way newcomers end up with a Pixtral that
cannot see images.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.budget import KvShape
from app.core.errors import UserFacingError
from app.resources import resource

CATALOG_PATH = resource("models", "catalog.json")


class CatalogError(UserFacingError):
    """The catalog file is missing, malformed, or a name in it was not found."""


@dataclass(frozen=True)
class RemoteFile:
    """One file in a Hub repository; ``size_bytes`` is approximate unless ``size_exact``."""

    repo: str
    revision: str
    filename: str
    size_bytes: int
    size_exact: bool = False
    sha256: str | None = None


@dataclass(frozen=True)
class Quant:
    """One quantization of a release: its model file and the release's mmproj."""

    release_id: str
    quant: str
    model: RemoteFile
    mmproj: RemoteFile

    @property
    def name(self) -> str:
        """The name the CLI and UI use: ``<release>:<quant>``, e.g. ``ggml-org:Q4_K_M``."""
        return f"{self.release_id}:{self.quant}"

    @property
    def files(self) -> tuple[RemoteFile, RemoteFile]:
        """Always both: the model and its projector."""
        return (self.model, self.mmproj)

    @property
    def total_bytes(self) -> int:
        return self.model.size_bytes + self.mmproj.size_bytes


@dataclass(frozen=True)
class Release:
    id: str
    label: str
    repo: str
    revision: str
    reference: bool
    quants: tuple[Quant, ...]


@dataclass(frozen=True)
class ModelShape:
    """A model's text and vision shape: the numbers a memory estimate needs.

    The catalog's comes from its JSON (estimates before any download); ``memory_fit`` reads
    the same fields from a pair's GGUF headers (``shape_from_files``).
    """

    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    head_dim: int
    n_ff: int
    n_vocab: int
    n_ctx_train: int
    v_n_embd: int
    v_n_head: int
    v_n_ff: int

    @property
    def kv_shape(self) -> KvShape:
        return KvShape(self.n_layer, self.n_head_kv, self.head_dim)


@dataclass(frozen=True)
class Catalog:
    releases: tuple[Release, ...]
    shape: ModelShape

    def reference(self) -> Release:
        return next((r for r in self.releases if r.reference), self.releases[0])

    def find(self, name: str, quant: str | None = None) -> Quant:
        """Look up ``release:QUANT``, or ``release`` / a repo id plus ``quant``.

        Without a quant the reference's Q4_K_M (or the release's first) is meant.
        """
        release_id, _, inline_quant = name.partition(":")
        wanted = (inline_quant or quant or "").upper()
        for release in self.releases:
            if release_id.lower() not in (release.id.lower(), release.repo.lower()):
                continue
            if not wanted:
                by_name = {q.quant.upper(): q for q in release.quants}
                return by_name.get("Q4_K_M", release.quants[0])
            for q in release.quants:
                if q.quant.upper() == wanted:
                    return q
            known = ", ".join(q.quant for q in release.quants)
            raise CatalogError(f"{release.label} has no {wanted} file; it has {known}.")
        known = ", ".join(r.id for r in self.releases)
        raise CatalogError(f"No model called '{release_id}' in the catalog; known: {known}.")


def load_catalog(path: str | Path = CATALOG_PATH) -> Catalog:
    """Parse the catalog; raise ``CatalogError`` with the reason when it is unusable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        releases = tuple(_release(r) for r in data["releases"])
        shape = ModelShape(**{k: int(v) for k, v in data["shape"].items() if k != "comment"})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CatalogError(f"The model catalog '{path}' cannot be read ({exc}).") from exc
    if not releases:
        raise CatalogError(f"The model catalog '{path}' lists no models.")
    return Catalog(releases, shape)


def _release(data: dict[str, Any]) -> Release:
    repo, revision = str(data["repo"]), str(data.get("revision", "main"))
    mmproj = _file(repo, revision, data["mmproj"])
    quants = tuple(
        Quant(str(data["id"]), str(q["quant"]), _file(repo, revision, q), mmproj)
        for q in data["quants"]
    )
    if not quants:
        raise ValueError(f"release {data['id']} has no quantizations")
    return Release(
        id=str(data["id"]),
        label=str(data.get("label", data["id"])),
        repo=repo,
        revision=revision,
        reference=bool(data.get("reference", False)),
        quants=quants,
    )


def _file(repo: str, revision: str, data: dict[str, Any]) -> RemoteFile:
    sha = data.get("sha256")
    if sha is not None and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
        raise ValueError(f"bad sha256 for {data['file']}")
    return RemoteFile(
        repo=repo,
        revision=revision,
        filename=str(data["file"]),
        size_bytes=int(data["size_bytes"]),
        size_exact=bool(data.get("size_exact", False)),
        sha256=sha,
    )
