"""The render-vs-original comparison: exact counts on pictures whose differences we know."""

from __future__ import annotations

from PIL import Image

from app.workflows.visual_diff import CHANGE_THRESHOLD, HIGHLIGHT, compare_render


def test_identical_pictures_are_fully_similar() -> None:
    picture = Image.new("RGB", (64, 48), (10, 120, 200))
    diff = compare_render(picture, picture.copy())
    assert diff.similarity == 1.0
    assert diff.changed_fraction == 0.0
    assert HIGHLIGHT not in {pixel for _, pixel in diff.overlay.getcolors(64 * 48)}


def test_a_changed_block_is_counted_and_highlighted_exactly() -> None:
    original = Image.new("RGB", (100, 50), (255, 255, 255))
    render = original.copy()
    render.paste((0, 0, 0), (10, 10, 30, 20))  # 20 × 10 px black on white
    diff = compare_render(original, render)
    assert diff.changed_fraction == 200 / 5000
    assert abs(diff.similarity - (1 - 200 / 5000)) < 1e-9  # full-scale difference there
    assert diff.overlay.getpixel((15, 15)) == HIGHLIGHT
    assert diff.overlay.getpixel((50, 40)) != HIGHLIGHT


def test_differences_under_the_threshold_do_not_count_as_changes() -> None:
    original = Image.new("RGB", (40, 40), (100, 100, 100))
    render = Image.new("RGB", (40, 40), (100 + CHANGE_THRESHOLD, 100, 100))
    diff = compare_render(original, render)
    assert diff.changed_fraction == 0.0
    assert diff.similarity < 1.0


def test_a_render_of_another_size_is_scaled_to_the_original() -> None:
    original = Image.new("RGB", (80, 60), (0, 128, 0))
    render = Image.new("RGB", (160, 120), (0, 128, 0))  # a 2× high-DPI grab of the same page
    diff = compare_render(original, render)
    assert diff.render.size == (80, 60)
    assert diff.changed_fraction == 0.0
    assert "100.0% similar" in diff.summary
