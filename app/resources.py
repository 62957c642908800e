"""Where the files in the top-level ``resources/`` folder are, from source or from a bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """``resources/`` next to the ``app`` package (source checkout) or inside a frozen bundle."""
    frozen = getattr(sys, "_MEIPASS", None)
    base = Path(frozen) if frozen else Path(__file__).resolve().parent.parent
    return base / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
