"""Longest-common-prefix reuse over text tokens and whole images."""

from __future__ import annotations

from app.engine.local.prefix_cache import ImageUnit, common_prefix, count_positions, reusable_units

A = ImageUnit("aaa", 20)
B = ImageUnit("bbb", 12)


def test_positions_count_images_by_their_size() -> None:
    assert count_positions([1, 3, A, 13, 5, 4]) == 25


def test_common_prefix_stops_at_the_first_difference() -> None:
    cached = [1, 3, A, 13, 7, 4, 99, 98]
    assert common_prefix(cached, [1, 3, A, 13, 7, 4, 99, 98, 2, 3, 8, 4]) == 8
    assert common_prefix(cached, [1, 3, B, 13, 7, 4]) == 2  # another image: nothing after it
    assert common_prefix(cached, [1, 3, A, 13, 6, 4]) == 4
    assert common_prefix([], [1, 2]) == 0


def test_a_full_match_still_evaluates_the_last_token() -> None:
    prompt = [1, 3, A, 13, 7, 4]
    assert reusable_units(prompt, prompt) == len(prompt) - 1
    assert reusable_units([*prompt, 50, 51], prompt) == len(prompt) - 1
    assert reusable_units(prompt, [*prompt, 2, 3, 9, 4]) == len(prompt)
