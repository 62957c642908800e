"""Connects the HTML studio to the chat: "Make HTML" and "Fix differences" are chat turns.

Every request the studio makes is an ordinary message in a conversation, sent through
``ChatSession``: it runs on whatever backend the user chose (fully offline with the local one),
it is saved in the history like any other turn, and the chat window shows it as it streams.
Its answers may be whole pages, so the chat asks for ``PAGE_ANSWER_TOKENS`` of answer.
The studio follows the one conversation it belongs to and ignores turns of other chats.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from app.core.composition import Composition
from app.core.conversation import Role
from app.core.images import PreparedImage, prepare_image
from app.engine.base import EngineError, Finished, FinishReason
from app.ui.common.background import run_in_background
from app.ui.common.qt_images import png_bytes
from app.ui.composer.pending_images import ImageSource, prepare_pending
from app.ui.session.chat_session import ChatSession
from app.ui.session.session_history import OpenedConversation
from app.workflows.html_versions import PageVersion, read_conversation, refine_request
from app.workflows.presets import load_presets_or_builtins
from app.workflows.screenshot_to_html import (
    PAGE_ANSWER_TOKENS,
    extract_html,
    make_html_prompt,
)

if TYPE_CHECKING:
    from app.ui.studio.html_studio import HtmlStudio

MAKE_HTML_PRESET = "make_html"
MAKE_HTML_LABEL = "Make HTML"
FIX_DIFFERENCES_LABEL = "Fix differences"
"""What the bubble shows for the request the studio writes (the prompt stays behind Show prompt)."""
PAGE_CUT = (
    "The page stopped at the answer limit. Click Continue under the answer in the chat to "
    "have it finished."
)


class StudioLink(QObject):
    notice = Signal(str)  # one passing line for the main window's activity bar
    problem = Signal(str)  # something the user must read: stays until dismissed

    def __init__(
        self,
        session: ChatSession,
        presets_file: Path | None,
        window: QWidget,
        state: QSettings | None = None,
    ) -> None:
        """``state`` is where the studio remembers its size and split (the window's ini)."""
        super().__init__(window)
        self.session = session
        self.presets_file = presets_file
        self.window = window
        self.state = state
        self.studio: HtmlStudio | None = None
        self.conversation_id: int | None = None
        self._adopt_next_turn = False
        self._streaming = False
        self._after_open: Callable[[], None] | None = None
        self.load_error: str | None = None  # why the studio could not open
        self._say_after_start: str | None = None
        session.turn_started.connect(self._on_session_turn_started)
        session.token_received.connect(self._on_session_token_received)
        session.turn_finished.connect(self._on_session_turn_finished)
        session.turn_failed.connect(self._on_session_turn_failed)
        session.conversation_opened.connect(self._on_session_conversation_opened)

    # -------------------------------------------------------------------------------- entry
    def make_html(self, image: PreparedImage, extra: str = "") -> None:
        """Start a new chat that asks for ``image`` as a page, and open the studio on it."""
        if self.session.generating:
            self.notice.emit("Wait for the current answer (or stop it) before making HTML.")
            return
        presets_file = self.presets_file
        width, height = image.source_size

        def work() -> str:
            presets, _problem = load_presets_or_builtins(presets_file)
            preset = next((p for p in presets if p.id == MAKE_HTML_PRESET), None)
            return make_html_prompt(preset.prompt if preset else "", width, height)

        def send(prompt: str) -> None:
            studio = self._studio()
            self.conversation_id = None
            self._adopt_next_turn = studio is not None
            self.session.new_chat()
            # The prompt goes out whole, but as the app's words: the bubble shows "Make HTML"
            # and the user's wishes, and the title is not the prompt's first line.
            asked = Composition(extra.strip(), [image], instructions=prompt, label=MAKE_HTML_LABEL)
            self.session.send(asked, answer_limit=PAGE_ANSWER_TOKENS)
            # Without a preview the page still arrives in the chat; say why once it has started
            # (starting a turn clears the composer and its notices).
            self._say_after_start = self.load_error if studio is None else None
            if studio is not None:
                studio.show_record(read_conversation([]))
                studio.show_original(image)
                self._raise(studio)

        run_in_background(work, send, self._on_failed, guard=self)

    def open_current(self) -> None:
        """Open the studio on the chat shown in the main window (its screenshot and pages)."""
        studio = self._studio()
        if studio is None:
            return
        self.conversation_id = self.session.conversation_id
        studio.show_record(read_conversation([m.core for m in self.session.messages]))
        if self.session.generating and self.conversation_id is not None:
            self._streaming = True
            studio.stream_started()
        self._raise(studio)

    def refine(self, version: PageVersion, render: QImage) -> None:
        """Send the original and ``version``'s render back, asking for the differences fixed."""
        studio = self.studio
        if studio is None or studio.original is None or self.conversation_id is None:
            return
        if self.session.generating:
            self.notice.emit("Wait for the current answer (or stop it) before refining.")
            return
        original = studio.original
        width, height = original.source_size

        def work() -> PreparedImage:  # PNG encoding of a large render: not on the GUI thread
            return prepare_image(
                png_bytes(render), original.detail, name=f"render of version {version.number}.png"
            )

        def send(render: PreparedImage) -> None:
            self._in_studio_chat(lambda: self._send_refine(version, original, render))

        run_in_background(work, send, self._on_failed, guard=self)
        self.notice.emit(f"Sending version {version.number}'s render ({width}×{height})…")

    def _send_refine(
        self, version: PageVersion, original: PreparedImage, render: PreparedImage
    ) -> None:
        answers = [m.core for m in self.session.messages if m.core.role is Role.ASSISTANT]
        last_page = extract_html(answers[-1].text) if answers else None
        width, height = original.source_size
        text = refine_request(version, last_page == version.html, width, height)
        asked = Composition("", [original, render], instructions=text, label=FIX_DIFFERENCES_LABEL)
        self.session.send(asked, answer_limit=PAGE_ANSWER_TOKENS)

    def _in_studio_chat(self, action: Callable[[], None]) -> None:
        """Run ``action`` with the studio's conversation open in the session (open it first)."""
        if self.session.conversation_id == self.conversation_id:
            action()
            return
        self._after_open = action
        assert self.conversation_id is not None
        self.session.open(self.conversation_id)

    # --------------------------------------------------------------------------- studio
    def _studio(self) -> HtmlStudio | None:
        """The studio window, made on first use; None (and a notice) when it cannot load.

        QtWebEngine (~200 MB of library) loads here, when first needed, not at start-up. On a
        system without its libraries (NSS, X11 extensions) the import fails: the app goes on,
        the user is told what is missing, and answers still arrive in the chat.
        """
        if self.studio is None:
            try:
                from app.ui.studio.html_studio import HtmlStudio
            except (ImportError, OSError) as exc:
                self.load_error = (
                    "The HTML studio needs Qt WebEngine, which could not load here "
                    f"({exc}). The page is still written in the chat."
                )
                self.problem.emit(self.load_error)
                return None
            self.studio = HtmlStudio(self.window, self.state)
            self.studio.refine_requested.connect(self.refine)
            self.studio.screenshot_offered.connect(self._on_studio_screenshot_offered)
            self.studio.stop_requested.connect(self._on_studio_stop_requested)
        return self.studio

    @staticmethod
    def _raise(studio: HtmlStudio) -> None:
        studio.show()
        studio.raise_()
        studio.activateWindow()

    def _on_studio_stop_requested(self) -> None:
        if self._streaming:
            self.session.stop()

    def _on_studio_screenshot_offered(self, source: ImageSource) -> None:
        """A screenshot dropped or pasted on the studio: prepared on the pool, then made."""

        def work() -> PreparedImage:
            return prepare_pending(source).prepared

        run_in_background(work, self.make_html, self._on_failed, guard=self)

    def _on_failed(self, error: Exception) -> None:
        if self.studio is not None and self.studio.isVisible():
            self.studio.status.setText(f"⚠ {error}")
        self.problem.emit(str(error))

    # ------------------------------------------------------------------------ session
    def _on_session_conversation_opened(self, opened: OpenedConversation) -> None:
        action, self._after_open = self._after_open, None
        if action is not None and opened.info and opened.info.id == self.conversation_id:
            action()

    def _on_session_turn_started(self, opened: OpenedConversation) -> None:
        if self._say_after_start:  # after the window's own turn-start handling
            QTimer.singleShot(0, partial(self.problem.emit, self._say_after_start))
            self._say_after_start = None
        if self.studio is None or opened.info is None:
            return
        if self._adopt_next_turn:
            self._adopt_next_turn = False
            self.conversation_id = opened.info.id
        self._streaming = opened.info.id == self.conversation_id
        if self._streaming:
            self.studio.stream_started()
            cut = opened.messages[-1].stored.text if opened.messages else ""
            if cut:  # Continue: the page so far, then the rest as it streams
                self.studio.stream_text(cut)

    def _on_session_token_received(self, text: str) -> None:
        if self._streaming and self.studio is not None:
            self.studio.stream_text(text)

    def _on_session_turn_finished(self, finished: Finished) -> None:
        if self._streaming and self.studio is not None:
            self._streaming = False
            if finished.reason is FinishReason.LENGTH and _page_cut(finished.text):
                self.studio.stream_failed(PAGE_CUT)  # half a page is no version
            else:
                self.studio.stream_finished(finished.text)

    def _on_session_turn_failed(self, error: EngineError) -> None:
        if self._streaming and self.studio is not None:
            self._streaming = False
            self.studio.stream_failed(error.message)


def _page_cut(answer: str) -> bool:
    """A page begun but not ended: an answer cut at the limit may still hold a whole page (it
    went on talking after it), or none at all."""
    page = extract_html(answer)
    return page is not None and "</html>" not in page.lower()
