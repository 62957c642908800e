"""Image preparation: every Pillow mode flattened to RGB, sized to the patch grid, bombs refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.core.errors import ImageError
from app.core.images import (
    MAX_SOURCE_PIXELS,
    Detail,
    api_billed_tokens,
    patch_grid,
    prepare_image,
)


def _encode(img: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **params)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("size", "grid", "tokens"),
    [
        ((1, 1), (1, 1), 2),
        ((16, 16), (1, 1), 2),
        ((17, 16), (2, 1), 3),
        ((1024, 1024), (64, 64), 4160),
        ((2048, 1536), (64, 48), 48 * 65),
        ((4000, 3000), (64, 48), 48 * 65),
        ((17, 3000), (1, 64), 64 * 2),
        ((1023, 1025), (64, 64), 4160),
    ],
)
def test_patch_grid_follows_mistrals_rule(size, grid, tokens) -> None:
    found = patch_grid(*size)
    assert (found.cols, found.rows) == grid
    assert found.tokens == tokens
    assert api_billed_tokens(*size) == tokens


def test_detail_levels_cap_the_longest_side() -> None:
    for detail, side in [
        (Detail.LOW, 256),
        (Detail.MEDIUM, 512),
        (Detail.HIGH, 768),
        (Detail.NATIVE, 1024),
    ]:
        image = prepare_image(_encode(Image.new("RGB", (2000, 1000))), detail)
        assert max(image.size) == side
        assert image.size[0] % 16 == 0 and image.size[1] % 16 == 0
        assert len(image.rgb) == image.size[0] * image.size[1] * 3
    with pytest.raises(ImageError, match="Unknown detail level"):
        prepare_image(_encode(Image.new("RGB", (8, 8))), "ultra")


def test_the_hash_follows_pixels_not_file_names() -> None:
    data = _encode(Image.new("RGB", (40, 30), (1, 2, 3)))
    a = prepare_image(data, name="a.png")
    b = prepare_image(data, name="b.png")
    c = prepare_image(_encode(Image.new("RGB", (40, 30), (1, 2, 4))))
    assert a.sha256 == b.sha256 != c.sha256
    assert prepare_image(data, Detail.LOW).sha256 == a.sha256  # already smaller than 256 px
    assert prepare_image(_encode(Image.new("RGB", (600, 30))), Detail.LOW).size == (256, 16)


def test_transparency_becomes_white() -> None:
    rgba = Image.new("RGBA", (16, 16), (255, 0, 0, 0))
    assert prepare_image(_encode(rgba)).rgb[:3] == b"\xff\xff\xff"
    la = Image.new("LA", (16, 16), (0, 0))
    assert prepare_image(_encode(la)).rgb[:3] == b"\xff\xff\xff"
    palette = Image.new("P", (16, 16), 0)
    palette.putpalette([0, 0, 0] * 256)
    palette.info["transparency"] = 0
    assert prepare_image(_encode(palette, transparency=0)).rgb[:3] == b"\xff\xff\xff"


def test_cmyk_16_bit_and_greyscale_are_converted() -> None:
    cmyk = prepare_image(_encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG"))
    red, green, blue = cmyk.rgb[:3]
    assert red > 200 and green < 60 and blue < 60
    sixteen = Image.new("I;16", (16, 16))
    sixteen.putdata([40000] * 256)
    grey = prepare_image(_encode(sixteen)).rgb[0]
    assert 150 < grey < 160  # 40000 / 65535 × 255 ≈ 155, not clipped to 255
    assert prepare_image(_encode(Image.new("L", (16, 16), 128))).rgb[:3] == b"\x80\x80\x80"


def test_animated_images_use_the_first_frame() -> None:
    frames = [Image.new("RGB", (16, 16), color) for color in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    red, _green, blue = prepare_image(buffer.getvalue()).rgb[:3]
    assert red > 200 and blue < 50


def test_exif_orientation_is_applied_before_sizing() -> None:
    img = Image.new("RGB", (64, 32), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    data = _encode(img, "JPEG", exif=exif.tobytes())
    prepared = prepare_image(data)
    assert prepared.source_size == (32, 64)
    assert prepared.size == (32, 64)


def test_large_photos_decode_at_the_target_size() -> None:
    photo = _encode(Image.new("RGB", (4000, 3000), (10, 200, 10)), "JPEG", quality=50)
    prepared = prepare_image(photo, Detail.NATIVE)
    assert prepared.size == (1024, 768)
    assert prepared.source_size == (4000, 3000)


def test_bad_files_are_refused_with_their_name(tmp_path) -> None:
    with pytest.raises(ImageError, match=r"'gone\.png' does not exist"):
        prepare_image(tmp_path / "gone.png")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        prepare_image(empty)
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(ImageError, match=r"'notes\.txt' is not an image"):
        prepare_image(text)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(_encode(Image.new("RGB", (300, 300), (9, 9, 9)), "JPEG")[:200])
    with pytest.raises(ImageError, match=r"cut\.jpg"):
        prepare_image(truncated)
    with pytest.raises(ImageError, match="empty"):
        prepare_image(b"")


def test_decompression_bombs_are_refused_without_decoding() -> None:
    side = int(MAX_SOURCE_PIXELS**0.5) + 100
    header_only = Image.new("1", (side, side))
    data = _encode(header_only)
    with pytest.raises(ImageError, match="100 megapixels"):
        prepare_image(data)
