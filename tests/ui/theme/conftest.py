"""Each theme test starts unthemed and leaves the shared application as it found it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from app.ui.theme.theme import Theme


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    palette, sheet = qapp.palette(), qapp.styleSheet()
    yield qapp
    theme = Theme.of(qapp)
    if theme is not None:
        qapp.styleHints().colorSchemeChanged.disconnect(theme._on_style_hints_color_scheme_changed)
        theme.setParent(None)
        theme.deleteLater()
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
