"""The screenshot-to-HTML studio: the original, the live page, the comparison, the versions.

A window of its own beside the chat, because the job is visual: the user wants the screenshot
and the page it became next to each other, large. The conversation stays the record (every
request and answer is in the chat history); the studio reads versions out of it and sends its
refine requests through it (``StudioLink`` does the sending).

While an answer streams, the page so far is shown live (reloaded at most a few times a second).
Each finished version is rendered at the screenshot's size off screen and compared pixel by
pixel; "Fix differences" sends the original and that render back to the model.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.images import Detail, PreparedImage
from app.ui.common.background import run_in_background
from app.ui.common.qt_images import pil_from_qimage, qimage_from_pil, qimage_from_prepared
from app.ui.composer.image_mime import sources_from_mime
from app.ui.studio.live_preview import LivePreview
from app.ui.studio.page_renderer import PageRenderer
from app.ui.studio.studio_panes import (
    BlockedBanner,
    ChangesPane,
    ComparePane,
    ScaledPicture,
    pane_title,
    studio_body,
)
from app.ui.studio.studio_placement import fit_to_screen, restore_placement, save_placement
from app.ui.studio.studio_toolbar import StudioToolbar
from app.workflows.html_versions import PageVersion, StudioRecord, VersionSource
from app.workflows.screenshot_to_html import HtmlExtractor, external_resources, extract_html
from app.workflows.visual_diff import VisualDiff, compare_render

LIVE_RELOAD_MS = 400
NO_PAGE = "This answer holds no HTML page."


class HtmlStudio(QMainWindow):
    refine_requested = Signal(object, QImage)  # PageVersion, its render (screenshot's size)
    stop_requested = Signal()
    screenshot_offered = Signal(object)  # ImageSource dropped or pasted here: make a new page

    def __init__(self, parent: QWidget | None = None, state: QSettings | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("HTML studio — Pixtral Desk")
        self._state = state  # where its size and split are remembered (the window's ini)
        self.original: PreparedImage | None = None
        self.versions: list[PageVersion] = []
        self.generating = False
        self._extractor = HtmlExtractor()
        self._live_html: str | None = None
        self._blocked: dict[str, None] = {}
        self._render: QImage | None = None  # of the current version, at the screenshot's size
        self.renderer = PageRenderer(self)
        self.renderer.rendered.connect(self._on_renderer_rendered)
        self.renderer.failed.connect(self._on_renderer_failed)
        self._live_timer = QTimer(self, singleShot=True, interval=LIVE_RELOAD_MS)
        self._live_timer.timeout.connect(self._show_live)
        # The render starts a pass after the version is shown: the code, the preview and the
        # render's page load together overran a frame when an answer finished (profiled).
        self._render_soon = QTimer(self, singleShot=True, interval=0)
        self._render_soon.timeout.connect(self._render_current)
        self.setCentralWidget(self._build())
        self.setAcceptDrops(True)
        self._connect()
        self._update_actions()
        restore_placement(self, self._state, self.splitter)

    # ------------------------------------------------------------------------------ layout
    def _build(self) -> QWidget:
        self.toolbar = bar = StudioToolbar()  # its widgets keep their names on the studio
        self.version_box, self.refine_button = bar.version_box, bar.refine_button
        self.stop_button, self.save_button = bar.stop_button, bar.save_button
        self.copy_button, self.status = bar.copy_button, bar.status
        self.blocked_label = BlockedBanner()

        self.original_picture = ScaledPicture("Original screenshot")
        self.preview = LivePreview()
        self.compare = ComparePane()
        self.code = QPlainTextEdit()
        self.code.setAccessibleName("HTML of this version")
        self.code.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.use_edit_button = QPushButton("Use my edit as a new version")
        self.use_edit_button.setEnabled(False)
        code_page = QWidget()
        code_column = QVBoxLayout(code_page)
        code_column.addWidget(self.code, 1)
        code_column.addWidget(self.use_edit_button, 0, Qt.AlignmentFlag.AlignRight)
        self.changes = ChangesPane()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.preview, "Live preview")
        self.tabs.addTab(self.compare, "Compare")
        self.tabs.addTab(code_page, "Code")
        self.tabs.addTab(self.changes, "Changes")

        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addWidget(pane_title("Original"))
        left_column.addWidget(self.original_picture, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.setSizes([420, 860])
        return studio_body(bar.widget, self.blocked_label, self.splitter)

    def _connect(self) -> None:
        self.version_box.currentIndexChanged.connect(self._on_version_box_changed)
        self.refine_button.clicked.connect(self._on_refine_clicked)
        self.stop_button.clicked.connect(self.stop_requested)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.copy_button.clicked.connect(self.copy_html)
        self.use_edit_button.clicked.connect(self._on_use_edit_clicked)
        self.code.textChanged.connect(self._on_code_changed)
        self.preview.blocked.connect(self._on_preview_blocked)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self._on_save_clicked)
        QShortcut(QKeySequence.StandardKey.Paste, self, activated=self._on_paste)

    # ----------------------------------------------------------------------------- content
    @property
    def current(self) -> PageVersion | None:
        index = self.version_box.currentIndex()
        return self.versions[index] if 0 <= index < len(self.versions) else None

    def show_record(self, record: StudioRecord) -> None:
        """Show a conversation's original and versions (the newest selected)."""
        self.show_original(record.original)
        self.versions = list(record.versions)
        self._fill_versions(len(self.versions) - 1)
        if not self.versions and not self.generating:
            self.status.setText("No page yet.")

    def show_original(self, original: PreparedImage | None) -> None:
        self.original = original
        image = qimage_from_prepared(original) if original else None
        self.original_picture.set_image(image, "No screenshot in this chat yet.")
        self.compare.set_original(image)
        self.preview.set_viewport_width(original.source_size[0] if original else 0)

    def _fill_versions(self, select: int) -> None:
        self.version_box.blockSignals(True)
        self.version_box.clear()
        self.version_box.addItems([version.label for version in self.versions])
        self.version_box.setCurrentIndex(select)
        self.version_box.blockSignals(False)
        self._on_version_box_changed(select)

    def add_version(self, html: str, source: VersionSource = VersionSource.ANSWER) -> None:
        self.versions.append(PageVersion(len(self.versions) + 1, html, source))
        self._fill_versions(len(self.versions) - 1)

    def _on_version_box_changed(self, _index: int) -> None:
        version = self.current
        self._render = None
        self._blocked = {}
        if version is not None and self.status.text().startswith(NO_PAGE):
            self.status.clear()  # it spoke of the answer that had no page; this version has one
        if version is None:
            self.code.setPlainText("")
            self.compare.show_waiting("No page yet.")
            self.changes.show_for(self.versions, None)
            self._show_blocked()
            self._update_actions()
            return
        self.code.blockSignals(True)
        self.code.setPlainText(version.html)
        self.code.blockSignals(False)
        self.use_edit_button.setEnabled(False)
        self._show_blocked()
        self._find_external_resources(version)
        self.preview.show_html(version.html)
        self.changes.show_for(self.versions, version)
        self.compare.show_waiting("Rendering the page at the screenshot's size…")
        self._render_soon.start()
        self._update_actions()

    # ------------------------------------------------------------------- render and compare
    def _screenshot_size(self) -> tuple[int, int]:
        if self.original is None:
            return (1280, 800)
        return self.original.source_size

    def _render_current(self) -> None:
        version = self.current
        if version is not None:
            width, height = self._screenshot_size()
            self.renderer.render(version.html, width, height)

    def _on_renderer_rendered(self, image: QImage) -> None:
        self._render = image
        self._update_actions()
        if self.original is None:
            self.compare.set_render(image, None, "No original to compare with.")
            return
        original = self.original
        current = self.current

        def work() -> VisualDiff:  # conversions and comparison off the GUI thread
            return compare_render(original.to_pil(), pil_from_qimage(image))

        def done(diff: VisualDiff) -> None:
            if self.current is current:
                overlay = qimage_from_pil(diff.overlay)
                scaled = qimage_from_pil(diff.render)
                self.compare.set_render(scaled, overlay, diff.summary)

        run_in_background(work, done, self._on_compare_failed, guard=self)

    def _on_compare_failed(self, error: Exception) -> None:
        self.compare.show_waiting(f"Could not compare: {error}")

    def _on_renderer_failed(self, message: str) -> None:
        self.compare.show_waiting(message)
        self._update_actions()

    @property
    def render_image(self) -> QImage | None:
        return self._render

    # ----------------------------------------------------------------------------- streaming
    def stream_started(self) -> None:
        self.generating = True
        self._extractor = HtmlExtractor()
        self._live_html = None
        self.status.setText(f"Writing version {len(self.versions) + 1}…")
        self.tabs.setCurrentWidget(self.preview)
        self._update_actions()

    def stream_text(self, chunk: str) -> None:
        html = self._extractor.feed(chunk)
        if html is not None:
            self._live_html = html
            if not self._live_timer.isActive():
                self._live_timer.start()

    def _show_live(self) -> None:
        if self.generating and self._live_html is not None:
            self.preview.show_html(self._live_html)

    def stream_finished(self, answer: str) -> None:
        self.generating = False
        self._live_timer.stop()
        html = extract_html(answer)
        if html is None:
            shown = f" Version {self.current.number} stays shown." if self.current else ""
            self.status.setText(f"{NO_PAGE}{shown} Ask again in the chat, or edit the code.")
        else:
            self.add_version(html)
            self.status.setText(f"Version {len(self.versions)} is ready.")
        self._update_actions()

    def stream_failed(self, message: str) -> None:
        self.generating = False
        self._live_timer.stop()
        self.status.setText(f"⚠ {message}")
        self._update_actions()

    # ------------------------------------------------------------------------------ actions
    def _update_actions(self) -> None:
        self.toolbar.update_actions(
            has_version=self.current is not None,
            generating=self.generating,
            can_compare=self._render is not None and self.original is not None,
        )

    def _on_refine_clicked(self) -> None:
        version, render = self.current, self._render
        if version is None or render is None or self.generating:
            return
        self.refine_requested.emit(version, render)

    def copy_html(self) -> None:
        if self.current is not None:
            QGuiApplication.clipboard().setText(self.current.html)
            self.status.setText(f"{self.current.label} copied.")

    def _on_save_clicked(self) -> None:
        if self.current is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Save page", f"page-v{self.current.number}.html", "HTML (*.html *.htm)"
        )
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        """Write the current version; the write is tiny, its failure is reported, not raised."""
        version = self.current
        if version is None:
            return
        html = version.html

        def work() -> None:
            path.write_text(html, encoding="utf-8")

        def failed(error: Exception) -> None:
            reason = getattr(error, "strerror", None) or str(error)
            self.status.setText(f"⚠ Could not save {path.name}: {reason}")

        def done(_result: object) -> None:
            self.status.setText(f"Saved {version.label} as {path.name}.")

        run_in_background(work, done, failed, guard=self)

    def _on_code_changed(self) -> None:
        version = self.current
        text = self.code.toPlainText()
        self.use_edit_button.setEnabled(
            bool(text.strip()) and (version is None or text != version.html)
        )

    def _on_use_edit_clicked(self) -> None:
        html = self.code.toPlainText()
        if html.strip():
            self.add_version(html, VersionSource.EDIT)

    # ----------------------------------------------------------------------------- blocked
    def _find_external_resources(self, version: PageVersion) -> None:
        """List what the page would fetch, off the GUI thread: parsing a 20 KB page takes
        7–9 ms (measured), the larger part of a finished answer's stall."""

        def done(urls: list[str]) -> None:
            if self.current is version:  # first what the page names, then what it tried
                self._blocked = {**dict.fromkeys(urls), **self._blocked}
                self._show_blocked()

        run_in_background(lambda: external_resources(version.html), done, guard=self)

    def _on_preview_blocked(self, url: str) -> None:
        if url not in self._blocked:
            self._blocked[url] = None
            self._show_blocked()

    def _show_blocked(self) -> None:
        self.blocked_label.show_urls(list(self._blocked))

    # --------------------------------------------------------------- a new screenshot here
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self._offer(event.mimeData()):
            event.acceptProposedAction()

    def _on_paste(self) -> None:
        if self.tabs.currentWidget() is not self.code.parentWidget():  # the code tab pastes text
            self._offer(QGuiApplication.clipboard().mimeData(), pasted=True)

    def _offer(self, mime: QMimeData | None, *, pasted: bool = False) -> bool:
        """A screenshot dropped or pasted on the studio starts a new page from it (the first
        image when several come); high detail, as the Make HTML preset asks for."""
        found = sources_from_mime(mime, Detail.HIGH, pasted=pasted) if mime else None
        if not found or not found[0]:
            if found and found[1]:
                self.status.setText(f"⚠ {found[1][0]}")
            return False
        if self.generating:
            self.status.setText("Wait for this version (or stop it) before starting another.")
            return False
        self.screenshot_offered.emit(found[0][0])
        return True

    def showEvent(self, event: QShowEvent) -> None:
        """Fit again once shown: only then are the title bar and borders known, and the main
        window may have moved to another screen since the studio was last open."""
        super().showEvent(event)
        fit_to_screen(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._live_timer.stop()
        save_placement(self, self._state, self.splitter)
        super().closeEvent(event)
