"""Edit the prompt presets: titles, prompts and the detail each works best at.

Built-ins can be edited and restored, not deleted (the app's own actions, such as Make HTML,
rely on them); presets the user added can be deleted. Only what differs from the built-ins is
written, so an improved built-in prompt still reaches users who never touched it. Saving runs on
the pool; if it fails (full disk, read-only folder) the dialog says so and stays open, because
closing it would throw the user's edits away.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.core.images import Detail
from app.ui.common.background import run_in_background
from app.ui.common.detail_words import detail_label
from app.ui.theme.dialog_parts import Section, align_labels, mark_primary
from app.ui.theme.stylesheet import set_tone
from app.ui.theme.tokens import SPACING
from app.workflows.presets import Preset, save_user_presets

KEEP_DETAIL = "Keep my setting"


class PresetsDialog(QDialog):
    """A list of presets on the left, the selected one's fields on the right, Save/Cancel."""

    def __init__(
        self,
        presets: list[Preset],
        builtins: list[Preset],
        path: Path,
        load_error: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit presets")
        self.setMinimumSize(640, 420)
        self.resize(820, 520)
        self.path = path
        self.items = list(presets)
        self.builtins = {preset.id: preset for preset in builtins}
        self._loading = False
        self.list = QListWidget(self)
        self.list.setAccessibleName("Presets")
        self.list.setMinimumWidth(250)
        self.list.setSpacing(SPACING["xxs"])  # rows that breathe, as in the sidebar
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.addItems([preset.title for preset in self.items])
        self.list.currentRowChanged.connect(self._on_list_current_row_changed)
        self.add_button = QPushButton("Add", self)
        self.add_button.setToolTip("Add a preset of your own")
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setToolTip("Delete a preset you added (built-ins can be restored)")
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.title = QLineEdit(self)
        self.title.setAccessibleName("Title")
        self.title.textEdited.connect(self._on_field_edited)
        self.detail = QComboBox(self)
        self.detail.setAccessibleName("Detail")
        self.detail.setToolTip("Image detail this preset sets for the message's images")
        self.detail.addItem(KEEP_DETAIL, None)
        for level in Detail:
            self.detail.addItem(detail_label(level), level.value)
        self.detail.currentIndexChanged.connect(self._on_field_edited)
        self.prompt = QPlainTextEdit(self)
        self.prompt.setAccessibleName("Prompt")
        self.prompt.textChanged.connect(self._on_field_edited)
        self.kind = QLabel(self)
        self.kind.setObjectName("presetKind")
        set_tone(self.kind, "muted")
        self.restore_button = QPushButton("Restore built-in", self)
        self.restore_button.setToolTip("Undo your changes to this built-in preset")
        self.restore_button.clicked.connect(self._on_restore_button_clicked)
        self.error = QLabel(self)
        self.error.setObjectName("presetsError")
        self.error.setAccessibleName("Problem")
        self.error.setWordWrap(True)
        set_tone(self.error, "danger")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        mark_primary(self.save_button)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self._build_layout(load_error)
        self.list.setCurrentRow(0 if self.items else -1)
        self._update_buttons()

    def _build_layout(self, load_error: str | None) -> None:
        presets = Section("Presets", "Built-ins can be edited and restored; yours deleted.")
        presets.body.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.delete_button)
        presets.body.addLayout(row)
        preset = Section("Preset", "A title for the menu, the prompt it puts in the box, and "
                         "the image detail it works best at.")  # fmt: skip
        preset.add_row("Title", self.title)
        preset.add_row("Detail", self.detail)
        preset.add_row("Prompt", self.prompt)
        kind_row = QHBoxLayout()
        kind_row.addWidget(self.kind, 1)
        kind_row.addWidget(self.restore_button)
        preset.add_wide(kind_row)
        align_labels([preset])
        body = QHBoxLayout()
        body.setSpacing(SPACING["md"])
        body.addWidget(presets, 2)
        body.addWidget(preset, 5)
        layout = QVBoxLayout(self)
        layout.setSpacing(SPACING["md"])
        if load_error:
            note = QLabel(f"{load_error} Saving replaces that file.", self)
            note.setWordWrap(True)
            set_tone(note, "danger")
            layout.addWidget(note)
        layout.addLayout(body, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    # --------------------------------------------------------------------------- reading
    def current(self) -> Preset | None:
        row = self.list.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def is_builtin(self, preset: Preset) -> bool:
        return preset.id in self.builtins

    # --------------------------------------------------------------------------- saving
    def save(self) -> None:
        """Check every preset, then write the user file on the pool; close only on success."""
        for row, preset in enumerate(self.items):
            if not preset.title.strip() or not preset.prompt.strip():
                self.list.setCurrentRow(row)
                self._show_error(f"“{preset.title or 'Untitled'}” needs a title and a prompt.")
                return
        self.save_button.setEnabled(False)
        self.save_button.setText("Saving…")
        items, path = list(self.items), self.path
        run_in_background(
            lambda: save_user_presets(path, items),
            lambda _: self._on_saved(),
            self._on_save_failed,
            guard=self,
        )

    def _on_saved(self) -> None:
        self.accept()

    def _on_save_failed(self, error: Exception) -> None:
        self.save_button.setEnabled(True)
        self.save_button.setText("Save")
        if isinstance(error, OSError):
            reason = error.strerror or str(error)
            where = error.filename or self.path
            message = (
                f"Could not save the presets to {where} ({reason}). Your edits are still here: "
                "free some disk space or make the folder writable, then Save again."
            )
        elif isinstance(error, UserFacingError):
            message = str(error)
        else:
            message = f"Could not save the presets ({type(error).__name__}: {error})."
        self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    # ----------------------------------------------------------------------------- slots
    def _on_list_current_row_changed(self, row: int) -> None:
        preset = self.current()
        self._loading = True
        try:
            self.title.setText(preset.title if preset else "")
            self.prompt.setPlainText(preset.prompt if preset else "")
            index = self.detail.findData(preset.detail if preset else None)
            self.detail.setCurrentIndex(max(index, 0))
        finally:
            self._loading = False
        for widget in (self.title, self.detail, self.prompt):
            widget.setEnabled(preset is not None)
        self._update_buttons()

    def _on_field_edited(self, *_: object) -> None:
        row = self.list.currentRow()
        if self._loading or not 0 <= row < len(self.items):
            return
        self.items[row] = dataclasses.replace(
            self.items[row],
            title=self.title.text(),
            prompt=self.prompt.toPlainText(),
            detail=self.detail.currentData(),
        )
        self.list.item(row).setText(self.title.text() or "Untitled")
        self.error.hide()
        self._update_buttons()

    def _on_add_button_clicked(self) -> None:
        taken = {preset.id for preset in self.items} | set(self.builtins)
        number = next(n for n in range(1, len(taken) + 2) if f"custom_{n}" not in taken)
        self.items.append(Preset(f"custom_{number}", "New preset", ""))
        self.list.addItem("New preset")
        self.list.setCurrentRow(len(self.items) - 1)
        self.title.setFocus()
        self.title.selectAll()

    def _on_delete_button_clicked(self) -> None:
        row = self.list.currentRow()
        preset = self.current()
        if preset is None or self.is_builtin(preset):
            return
        del self.items[row]
        self.list.takeItem(row)
        self._on_list_current_row_changed(self.list.currentRow())

    def _on_restore_button_clicked(self) -> None:
        row, preset = self.list.currentRow(), self.current()
        if preset is None or not self.is_builtin(preset):
            return
        self.items[row] = self.builtins[preset.id]
        self.list.item(row).setText(self.items[row].title)
        self._on_list_current_row_changed(row)

    def _update_buttons(self) -> None:
        preset = self.current()
        builtin = preset is not None and self.is_builtin(preset)
        edited = builtin and preset is not None and self.builtins[preset.id] != preset
        self.delete_button.setEnabled(preset is not None and not builtin)
        self.restore_button.setEnabled(edited)
        if preset is None:
            self.kind.setText("")
        elif builtin:
            self.kind.setText("Built-in preset, edited" if edited else "Built-in preset")
        else:
            self.kind.setText("Your preset")
