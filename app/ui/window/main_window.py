"""The main window: conversations on the left, the transcript and the composer on the right,
the engine's state in the header.

The window owns widgets only; ``ChatSession`` owns the history and the turns, ``EngineOwner``
the engine (which backend, what its model reported), both passed in. Window geometry,
splitter sizes and the last open chat persist in ``window.ini`` beside the settings file.
What the buttons and menus lead to lives in helpers the window owns, so this file stays layout
and wiring: ``WindowDialogs``, ``BackendSwitcher``, ``TranscriptActions`` (a message's
buttons), ``ConversationActions`` (the sidebar's menu) and ``TurnDisplay`` (a turn as it runs).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from app.core.composition import Composition
from app.core.images import Detail
from app.engine.base import EngineError
from app.models.model_folders import ModelFolders
from app.resources import resource
from app.storage.history import HistoryStore
from app.ui.composer.composer import Composer
from app.ui.composer.meter_feed import MeterFeed
from app.ui.composer.screen_capture import ScreenCapture
from app.ui.session.chat_session import ChatSession
from app.ui.session.engine_owner import EngineOwner
from app.ui.session.session_history import OpenedConversation
from app.ui.setup.setup_assistant import SetupAssistant
from app.ui.studio.studio_link import StudioLink
from app.ui.transcript.answer_byline import model_badge, where_ran
from app.ui.transcript.chat_view import ChatView
from app.ui.transcript.transcript_model import TranscriptItem, TranscriptModel
from app.ui.window.backend_switch import BackendSwitcher
from app.ui.window.conversation_actions import ConversationActions
from app.ui.window.drop_overlay import WindowDrops
from app.ui.window.empty_state import EmptyState
from app.ui.window.engine_header import EngineHeader
from app.ui.window.model_menu import ModelMenu
from app.ui.window.setup_page import SetupPage
from app.ui.window.sidebar import Sidebar
from app.ui.window.transcript_actions import TranscriptActions
from app.ui.window.turn_display import TurnDisplay
from app.ui.window.window_dialogs import WindowDialogs


class MainWindow(QMainWindow):
    def __init__(
        self, session: ChatSession, engine: EngineOwner, store: HistoryStore, log_dir: Path
    ) -> None:
        """``store`` is the history ``session`` reads; ``log_dir`` where the logs are kept."""
        super().__init__()
        settings = engine.settings
        self.settings = settings
        self.session = session
        self.engine = engine
        self.store = store
        self.log_dir = log_dir
        self.setWindowTitle("Pixtral Desk")
        self.setWindowIcon(QIcon(str(resource("icons", "pixtral-desk.svg"))))
        self.state = QSettings(
            str(settings.path.with_name("window.ini")), QSettings.Format.IniFormat
        )

        self.sidebar = Sidebar()
        self.transcript = TranscriptModel(self)
        self.chat_view = ChatView(self.transcript)
        self.composer = Composer()
        self.composer.default_detail = Detail.parse(settings["detail"])
        self.composer.tools.set_user_file(settings.path.with_name("presets.json"))
        self.capture = ScreenCapture(self)
        self.activity = QLabel("")
        self.activity.setObjectName("activityLine")  # a muted caption over the composer card
        self.activity.setAccessibleName("Engine activity")
        self.activity.setWordWrap(True)  # a long notice wraps; it never widens the window
        self.setup: SetupAssistant | None = None
        self.setup_page: SetupPage | None = None  # the setup assistant, scrolling in the page
        say = self.activity.setText
        self.switcher = BackendSwitcher(engine, session, say, self)
        places = (store.db.path.parent, log_dir)
        self.dialogs = WindowDialogs(engine, session, self.composer, say, places, self)
        self.transcript_actions = TranscriptActions(
            session,
            self.transcript,
            say,
            self,
            self.chat_view,
            lambda: self.composer.new_image_detail,
        )
        self.conversation_actions = ConversationActions(session, say, self, self.sidebar.title_of)
        presets = settings.path.with_name("presets.json")
        self.studio_link = StudioLink(session, presets, self, self.state)
        folders = ModelFolders.beside(settings.path)  # shared with Settings → Models
        self.header = EngineHeader(ModelMenu(self, folders=folders))
        self.empty_state = EmptyState()
        self.meter_feed = MeterFeed(
            session,
            self.composer,
            lambda: int(self.settings["max_tokens"]),
            engine.context_size,
            self,
        )
        self.setCentralWidget(self._layout())
        self.drops = WindowDrops(self, self.composer)  # the empty page says "drop here"
        self.turn_display = TurnDisplay(
            session,
            self.transcript,
            self.composer,
            self.activity,
            self._show_messages,
            self.refresh_engine_label,
            self.update_meter,
            self._offer_fallback,
        )
        self._connect()
        self._restore_state()
        self.refresh_engine_label()
        self.session.refresh_list()
        self.composer.editor.setFocus()  # typing starts in the box, not on the header's control

    # ------------------------------------------------------------------------------ layout
    def _layout(self) -> QWidget:
        right = QWidget()
        right.setObjectName("chatPane")  # one open surface: no box around the transcript
        right.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.chat_view.setObjectName("transcript")
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.chat_view)
        column.addWidget(self.stack, 1)
        self.composer.add_caption(self.activity)
        column.addWidget(self.composer)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 900])
        body = QWidget()
        outer = QVBoxLayout(body)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.header)
        outer.addWidget(self.splitter, 1)
        return body

    def _refresh_page(self) -> None:
        has_model = self.engine.configured()
        self.empty_state.show_for(has_model)
        if self.transcript.rowCount():
            self.stack.setCurrentWidget(self.chat_view)
        elif has_model:
            self.stack.setCurrentWidget(self.empty_state)
        else:
            self.stack.setCurrentWidget(self._setup_assistant())
        # Nothing can be asked before a model is chosen: the setup page has the window alone.
        self.composer.setVisible(self.stack.currentWidget() is not self.setup_page)

    def _setup_assistant(self) -> SetupPage:
        """The first-run page, built only when needed (it scans the disk for models)."""
        if self.setup_page is None:
            folders = ModelFolders.beside(self.settings.path)  # shared with Settings → Models
            self.setup = SetupAssistant(self, folders=folders)
            self.setup.model_chosen.connect(self._on_setup_model_chosen)
            self.setup.backend_requested.connect(self.switcher.set_up)
            self.setup_page = SetupPage(self.setup)
            self.stack.addWidget(self.setup_page)
            self.setup.start()
        return self.setup_page

    def _on_setup_model_chosen(self, model: str, mmproj: str) -> None:
        self.switcher.use_model_files(model, mmproj)

    def _connect(self) -> None:
        s, c, v = self.session, self.composer, self.chat_view
        s.conversations_listed.connect(self._on_session_conversations_listed)
        s.conversation_opened.connect(self._on_session_conversation_opened)
        s.loading_progressed.connect(self.header.show_loading)
        self.engine.model_loaded.connect(self._on_engine_model_loaded)
        self.engine.backend_changed.connect(self.refresh_engine_label)
        self.engine.problem_changed.connect(self._on_engine_problem_changed)
        self.engine.model_unloaded.connect(self.refresh_engine_label)
        s.bridge.load_failed.connect(self._on_bridge_load_failed)
        c.send_requested.connect(self._on_composer_send_requested)
        c.stop_requested.connect(self._on_composer_stop_requested)
        c.composition_changed.connect(self.update_meter)
        c.document_requested.connect(self.dialogs.attach_document)
        c.make_html_button.make_requested.connect(self._on_composer_make_html_requested)
        c.make_html_button.open_requested.connect(self.studio_link.open_current)
        self.studio_link.notice.connect(self.activity.setText)
        self.studio_link.problem.connect(lambda text: self.composer.notice.add([text]))
        c.document_dropped.connect(self.dialogs.attach_document)
        c.tools.capture_requested.connect(self.capture.start)
        self.capture.captured.connect(c.add_image)
        self.capture.unavailable.connect(self._on_capture_unavailable)
        t = self.transcript_actions
        v.regenerate_requested.connect(t.regenerate)
        v.retry_requested.connect(t.regenerate)
        v.continue_requested.connect(t.continue_answer)
        v.edit_requested.connect(t.edit)
        v.branch_requested.connect(t.switch_branch)
        v.delete_requested.connect(t.delete)
        v.image_activated.connect(t.show_image)
        v.page_citation_activated.connect(t.show_cited_page)
        self.sidebar.conversation_selected.connect(s.open)
        self.sidebar.new_chat_requested.connect(self.new_chat)
        self.sidebar.search_changed.connect(s.refresh_list)
        self.sidebar.rename_requested.connect(self.conversation_actions.rename)
        self.sidebar.pin_toggled.connect(s.set_pinned)
        self.sidebar.delete_requested.connect(self.conversation_actions.trash)
        self.sidebar.export_requested.connect(self.conversation_actions.export)
        self.header.settings_requested.connect(self.dialogs.open_settings)
        self.header.about_requested.connect(self.dialogs.open_about)
        m = self.header.model_menu  # each choice takes the one path that switches backends
        m.pair_chosen.connect(self.switcher.use_model_files)
        m.backend_chosen.connect(self.switcher.choose_backend)
        m.choose_files_requested.connect(self.switcher.choose_model_files)
        m.load_requested.connect(self.engine.start)
        m.unload_requested.connect(self._on_model_menu_unload_requested)
        m.manage_requested.connect(self.dialogs.open_models)
        self.header.private_toggled.connect(self.session.set_private)
        self.empty_state.choose_requested.connect(self.switcher.choose_model_files)
        # The empty page's cards take the composer's own paths: the preset menu's, Attach PDF.
        c.tools.presets_loaded.connect(self._on_tools_presets_loaded)
        self._on_tools_presets_loaded()
        self.empty_state.preset_chosen.connect(c.tools.apply_preset)
        self.empty_state.pdf_chosen.connect(c.document_requested)
        self.empty_state.make_html_chosen.connect(self._on_empty_state_make_html_chosen)
        for keys, slot in (
            (QKeySequence.StandardKey.New, self.new_chat),
            (QKeySequence.StandardKey.Find, self.sidebar.focus_search),
            (QKeySequence("Ctrl+,"), self.dialogs.open_settings),
            (QKeySequence.StandardKey.HelpContents, self.dialogs.open_about),
        ):
            QShortcut(keys, self, activated=slot)

    # ------------------------------------------------------------------------------ engine
    def refresh_engine_label(self) -> None:
        self._refresh_page()
        self.composer.set_unavailable(self.engine.unavailable())
        self.header.show_engine(self.engine)
        info = self.session.info
        self.header.show_private(info.private if info is not None else None)

    def _on_engine_problem_changed(self, _problem: str) -> None:
        self.composer.set_unavailable(self.engine.unavailable())

    def _on_engine_model_loaded(self, _loaded: object) -> None:
        self.header.show_loaded()
        self.refresh_engine_label()
        self.update_meter()

    def _on_bridge_load_failed(self, error: EngineError) -> None:
        self.header.show_failure(error, self.engine.spec.kind, self.engine.model_name())

    def _on_model_menu_unload_requested(self) -> None:
        if self.engine.unload():
            self.activity.setText("The model is unloaded; its memory is free once it stops.")
            self.refresh_engine_label()

    # ------------------------------------------------------------------------------- turns
    def new_chat(self) -> None:
        self.session.new_chat()
        self.composer.editor.setFocus()

    def _on_composer_send_requested(self, composition: Composition) -> None:
        if self.session.generating or self.engine.unavailable():
            return  # Send waits with the reason; Enter must not slip past it
        self.activity.setText("Saving…")
        self.session.send(composition, private=bool(composition.document))

    def _on_composer_make_html_requested(self) -> None:
        """One screenshot in the box becomes a page; the box's text goes along as wishes."""
        images = self.composer.pending_images()
        if len(images) != 1:
            self.composer.notice.add(
                [
                    "Make HTML needs exactly one screenshot or sketch in the box: drop, paste, "
                    "add or capture one."
                    if not images
                    else "Make HTML works on one screenshot at a time: remove the others first."
                ]
            )
            return
        self.studio_link.make_html(images[0], self.composer.text())

    def _on_tools_presets_loaded(self) -> None:
        self.empty_state.set_presets(self.composer.tools.presets)

    def _on_empty_state_make_html_chosen(self) -> None:
        """The card starts Make HTML where it starts: a screenshot in the box (the Add images
        picker), then the Make HTML button, which is focused once there is exactly one."""
        self.activity.setText(
            "Make HTML: add one screenshot or sketch, then press Make HTML to see it as a page."
        )
        self.composer.choose_images()
        if len(self.composer.pending_images()) == 1:
            self.composer.make_html_button.setFocus()

    def _on_composer_stop_requested(self) -> None:
        if self.session.generating:
            self.session.stop()

    def _on_capture_unavailable(self, message: str) -> None:
        """Inline in the composer, where the picture would have gone (no modal box)."""
        self.composer.notice.add([message])

    def _offer_fallback(self, error: EngineError, row: int) -> None:
        """After a failed answer: another backend, when one could have answered."""
        self.switcher.offer_fallback(error, self.transcript_actions.message_id(row))

    def _on_session_conversation_opened(self, opened: OpenedConversation) -> None:
        self._show_messages(opened)
        self.refresh_engine_label()
        self.activity.setText("")
        # A new chat has no row yet: the one left behind loses its highlight.
        self.sidebar.select(opened.info.id if opened.info is not None else None)
        if opened.info is not None:
            self.state.setValue("last_conversation", opened.info.id)

    def _show_messages(self, opened: OpenedConversation) -> None:
        items = [
            TranscriptItem.from_message(
                shown.core,
                shown.stored.id,
                branch_index=shown.stored.sibling_index,
                branch_count=shown.stored.sibling_count,
                error=shown.stored.error or "",
                model=model_badge(shown.stored),
                badge=where_ran(shown.stored),
                # Only the last answer can go on where it stopped.
                limit_reached=shown.stored.reached_limit and shown is opened.messages[-1],
            )
            for shown in opened.messages
        ]
        self.transcript.set_messages(items)
        self._refresh_page()
        self.update_meter()

    def _on_session_conversations_listed(self, rows: list) -> None:
        self.sidebar.set_rows(rows, self.session.conversation_id)

    # -------------------------------------------------------------------------------- meter
    def animating(self) -> bool:
        """An answer is being written or the transcript is drawing frames (the garbage
        collector waits for a still moment for its long pass, ``GuiThreadCollector``)."""
        return self.session.generating or self.chat_view.animating()

    def update_meter(self) -> None:
        self.meter_feed.update()

    # -------------------------------------------------------------------------------- state
    def _restore_state(self) -> None:
        geometry = self.state.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 800)
        splitter = self.state.value("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        last = self.state.value("last_conversation")
        if last is not None:
            self.session.open(int(last), quiet=True)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.state.setValue("geometry", self.saveGeometry())
        self.state.setValue("splitter", self.splitter.saveState())
        self.state.sync()
        if self.session.generating:
            self.session.stop()
        super().closeEvent(event)
