"""Every named icon loads in both schemes, tinted with that scheme's text colour."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app.ui.theme.icons import NAMES, icon
from app.ui.theme.tokens import COLOURS, Scheme


def test_qtawesome_is_told_to_use_pyside6():
    assert os.environ["QT_API"] == "pyside6"


def test_only_the_phosphor_font_is_loaded():
    """qtawesome alone loads its twelve fonts on the first icon (~60 ms on the GUI thread);
    in a fresh process, the first icon loads Phosphor, the one font the names draw from."""
    assert all(name.startswith("ph.") for name in NAMES.values())
    script = (
        "from PySide6.QtWidgets import QApplication; app = QApplication([]);"
        "from app.ui.theme.icons import icon; from app.ui.theme.tokens import Scheme;"
        "import qtawesome; assert not icon('copy', Scheme.LIGHT).isNull();"
        "print(sorted(qtawesome._instance().fontname))"
    )
    repo = Path(__file__).resolve().parents[3]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=repo, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "['ph']"


@pytest.mark.parametrize("scheme", list(Scheme))
def test_every_icon_loads(qapp: QApplication, scheme: Scheme):
    for name in NAMES:
        assert not icon(name, scheme).isNull(), name


@pytest.mark.parametrize("scheme", list(Scheme))
def test_icons_take_the_text_colour(qapp: QApplication, scheme: Scheme):
    image = icon("settings", scheme).pixmap(32, 32).toImage()
    opaque = [
        image.pixelColor(x, y)
        for x in range(32)
        for y in range(32)
        if image.pixelColor(x, y).alpha() == 255
    ]
    assert opaque, "the icon drew nothing"
    text = COLOURS[scheme].text
    assert any(colour.name() == text for colour in opaque)
