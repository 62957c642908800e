"""The composer as the tests of its parts meet it: shown, at a typical width."""

from __future__ import annotations

import pytest

from app.ui.composer.composer import Composer


@pytest.fixture
def composer(qtbot) -> Composer:
    widget = Composer()
    qtbot.addWidget(widget)
    widget.resize(760, 420)
    widget.show()
    return widget
