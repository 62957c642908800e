"""The studio's preview pane: a page that updates while it is being written, without flashing.

Loading new HTML into a web view blanks it until the new page has painted; done a few times a
second while an answer streams, that is a strobe. So there are two sandboxed views stacked in
the same place, both shown (a hidden view would lay the page out at zero width and not paint
it): the new page loads in the one behind, which is raised once it has loaded. While a load
is in progress, newer HTML waits (only the latest is kept), which also paces the reloads to
what the machine can render. HTML the preview already shows (or is about to) is not loaded
again: each load is a full parse, layout and first paint in QtWebEngine, much of it on the GUI
thread, and the finished version is usually the last page streamed.

The page was asked for at the screenshot's width; shown at the pane's width it would lay out
differently (a four-column grid becoming two) from the original beside it and from the render
the comparison uses. So the views are zoomed to give the page the screenshot's viewport width.
"""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWidgets import QWidget

from app.ui.studio.web_sandbox import MAX_PAGE_BYTES, SandboxedView


class LivePreview(QWidget):
    blocked = Signal(str)  # a URL the page tried to load (from either view)
    shown = Signal()  # a new page is on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._views = (SandboxedView(self), SandboxedView(self))
        self._front = self._views[0]
        self._front.raise_()
        for view in self._views:
            view.blocked.connect(self.blocked)
            view.rendered.connect(self._on_view_rendered)
        self._loading: SandboxedView | None = None
        self._waiting: str | None = None
        self._html = {view: "" for view in self._views}  # what each view shows or is loading
        self.loads = 0  # pages handed to QtWebEngine (tests count them)
        self._viewport_width = 0  # CSS pixels the page should see; 0 = the pane's own width
        self.setAccessibleName("Live preview (sandboxed: no network, no files)")

    @property
    def front(self) -> SandboxedView:
        """The view on top, the one the user sees."""
        return self._front

    def page(self) -> QWebEnginePage:
        """The page on screen (tests read its text)."""
        return self.front.page()

    def url(self) -> QUrl:
        return self.front.url()

    @property
    def settled(self) -> bool:
        """No page loading or waiting to load: the preview shows the latest page it was given
        (tests wait for this before they close the window)."""
        return self._loading is None and self._waiting is None

    def set_viewport_width(self, width: int) -> None:
        """Lay pages out ``width`` CSS pixels wide, whatever the pane's width (0: the pane's)."""
        self._viewport_width = width
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        for view in self._views:
            view.setGeometry(self.rect())
        self._fit()

    def _fit(self) -> None:
        width = self._viewport_width
        zoom = self.width() / width if width and self.width() > 0 else 1.0
        zoom = min(max(zoom, 0.25), 5.0)  # QtWebEngine's zoom range
        for view in self._views:
            view.setZoomFactor(zoom)

    def show_html(self, html: str) -> bool:
        """Show ``html`` once it has loaded; False (nothing changes) when it is too large."""
        if len(html.encode("utf-8")) > MAX_PAGE_BYTES:
            return False
        if self._loading is not None:
            # The page being loaded is shown next anyway: waiting for it again would reload it.
            self._waiting = None if html == self._html[self._loading] else html
            return True
        if html == self._html[self.front]:
            return True  # already on screen
        back = self._views[1] if self.front is self._views[0] else self._views[0]
        self._loading = back
        self._html[back] = html
        self.loads += 1
        back.show_html(html)
        return True

    def _on_view_rendered(self, _ok: bool) -> None:
        view = self.sender()
        if view is not self._loading:
            return
        self._loading = None
        self._front = view  # type: ignore[assignment]
        view.raise_()
        self.shown.emit()
        if self._waiting is not None:
            html, self._waiting = self._waiting, None
            self.show_html(html)
