"""The transcript view the tests paint into: an empty chat, shown, at a size the offscreen
screen holds; after each test the thumbnail and layout workers are left to finish, so none
outlives the widgets it reports to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThreadPool

from app.ui.transcript.chat_view import ChatView
from app.ui.transcript.transcript_model import TranscriptModel


@pytest.fixture
def view(qtbot) -> Iterator[ChatView]:
    view = ChatView(TranscriptModel())
    qtbot.addWidget(view)
    view.resize(700, 600)
    view.show()
    qtbot.waitExposed(view)
    yield view
    QThreadPool.globalInstance().waitForDone(2000)
