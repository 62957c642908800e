"""Which part of a new prompt is already in the KV cache.

The worker keeps one sequence in llama.cpp's KV cache and remembers what fills it as a list of
units: a text token id, or an image (its content hash and how many positions it spans). A new
prompt, tokenized the same way, shares a longest common prefix with it; only the rest is
evaluated. Images match by content hash, so the same picture sent again (or still in an earlier
turn) is never encoded again, and an image only half in the cache does not count: positions
inside an image cannot be reused partially.

llama.cpp's server does the same per slot (``n_past`` from the common prefix of cached and new
tokens); here it is for a single conversation with images in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageUnit:
    """An image's block of positions in the cache; ``n_pos`` excludes the ``[IMG_END]`` token."""

    sha256: str
    n_pos: int


Unit = int | ImageUnit


def unit_positions(unit: Unit) -> int:
    return unit.n_pos if isinstance(unit, ImageUnit) else 1


def count_positions(units: Sequence[Unit]) -> int:
    return sum(unit_positions(unit) for unit in units)


def common_prefix(cached: Sequence[Unit], new: Sequence[Unit]) -> int:
    """How many leading units of ``new`` are already in ``cached`` (same units, same order)."""
    n = 0
    for old_unit, new_unit in zip(cached, new, strict=False):
        if old_unit != new_unit:
            break
        n += 1
    return n


def reusable_units(cached: Sequence[Unit], new: Sequence[Unit]) -> int:
    """Units of ``new`` to keep from the cache, leaving at least one token to evaluate.

    The last prompt token must be evaluated again when everything matches (a regenerate),
    because the logits that sample the first answer token come from evaluating it.
    """
    keep = common_prefix(cached, new)
    return min(keep, max(len(new) - 1, 0))


class KvRecord:
    """What fills the KV sequence, unit by unit, with its length in positions kept current.

    The decode loop asks for the position after every token; counting the list each time would
    cost O(context) per token, so the count is maintained as units come and go.
    """

    def __init__(self) -> None:
        self.units: list[Unit] = []
        self.positions = 0

    def __len__(self) -> int:
        return len(self.units)

    def append(self, unit: Unit) -> None:
        self.units.append(unit)
        self.positions += unit_positions(unit)

    def extend(self, tokens: Sequence[int]) -> None:
        self.units.extend(tokens)
        self.positions += len(tokens)

    def truncate(self, keep: int) -> None:
        """Keep the first ``keep`` units."""
        del self.units[keep:]
        self.positions = count_positions(self.units)

    def positions_of(self, keep: int) -> int:
        return count_positions(self.units[:keep])
