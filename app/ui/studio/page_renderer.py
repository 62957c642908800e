"""Renders a generated page to a picture at the screenshot's size, off screen.

The refine loop compares the page with the screenshot pixel for pixel and sends the render to
the model, so the render must be the page as a browser lays it out at the screenshot's size,
not the preview pane's size. A hidden sandboxed view of that size loads the page, waits for
the layout to settle (fonts, scripts that build the page), and is grabbed. Between renders the
view is hidden: shown off screen it would go on compositing (an animated page, a script's
timer) on the GUI thread for a picture nobody looks at. The one view is reused.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage

from app.ui.studio.web_sandbox import SandboxedView

# Larger viewports are rendered scaled down (keeping the aspect ratio): a 5K screenshot would
# otherwise cost a 60 MB grab for a comparison made at most at 1024 px a side anyway.
MAX_RENDER_SIDE = 2560
# Scripts and fonts may change the layout after "load finished"; this is how long we let them.
SETTLE_MS = 400
TIMEOUT_MS = 20_000


def render_size(width: int, height: int) -> QSize:
    """The viewport for a ``width`` × ``height`` screenshot, capped at MAX_RENDER_SIDE."""
    scale = min(1.0, MAX_RENDER_SIDE / max(width, height, 1))
    return QSize(max(1, round(width * scale)), max(1, round(height * scale)))


class PageRenderer(QObject):
    """One render at a time; a new request replaces one in progress."""

    rendered = Signal(QImage)  # the page at the requested size (scaled down past the cap)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = SandboxedView()
        self.view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.view.rendered.connect(self._on_view_rendered)
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self._grab)
        self._timeout = QTimer(self, singleShot=True, interval=TIMEOUT_MS)
        self._timeout.timeout.connect(self._on_timeout)
        self._size = QSize()
        self.busy = False

    def render(self, html: str, width: int, height: int) -> None:
        self._size = render_size(width, height)
        self._settle.stop()
        self.view.resize(self._size)
        self.view.show()
        if not self.view.show_html(html):
            self.failed.emit("The page is over 2 MB and too large to render.")
            return
        self.busy = True
        self._timeout.start()

    def _on_view_rendered(self, _ok: bool) -> None:
        if self.busy:
            self._settle.start()

    def _grab(self) -> None:
        if not self.busy:
            return
        self.busy = False
        self._timeout.stop()
        image = self.view.grab().toImage()
        self.view.hide()
        if image.size() != self._size:  # high-DPI screens grab at device pixels
            image = image.scaled(
                self._size,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self.rendered.emit(image.convertToFormat(QImage.Format.Format_RGB888))

    def _on_timeout(self) -> None:
        if self.busy:
            self.busy = False
            self.view.hide()
            self.failed.emit("The page took too long to render (over 20 s).")

    def close(self) -> None:
        self.busy = False
        self._settle.stop()
        self._timeout.stop()
        self.view.close()
        self.view.deleteLater()
