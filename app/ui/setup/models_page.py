"""Settings page "Models": the installed Pixtral pairs, delete, set default.

The list comes from the same header-based scan as the setup assistant, run off the GUI thread.
Deleting removes both files of a pair (and, in the Hugging Face cache, the blob a snapshot link
points to), but never a projector another listed model still uses. The page does not write
settings itself: it emits ``default_changed`` and the window persists it. The exceptions are
the selected model's own GPU layers, context and KV type, saved straight to ``models.json``
through the ``ModelOverrides`` it is given, and the folders added with "Add folder…", saved to
``model_folders.json`` (shared with the setup assistant) so the search finds them every time —
and removed again from "Folders searched", which also shows a folder that is gone as missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QThreadPool, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.budget import KvType
from app.models.discovery import ModelPair, ScanResult, default_locations, scan
from app.models.model_folders import (
    ModelFolders,
    SearchedFolder,
    forget_folder,
    remember_folder,
    remembered_folders,
    searched_folders,
)
from app.models.model_overrides import ModelOverrides
from app.settings import SETTINGS_BY_KEY
from app.ui.common.background import run_in_background
from app.ui.setup.model_folder_list import ModelFolderList
from app.ui.setup.setting_words import CHOICES, SPECIAL_VALUES, label
from app.ui.theme.dialog_parts import Section, align_labels, confirm_destructive, mark_primary
from app.ui.theme.tokens import SPACING

COLUMNS = ("Model", "Quantization", "Size", "Where", "Default")


def _confirm(parent: QWidget, text: str) -> bool:
    return confirm_destructive(parent, "Delete model", text, "Delete")


class ModelsPage(QWidget):
    default_changed = Signal(str, str)  # model path, mmproj path
    pair_deleted = Signal(str, str)
    overrides_saved = Signal(str)  # model path

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        default_model: str = "",
        scan_fn: Callable[[list[Path]], ScanResult] | None = None,
        confirm: Callable[[QWidget, str], bool] = _confirm,
        pool: QThreadPool | None = None,
        overrides: ModelOverrides | None = None,
        defaults: dict | None = None,
        folders: ModelFolders | None = None,
        always_fn: Callable[[], list[tuple[str, Path]]] = default_locations,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("modelsPage")
        self.default_model = default_model
        self._scan_fn = scan_fn or (lambda folders: scan(extra_folders=folders))
        self._store = folders
        self._always_fn = always_fn  # the folders every search looks in (other apps' caches)
        self._folder_error = ""  # why the last removal was not saved, shown after the search
        self._folders: list[Path] = []  # added this session (kept even if the store fails)
        self._confirm = confirm
        self._pool = pool
        self.pairs: list[ModelPair] = []
        self.overrides = overrides
        # What a model without its own values uses: the global settings, shown as the start.
        self.defaults = {
            k: SETTINGS_BY_KEY[k].default for k in ("n_gpu_layers", "n_ctx", "kv_type")
        }
        self.defaults.update(defaults or {})

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # long paths elide
        self.table.setAccessibleName("Installed models")
        self.table.setAlternatingRowColors(True)
        self.status = QLabel("")
        self.status.setObjectName("dialogNote")
        self.refresh_button = QPushButton("Search again")
        self.refresh_button.setToolTip("Look for model files in the usual places again")
        self.folder_list = ModelFolderList()
        self.add_folder_button = self.folder_list.add_button
        self.default_button = QPushButton("Use by default")
        self.default_button.setToolTip("Load the selected model when Pixtral Desk starts")
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setToolTip("Delete the selected model's files from this computer")
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        for button in (self.refresh_button, self.delete_button, self.default_button):
            row.addWidget(button)
        installed = Section(
            "Installed Pixtral models",
            "Each is a model file and its vision projector, found on this computer.",
        )
        installed.body.addWidget(self.table, 1)
        installed.body.addLayout(row)
        # Where the models were looked for belongs with what was found; a section of its own
        # would not fit the settings dialog's default height beside the other two.
        installed.body.addSpacing(SPACING["sm"])
        installed.body.addWidget(self.folder_list)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACING["xs"], SPACING["md"], SPACING["xs"], SPACING["xs"])
        layout.setSpacing(SPACING["md"])
        layout.addWidget(installed, 1)
        layout.addWidget(self._build_override_box())

        self.table.itemSelectionChanged.connect(self._show_overrides)
        self.refresh_button.clicked.connect(self.refresh)
        self.add_folder_button.clicked.connect(self._on_add_folder_clicked)
        self.folder_list.remove_requested.connect(self.remove_folder)
        self.default_button.clicked.connect(self._on_default_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)

    def _build_override_box(self) -> Section:
        self.override_box = Section(
            "Settings for the selected model",
            "Its own values for how it loads; the engine settings apply where it has none.",
        )
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(-1, 999)
        self.gpu_layers.setSpecialValueText(SPECIAL_VALUES["n_gpu_layers"])
        self.gpu_layers.setToolTip("Layers on the GPU; 0 = CPU only. Lower it if loading fails.")
        self.context = QSpinBox()
        self.context.setRange(0, 131_072)
        self.context.setSingleStep(1024)
        self.context.setSpecialValueText(SPECIAL_VALUES["n_ctx"])
        self.context.setSuffix(" tokens")
        self.kv_type = QComboBox()
        for kind in KvType:
            self.kv_type.addItem(CHOICES["kv_type"].get(kind.value, kind.value), kind.value)
        self.kv_type.setToolTip("Compact and smallest halve or quarter the memory it takes.")
        self.save_button = QPushButton("Save for this model")
        mark_primary(self.save_button, default=False)  # in the settings dialog, Enter saves it
        self.reset_button = QPushButton("Use engine settings")
        self.override_status = QLabel("")
        self.override_status.setObjectName("dialogNote")
        for key, editor in (
            ("n_gpu_layers", self.gpu_layers), ("n_ctx", self.context), ("kv_type", self.kv_type),
        ):  # fmt: skip
            editor.setAccessibleName(label(key))
            self.override_box.add_row(label(key), editor)
        buttons = QHBoxLayout()
        buttons.addWidget(self.override_status, 1)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.save_button)
        self.override_box.body.addLayout(buttons)
        align_labels([self.override_box])
        self.save_button.clicked.connect(self._on_save_overrides)
        self.reset_button.clicked.connect(self._on_reset_overrides)
        self.override_box.setEnabled(False)
        self.delete_button.setEnabled(False)  # until a model is selected
        self.default_button.setEnabled(False)
        self.gpu_layers.setValue(int(self.defaults["n_gpu_layers"]))
        self.context.setValue(int(self.defaults["n_ctx"]))
        self._choose_kv(str(self.defaults["kv_type"]))
        return self.override_box

    def _choose_kv(self, value: str) -> None:
        index = self.kv_type.findData(value)
        if index >= 0:
            self.kv_type.setCurrentIndex(index)

    def _show_overrides(self) -> None:
        pair = self._selected()
        # Delete and Use by default act on the selected model: without one they said nothing.
        self.delete_button.setEnabled(pair is not None)
        self.default_button.setEnabled(pair is not None)
        self.override_box.setEnabled(pair is not None and self.overrides is not None)
        if pair is None or self.overrides is None:
            self.override_status.setText("")
            return
        saved = self.overrides.get(pair.model.path)
        values = {**self.defaults, **saved}
        self.gpu_layers.setValue(int(values["n_gpu_layers"]))
        self.context.setValue(int(values["n_ctx"]))
        self._choose_kv(str(values["kv_type"]))
        self.override_status.setText(
            "Own settings for this model" if saved else "Uses the engine settings"
        )

    def _on_save_overrides(self) -> None:
        pair = self._selected()
        if pair is None or self.overrides is None:
            return
        self.overrides.set(
            pair.model.path,
            n_gpu_layers=self.gpu_layers.value(),
            n_ctx=self.context.value(),
            kv_type=self.kv_type.currentData(),
        )
        self.override_status.setText("Saved; used the next time this model loads")
        self.overrides_saved.emit(str(pair.model.path))

    def _on_reset_overrides(self) -> None:
        pair = self._selected()
        if pair is None or self.overrides is None:
            return
        self.overrides.set(pair.model.path, n_gpu_layers=None, n_ctx=None, kv_type=None)
        self._show_overrides()
        self.overrides_saved.emit(str(pair.model.path))

    def refresh(self) -> None:
        self.status.setText("Searching…")
        folders = remembered_folders(self._store, self._folders)
        always = self._always_fn

        def search() -> tuple[list[SearchedFolder], ScanResult]:
            # Which folders exist is asked here too: a vanished network path can take seconds.
            return searched_folders(folders, always()), self._scan_fn(folders)

        run_in_background(search, self._on_searched, self._on_scan_failed, self._pool, self)

    def _on_searched(self, found: tuple[list[SearchedFolder], ScanResult]) -> None:
        folders, result = found
        self.folder_list.show_folders(folders)
        if self._folder_error:
            self.folder_list.note.setText(self._folder_error)
            self._folder_error = ""
        self.show_pairs(result)

    def add_folder(self, folder: str | Path) -> None:
        """Search ``folder`` too, now and (with a store) in every later search."""
        remember_folder(self._store, self._folders, folder)
        self.refresh()

    def remove_folder(self, folder: str | Path) -> None:
        """Stop searching ``folder`` (its files stay) and search again without it."""
        try:
            forget_folder(self._store, self._folders, folder)
        except OSError as error:  # it comes back with the search: say why
            self._folder_error = f"Could not save the folder list: {error.strerror or error}"
        self.refresh()

    def _on_add_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with Pixtral GGUF files")
        if folder:
            self.add_folder(folder)

    def show_pairs(self, result: ScanResult) -> None:
        self.pairs = list(result.pairs)
        self.table.setRowCount(len(self.pairs))
        for row, pair in enumerate(self.pairs):
            is_default = str(pair.model.path) == self.default_model
            cells = (
                pair.model.path.name,
                pair.quant,
                f"{pair.size_bytes / 1e9:.2f} GB",
                f"{pair.source}: {pair.model.path.parent}",
                "✓" if is_default else "",
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{pair.model.name}\n{pair.model.path}\n{pair.mmproj.path}")
                self.table.setItem(row, col, item)
        self.status.setText(f"{len(self.pairs)} installed")

    def _on_scan_failed(self, error: Exception) -> None:
        self.status.setText(f"The search failed: {error}")

    def _selected(self) -> ModelPair | None:
        row = self.table.currentRow()
        return self.pairs[row] if 0 <= row < len(self.pairs) else None

    def _on_default_clicked(self) -> None:
        pair = self._selected()
        if pair is None:
            return
        self.default_model = str(pair.model.path)
        self.show_pairs(ScanResult(pairs=self.pairs))
        self.default_changed.emit(str(pair.model.path), str(pair.mmproj.path))

    def _on_delete_clicked(self) -> None:
        pair = self._selected()
        if pair is None:
            return
        size = pair.size_bytes / 1e9
        text = f"Delete {pair.model.path.name} and its vision projector ({size:.1f} GB)?"
        if not self._confirm(self, text):
            return
        shared = any(p.mmproj.path == pair.mmproj.path for p in self.pairs if p is not pair)
        _delete(pair.model.path)
        if not shared:
            _delete(pair.mmproj.path)
        self.pairs.remove(pair)
        self.show_pairs(ScanResult(pairs=self.pairs))
        self.pair_deleted.emit(str(pair.model.path), str(pair.mmproj.path))


def _delete(path: Path) -> None:
    """Remove a file; for a symlink (Hugging Face cache), the blob it points to as well."""
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        path.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
    else:
        path.unlink(missing_ok=True)
