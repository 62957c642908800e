"""Drops as a file manager (or a drag inside the app) makes them, built one way for every test.

UI tests and benchmarks call a widget's ``dropEvent`` directly with a synthetic ``QDropEvent``
rather than driving a real drag (which offscreen Qt cannot do). The event does not own its
``QMimeData``: whoever builds an event with ``drop_event`` must keep the mime data alive until
the event has been handled; ``drop_on`` does that for the common case.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QWidget


def file_urls(*paths: Path) -> QMimeData:
    """Mime data holding ``paths`` as local file urls, as a file manager drops them."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return mime


def drop_event(
    mime: QMimeData,
    pos: QPointF | None = None,
    action: Qt.DropAction = Qt.DropAction.CopyAction,
) -> QDropEvent:
    """A left-button drop of ``mime`` at ``pos`` (default 10, 10); keep ``mime`` alive."""
    return QDropEvent(
        QPointF(10, 10) if pos is None else pos,
        action,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )


def drop_on(target: QWidget, mime: QMimeData, pos: QPointF | None = None) -> None:
    """Drop ``mime`` on ``target`` at ``pos`` (default 10, 10), as a copy."""
    target.dropEvent(drop_event(mime, pos))
