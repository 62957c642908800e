"""The model control's menu: the model pairs on this computer, the remote backends, Load /
Unload, and the way to the models page.

The pairs come from the same header-based scan as the setup assistant and Settings → Models
(``app.models.discovery.scan`` over the remembered folders), run off the GUI thread each time
the menu opens; the entries already found stay listed meanwhile. The remote entries are the
backend registry's (``app.backends.BACKENDS``), so a new backend appears here without an edit.
The menu only says what was chosen: the window hands each choice to the one code path that
switches backends (``BackendSwitcher``) or to the engine's owner (load, unload).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QThreadPool, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from app.backends import BACKENDS, LOCAL
from app.models.discovery import ModelPair, ScanResult, scan
from app.models.model_folders import ModelFolders, remembered_folders
from app.models.model_names import display_name
from app.ui.common.background import run_in_background
from app.ui.theme.icons import icon
from app.ui.theme.theme import current_scheme

SEARCHING = "Searching this computer for models…"
NONE_FOUND = "No Pixtral model with its vision projector found"


@dataclass(frozen=True)
class EngineChoice:
    """What the menu marks as chosen and which of Load / Unload it offers."""

    kind: str  # the backend setting's value
    model: str = ""  # the local model file ("" when none is chosen)
    loaded: bool = False
    loading: bool = False
    busy: bool = False  # an answer is being written: the worker is not to be stopped now


def pair_title(pair: ModelPair) -> str:
    """A found pair in the menu's words: "Pixtral 12B · Q4_K_M"."""
    return display_name(pair.model.name or pair.model.path.name, pair.quant)


class ModelMenu(QMenu):
    pair_chosen = Signal(str, str)  # model path, mmproj path
    backend_chosen = Signal(str)  # a remote backend's kind
    load_requested = Signal()
    unload_requested = Signal()
    manage_requested = Signal()  # Settings → Models
    choose_files_requested = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        folders: ModelFolders | None = None,
        scan_fn: Callable[[list[Path]], ScanResult] | None = None,
        pool: QThreadPool | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("modelMenu")
        self.setAccessibleName("Choose a model")
        self.setToolTipsVisible(True)
        self._store = folders
        self._scan_fn = scan_fn or (lambda extra: scan(extra_folders=extra))
        self._pool = pool
        self.pairs: list[ModelPair] = []
        self.scanned = False  # a scan has finished at least once
        self.scanning = False
        self.scan_problem = ""
        self.choice = EngineChoice(LOCAL.kind)
        self.aboutToShow.connect(self.start_scan)
        self._rebuild()

    # ------------------------------------------------------------------------------ state
    def set_choice(self, choice: EngineChoice) -> None:
        if choice != self.choice:
            self.choice = choice
            self._rebuild()

    def start_scan(self) -> None:
        """Look for model pairs again, in the background; one search at a time."""
        if self.scanning:
            return
        self.scanning = True
        folders = remembered_folders(self._store, [])
        run_in_background(
            lambda: self._scan_fn(folders), self._on_scan_done, self._on_scan_failed,
            self._pool, guard=self,
        )  # fmt: skip
        self._rebuild()

    def _on_scan_done(self, result: ScanResult) -> None:
        self.scanning, self.scanned, self.scan_problem = False, True, ""
        self.pairs = list(result.pairs)
        self._rebuild()

    def _on_scan_failed(self, error: Exception) -> None:
        self.scanning, self.scanned = False, True
        self.scan_problem = f"The search failed: {error}"
        self._rebuild()

    # ----------------------------------------------------------------------------- entries
    def _rebuild(self) -> None:
        """Lay the entries out again from the state (Qt resizes an open menu to fit)."""
        active = self.activeAction()
        active_text = active.text() if active is not None else ""
        self.clear()
        choice = self.choice
        self._heading("On this computer")
        titles = [pair_title(pair) for pair in self.pairs]
        for pair, title in zip(self.pairs, titles, strict=True):
            chosen = choice.kind == LOCAL.kind and choice.model == str(pair.model.path)
            if titles.count(title) > 1:  # the same model twice: its folder tells them apart
                title = f"{title} — {pair.model.path.parent.name}"
            action = self._entry(title, chosen, "local_model")
            size = pair.size_bytes / 1e9
            action.setToolTip(
                f"{pair.model.path}\n{pair.mmproj.path}\n{size:.1f} GB · found in {pair.source}"
            )
            action.triggered.connect(
                partial(self.pair_chosen.emit, str(pair.model.path), str(pair.mmproj.path))
            )
        if not self.pairs:
            note = SEARCHING if self.scanning or not self.scanned else NONE_FOUND
            self.addAction(self.scan_problem or note).setEnabled(False)
        elif self.scanning:
            self.addAction(SEARCHING).setEnabled(False)
        if choice.kind == LOCAL.kind and choice.model:
            self._add_load_entry()
        self.addAction("Choose model files…").triggered.connect(self.choose_files_requested)
        self.addSeparator()
        self._heading("Elsewhere — messages leave this computer")
        for spec in BACKENDS:
            if spec.remote:
                action = self._entry(spec.label, choice.kind == spec.kind, "remote_model")
                action.setToolTip(spec.setup_action or spec.label)
                action.triggered.connect(partial(self.backend_chosen.emit, spec.kind))
        self.addSeparator()
        self.addAction("Manage models…").triggered.connect(self.manage_requested)
        if active_text:  # keep the keyboard's place when the list changes under it
            for action in self.actions():
                if action.text() == active_text and action.isEnabled():
                    self.setActiveAction(action)
                    break

    def _heading(self, text: str) -> None:
        """A group's title: shown, announced, skipped by the arrow keys (it does nothing).

        A disabled entry rather than ``addSection``, whose text most styles do not draw.
        """
        self.addAction(text).setEnabled(False)

    def _entry(self, text: str, chosen: bool, icon_name: str) -> QAction:
        action = self.addAction(text)
        action.setCheckable(True)
        action.setChecked(chosen)
        # Drawn for the scheme shown now: the menu is laid out again each time it opens.
        # (a check for the one in use: styles draw an entry's icon instead of its check mark).
        action.setIcon(icon("chosen" if chosen else icon_name, current_scheme()))
        return action

    def _add_load_entry(self) -> None:
        choice = self.choice
        if choice.loaded:
            unload = self.addAction("Unload model — free its memory")
            unload.setEnabled(not choice.busy)
            unload.setToolTip(
                "Stops the engine and frees the memory the model holds; the next message, or "
                "Load, loads it again."
                if not choice.busy
                else "Wait until the answer is written, or stop it, to unload the model."
            )
            unload.triggered.connect(self.unload_requested)
        else:
            load = self.addAction("Loading the model…" if choice.loading else "Load model")
            load.setEnabled(not choice.loading)
            load.triggered.connect(self.load_requested)

    def entry_texts(self) -> list[str]:
        """Every entry's text in order, sections included (what a screen reader walks)."""
        return [action.text() for action in self.actions() if action.text()]

    def action_named(self, text: str) -> QAction | None:
        return next((a for a in self.actions() if a.text() == text), None)
