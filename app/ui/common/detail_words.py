"""How an image detail level reads on screen: its name and the longest side it keeps.

"High (768 px)" tells people what they trade; the settings, the presets and the page picker
all show the same words, built from the one table of sizes in ``app.core.images``.
"""

from __future__ import annotations

from app.core.images import Detail


def detail_label(detail: Detail | str) -> str:
    """``"Native (1024 px)"`` for ``Detail.NATIVE``."""
    level = Detail.parse(detail)
    return f"{level.value.capitalize()} ({level.max_side} px)"
