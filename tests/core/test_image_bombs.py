"""Hostile images: refused from their header, and any bytes at all give an ImageError or an image.

The bomb is a 194 KB PNG of 1 × 100,000,000 grey pixels, which
passed the 100-megapixel check and ran the CLI's ``tokens`` into a MemoryError traceback after
13 s and ~3 GB. Pillow cannot write such a file, so ``png_factory`` writes it chunk by chunk.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from app.cli import EXIT_BAD_INPUT, main
from app.core.errors import ImageError
from app.core.images import MAX_SOURCE_SIDE, Detail, prepare_image
from tests.core.png_factory import PNG_SIGNATURE, png_chunk, tall_grey_png
from tests.fixtures.process_memory import linux_only, peak_rss_mb, reset_peak_rss, rss_mb


@pytest.fixture(scope="module")
def bomb_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    path.write_bytes(tall_grey_png(100_000_000))
    return path


@linux_only
def test_one_by_hundred_million_png_is_refused_from_its_header(bomb_png: Path) -> None:
    assert bomb_png.stat().st_size < 200_000
    reset_peak_rss()
    before = rss_mb()
    with pytest.raises(ImageError, match=r"'bomb\.png' \(1×100000000\) is too large") as error:
        prepare_image(bomb_png, Detail.NATIVE)
    # Not decoded (the mechanism, not a time: a decode took 13 s and ~3 GB, a busy machine can
    # make anything slow): the peak memory never grew by the 100 MB a decode needs at the least.
    assert peak_rss_mb() - before < 20
    assert "refused without decoding" in str(error.value)
    with pytest.raises(ImageError, match=r"'pasted image' .* is too large"):
        prepare_image(bomb_png.read_bytes(), Detail.NATIVE, name="pasted image")


@pytest.mark.parametrize("command", ["tokens", "ask"])
def test_cli_reports_the_bomb_in_one_line(
    bomb_png: Path, tmp_path: Path, command: str, capsys
) -> None:
    config = tmp_path / "settings.ini"
    if command == "tokens":
        argv = ["--config", str(config), "tokens", str(bomb_png)]
    else:
        argv = ["--config", str(config), "ask", "what is this?", "--image", str(bomb_png)]
    assert main(argv) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "Traceback" not in err and "MemoryError" not in err
    assert err.strip().splitlines() == [err.strip()]
    assert err.startswith("pixtral-desk: 'bomb.png' (1×100000000) is too large to open safely")


def test_long_screenshots_still_pass() -> None:
    """A phone's scrolling screenshot (half width here, to stay quick) is inside both limits."""
    out = io.BytesIO()
    Image.new("L", (540, 20_000), 255).save(out, format="PNG")
    image = prepare_image(out.getvalue(), Detail.LOW, name="scroll.png")
    assert image.source_size == (540, 20_000)


def test_a_side_over_the_limit_is_refused_whatever_the_area() -> None:
    wide = tall_grey_png(1, width=MAX_SOURCE_SIDE + 1)
    with pytest.raises(ImageError, match=r"\(65536×1\) is too large"):
        prepare_image(wide, name="strip.png")


def _seed_images() -> list[bytes]:
    seeds = []
    for fmt, mode in [("PNG", "RGBA"), ("JPEG", "RGB"), ("GIF", "P"), ("BMP", "RGB")]:
        out = io.BytesIO()
        Image.new(mode, (24, 17), 90).save(out, format=fmt)
        seeds.append(out.getvalue())
    out = io.BytesIO()
    Image.new("RGB", (24, 17), (9, 90, 200)).save(out, format="WEBP")
    seeds.append(out.getvalue())
    return seeds


SEEDS = _seed_images()


@st.composite
def damaged_images(draw: st.DrawFn) -> bytes:
    """A small valid image with bytes flipped, cut or inserted, or a PNG header rewritten."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    if data.startswith(PNG_SIGNATURE) and draw(st.booleans()):
        # Any size and pixel format in IHDR, with a correct checksum so Pillow believes it.
        header = struct.pack(
            ">IIBBBBB",
            draw(st.integers(0, 2**32 - 1)),
            draw(st.integers(0, 2**32 - 1)),
            draw(st.sampled_from([1, 2, 4, 8, 16, 3, 0])),
            draw(st.sampled_from([0, 2, 3, 4, 6, 1, 7])),
            0,
            0,
            draw(st.integers(0, 1)),
        )
        data[8:33] = png_chunk(b"IHDR", header)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data) - 1))
        edit = draw(st.sampled_from(["flip", "cut", "insert"]))
        if edit == "flip":
            data[at] = draw(st.integers(0, 255))
        elif edit == "cut":
            del data[max(at, 1) :]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


PILLOW_TYPE_ERROR = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x039\x01\x00\x00\x00\x01\x99\xa8V"
    b"\xef\x00\x00\x00\x1eIDATx\x9cc\x8cb\xa0-`\xa2\xb1\xf9\xa3\x16\x8cZ0j\xc1\xa8\x05\xa3\x16\x0c\r"
    b"\x0b\x00\xb7p\x00|f\x1a\x01\x17\x00\x00\x00\x00IEND\xaeB`\x82"
)
"""Found by this test: a 1 × 825 one-bit interlaced PNG on which Pillow raises TypeError."""


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.one_of(damaged_images(), st.binary(min_size=1, max_size=256)))
@example(PILLOW_TYPE_ERROR)
def test_any_bytes_give_an_image_or_an_image_error(data: bytes) -> None:
    """Only ImageError comes out of the decoder, whatever the bytes (or a prepared image)."""
    try:
        image = prepare_image(data, Detail.LOW, name="fuzz")
    except ImageError as error:
        assert str(error).startswith("'fuzz'")
        return
    assert len(image.rgb) == image.size[0] * image.size[1] * 3
