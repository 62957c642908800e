"""The composer card's tools: the attach button with its menu, and the Presets button.

The attach menu gathers every way in for a picture or a document (Add images…, Attach PDF…,
Capture screen, Capture region) behind one paperclip, each with its shortcut shown; the
region capture's shortcut also works anywhere in the window with the menu closed.

Presets are read once on the pool when the composer is built and again after they are edited,
never at each click: the menu is rebuilt from what was loaded. A broken user file costs the user
nothing but a one-sentence notice (shown once per distinct problem); the built-ins keep working.
The "make_html" preset is not in the menu because the window's "Make HTML" action drives it.

Capture only asks: the window owns the capture (it has to hide itself), see ``screen_capture``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from app.core.images import Detail
from app.ui.common.background import run_in_background
from app.ui.composer.screen_capture import CaptureMode
from app.ui.theme.icons import set_icon
from app.workflows.presets import Preset, builtin_presets, load_presets_or_builtins

if TYPE_CHECKING:
    from app.ui.composer.composer import Composer
    from app.ui.composer.presets_dialog import PresetsDialog

MENU_HIDDEN = frozenset({"make_html"})
REGION_SHORTCUT = "Ctrl+Shift+S"


@dataclass(frozen=True)
class LoadedPresets:
    presets: list[Preset]
    builtins: list[Preset]
    error: str | None  # the user file's problem, in one sentence


def load_all(user_file: Path | None) -> LoadedPresets:
    """Runs on the pool: the merged presets, the built-ins (for the editor), any problem."""
    presets, error = load_presets_or_builtins(user_file)
    return LoadedPresets(presets, builtin_presets(), error)


def tool_button(parent: QWidget, icon: str, text: str, menu: QMenu) -> QToolButton:
    """A quiet tool of the card's bottom row: icon and short label, opening ``menu``."""
    button = QToolButton(parent)
    button.setProperty("composerTool", True)  # the stylesheet's quiet look
    button.setText(text)
    set_icon(button, icon)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it, as a push button
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    return button


class ComposerTools(QObject):
    """Builds the attach and Presets buttons for the card's row and the behaviour behind them."""

    preset_applied = Signal(object)  # Preset, after its prompt and detail are in the composer
    presets_loaded = Signal()
    capture_requested = Signal(str)  # a CaptureMode value
    images_requested = Signal()  # "Add images…": the composer runs the file picker
    document_requested = Signal()  # "Attach PDF…": the window runs the page picker

    def __init__(self, composer: Composer) -> None:
        super().__init__(composer)
        self.composer = composer
        self.user_file: Path | None = None
        self.loaded = LoadedPresets([], [], None)
        self.dialog: PresetsDialog | None = None
        self._ticket = 0
        self.loading = False
        self._reported: set[str] = set()
        self.presets_menu = QMenu(composer)
        self.presets_menu.setToolTipsVisible(True)  # the prompt, before choosing it
        self.presets_button = tool_button(composer, "presets", "Presets", self.presets_menu)
        self.presets_button.setAccessibleName("Prompt presets")
        self.presets_button.setToolTip("Start from a ready-made request (OCR, charts, receipts…)")
        self.attach_menu = QMenu(composer)
        self.attach_menu.setToolTipsVisible(True)
        self.images_action = self._attach_action(
            "Add images…", "images", "Choose images (or PDFs, for their pages) to send"
        )
        self.images_action.triggered.connect(self.images_requested)
        self.document_action = self._attach_action(
            "Attach PDF…", "document", "Choose pages of a PDF to ask about (stays on this computer)"
        )
        self.document_action.triggered.connect(self.document_requested)
        self.attach_menu.addSeparator()
        self.capture_actions: dict[CaptureMode, QAction] = {}
        for text, icon, mode in (
            ("Capture screen", "screen", CaptureMode.SCREEN),
            ("Capture region…", "capture", CaptureMode.REGION),
        ):
            action = self._attach_action(
                text, icon, "Add a screenshot; the window hides while capturing"
            )
            action.triggered.connect(lambda _=False, m=mode: self.capture_requested.emit(m.value))
            self.capture_actions[mode] = action
        # On the composer too, so the shortcut works anywhere in the window, menu closed.
        region = self.capture_actions[CaptureMode.REGION]
        region.setShortcut(REGION_SHORTCUT)
        region.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        composer.addAction(region)
        self.attach_button = tool_button(composer, "attach", "", self.attach_menu)
        self.attach_button.setObjectName("composerAttach")
        self.attach_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.attach_button.setAccessibleName("Attach images, a PDF or a screenshot")
        self.attach_button.setToolTip(
            "Add images, a PDF or a screenshot (region: "
            f"{REGION_SHORTCUT}); you can also drop or paste them"
        )
        self.reload()
        self._rebuild_menu()

    def _attach_action(self, text: str, icon: str, tip: str) -> QAction:
        action = QAction(text, self.attach_menu)
        set_icon(action, icon)
        action.setToolTip(tip)
        self.attach_menu.addAction(action)
        return action

    # ------------------------------------------------------------------------- presets
    @property
    def presets(self) -> list[Preset]:
        return self.loaded.presets

    def set_user_file(self, path: Path | None) -> None:
        """Where the user's presets live (beside the settings file); loads them."""
        self.user_file = path
        self.reload()

    def reload(self) -> None:
        """Load on the pool; a newer load wins over one still running."""
        self._ticket += 1
        ticket, path = self._ticket, self.user_file
        self.loading = True
        run_in_background(
            lambda: load_all(path),
            lambda loaded: self._on_loaded(ticket, loaded),
            lambda error: self._on_loaded(ticket, LoadedPresets([], [], f"Presets: {error}")),
            guard=self,
        )

    def menu_presets(self) -> list[Preset]:
        return [p for p in self.presets if p.id not in MENU_HIDDEN]

    def apply_preset(self, preset: Preset) -> None:
        """Prompt into the box (before what was typed) and the preset's detail on the images."""
        editor = self.composer.editor
        typed = editor.toPlainText()
        editor.setPlainText(f"{preset.prompt}\n\n{typed}" if typed.strip() else preset.prompt)
        cursor = editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        editor.setTextCursor(cursor)
        editor.setFocus()
        if preset.detail is not None:
            detail = Detail.parse(preset.detail)
            self.composer.composition_detail = detail  # images added later in this message too
            for row in range(self.composer.images.rowCount()):
                self.composer.images.set_detail(row, detail)
        self.preset_applied.emit(preset)

    def edit_presets(self) -> PresetsDialog | None:
        """Open the editor (non-modal to the event loop: ``open``, not ``exec``)."""
        from app.ui.composer.presets_dialog import PresetsDialog

        if self.user_file is None:
            return None
        if self.dialog is not None:
            self.dialog.deleteLater()  # the last one, closed: one editor at a time
        self.dialog = PresetsDialog(
            self.presets,
            self.loaded.builtins,
            self.user_file,
            self.loaded.error,
            self.composer.window(),
        )
        self.dialog.accepted.connect(self.reload)
        self.dialog.open()
        return self.dialog

    def _on_loaded(self, ticket: int, loaded: LoadedPresets) -> None:
        if ticket != self._ticket:
            return
        self.loaded = loaded
        self.loading = False
        if loaded.error and loaded.error not in self._reported:
            self._reported.add(loaded.error)
            self.composer.notice.add([loaded.error])
        self._rebuild_menu()
        self.presets_loaded.emit()

    def _rebuild_menu(self) -> None:
        menu = self.presets_menu
        menu.clear()
        shown = self.menu_presets()
        if not shown:
            menu.addAction("Loading presets…" if self.loading else "No presets").setEnabled(False)
        for preset in shown:
            action = QAction(preset.title, menu)
            action.setToolTip(preset.prompt)
            action.triggered.connect(lambda _=False, p=preset: self.apply_preset(p))
            menu.addAction(action)
        menu.addSeparator()
        edit = menu.addAction("Edit presets…")
        edit.setEnabled(self.user_file is not None and bool(self.loaded.builtins))
        edit.triggered.connect(self.edit_presets)
