"""What a Pixtral model pair is, checked from GGUF headers before llama.cpp sees the files.

A local Pixtral is two files: the text model (arch ``llama``, Mistral-Nemo-shaped) and the
vision projector ("mmproj", ``clip.projector_type = pixtral``). Each check below turns a way
llama.cpp would crash, hang or silently misbehave into one sentence for the user.

Mistral Small 3.x files pass every one of those checks: its projector also
says ``projector_type = pixtral`` and is 5120 wide like Pixtral 12B's text model, so llama.cpp
loads either file with the other. But its projector merges 2x2 patches into one token, so
every image count the app shows would be wrong, and its text model expects that projector.
Both are recognised from their own header and refused with :class:`NotPixtralError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.core.budget import KvShape
from app.core.errors import ModelFileError
from app.core.gguf_header import GgufFormatError, GgufHeader, read_gguf_header

PROJECTOR_ARCH = "clip"
PIXTRAL_PROJECTOR = "pixtral"
PIXTRAL_12B_FF = 14336
MISTRAL_SMALL_3_FF = 32768  # its text model; otherwise Pixtral 12B's shape (5120 wide, 40 layers)
MERGE_KEY = "clip.vision.spatial_merge_size"  # absent, or 1, in Pixtral 12B's projector
MERGER_TENSORS = "mm.patch_merger."
_NOT_SUPPORTED = (
    "Pixtral Desk runs Pixtral 12B only; Mistral Small, whose images follow another token "
    "rule, is not supported yet."
)


class NotPixtralError(ModelFileError):
    """A file that llama.cpp would take for Pixtral but that belongs to another model."""


@dataclass(frozen=True)
class TextModelInfo:
    path: Path
    architecture: str
    name: str
    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    head_dim: int
    n_ctx_train: int
    file_size: int

    @property
    def kv_shape(self) -> KvShape:
        return KvShape(self.n_layer, self.n_head_kv, self.head_dim)


@dataclass(frozen=True)
class MmprojInfo:
    path: Path
    projector_type: str
    projection_dim: int
    patch_size: int
    file_size: int


def inspect_text_model(path: str | Path) -> TextModelInfo:
    """Check that ``path`` is a complete GGUF text model; raise ``ModelFileError`` if not."""
    path = Path(path)
    header = _read(path, "model")
    arch = header.architecture
    if arch == PROJECTOR_ARCH:
        raise ModelFileError(
            f"'{path.name}' is a vision projector (mmproj), not the text model. "
            "Give it as the mmproj file and choose the model file as the model."
        )
    if not arch:
        raise ModelFileError(f"'{path.name}' has no architecture in its header; it is not a model.")
    if arch == "llama" and header.get(f"{arch}.feed_forward_length") == MISTRAL_SMALL_3_FF:
        raise NotPixtralError(
            f"'{path.name}' is a Mistral Small 3.x text model, not Pixtral 12B: its "
            f"feed-forward is {MISTRAL_SMALL_3_FF} wide where Pixtral 12B's is "
            f"{PIXTRAL_12B_FF}. {_NOT_SUPPORTED} Choose a Pixtral 12B model file "
            "(e.g. pixtral-12b-Q4_K_M.gguf)."
        )
    n_embd = _int(header, f"{arch}.embedding_length", path)
    n_head = _int(header, f"{arch}.attention.head_count", path)
    head_dim = int(header.get(f"{arch}.attention.key_length", 0) or n_embd // max(n_head, 1))
    return TextModelInfo(
        path=path,
        architecture=arch,
        name=str(header.get("general.name", path.stem)),
        n_layer=_int(header, f"{arch}.block_count", path),
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=int(header.get(f"{arch}.attention.head_count_kv", n_head)),
        head_dim=head_dim,
        n_ctx_train=int(header.get(f"{arch}.context_length", 0)),
        file_size=header.file_size,
    )


def inspect_mmproj(path: str | Path) -> MmprojInfo:
    """Check that ``path`` is a complete Pixtral vision projector."""
    path = Path(path)
    header = _read(path, "vision projector (mmproj)")
    if header.architecture != PROJECTOR_ARCH:
        raise ModelFileError(
            f"'{path.name}' is a text model ({header.architecture or 'unknown'}), not a vision "
            "projector. Pixtral needs its mmproj file for images."
        )
    projector = str(
        header.get("clip.projector_type") or header.get("clip.vision.projector_type") or ""
    )
    if projector != PIXTRAL_PROJECTOR:
        raise ModelFileError(
            f"'{path.name}' is a vision projector for '{projector or 'an unknown model'}', "
            "not for Pixtral. Use the mmproj published with your Pixtral model."
        )
    merge = header.get(MERGE_KEY)
    merges = isinstance(merge, int) and merge > 1
    if merges or any(name.startswith(MERGER_TENSORS) for name in header.tensors):
        raise NotPixtralError(
            f"'{path.name}' is a Mistral Small 3.x vision projector, not Pixtral 12B's: it "
            f"merges {merge if merges else 2}×{merge if merges else 2} patches into one image "
            f"token (spatial_merge_size, {MERGER_TENSORS}* tensors), so its images cost other "
            f"token counts. {_NOT_SUPPORTED} Use the mmproj published with Pixtral 12B "
            "(e.g. mmproj-pixtral-12b-f16.gguf)."
        )
    out = header.tensors.get("mm.2.weight")
    projection_dim = out.shape[1] if out and len(out.shape) == 2 else 0
    projection_dim = projection_dim or int(header.get("clip.vision.projection_dim", 0))
    if projection_dim <= 0:
        raise ModelFileError(f"'{path.name}' lacks its projection layer; the file is damaged.")
    return MmprojInfo(
        path=path,
        projector_type=projector,
        projection_dim=projection_dim,
        patch_size=int(header.get("clip.vision.patch_size", 16)),
        file_size=header.file_size,
    )


def check_pair(
    model: str | Path, mmproj: str | Path | None
) -> tuple[TextModelInfo, MmprojInfo | None]:
    """Inspect both files and check that the projector feeds this model's embeddings."""
    text = inspect_text_model(model)
    if mmproj is None:
        return text, None
    vision = inspect_mmproj(mmproj)
    if vision.projection_dim != text.n_embd:
        raise ModelFileError(
            f"The vision projector '{vision.path.name}' produces {vision.projection_dim}-wide "
            f"embeddings but '{text.path.name}' expects {text.n_embd}: they are not a pair. "
            "Use the mmproj file published together with this model."
        )
    return text, vision


def _read(path: Path, role: str) -> GgufHeader:
    if not path.exists():
        raise ModelFileError(f"The {role} file '{path}' does not exist.")
    if path.is_dir():
        raise ModelFileError(f"'{path}' is a folder; choose the {role} .gguf file inside it.")
    if not path.is_file():  # opening a FIFO would wait for a writer forever
        raise ModelFileError(
            f"'{path.name}' is not a regular file (a pipe, device or socket); "
            f"choose the {role} .gguf file itself."
        )
    try:
        if path.stat().st_size == 0:
            raise ModelFileError(f"The {role} file '{path.name}' is empty (0 bytes).")
        header = read_gguf_header(path)
    except GgufFormatError as exc:
        raise ModelFileError(f"'{path.name}' is not a usable GGUF {role} file: {exc}.") from exc
    except PermissionError as exc:
        raise ModelFileError(
            f"The {role} file '{path.name}' cannot be read: permission denied."
        ) from exc
    except OSError as exc:
        raise ModelFileError(f"The {role} file '{path.name}' cannot be read ({exc}).") from exc
    if header.data_end > header.file_size:
        have, need = header.file_size, header.data_end
        raise ModelFileError(
            f"The {role} file '{path.name}' is truncated: {have:,} of {need:,} bytes. "
            "The download probably did not finish; download it again."
        )
    return header


def _int(header: GgufHeader, key: str, path: Path) -> int:
    value = header.get(key)
    if not isinstance(value, int) or value <= 0:
        raise ModelFileError(f"'{path.name}' lacks '{key}' in its header; the file is damaged.")
    return value
