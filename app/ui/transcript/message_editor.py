"""Editing a sent question in place, over its own bubble: the words and the images.

A pop-up with a text box could not change the images and hid the conversation the question
belongs to. This frame lies over the question's row in the transcript (a child of the view's
viewport, following it when the view scrolls or resizes), holds the question's words and a
thumbnail with a remove button per attached image, and an "Add image…" button. Enter saves
(Shift+Enter starts a new line, as in the composer) and Esc cancels; what saving does is the
caller's business (``saved`` carries the new words and images).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.images import Detail, ImageError, PreparedImage, prepare_image
from app.ui.common.background import run_in_background
from app.ui.common.qt_images import qimage_from_prepared
from app.ui.theme.dialog_parts import StatusNote
from app.ui.transcript.transcript_layout import reading_column

THUMB_SIDE = 56
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff);;All files (*)"


def _pick_image_files(parent: QWidget) -> list[str]:
    """The files the user chose to add (kept apart so tests can stand in for the dialog)."""
    paths, _filter = QFileDialog.getOpenFileNames(parent, "Add images", "", IMAGE_FILTER)
    return paths


class _Thumb(QFrame):
    """One attached image: a small picture and a × that takes it out of the question."""

    def __init__(self, image: PreparedImage, remove: Callable[[], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.image = image
        picture = QLabel(self)
        pixmap = QPixmap.fromImage(qimage_from_prepared(image)).scaled(
            THUMB_SIDE,
            THUMB_SIDE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        picture.setPixmap(pixmap)
        picture.setFixedSize(THUMB_SIDE, THUMB_SIDE)
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        picture.setToolTip(image.name)
        picture.setAccessibleName(f"Image {image.name}")
        self.remove_button = QToolButton(self)
        self.remove_button.setText("×")
        self.remove_button.setToolTip(f"Remove {image.name} from this message")
        self.remove_button.setAccessibleName(f"Remove image {image.name}")
        self.remove_button.clicked.connect(remove)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(picture)
        layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)


class _TextBox(QPlainTextEdit):
    """The question's words: Enter saves, Shift+Enter is a new line, Esc cancels."""

    submitted = Signal()
    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.submitted.emit()
                return
        elif key == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        super().keyPressEvent(event)


class InlineMessageEditor(QFrame):
    """The editor over the question at ``row`` of ``view``; ``detail`` is how images added
    here are prepared (the composer's detail for new images)."""

    saved = Signal(str, list)  # the new words, the images to send (PreparedImage)
    cancelled = Signal()

    def __init__(
        self,
        view: QAbstractItemView,
        row: int,
        text: str,
        images: Sequence[PreparedImage],
        detail: Detail = Detail.NATIVE,
    ) -> None:
        super().__init__(view.viewport())
        self.view = view
        self.row = row
        self.detail = detail
        self.images: list[PreparedImage] = list(images)
        self._done = False
        self._preparing = 0
        self.setObjectName("inlineMessageEditor")
        self.setAccessibleName("Edit message")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(self.palette().ColorRole.Base)

        heading = QLabel("Edit message — saving sends it again; the earlier version is kept")
        heading.setWordWrap(True)
        self.text_box = _TextBox(self)
        self.text_box.setPlainText(text)
        self.text_box.setAccessibleName("Message text")
        self.text_box.setToolTip("Enter saves · Shift+Enter starts a new line · Esc cancels")
        self.text_box.setTabChangesFocus(True)
        self.text_box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text_box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        line = self.text_box.fontMetrics().lineSpacing()
        self.text_box.setFixedHeight(line * 4 + 12)
        self.text_box.submitted.connect(self.save)
        self.text_box.escaped.connect(self.cancel)

        self.thumbs = QHBoxLayout()
        self.thumbs.setSpacing(8)
        self.add_button = QPushButton("Add image…")
        self.add_button.setToolTip("Add images from files to this message")
        self.add_button.setAccessibleName("Add image")
        self.add_button.clicked.connect(self.add_images)
        self.notice = StatusNote()
        self.notice.setAccessibleName("Edit notice")

        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Leave the message as it was (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button = QPushButton("Save")
        self.save_button.setToolTip("Send the edited message; the earlier version is kept (Enter)")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.text_box.textChanged.connect(self._update_save)

        images_row = QHBoxLayout()
        images_row.addLayout(self.thumbs)
        images_row.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignVCenter)
        images_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(heading)
        layout.addWidget(self.text_box)
        layout.addLayout(images_row)
        layout.addWidget(self.notice)
        layout.addLayout(buttons)

        self._fill_thumbs()
        view.verticalScrollBar().valueChanged.connect(self.place)
        view.viewport().installEventFilter(self)
        view.model().modelReset.connect(self.cancel)  # another chat, or this one reloaded
        view.scrollTo(self._index(), QAbstractItemView.ScrollHint.PositionAtTop)
        self.place()
        self.show()
        self.raise_()
        self.text_box.setFocus()
        self.text_box.selectAll()

    # ------------------------------------------------------------------------------ images
    def _fill_thumbs(self) -> None:
        while self.thumbs.count():
            widget = self.thumbs.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for index, image in enumerate(self.images):
            self.thumbs.addWidget(_Thumb(image, lambda i=index: self.remove_image(i), self))
        self._update_save()
        self.place()

    def thumb_widgets(self) -> list[_Thumb]:
        """The thumbnails shown, in order (what a person sees and clicks)."""
        found = (self.thumbs.itemAt(i).widget() for i in range(self.thumbs.count()))
        return [w for w in found if isinstance(w, _Thumb)]

    def remove_image(self, index: int) -> None:
        if 0 <= index < len(self.images):
            del self.images[index]
            self._fill_thumbs()

    def add_images(self) -> None:
        """Prepare the chosen files as the composer would, off the GUI thread (a large photo
        takes a moment to decode); a file that is no image is named."""
        paths = _pick_image_files(self)
        if not paths:
            return
        detail = self.detail

        def prepare() -> tuple[list[PreparedImage], list[str]]:
            prepared: list[PreparedImage] = []
            failed: list[str] = []
            for path in paths:
                try:
                    prepared.append(prepare_image(path, detail))
                except ImageError as error:
                    failed.append(str(error))
            return prepared, failed

        self._preparing += 1
        self._update_save()
        run_in_background(prepare, self._on_images_prepared, guard=self)

    def _on_images_prepared(self, result: tuple[list[PreparedImage], list[str]]) -> None:
        prepared, failed = result
        self._preparing -= 1
        self.images.extend(prepared)
        self.notice.setText("\n".join(failed))
        self._fill_thumbs()

    # ------------------------------------------------------------------------------ result
    def text(self) -> str:
        return self.text_box.toPlainText()

    def _update_save(self) -> None:
        ready = not self._preparing  # saving now would leave out the images still decoding
        self.save_button.setEnabled(ready and bool(self.text().strip() or self.images))

    def save(self) -> None:
        if self._done or not self.save_button.isEnabled():
            return
        self._finish()
        self.saved.emit(self.text(), list(self.images))

    def cancel(self) -> None:
        if self._done:
            return
        self._finish()
        self.cancelled.emit()

    def _finish(self) -> None:
        self._done = True
        self.view.viewport().removeEventFilter(self)
        self.hide()
        self.deleteLater()
        self.view.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------------------ place
    def _index(self) -> QModelIndex:
        return self.view.model().index(self.row, 0)

    def place(self, *_args: object) -> None:
        """Lie over the question's row, as wide as its reading column, tall enough for all."""
        if self._done:
            return
        rect = self.view.visualRect(self._index())
        left, column = reading_column(self.view.viewport().width())
        width = max(column + 8, 200)  # a hair wider than the column it covers
        self.setFixedWidth(width)
        height = self.sizeHint().height()
        self.setGeometry(max(0, left - 4), rect.top() + 4, width, height)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.place()
        return super().eventFilter(watched, event)
