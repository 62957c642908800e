"""PNGs written chunk by chunk, for the shapes Pillow will not write: 1 × 100,000,000 pixels.

Kept apart from the tests so the core's and the composer's tests build the same bomb.
"""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def tall_grey_png(height: int, width: int = 1) -> bytes:
    """A valid 8-bit greyscale PNG of ``width × height`` black pixels, compressed a MB at a time."""
    row = b"\x00" * (1 + width)  # filter byte, then the pixels
    rows_per_block = max(1, (1 << 20) // len(row))
    packer = zlib.compressobj(9)
    blocks = [packer.compress(row * rows_per_block) for _ in range(height // rows_per_block)]
    body = b"".join(blocks) + packer.compress(row * (height % rows_per_block)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", body)
        + png_chunk(b"IEND", b"")
    )
