"""How far a rendered page is from the screenshot it copies: a score and a picture of where.

The refine loop shows the original and the render side by side; a difference overlay makes the
mismatches findable at a glance (a misaligned column is hard to spot by eye, easy in magenta),
and a single similarity number tells whether a refinement helped. Pure Pillow, so it runs in a
worker thread and is tested without Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageChops

# A pixel counts as different when a channel differs by more than this (of 255): anti-aliasing
# and font hinting differ between any two renderers and are not what the user wants to see.
CHANGE_THRESHOLD = 32
HIGHLIGHT = (255, 0, 200)


@dataclass(frozen=True)
class VisualDiff:
    """The comparison of a render with its original, both at the original's size."""

    similarity: float  # 1.0 = identical, 0.0 = every channel as far apart as possible
    changed_fraction: float  # share of pixels that differ by more than CHANGE_THRESHOLD
    render: Image.Image  # the render scaled to the original's size
    overlay: Image.Image  # the original, faded, with the differing pixels in HIGHLIGHT

    @property
    def summary(self) -> str:
        return (
            f"{self.similarity:.1%} similar · "
            f"{self.changed_fraction:.1%} of pixels differ noticeably"
        )


def compare_render(original: Image.Image, render: Image.Image) -> VisualDiff:
    """Compare ``render`` with ``original``; the render is scaled to the original's size first.

    The page was rendered at the screenshot's size, but a high-DPI grab or a capped viewport can
    give it another one, and a comparison needs both on one pixel grid.
    """
    original = original.convert("RGB")
    render = render.convert("RGB")
    if render.size != original.size:
        render = render.resize(original.size, Image.Resampling.LANCZOS)
    difference = ImageChops.difference(original, render)
    histogram = difference.histogram()  # 3 × 256 bins, one block per channel
    pixels = original.width * original.height
    total = sum(value * count for value, count in enumerate(histogram[0:256]))
    total += sum(value * count for value, count in enumerate(histogram[256:512]))
    total += sum(value * count for value, count in enumerate(histogram[512:768]))
    similarity = 1.0 - total / (pixels * 3 * 255) if pixels else 1.0
    mask = _change_mask(difference)
    changed = mask.histogram()[255] / pixels if pixels else 0.0
    return VisualDiff(similarity, changed, render, _overlay(original, mask))


def _change_mask(difference: Image.Image) -> Image.Image:
    """White where any channel differs by more than the threshold, black elsewhere."""
    red, green, blue = difference.split()
    strongest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    return strongest.point(lambda value: 255 if value > CHANGE_THRESHOLD else 0)


def _overlay(original: Image.Image, mask: Image.Image) -> Image.Image:
    faded = Image.blend(original, Image.new("RGB", original.size, (255, 255, 255)), 0.6)
    faded.paste(Image.new("RGB", original.size, HIGHLIGHT), mask=mask)
    return faded
