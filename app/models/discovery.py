"""Find Pixtral model pairs already on disk, by their GGUF headers.

Users often have Pixtral already — in the Hugging Face cache, LM Studio's or Jan's folders — and
file names there are whatever a converter chose (``mmproj-model-f16.gguf``, a bare blob hash,
a renamed copy). So a file is classified only by what its header says: a text model of
architecture ``llama`` or a ``clip`` projector of type ``pixtral``; a projector pairs with a
model only when its projection width equals the model's embedding width. Reading headers is
milliseconds per file, but walking folders is disk I/O: the UI calls :func:`scan` through
``run_in_background``.

Mistral Small 3.x files look like Pixtral to both of those tests; the
checks in ``model_files`` refuse them, and the scan lists them apart (``lookalikes``) so the
user learns why a file they expected is not offered. The walk itself (``folder_walk``) ends on
symlink loops, skips FIFOs and unreadable folders, and is bounded in depth, entries and time.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import ModelFileError
from app.core.gguf_header import read_gguf_header
from app.core.model_files import (
    MmprojInfo,
    NotPixtralError,
    TextModelInfo,
    inspect_mmproj,
    inspect_text_model,
)
from app.models.folder_walk import Walk, WalkLimits

PIXTRAL_TEXT_ARCHS = frozenset({"llama"})

# general.file_type → the usual quantization name (llama.h's LLAMA_FTYPE_*).
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
    29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
}  # fmt: skip


@dataclass(frozen=True)
class ModelPair:
    """A text model and the projector that feeds it, found at ``source`` (a label)."""

    model: TextModelInfo
    mmproj: MmprojInfo
    source: str
    quant: str

    @property
    def size_bytes(self) -> int:
        return self.model.file_size + self.mmproj.file_size

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.model.path), str(self.mmproj.path))


@dataclass
class ScanResult:
    pairs: list[ModelPair] = field(default_factory=list)
    unpaired_models: list[TextModelInfo] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)  # path, the reason
    # Files llama.cpp would take for Pixtral that are another model (Mistral Small 3.x); they
    # are in ``rejected`` too, and listed here to be shown: they are what a user expected.
    lookalikes: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # not looked at, and why
    skipped_summary: str = ""  # those, and any limit that ended the search, in one line


@dataclass(frozen=True)
class _Refused:
    reason: str
    lookalike: bool = False


def default_locations(
    env: Mapping[str, str] | None = None, home: Path | None = None
) -> list[tuple[str, Path]]:
    """Where other apps keep GGUF files, labelled for the UI; existing folders only."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    hf_home = Path(env.get("HF_HOME") or home / ".cache" / "huggingface")
    hf_cache = Path(env.get("HF_HUB_CACHE") or hf_home / "hub")
    places = [
        ("Hugging Face cache", hf_cache),
        ("LM Studio", home / ".lmstudio" / "models"),
        ("LM Studio", home / ".cache" / "lm-studio" / "models"),
        ("Jan", home / "jan" / "models"),
        ("Jan", home / ".local" / "share" / "Jan" / "data" / "models"),
    ]
    if sys.platform == "darwin":
        places.append(("Jan", home / "Library" / "Application Support" / "Jan" / "data" / "models"))
    if sys.platform == "win32" and env.get("APPDATA"):
        places.append(("Jan", Path(env["APPDATA"]) / "Jan" / "data" / "models"))
    return [(label, path) for label, path in places if path.is_dir()]


def scan(
    locations: Iterable[tuple[str, Path]] | None = None,
    extra_folders: Iterable[str | Path] = (),
    progress: Callable[[Path], None] | None = None,
    limits: WalkLimits | None = None,
) -> ScanResult:
    """Classify every GGUF under the locations by header and pair models with projectors."""
    places = list(default_locations() if locations is None else locations)
    places += [("Folder", Path(f).expanduser()) for f in extra_folders]
    result = ScanResult()
    walk = Walk(limits)
    seen: set[tuple[int, int]] = set()  # a file reached twice (links, nested roots) counts once
    for label, root in places:
        texts: list[TextModelInfo] = []
        projs: list[MmprojInfo] = []
        for found in walk.files(root):
            if found.identity in seen:
                continue
            seen.add(found.identity)
            path = found.path
            if progress:
                progress(path)
            kind = _classify(path)
            if isinstance(kind, TextModelInfo):
                texts.append(kind)
            elif isinstance(kind, MmprojInfo):
                projs.append(kind)
            else:
                result.rejected.append((path, kind.reason))
                if kind.lookalike:
                    result.lookalikes.append((path, kind.reason))
        for text in texts:
            proj = _best_projector(text, projs, root)
            if proj is None:
                result.unpaired_models.append(text)
            else:
                result.pairs.append(ModelPair(text, proj, label, quant_name(text.path)))
    result.skipped = list(walk.skipped)
    result.skipped_summary = walk.summary()
    return result


def quant_name(path: Path) -> str:
    """The quantization from the header's ``general.file_type`` (never from the file name)."""
    try:
        file_type = read_gguf_header(path).get("general.file_type")
    except (OSError, ValueError):
        return "?"
    return FILE_TYPES.get(file_type, "?") if isinstance(file_type, int) else "?"


def _classify(path: Path) -> TextModelInfo | MmprojInfo | _Refused:
    """The file's info when it is a Pixtral text model or projector; else why it is not."""
    try:
        header = read_gguf_header(path)
    except (OSError, ValueError) as exc:
        return _Refused(f"not a readable GGUF file ({exc})")
    try:
        if header.architecture == "clip":
            return inspect_mmproj(path)
        if header.architecture not in PIXTRAL_TEXT_ARCHS:
            return _Refused(f"a '{header.architecture or 'unknown'}' model, not Pixtral")
        return inspect_text_model(path)
    except NotPixtralError as exc:
        return _Refused(str(exc), lookalike=True)
    except ModelFileError as exc:
        return _Refused(str(exc))


def _best_projector(text: TextModelInfo, projs: list[MmprojInfo], root: Path) -> MmprojInfo | None:
    """The matching projector closest to the model: same folder, else the nearest ancestor.

    Only folders below ``root`` count, so two unrelated downloads that sit directly in the
    scanned folder still pair, but a projector from another repository is not borrowed.
    """
    best: MmprojInfo | None = None
    best_depth = -1
    for proj in projs:
        if proj.projection_dim != text.n_embd:
            continue
        common = Path(os.path.commonpath([text.path.parent, proj.path.parent]))
        depth = len(common.parts)
        if proj.path.parent == text.path.parent:
            depth = 10_000
        elif common != root and root not in common.parents:
            continue
        if depth > best_depth:
            best, best_depth = proj, depth
    return best
