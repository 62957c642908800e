"""Drops anywhere in the window land in the composer, with a panel that shows while dragging."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.window.drop_overlay import DROP_WORDS
from app.ui.window.main_window import MainWindow
from tests.fixtures.pixtral_gguf import GgufPair
from tests.ui.window.test_main_window import _close, _open, _settings

COPY = Qt.DropAction.CopyAction
LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_pair: GgufPair) -> Iterator[MainWindow]:
    opened = _open(qtbot, _settings(tmp_path, tiny_pair), tmp_path / "data")
    opened.resize(1100, 700)
    qtbot.waitExposed(opened)
    yield opened
    _close(opened)


def _files(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def _drag_over(window: MainWindow, widget: QWidget, mime: QMimeData) -> QPoint:
    """Enter and move over ``widget`` the way the platform does: through the window, which
    hands the drag to the widget under the cursor (or the nearest one that takes drops)."""
    pos = widget.mapTo(window, widget.rect().center())
    handle = window.windowHandle()
    QApplication.sendEvent(handle, QDragEnterEvent(pos, COPY, mime, LEFT, NONE))
    QApplication.sendEvent(handle, QDragMoveEvent(pos + QPoint(5, 5), COPY, mime, LEFT, NONE))
    return pos


def _drop(window: MainWindow, pos: QPoint, mime: QMimeData) -> None:
    QApplication.sendEvent(window.windowHandle(), QDropEvent(pos, COPY, mime, LEFT, NONE))


def test_an_image_dropped_on_the_empty_page_lands_in_the_composer(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    assert window.stack.currentWidget() is window.empty_state
    Image.new("RGB", (64, 48), (200, 30, 30)).save(tmp_path / "shot.png")
    mime = _files(tmp_path / "shot.png")
    overlay = window.drops.overlay
    assert not overlay.isVisible()
    pos = _drag_over(window, window.empty_state, mime)
    assert overlay.isVisible() and overlay.text.text() == DROP_WORDS
    _drop(window, pos, mime)
    assert not overlay.isVisible()
    qtbot.waitUntil(lambda: len(window.composer.pending_images()) == 1, timeout=10_000)


def test_a_drag_over_the_transcript_shows_the_panel_and_hides_it_on_leave(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    window.stack.setCurrentWidget(window.chat_view)
    Image.new("RGB", (40, 40), (30, 200, 30)).save(tmp_path / "photo.jpg")
    mime = _files(tmp_path / "photo.jpg")
    _drag_over(window, window.chat_view, mime)
    assert window.drops.overlay.isVisible()
    QApplication.sendEvent(window.windowHandle(), QDragLeaveEvent())
    assert not window.drops.overlay.isVisible()
    pos = _drag_over(window, window.chat_view, mime)
    _drop(window, pos, mime)
    assert not window.drops.overlay.isVisible()
    qtbot.waitUntil(lambda: len(window.composer.pending_images()) == 1, timeout=10_000)


def test_a_file_that_is_no_image_is_refused_with_the_composer_notice(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("not a picture")
    mime = _files(tmp_path / "notes.txt")
    pos = _drag_over(window, window.sidebar, mime)
    assert window.drops.overlay.isVisible()  # a file is offered; what it is shows on drop
    _drop(window, pos, mime)
    assert not window.drops.overlay.isVisible()
    qtbot.waitUntil(lambda: window.composer.notice.isVisible(), timeout=10_000)
    assert not window.composer.pending_images()
