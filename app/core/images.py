"""Image preparation and exact token accounting for Pixtral.

The app, not llama.cpp, decides the pixel size of every image. llama.cpp's Pixtral
preprocessor caps the *area* at 1024 patches and rounds each side to the nearest 16 px, so a
1024×1024 screenshot would silently drop to ~1,056 tokens. Mistral's own rule (what
mistral-common does and what La Plateforme bills) keeps the longest side ≤ 1024 px and uses
⌈side / 16⌉ patches per side. We apply Mistral's rule here, resize to exactly
``cols*16 × rows*16`` and hand llama.cpp an image it will not resize again (the engine
lifts ``image_max_tokens``). The count shown before sending is then the count spent.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.errors import ImageError

PATCH_SIZE = 16
MAX_SOURCE_PIXELS = 100_000_000
"""Refuse images above 100 megapixels before decoding them (decompression bombs)."""
MAX_SOURCE_SIDE = 65_535
"""Refuse images longer than this on either side before decoding them, whatever their area.

A 194 KB PNG of 1 × 100,000,000 pixels passes the area check yet took 13 s and ~3 GB before
Pillow gave up with a MemoryError. JPEG and WebP cannot exceed 65,535 px a side; phone and
browser full-page screenshots stay well under it (Chrome and Firefox cap at 16,384-32,767 px).
"""
_DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    struct.error,
    MemoryError,
    Image.DecompressionBombError,
)
"""What Pillow raises on damaged or hostile data: beyond OSError, its format plugins parse
headers with ``struct`` and indexing, and a 1-bit interlaced PNG made it raise TypeError
(found by tests/core/test_image_bombs.py). Each means the file cannot be decoded."""
_WORDED_ERRORS = (OSError, ValueError, SyntaxError)
"""Errors whose text is worth showing ("image file is truncated"); the rest read as bugs."""


class Detail(StrEnum):
    """How many pixels of an image the model sees; each level caps the longest side."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    NATIVE = "native"

    @property
    def max_side(self) -> int:
        return _MAX_SIDE[self]

    @classmethod
    def parse(cls, value: str | Detail) -> Detail:
        try:
            return cls(value)
        except ValueError:
            names = ", ".join(d.value for d in cls)
            raise ImageError(f"Unknown detail level '{value}'. Choose one of: {names}.") from None


_MAX_SIDE = {Detail.LOW: 256, Detail.MEDIUM: 512, Detail.HIGH: 768, Detail.NATIVE: 1024}


@dataclass(frozen=True)
class PatchGrid:
    """The patch grid of a prepared image: ``cols × rows`` patches of 16 px."""

    cols: int
    rows: int

    @property
    def pixel_size(self) -> tuple[int, int]:
        return self.cols * PATCH_SIZE, self.rows * PATCH_SIZE

    @property
    def tokens(self) -> int:
        """Tokens in the prompt: one ``[IMG]`` per patch plus one break/end token per row."""
        return self.rows * (self.cols + 1)


def patch_grid(width: int, height: int, max_side: int = 1024) -> PatchGrid:
    """Mistral's rule: shrink so the longest side ≤ ``max_side``, then ⌈side/16⌉ patches.

    Mirrors mistral-common's ``ImageEncoder._image_to_num_tokens`` exactly, including
    Python's round-half-to-even, because La Plateforme bills by that rule.
    """
    if width < 1 or height < 1:
        raise ImageError(f"An image of {width}×{height} pixels has no pixels to read.")
    w: int = width
    h: int = height
    ratio = max(h / max_side, w / max_side)
    if ratio > 1:
        w = max(round(w / ratio), 1)
        h = max(round(h / ratio), 1)
    return PatchGrid(cols=(w - 1) // PATCH_SIZE + 1, rows=(h - 1) // PATCH_SIZE + 1)


def api_billed_tokens(width: int, height: int) -> int:
    """Tokens La Plateforme bills for an image of this size (Mistral's native rule)."""
    return patch_grid(width, height, Detail.NATIVE.max_side).tokens


@dataclass(frozen=True)
class PreparedImage:
    """An image decoded, oriented, flattened to RGB and resized to its patch grid.

    ``sha256`` hashes the prepared pixels and size, so the same picture at the same detail is
    recognised in the KV cache whatever file it came from.
    """

    name: str
    source_size: tuple[int, int]
    detail: Detail
    grid: PatchGrid
    rgb: bytes = field(repr=False)
    sha256: str = ""

    @property
    def size(self) -> tuple[int, int]:
        return self.grid.pixel_size

    @property
    def tokens(self) -> int:
        return self.grid.tokens

    @property
    def api_billed_tokens(self) -> int:
        """What La Plateforme bills when this prepared image is sent to it."""
        return api_billed_tokens(*self.size)

    def to_pil(self) -> Image.Image:
        """The prepared pixels as a Pillow image (a copy: the bytes stay untouched)."""
        return Image.frombytes("RGB", self.size, self.rgb)

    def to_png(self) -> bytes:
        """The prepared pixels as PNG, for hosted APIs and previews."""
        out = io.BytesIO()
        self.to_pil().save(out, format="PNG")
        return out.getvalue()


def prepare_image(
    source: str | Path | bytes, detail: Detail | str = Detail.NATIVE, name: str | None = None
) -> PreparedImage:
    """Decode ``source`` (a path or encoded bytes) and resize it for the model.

    Raises ``ImageError`` with a message naming the file for anything that is not a usable
    image: missing or unreadable files, other formats, truncated data, decompression bombs.
    """
    detail = Detail.parse(detail)
    label = name or (Path(source).name if not isinstance(source, bytes) else "pasted image")
    with _open_image(source, label) as img:
        width, height = _oriented_size(img)
        grid = patch_grid(width, height, detail.max_side)
        target = grid.pixel_size
        try:
            if img.format == "JPEG":
                # Let libjpeg decode at a reduced scale when the target is much smaller.
                side = max(target)
                img.draft("RGB", (side, side))
            rgb = _to_rgb(ImageOps.exif_transpose(img))
            if rgb.size != target:
                rgb = rgb.resize(target, Image.Resampling.BICUBIC)
            data = rgb.tobytes()
        except _DECODE_ERRORS as exc:
            raise _decode_failure(label, exc, width, height) from exc
    digest = hashlib.sha256(b"%dx%d:" % target + data).hexdigest()
    return PreparedImage(
        name=label,
        source_size=(width, height),
        detail=detail,
        grid=grid,
        rgb=data,
        sha256=digest,
    )


def _open_image(source: str | Path | bytes, label: str) -> Image.Image:
    if isinstance(source, bytes):
        if not source:
            raise ImageError(f"'{label}' is empty.")
        stream: io.BytesIO | Path = io.BytesIO(source)
    else:
        stream = Path(source)
        if not stream.exists():
            raise ImageError(f"'{label}' does not exist ({stream}).")
        if stream.is_dir():
            raise ImageError(f"'{label}' is a folder, not an image.")
        try:
            if stream.stat().st_size == 0:
                raise ImageError(f"'{label}' is an empty file (0 bytes).")
        except OSError as exc:
            raise ImageError(f"'{label}' cannot be read ({exc.strerror}).") from exc
    try:
        with warnings.catch_warnings():
            # Our own limits are checked right below, before any pixel is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(stream)
    except Image.DecompressionBombError as exc:
        raise ImageError(_too_large(label)) from exc
    except UnidentifiedImageError as exc:
        raise ImageError(
            f"'{label}' is not an image Pixtral Desk can read "
            "(supported: PNG, JPEG, WebP, GIF, BMP, TIFF)."
        ) from exc
    except PermissionError as exc:
        raise ImageError(f"'{label}' cannot be read: permission denied.") from exc
    except OSError as exc:
        raise ImageError(f"'{label}' cannot be read ({exc}).") from exc
    except _DECODE_ERRORS as exc:  # a header Pillow recognised, then choked on
        raise _decode_failure(label, exc) from exc
    width, height = img.size
    if width * height > MAX_SOURCE_PIXELS or max(width, height) > MAX_SOURCE_SIDE:
        img.close()
        raise ImageError(_too_large(label, width, height))
    return img


def _decode_failure(label: str, exc: Exception, width: int = 0, height: int = 0) -> ImageError:
    """One sentence for a decoder that gave up, without Pillow's internals where they show."""
    if isinstance(exc, Image.DecompressionBombError):
        return ImageError(_too_large(label, width, height))
    if isinstance(exc, MemoryError):
        size = f" ({width}×{height})" if width else ""
        return ImageError(
            f"'{label}'{size} is too large to decode in the memory available. "
            "Scale it down or crop it first."
        )
    if isinstance(exc, _WORDED_ERRORS) and str(exc):
        return ImageError(f"'{label}' is damaged and cannot be decoded ({exc}).")
    return ImageError(f"'{label}' is damaged and cannot be decoded.")


def _too_large(label: str, width: int = 0, height: int = 0) -> str:
    size = f" ({width}×{height})" if width else ""
    return (
        f"'{label}'{size} is too large to open safely (more than 100 megapixels, or over "
        f"{MAX_SOURCE_SIDE:,} px on a side); it was refused without decoding. "
        "Scale it down or crop it first."
    )


def _oriented_size(img: Image.Image) -> tuple[int, int]:
    """Width and height after EXIF orientation (5–8 swap the axes)."""
    try:
        orientation = img.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block must not hide a usable image
        orientation = 1
    if orientation in (5, 6, 7, 8):
        return img.height, img.width
    return img.width, img.height


def _to_rgb(img: Image.Image) -> Image.Image:
    """Flatten any Pillow mode to 8-bit RGB; transparency becomes white, as Mistral does."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        img = _to_8bit(img)
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("LA", "PA", "La"):
        img = img.convert("RGBA")
    if img.mode == "RGBa":
        img = img.convert("RGBA")
    if img.mode == "RGBA":
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img, mask=img.getchannel("A"))
        return background
    return img.convert("RGB")


def _to_8bit(img: Image.Image) -> Image.Image:
    """Scale a 16-bit or float greyscale image into 0–255 instead of clipping it."""
    img = img.convert("F")
    low, high = img.getextrema()
    top = 65535.0 if high > 255 else 255.0
    if isinstance(low, float) and low < 0:
        top = max(high - low, 1e-6)
        img = img.point(lambda v: v - low)
    return img.point(lambda v: v * 255.0 / top).convert("L")
