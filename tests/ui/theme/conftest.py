"""Each theme test starts unthemed and leaves the shared application as it found it."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication


@pytest.fixture
def app(unthemed_afterwards: QApplication) -> QApplication:
    return unthemed_afterwards
