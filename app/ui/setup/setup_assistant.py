"""The first-run assistant: four ways from "no model" to a working chat.

(a) a Pixtral pair already on disk (found by header in the background), (b) download the
quantization that fits this machine, with the memory estimate shown *before* anything is
loaded, (c) La Plateforme and (d) an OpenAI-compatible server — one button for each remote
backend in the registry, which only emits ``backend_requested``; their dialogs belong to the
window. Every slow step (probe, scan, download) runs through
``run_in_background``; only this widget, on the GUI thread, touches its widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.backends import BACKENDS
from app.models.catalog import Catalog, load_catalog
from app.models.discovery import ModelPair, ScanResult, scan
from app.models.download import Downloader, Progress
from app.models.hardware import HardwareReport, probe
from app.models.memory_fit import Recommendation, recommend
from app.models.model_folders import ModelFolders, remember_folder, remembered_folders
from app.ui.common.background import run_in_background
from app.ui.theme.dialog_parts import Section, StatusNote, mark_primary
from app.ui.theme.tokens import READING_WIDTH_WIDE, SPACING


class _ProgressRelay(QObject):
    """Carries download progress from the worker thread to the GUI thread (queued signal)."""

    progressed = Signal(object)


class SetupAssistant(QWidget):
    model_chosen = Signal(str, str)  # model path, mmproj path
    backend_requested = Signal(str)  # the kind of a remote backend the user wants to set up

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        catalog: Catalog | None = None,
        probe_fn: Callable[[], HardwareReport] = probe,
        scan_fn: Callable[[list[Path]], ScanResult] | None = None,
        downloader: Downloader | None = None,
        pool: QThreadPool | None = None,
        folders: ModelFolders | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("setupAssistant")
        # Without a store (tests, a window with no settings file) added folders last a session.
        self._store = folders
        self.catalog = catalog or load_catalog()
        self._probe_fn = probe_fn
        self._scan_fn = scan_fn or (lambda folders: scan(extra_folders=folders))
        self._downloader = downloader or Downloader()
        self._pool = pool
        self._folders: list[Path] = []
        self.pairs: list[ModelPair] = []
        self.recommendation: Recommendation | None = None
        self._relay = _ProgressRelay()
        self._relay.progressed.connect(self._on_download_progressed)
        self._build()

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        title = QLabel("Set up Pixtral")
        title.setObjectName("dialogTitle")
        intro = QLabel("Choose how Pixtral Desk should run the model: three ways, pick one.")
        intro.setWordWrap(True)
        self.hardware_label = QLabel("Checking this computer…")
        self.hardware_label.setObjectName("dialogNote")
        self.hardware_label.setWordWrap(True)
        self.hardware_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        disk = Section(
            "1 · Use a model already on this computer",
            "Pixtral model files found on this computer, each with its vision projector.",
        )
        self.pair_list = QListWidget()
        self.pair_list.setAccessibleName("Pixtral models found")
        self.pair_list.hide()  # shown, sized to its rows, once the search finds a pair
        self.scan_status = QLabel("Searching…")
        self.scan_status.setObjectName("dialogNote")
        self.scan_status.setWordWrap(True)
        self.use_button = QPushButton("Use selected")
        mark_primary(self.use_button, default=False)
        self.use_button.setEnabled(False)
        add_folder = QPushButton("Add folder…")
        add_folder.setToolTip("Search a folder of your own for GGUF files, always")
        rescan = QPushButton("Search again")
        row = QHBoxLayout()
        row.addWidget(self.scan_status, 1)  # the status takes the room the buttons leave
        for widget in (add_folder, rescan, self.use_button):
            row.addWidget(widget)
        disk.body.addWidget(self.pair_list)
        disk.body.addLayout(row)

        fetch = Section(
            "2 · Or download Pixtral for this computer",
            "The size that fits this computer's memory, from Hugging Face; you can pause.",
        )
        self.recommend_label = QLabel("Working out what fits…")
        self.recommend_label.setWordWrap(True)
        self.download_button = QPushButton("Download")
        mark_primary(self.download_button, default=False)
        self.download_button.setEnabled(False)
        # As wide as its words: a full-width button shouted over "Use selected" above it.
        self.download_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.cancel_button = QPushButton("Pause")
        self.cancel_button.setVisible(False)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.download_status = StatusNote()  # no empty line under the button until it speaks
        row2 = QHBoxLayout()
        row2.addStretch(0)  # keeps the buttons right while the progress bar is hidden
        row2.addWidget(self.progress, 1)
        row2.addWidget(self.cancel_button)
        row2.addWidget(self.download_button)
        fetch.body.addWidget(self.recommend_label)
        fetch.body.addLayout(row2)
        fetch.body.addWidget(self.download_status)

        remote = Section(
            "3 · Or run Pixtral elsewhere",
            "Your messages and images then go to that server; private chats never do.",
        )
        row3 = QHBoxLayout()
        row3.setSpacing(SPACING["sm"])
        remote.body.addLayout(row3)
        self.remote_buttons: dict[str, QPushButton] = {}
        for spec in BACKENDS:
            if spec.setup_action:
                button = QPushButton(spec.setup_action)
                button.clicked.connect(partial(self.backend_requested.emit, spec.kind))
                self.remote_buttons[spec.kind] = button
                row3.addWidget(button)
        row3.addStretch(1)

        column = QWidget()  # a centred card column, as wide as the transcript's reading column
        column.setMaximumWidth(READING_WIDTH_WIDE)
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(SPACING["md"])
        for widget in (title, intro, self.hardware_label, disk, fetch, remote):
            inner.addWidget(widget)
        inner.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(SPACING["lg"], SPACING["lg"], SPACING["lg"], SPACING["lg"])
        layout.addStretch(1)
        layout.addWidget(column, 100)
        layout.addStretch(1)

        self.pair_list.itemSelectionChanged.connect(
            lambda: self.use_button.setEnabled(bool(self.pair_list.selectedItems()))
        )
        self.pair_list.itemDoubleClicked.connect(lambda _item: self._on_use_clicked())
        self.use_button.clicked.connect(self._on_use_clicked)
        add_folder.clicked.connect(self._on_add_folder_clicked)
        rescan.clicked.connect(self.start_scan)
        self.download_button.clicked.connect(self.start_download)
        self.cancel_button.clicked.connect(self._downloader.cancel)

    # --- (a) models on disk -------------------------------------------------------------------

    def start(self) -> None:
        """Begin the background work: the hardware probe and the disk scan."""
        run_in_background(
            self._probe_fn, self._on_probe_done, self._on_probe_failed, self._pool, guard=self
        )
        self.start_scan()

    def start_scan(self) -> None:
        self.scan_status.setText("Searching…")
        folders = remembered_folders(self._store, self._folders)
        run_in_background(
            lambda: self._scan_fn(folders), self._on_scan_done, self._on_scan_failed,
            self._pool, guard=self,
        )  # fmt: skip

    def add_folder(self, folder: str | Path) -> None:
        """Search ``folder`` too, now and (with a store) in every later search."""
        remember_folder(self._store, self._folders, folder)
        self.start_scan()

    def _on_add_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with Pixtral GGUF files")
        if folder:
            self.add_folder(folder)

    def _on_scan_done(self, result: ScanResult) -> None:
        self.pairs = result.pairs
        self.pair_list.clear()
        for pair in result.pairs:
            text = (
                f"{pair.model.name} · {pair.quant} · {pair.size_bytes / 1e9:.1f} GB · "
                f"{pair.source} — {pair.model.path.parent}"
            )
            item = QListWidgetItem(text)
            item.setToolTip(f"{pair.model.path}\n{pair.mmproj.path}")
            self.pair_list.addItem(item)
        if result.pairs:
            self.pair_list.setCurrentRow(0)
        self._fit_pair_list(len(result.pairs))
        found = len(result.pairs)
        lines = [
            f"Found {found} Pixtral model{'s' if found != 1 else ''}."
            if found
            else "No Pixtral model with its vision projector found."
        ]
        # A look-alike is what the user expected to see here: say why it is not offered.
        lines += [f"Not offered: {reason}" for _path, reason in result.lookalikes[:3]]
        if result.skipped_summary:
            lines.append(result.skipped_summary[:1].upper() + result.skipped_summary[1:] + ".")
        self.scan_status.setText("\n".join(lines))

    def _fit_pair_list(self, rows: int) -> None:
        """The list is as tall as its rows (up to four, then it scrolls), and absent when the
        search found nothing: an empty box reads as "something failed to load"."""
        self.pair_list.setVisible(rows > 0)
        self.use_button.setVisible(rows > 0)
        # One primary action on the page: using what was found, else downloading.
        mark_primary(self.download_button, default=False, primary=rows == 0)
        if rows:
            row_height = self.pair_list.sizeHintForRow(0)
            frame = 2 * self.pair_list.frameWidth()
            self.pair_list.setFixedHeight(min(rows, 4) * row_height + frame + 2 * SPACING["xs"])

    def _on_scan_failed(self, error: Exception) -> None:
        self.scan_status.setText(f"The search failed: {error}")

    def _on_use_clicked(self) -> None:
        row = self.pair_list.currentRow()
        if 0 <= row < len(self.pairs):
            pair = self.pairs[row]
            self.model_chosen.emit(str(pair.model.path), str(pair.mmproj.path))

    # --- (b) download -------------------------------------------------------------------------

    def _on_probe_done(self, report: HardwareReport) -> None:
        self.hardware_label.setText("\n".join(report.summary_lines()))
        self.recommendation = recommend(self.catalog, report)
        rec = self.recommendation
        if rec is None:
            self.recommend_label.setText(
                "Pixtral 12B does not fit in this computer's free memory even at the smallest "
                "quantization. Close other programs, or use La Plateforme or a server below."
            )
            return
        where = "all on the GPU" if rec.n_gpu_layers < 0 else rec.reason
        self.recommend_label.setText(
            f"Recommended: <b>{rec.quant.quant}</b> from {rec.quant.model.repo} "
            f"({rec.quant.total_bytes / 1e9:.1f} GB with its vision projector), {where}, "
            f"context {rec.n_ctx:,} tokens, KV cache {rec.kv_type}.<br>"
            f"Memory needed: {rec.estimate.describe()}"
        )
        self.download_button.setEnabled(True)

    def _on_probe_failed(self, error: Exception) -> None:
        self.hardware_label.setText(f"Could not check this computer: {error}")

    def start_download(self) -> None:
        rec = self.recommendation
        if rec is None:
            return
        self.download_button.setEnabled(False)
        self.cancel_button.setVisible(True)
        self.progress.setVisible(True)
        self.progress.setRange(0, 1000)
        self.download_status.setText("Starting…")
        relay = self._relay
        run_in_background(
            lambda: self._downloader.download_pair(rec.quant, relay.progressed.emit),
            self._on_download_done, self._on_download_failed, self._pool, guard=self,
        )  # fmt: skip

    def _on_download_progressed(self, progress: Progress) -> None:
        self.progress.setValue(int(progress.fraction * 1000))
        self.download_status.setText(progress.describe())

    def _on_download_done(self, paths: tuple[Path, Path]) -> None:
        self.cancel_button.setVisible(False)
        self.download_status.setText("Downloaded and verified.")
        self.model_chosen.emit(str(paths[0]), str(paths[1]))

    def _on_download_failed(self, error: Exception) -> None:
        self.cancel_button.setVisible(False)
        self.download_button.setEnabled(True)
        self.download_button.setText("Resume download")
        self.download_status.setText(str(error))
