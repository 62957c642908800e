"""The studio's preview pane: a page that updates while it is being written, without flashing.

Loading new HTML into a web view blanks it until the new page has painted; done a few times a
second while an answer streams, that is a strobe. So there are two sandboxed views: the new
page loads in the hidden one, which is brought to the front once it has loaded. While a load
is in progress, newer HTML waits (only the latest is kept), which also paces the reloads to
what the machine can render.
"""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWidgets import QStackedWidget, QWidget

from app.ui.web_sandbox import MAX_PAGE_BYTES, SandboxedView


class LivePreview(QStackedWidget):
    blocked = Signal(str)  # a URL the page tried to load (from either view)
    shown = Signal()  # a new page is on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._views = (SandboxedView(self), SandboxedView(self))
        for view in self._views:
            self.addWidget(view)
            view.blocked.connect(self.blocked)
            view.rendered.connect(self._on_view_rendered)
        self._loading: SandboxedView | None = None
        self._waiting: str | None = None
        self.setAccessibleName("Live preview (sandboxed: no network, no files)")

    @property
    def front(self) -> SandboxedView:
        return self.currentWidget()  # type: ignore[return-value]

    def page(self) -> QWebEnginePage:
        """The page on screen (tests read its text)."""
        return self.front.page()

    def url(self) -> QUrl:
        return self.front.url()

    def show_html(self, html: str) -> bool:
        """Show ``html`` once it has loaded; False (nothing changes) when it is too large."""
        if len(html.encode("utf-8")) > MAX_PAGE_BYTES:
            return False
        if self._loading is not None:
            self._waiting = html
            return True
        back = self._views[1] if self.front is self._views[0] else self._views[0]
        self._loading = back
        back.show_html(html)
        return True

    def _on_view_rendered(self, _ok: bool) -> None:
        view = self.sender()
        if view is not self._loading:
            return
        self._loading = None
        self.setCurrentWidget(view)
        self.shown.emit()
        if self._waiting is not None:
            html, self._waiting = self._waiting, None
            self.show_html(html)
