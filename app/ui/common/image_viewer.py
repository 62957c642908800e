"""A pending or sent image shown large: exactly the pixels the model will see.

It shows the *prepared* image, not the original file, so what the user checks is what Pixtral
receives (after orientation, flattening and the detail level's resize). The prepared image is
at most 1024 px a side, so wrapping it in a QImage on the GUI thread is a cheap copy.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.core.images import PreparedImage
from app.ui.common.qt_images import qimage_from_prepared


class ImageViewerDialog(QDialog):
    """The prepared image scaled to fit the dialog, with its name and pixel sizes."""

    def __init__(self, image: PreparedImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = image
        width, height = image.size
        self._pixmap = QPixmap.fromImage(qimage_from_prepared(image))
        self.setWindowTitle(image.name)
        self.setAccessibleName(f"Image {image.name}")
        self.picture = QLabel(self)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(160, 120)
        self.picture.setAccessibleName(f"{image.name}, as the model sees it")
        sw, sh = image.source_size
        self.caption = QLabel(
            f"<b>{_escape(image.name)}</b> — original {sw}×{sh} px, "
            f"sent as {width}×{height} px ({image.detail.value} detail, "
            f"{image.tokens:,} tokens)",
            self,
        )
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setAccessibleName("Image details")
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close image")
        close.setToolTip("Close (Esc)")
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.caption)
        layout.addWidget(buttons)
        screen = (parent.screen() if parent else self.screen()).availableSize()
        self.resize(
            min(width + 40, int(screen.width() * 0.8)),
            min(height + 100, int(screen.height() * 0.8)),
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        size = self.picture.size()
        if self._pixmap.width() <= size.width() and self._pixmap.height() <= size.height():
            self.picture.setPixmap(self._pixmap)  # never upscale: it would invent detail
            return
        self.picture.setPixmap(
            self._pixmap.scaled(
                size,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
