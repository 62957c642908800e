"""The strip above the chat: which model answers and where, how loading goes, privacy, settings.

Where answers come from is a control, not a sentence: the model control names the model and
where it runs and opens the model menu; while the model loads, a one-line progress bar takes
its place; a failure leaves a short note with a Details button. The privacy badge says whether
messages leave this computer, so the privacy of a conversation is visible at all times. Every
part has a fixed height and the strip's height is fixed from them: nothing it shows makes the
window below jump.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QWidget,
)

from app.engine.backend_choice import Target
from app.engine.base import EngineError, Loading, LoadStage
from app.engine.capabilities import Capability
from app.models.model_names import display_name
from app.ui.common.background import run_in_background
from app.ui.session.engine_owner import EngineOwner
from app.ui.theme.icons import set_icon
from app.ui.theme.tokens import SPACING
from app.ui.transcript.answer_byline import local_place
from app.ui.window.model_control import LoadBar, ModelButton, PrivacyBadge
from app.ui.window.model_menu import EngineChoice, ModelMenu

LOADING_WORDS = {
    LoadStage.STARTING: "Loading the model…",
    LoadStage.MODEL: "Loading the model…",
    LoadStage.MMPROJ: "Loading the vision encoder…",
}
"""What the progress bar says in each stage (the stage names are the engine's, not words)."""

NO_CONVERSATION = (
    "Open or start a conversation to make it private (it then never leaves this computer)."
)

NO_MODEL = "Choose a model"
LOAD_FAILED = "The model could not be loaded"


class EngineHeader(QWidget):
    settings_requested = Signal()
    private_toggled = Signal(bool)
    about_requested = Signal()

    def __init__(self, menu: ModelMenu | None = None, parent: QWidget | None = None) -> None:
        """``menu`` is the model menu (one searching the default places when not given)."""
        super().__init__(parent)
        self.setObjectName("engineHeader")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # its bar colour and line
        self.model_menu = menu or ModelMenu(self)
        self.model_button = ModelButton()
        self.model_button.setMenu(self.model_menu)
        self.load_bar = LoadBar()
        self.load_bar.hide()
        self.details_button = QPushButton("Details")
        self.details_button.setObjectName("loadFailureDetails")
        set_icon(self.details_button, "warning", "danger")
        self.details_button.setAccessibleName("Why the model could not be loaded")
        self.details_button.hide()
        self.badge = PrivacyBadge()
        self.private_box = QCheckBox("Private")
        self.private_box.setAccessibleName("Private conversation")
        self.private_box.setToolTip(NO_CONVERSATION)
        self.private_box.setEnabled(False)
        self.settings_button = QPushButton()  # icon only: its name and tooltip say what
        set_icon(self.settings_button, "settings")
        self.settings_button.setAccessibleName("Settings")
        self.settings_button.setToolTip("Engine, answers and history settings (Ctrl+,)")
        self.about_button = QPushButton()
        set_icon(self.about_button, "about")
        self.about_button.setAccessibleName("About Pixtral Desk")
        self.about_button.setToolTip("Version, licences and where your data is kept (F1)")

        bar = QHBoxLayout(self)
        bar.setContentsMargins(SPACING["md"], SPACING["xs"], SPACING["md"], SPACING["xs"])
        bar.setSpacing(SPACING["sm"])
        for part in (self.model_button, self.load_bar, self.details_button):
            bar.addWidget(part, 0, Qt.AlignmentFlag.AlignVCenter)
        bar.addStretch(1)
        for part in (self.badge, self.private_box, self.settings_button, self.about_button):
            bar.addWidget(part, 0, Qt.AlignmentFlag.AlignVCenter)
        self.load_bar.setFixedHeight(self.model_button.sizeHint().height())
        # The tallest part decides the strip's height once; whatever is shown later fits it.
        self.setFixedHeight(bar.sizeHint().height())

        self._error: EngineError | None = None
        self._details = ""
        self._engine: EngineOwner | None = None  # the engine shown, read again as the menu opens
        self._failed_for: tuple[str, str] | None = None  # the backend and model that failed
        self._failure_words = ""  # what the model control says instead of where it runs
        self.about_button.clicked.connect(self.about_requested)
        self.settings_button.clicked.connect(self.settings_requested)
        self.private_box.clicked.connect(self.private_toggled)
        self.details_button.clicked.connect(self.show_failure_details)
        self.model_menu.aboutToShow.connect(self._show_choice)
        QShortcut(QKeySequence("Ctrl+M"), self, activated=self.open_model_menu,
                  context=Qt.ShortcutContext.WindowShortcut)  # fmt: skip

    # ----------------------------------------------------------------------------- the model
    def open_model_menu(self) -> None:
        if self.model_button.isVisible():
            self.model_button.setFocus()
            self.model_button.showMenu()

    def show_engine(self, engine: EngineOwner) -> None:
        """Show what ``engine`` answers with now; the memory a local model needs is worked out
        in the background (it reads the files' headers and may probe the GPU)."""
        spec = engine.spec
        model = engine.model_name()
        if engine.loaded() or self._failed_for != (spec.kind, model):
            self._clear_failure()  # what failed is loaded now, or is no longer the choice
        if not engine.loading:
            self._end_loading()  # a turn that loaded (or failed to load) the model is over
        self._engine = engine
        self._show_choice()
        self.badge.show_target(engine.target())
        if not spec.can(Capability.HAS_DEVICE):
            target = engine.target()
            self.show_remote(target, model)
            return
        device = engine.device
        self.show_model(model, device, loaded=engine.loaded())
        if model and not engine.loaded():

            def shown(memory: str) -> None:
                if memory and engine.model_name() == model and not engine.loaded():
                    self.show_model(model, device, memory, loaded=False)

            run_in_background(engine.memory_estimate, shown, guard=self)

    def _show_choice(self) -> None:
        """Mark the backend and model in use in the menu, and offer Load or Unload as fits
        now (also as the menu opens: an answer may have started since)."""
        engine = self._engine
        if engine is not None:
            self.model_menu.set_choice(
                EngineChoice(
                    engine.spec.kind, engine.model_name(), engine.loaded(), engine.loading,
                    engine.bridge.busy,
                )
            )  # fmt: skip

    def show_remote(self, target: Target, model: str) -> None:
        """A remote backend: the model it asks for and the service's name; the badge says that
        messages leave this computer."""
        where = target.label.split(" (")[0]
        self.model_button.show_choice(model or "Default model", where, remote=True)
        self.badge.show_target(target)

    def show_model(self, model: str, device: str, memory: str = "", *, loaded: bool) -> None:
        """``memory`` is the estimate of what loading will take, shown before it loads."""
        if not model:
            self.model_button.show_choice(NO_MODEL, "", remote=False)
            self.model_button.setToolTip(
                "No model is set up: choose a Pixtral GGUF and its mmproj, or a remote service "
                "(Ctrl+M)."
            )
            return
        if loaded:
            where = local_place(device)
        else:
            where = f"Local · needs {memory.split(':')[0]}" if memory else "Local · not loaded"
        failed = self._failed_for is not None
        self.model_button.show_choice(
            display_name(model), self._failure_words if failed else where, False, failed
        )
        if memory:
            self.model_button.setToolTip(f"{self.model_button.toolTip()}\nMemory: {memory}")

    # ------------------------------------------------------------------------------ loading
    def show_loading(self, event: Loading) -> None:
        """The bar takes the model control's place until the model is in memory."""
        self._clear_failure()
        self.model_button.hide()
        self.load_bar.show()
        words = LOADING_WORDS.get(event.stage, "Loading the model…")
        self.load_bar.set_progress(words, int(event.progress * 100))

    def show_loaded(self) -> None:
        self._end_loading()

    def _end_loading(self) -> None:
        refocus = self.load_bar.hasFocus()
        self.load_bar.hide()
        self.model_button.show()
        if refocus:
            self.model_button.setFocus()

    def show_failure(self, error: EngineError | str, kind: str = "", model: str = "") -> None:
        """A short note beside the model control, kept until the ``kind`` backend's ``model``
        loads or another is chosen; Details shows the engine's own words."""
        self._end_loading()
        self._failed_for = (kind, model)
        self._error = error if isinstance(error, EngineError) else None
        message = error.message if isinstance(error, EngineError) else error
        self._details = message
        self._failure_words = "could not load"
        button = self.model_button
        button.show_choice(button.name_label.text(), self._failure_words, False, failed=True)
        button.setToolTip(f"{LOAD_FAILED}: {message}\nChoose another model or load it again.")
        self.details_button.setToolTip(f"{LOAD_FAILED}: {message}")
        self.details_button.show()

    def _clear_failure(self) -> None:
        self._failed_for = None
        self.details_button.hide()

    def show_failure_details(self) -> None:
        detail = self._error.detail if self._error is not None else ""
        box = QMessageBox(QMessageBox.Icon.Warning, LOAD_FAILED, self._details, parent=self)
        if detail:
            box.setDetailedText(detail)
        box.exec()

    # ------------------------------------------------------------------------------ privacy
    def show_private(self, private: bool | None) -> None:
        """None: no conversation yet. The box stays where it is, disabled with a tooltip that
        says why, so the header does not jump when a conversation opens or closes."""
        box = self.private_box
        box.setEnabled(private is not None)
        box.setChecked(bool(private))
        box.setToolTip(
            NO_CONVERSATION
            if private is None
            else "A private conversation never leaves this computer: remote backends refuse it."
        )

    def summary(self) -> str:
        """What the header says, in one line (tests and the accessibility check read it)."""
        parts = [self.load_bar.format()] if self.load_bar.isVisibleTo(self) else [
            self.model_button.name_label.text(), self.model_button.where_label.text()
        ]  # fmt: skip
        if self.details_button.isVisibleTo(self):
            parts.append(LOAD_FAILED)
        parts.append(self.badge.text())
        return " · ".join(p for p in parts if p)
