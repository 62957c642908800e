"""Settings page "Models": the installed Pixtral pairs, delete, set default (issue 5, req. 7).

The list comes from the same header-based scan as the setup assistant, run off the GUI thread.
Deleting removes both files of a pair (and, in the Hugging Face cache, the blob a snapshot link
points to), but never a projector another listed model still uses. The page does not write
settings itself: it emits ``default_changed`` and the window persists it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QThreadPool, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models.discovery import ModelPair, ScanResult, scan
from app.ui.bridge import run_in_background

COLUMNS = ("Model", "Quantization", "Size", "Where", "Default")


def _confirm(parent: QWidget, text: str) -> bool:
    answer = QMessageBox.question(parent, "Delete model", text)
    return answer == QMessageBox.StandardButton.Yes


class ModelsPage(QWidget):
    default_changed = Signal(str, str)  # model path, mmproj path
    pair_deleted = Signal(str, str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        default_model: str = "",
        scan_fn: Callable[[], ScanResult] = scan,
        confirm: Callable[[QWidget, str], bool] = _confirm,
        pool: QThreadPool | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("modelsPage")
        self.default_model = default_model
        self._scan_fn = scan_fn
        self._confirm = confirm
        self._pool = pool
        self.pairs: list[ModelPair] = []

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
        self.status = QLabel("")
        self.refresh_button = QPushButton("Refresh")
        self.default_button = QPushButton("Set as default")
        self.delete_button = QPushButton("Delete…")
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        for button in (self.refresh_button, self.default_button, self.delete_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Installed Pixtral models</b> (model + vision projector)"))
        layout.addWidget(self.table)
        layout.addLayout(row)

        self.refresh_button.clicked.connect(self.refresh)
        self.default_button.clicked.connect(self._on_default_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)

    def refresh(self) -> None:
        self.status.setText("Searching…")
        run_in_background(self._scan_fn, self.show_pairs, self._on_scan_failed, self._pool, self)

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
