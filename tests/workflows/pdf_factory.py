"""Small PDFs written by hand at test time: text pages, "scanned" image pages, encrypted, broken.

Writing the bytes ourselves keeps the tests free of binary fixtures and of PDF-writing
dependencies, and lets each test say exactly what is in its document. Encryption is the PDF
standard security handler, revision 2 (RC4, 40-bit key), which every reader still opens; pdfium
cannot encrypt, and this needs only ``hashlib`` and a ten-line RC4.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LETTER = (612, 792)
A4_LANDSCAPE = (842, 595)

_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
_FILE_ID = hashlib.md5(b"pixtral-desk test pdf").digest()
_PERMISSIONS = -4  # every permission granted; bits 1-2 must be 0


@dataclass(frozen=True)
class TextPage:
    """A page with real text objects (a text layer), one line per entry."""

    lines: Sequence[str]
    size: tuple[int, int] = LETTER


@dataclass(frozen=True)
class ScannedPage:
    """A page that is one full-page image and nothing else, like a scanner's output.

    By default a tiny flat image (fast to write and to draw); ``jpeg`` embeds a real scan
    instead (a baseline RGB JPEG, drawn with DCTDecode), for benchmarks that must pay what a
    200 dpi scan costs to decode.
    """

    size: tuple[int, int] = LETTER
    color: tuple[int, int, int] = (230, 225, 210)
    jpeg: bytes | None = None


Page = TextPage | ScannedPage


def write_pdf(
    path: Path, pages: Sequence[Page], user_password: str | None = None, owner_password: str = "own"
) -> Path:
    """Write ``pages`` as a PDF at ``path``; with ``user_password`` it is RC4-40 encrypted."""
    path.write_bytes(pdf_bytes(pages, user_password, owner_password))
    return path


def pdf_bytes(
    pages: Sequence[Page], user_password: str | None = None, owner_password: str = "own"
) -> bytes:
    # Objects: 1 catalog, 2 pages, 3 font, then per page: page, contents, [image].
    objects: dict[int, tuple[str, bytes | None]] = {}
    kids: list[int] = []
    next_num = 4
    for page in pages:
        page_num, contents_num = next_num, next_num + 1
        next_num += 2
        width, height = page.size
        if isinstance(page, TextPage):
            content = _text_content(page.lines, height)
            resources = "/Font << /F1 3 0 R >>"
        else:
            image_num = next_num
            next_num += 1
            content = f"q {width} 0 0 {height} 0 0 cm /Im1 Do Q".encode()
            resources = f"/XObject << /Im1 {image_num} 0 R >>"
            objects[image_num] = (
                _jpeg_xobject(page.jpeg) if page.jpeg else _image_xobject(page.color)
            )
        objects[page_num] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
            f"/Resources << {resources} >> /Contents {contents_num} 0 R >>",
            None,
        )
        objects[contents_num] = ("<< >>", content)
        kids.append(page_num)
    objects[1] = ("<< /Type /Catalog /Pages 2 0 R >>", None)
    kid_refs = " ".join(f"{n} 0 R" for n in kids)
    objects[2] = (f"<< /Type /Pages /Kids [{kid_refs}] /Count {len(kids)} >>", None)
    objects[3] = ("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", None)

    key = None
    trailer_extra = f" /ID [<{_FILE_ID.hex()}> <{_FILE_ID.hex()}>]"
    if user_password is not None:
        owner_entry = _owner_entry(user_password, owner_password)
        key = _file_key(user_password, owner_entry)
        encrypt_num = next_num
        next_num += 1
        objects[encrypt_num] = (
            f"<< /Filter /Standard /V 1 /R 2 /O <{owner_entry.hex()}> "
            f"/U <{_rc4(key, _PAD).hex()}> /P {_PERMISSIONS} >>",
            None,
        )
        trailer_extra += f" /Encrypt {encrypt_num} 0 R"

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        head, stream = objects[num]
        out += f"{num} 0 obj\n".encode()
        if stream is None:
            out += head.encode()
        else:
            if key is not None:
                stream = _rc4(_object_key(key, num), stream)
            out += head[:-2].encode() + f"/Length {len(stream)} >>\nstream\n".encode()
            out += stream + b"\nendstream"
        out += b"\nendobj\n"
    xref_at = len(out)
    size = max(objects) + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    for num in range(1, size):
        out += f"{offsets[num]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {size} /Root 1 0 R{trailer_extra} >>\n".encode()
    out += f"startxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


def _text_content(lines: Sequence[str], height: int) -> bytes:
    parts = [f"BT /F1 12 Tf 72 {height - 72} Td 14 TL"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        parts.append(f"({escaped}) Tj T*")
    parts.append("ET")
    return "\n".join(parts).encode("latin-1")


def _image_xobject(color: tuple[int, int, int]) -> tuple[str, bytes]:
    """A 64×64 RGB image: a flat background with a dark band, Flate-compressed."""
    rows = []
    for y in range(64):
        pixel = bytes((40, 40, 40)) if 20 <= y < 28 else bytes(color)
        rows.append(pixel * 64)
    data = zlib.compress(b"".join(rows))
    head = (
        "<< /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceRGB "
        "/BitsPerComponent 8 /Filter /FlateDecode >>"
    )
    return head, data


def _jpeg_xobject(jpeg: bytes) -> tuple[str, bytes]:
    """An RGB JPEG as is: PDF readers decode DCTDecode streams themselves."""
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as image:
        width, height = image.size
    head = (
        f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
        "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode >>"
    )
    return head, jpeg


def _padded(password: str) -> bytes:
    return (password.encode("latin-1") + _PAD)[:32]


def _owner_entry(user_password: str, owner_password: str) -> bytes:
    """Algorithm 3 of the PDF spec, revision 2."""
    owner_key = hashlib.md5(_padded(owner_password)).digest()[:5]
    return _rc4(owner_key, _padded(user_password))


def _file_key(user_password: str, owner_entry: bytes) -> bytes:
    """Algorithm 2 of the PDF spec, revision 2: a 40-bit key."""
    digest = hashlib.md5(
        _padded(user_password) + owner_entry + struct.pack("<i", _PERMISSIONS) + _FILE_ID
    ).digest()
    return digest[:5]


def _object_key(key: bytes, num: int, gen: int = 0) -> bytes:
    """Algorithm 1: each object's strings and streams get their own key."""
    salt = num.to_bytes(3, "little") + gen.to_bytes(2, "little")
    return hashlib.md5(key + salt).digest()[: min(len(key) + 5, 16)]


def _rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def write_broken(path: Path, pages: Sequence[Page] = (TextPage(["gone"]),)) -> Path:
    """A PDF cut off half way, as a failed download leaves it."""
    data = pdf_bytes(pages)
    path.write_bytes(data[: len(data) // 3])
    return path
