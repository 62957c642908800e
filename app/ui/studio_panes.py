"""The studio's passive panes: a picture that scales, the side-by-side comparison, the changes.

They only show what they are given; the studio window decides what and when.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPixmap, QResizeEvent, QTextCharFormat
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.workflows.html_versions import ChangeLine


class ScaledPicture(QLabel):
    """An image scaled to fit (never up), top-centred like a page, named for screen readers."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap = QPixmap()
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setMinimumSize(120, 90)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setAccessibleName(name)
        self.setStyleSheet("background: palette(base); border: 1px solid palette(mid);")

    def set_image(self, image: QImage | None, placeholder: str = "") -> None:
        self._pixmap = QPixmap.fromImage(image) if image is not None else QPixmap()
        if self._pixmap.isNull():
            self.setPixmap(QPixmap())
            self.setText(placeholder)
        else:
            self.setText("")
            self._fit()

    def has_image(self) -> bool:
        return not self._pixmap.isNull()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap.isNull():
            return
        box = self.size() - QSize(4, 4)
        pixmap = self._pixmap
        if pixmap.width() > box.width() or pixmap.height() > box.height():
            pixmap = pixmap.scaled(
                box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        self.setPixmap(pixmap)


class ComparePane(QWidget):
    """Original and render side by side; "Show differences" swaps the render for the overlay."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.original = ScaledPicture("Original screenshot")
        self.render = ScaledPicture("The page as rendered")
        self.differences = QCheckBox("Show differences")
        self.differences.setToolTip(
            "Highlight in magenta the pixels where the render differs from the original"
        )
        self.summary = QLabel("")
        self.summary.setAccessibleName("How close the render is")
        self._render_image: QImage | None = None
        self._overlay_image: QImage | None = None
        pictures = QHBoxLayout()
        pictures.addWidget(self._titled("Original", self.original), 1)
        pictures.addWidget(self._titled("Render", self.render), 1)
        bar = QHBoxLayout()
        bar.addWidget(self.differences)
        bar.addWidget(self.summary, 1)
        column = QVBoxLayout(self)
        column.addLayout(pictures, 1)
        column.addLayout(bar)
        self.differences.toggled.connect(self._show_render)

    @staticmethod
    def _titled(title: str, picture: QWidget) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel(f"<b>{title}</b>"))
        column.addWidget(picture, 1)
        return box

    def set_original(self, image: QImage | None) -> None:
        self.original.set_image(image, "No screenshot in this chat.")

    def set_render(self, render: QImage | None, overlay: QImage | None, summary: str) -> None:
        self._render_image, self._overlay_image = render, overlay
        self.summary.setText(summary)
        self._show_render()

    def show_waiting(self, text: str) -> None:
        self._render_image = self._overlay_image = None
        self.summary.setText("")
        self.render.set_image(None, text)

    def _show_render(self) -> None:
        image = self._overlay_image if self.differences.isChecked() else self._render_image
        if image is not None:
            self.render.set_image(image)


_KIND_COLOURS = {"+": QColor("#1b7f37"), "-": QColor("#c62828"), "@": QColor("#6a5acd")}


class ChangesPane(QPlainTextEdit):
    """A coloured unified diff between two versions of the page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        self.setFont(font)
        self.setAccessibleName("Changes between versions")

    def show_changes(self, heading: str, lines: Sequence[ChangeLine]) -> None:
        self.clear()
        cursor = self.textCursor()
        plain = QTextCharFormat()
        bold = QTextCharFormat()
        bold.setFontWeight(QFont.Weight.Bold)
        cursor.insertText(heading + "\n\n", bold)
        for line in lines:
            fmt = QTextCharFormat()
            colour = _KIND_COLOURS.get(line.kind)
            if colour is not None:
                fmt.setForeground(colour)
            text = line.text if line.kind == "@" else f"{line.kind} {line.text}"
            cursor.insertText(text + "\n", fmt if colour is not None else plain)
        self.moveCursor(self.textCursor().MoveOperation.Start)
