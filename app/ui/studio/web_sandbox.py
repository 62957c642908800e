"""A web view for pages the model wrote: scripts run, nothing gets out.

A generated page is untrusted code. It may try to load a CDN stylesheet, call home with
``fetch``, a WebSocket or WebRTC, read ``file:///etc/passwd`` through an iframe or open popups.
The preview lets its scripts run (a page without its JavaScript is not the page) but gives them
nowhere to go. Layers, outermost first, each closing what it can on its own:

- the process's network is shut by Chromium switches (``web_setup``): every TCP connection
  goes to a proxy that leads nowhere, no name resolves, WebRTC opens no UDP socket. This is the
  layer that holds for the channels nothing below sees: preconnect, WebRTC (STUN, TURN over
  UDP, TCP and TLS), DNS;
- ``show_html`` puts a Content-Security-Policy ahead of the page's markup, and each document
  loses WebRTC, WebSocket, WebTransport, EventSource, workers and ``sendBeacon`` before its
  scripts run (``web_lockdown``);
- the page is loaded from memory with an opaque ``data:`` origin, so it has no file origin to
  reach files from, no site to share cookies with, and is no secure context (no service
  workers, no WebTransport);
- its profile is off the record (no cookies, cache or storage on disk) and used by nothing else;
- every request other than ``data:``/``blob:``/``about:`` is blocked by an interceptor on the
  profile and one on the page; the page's one, and the policy's refusals, are reported through
  ``blocked`` so the studio can say why a page looks broken;
- navigation away from the page or within its frames (links, forms, ``location``, meta
  refresh), new windows, downloads and every permission request (camera, location,
  notifications, screen capture, clipboard) are refused.
"""

from __future__ import annotations

import atexit
import weakref

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, QUrl, Signal
from PySide6.QtWebEngineCore import (
    QWebEngineDownloadRequest,
    QWebEnginePage,
    QWebEnginePermission,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.studio.web_lockdown import BLOCKED_MARKER, page_scripts, with_content_policy

# Schemes a page may use: its own content and what its scripts build in memory.
ALLOWED_SCHEMES = frozenset({"data", "blob", "about"})
# Chromium refuses setHtml content over 2 MB (it travels as a data: URL).
MAX_PAGE_BYTES = 2 * 1024 * 1024 - 4096

_Attr = QWebEngineSettings.WebAttribute
_SETTINGS: dict[QWebEngineSettings.WebAttribute, bool] = {
    _Attr.JavascriptEnabled: True,
    _Attr.JavascriptCanOpenWindows: False,
    _Attr.JavascriptCanAccessClipboard: False,
    _Attr.JavascriptCanPaste: False,
    _Attr.AllowWindowActivationFromJavaScript: False,
    _Attr.LocalStorageEnabled: False,
    _Attr.LocalContentCanAccessRemoteUrls: False,
    _Attr.LocalContentCanAccessFileUrls: False,
    _Attr.AllowRunningInsecureContent: False,
    _Attr.AllowGeolocationOnInsecureOrigins: False,
    _Attr.HyperlinkAuditingEnabled: False,
    _Attr.ErrorPageEnabled: False,
    _Attr.PluginsEnabled: False,
    _Attr.PdfViewerEnabled: False,
    _Attr.FullScreenSupportEnabled: False,
    _Attr.ScreenCaptureEnabled: False,
    _Attr.WebRTCPublicInterfacesOnly: True,
    _Attr.DnsPrefetchEnabled: False,
    _Attr.NavigateOnDropEnabled: False,
    _Attr.AutoLoadIconsForPage: False,
    _Attr.TouchIconsEnabled: False,
    _Attr.FocusOnNavigationEnabled: False,
}


class _BlockOutside(QWebEngineUrlRequestInterceptor):
    """Blocks every request outside ALLOWED_SCHEMES and reports it (URL) through ``blocked``."""

    def __init__(self, parent: QObject, report: Signal | None = None) -> None:
        super().__init__(parent)
        self._report = report

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        if url.scheme().lower() in ALLOWED_SCHEMES:
            return
        info.block(True)
        if self._report is not None:
            self._report.emit(url.toString())


_profile: QWebEngineProfile | None = None
_pages: weakref.WeakSet[SandboxedPage] = weakref.WeakSet()  # every page made on the profile
_release_hooked = False


def sandbox_profile() -> QWebEngineProfile:
    """The one off-the-record profile all previews share; it blocks everything outside.

    Qt requires every page to be deleted before its profile. As the application's child the
    profile died with the application, before any page still waiting for ``deleteLater``: Qt
    warned "Release of profile requested but WebEnginePage still not deleted. Expect troubles!"
    and the process crashed on its way out (a window closed and handed to ``deleteLater``, as
    pytest-qt does, then the interpreter exiting: segfault). So it has no parent, and
    ``release_sandbox`` deletes the pages and then the profile: when the application is about
    to quit and, where it never quits (tests), when the interpreter exits.
    """
    global _profile
    if _profile is None:
        _hook_release()
        profile = QWebEngineProfile()  # no storage name: off the record
        profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        profile.setPersistentCookiesPolicy(
            QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
        )
        profile.setSpellCheckEnabled(False)
        profile.setUrlRequestInterceptor(_BlockOutside(profile))
        profile.downloadRequested.connect(_refuse_download)
        for attribute, value in _SETTINGS.items():
            profile.settings().setAttribute(attribute, value)
        _profile = profile
    return _profile


def _hook_release() -> None:
    """Release the sandbox on the way out, once per process.

    ``aboutToQuit`` is the app's way out (the main window closed, Quit), while the event loop
    still runs. ``atexit`` covers a process whose application never quits (pytest): handlers
    run last registered first, so this one, registered once the application exists, runs
    before PySide's own clean-up deletes the application and what Python still owns.
    """
    global _release_hooked
    if _release_hooked:
        return
    _release_hooked = True
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(release_sandbox)
    atexit.register(release_sandbox)


def release_sandbox() -> None:
    """Delete every sandboxed page (with the view that shows it), then the profile.

    Only on the GUI thread, where Qt objects may die, and while the application exists.
    Views deleted here leave their Python wrappers behind, dead; this runs when the app is
    leaving, after which nothing shows a page. A later page makes a new profile.
    """
    global _profile
    app = QApplication.instance()
    if _profile is None or app is None or QThread.currentThread() is not app.thread():
        return  # not on the GUI thread; or the application (and WebEngine) is already gone
    for page in list(_pages):
        if not shiboken6.isValid(page):
            continue
        view = QWebEngineView.forPage(page)
        shiboken6.delete(view if isinstance(view, SandboxedView) else page)
    if shiboken6.isValid(_profile):
        shiboken6.delete(_profile)
    _profile = None


def _refuse_download(download: QWebEngineDownloadRequest) -> None:
    download.cancel()


class SandboxedPage(QWebEnginePage):
    """A page that stays where it was put and asks for nothing."""

    blocked = Signal(str)  # a URL the page tried to load

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(sandbox_profile(), parent)
        _pages.add(self)  # deleted before the profile (release_sandbox)
        self._interceptor = _BlockOutside(self, self.blocked)
        self.setUrlRequestInterceptor(self._interceptor)
        for script in page_scripts():
            self.scripts().insert(script)
        # Settings come from the profile: a page's own settings fall back to its profile's.
        self.permissionRequested.connect(_deny_permission)
        self.newWindowRequested.connect(self._on_new_window_requested)

    def acceptNavigationRequest(
        self, url: QUrl | str, kind: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        """Only our own loads (``setHtml``) and in-page anchors; a link click goes nowhere."""
        url = QUrl(url)
        if url.scheme().lower() not in ALLOWED_SCHEMES:
            self.blocked.emit(url.toString())
            return False
        return kind != QWebEnginePage.NavigationType.NavigationTypeLinkClicked or url.hasFragment()

    def createWindow(self, _kind: QWebEnginePage.WebWindowType) -> QWebEnginePage | None:
        return None

    def _on_new_window_requested(self, request: object) -> None:
        url = getattr(request, "requestedUrl", lambda: QUrl())()
        self.blocked.emit(QUrl(url).toString() or "a new window")

    def javaScriptConsoleMessage(
        self, _level: QWebEnginePage.JavaScriptConsoleMessageLevel, message: str, *_args: object
    ) -> None:
        """The page's console stays out of the app's log; only the policy's refusals, which the
        reporter writes there, come out (as ``blocked``)."""
        if message.startswith(BLOCKED_MARKER):
            self.blocked.emit(message.removeprefix(BLOCKED_MARKER))


def _deny_permission(permission: QWebEnginePermission) -> None:
    permission.deny()


class SandboxedView(QWebEngineView):
    """The view the studio shows pages in. ``show_html`` is the only way content gets in."""

    blocked = Signal(str)  # forwarded from the page: a URL it tried to load
    rendered = Signal(bool)  # load finished (ok?)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        page = SandboxedPage(self)
        self.setPage(page)
        page.blocked.connect(self.blocked)
        self.loadFinished.connect(self.rendered)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.setAcceptDrops(False)

    def show_html(self, html: str) -> bool:
        """Load ``html`` under the preview's policy; False (nothing loaded) when it is too large.

        ``setHtml`` stays available to tests that load a page without the policy.
        """
        if len(html.encode("utf-8")) > MAX_PAGE_BYTES:
            return False
        self.setHtml(with_content_policy(html), QUrl())
        return True
