"""The presets editor: edit, add, delete, restore, save — and a failed save loses nothing."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from app.ui.composer import presets_dialog
from app.ui.composer.presets_dialog import KEEP_DETAIL, PresetsDialog
from app.workflows.presets import builtin_presets, load_presets

WAIT_MS = 10_000


@pytest.fixture
def dialog(qtbot, tmp_path: Path) -> PresetsDialog:
    builtins = builtin_presets()
    widget = PresetsDialog(builtins, builtins, tmp_path / "config" / "presets.json")
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _select(dialog: PresetsDialog, preset_id: str) -> None:
    dialog.list.setCurrentRow(next(i for i, p in enumerate(dialog.items) if p.id == preset_id))


def _saved(qtbot, dialog: PresetsDialog) -> None:
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        dialog.save_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_lists_every_preset_and_shows_the_selected_one(dialog: PresetsDialog) -> None:
    titles = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert titles == [preset.title for preset in builtin_presets()]
    _select(dialog, "ocr_markdown")
    assert dialog.title.text() == "Extract text (OCR) as Markdown"
    assert dialog.detail.currentText() == "Native (1024 px)"
    assert dialog.prompt.toPlainText().startswith("Transcribe all the text")
    _select(dialog, "describe_image")
    assert dialog.detail.currentText() == KEEP_DETAIL
    assert dialog.kind.text() == "Built-in preset"
    assert not dialog.delete_button.isEnabled()  # built-ins are restored, not deleted
    assert not dialog.restore_button.isEnabled()


def test_an_edited_built_in_can_be_restored(qtbot, dialog: PresetsDialog) -> None:
    _select(dialog, "describe_image")
    original = dialog.current()
    dialog.title.clear()
    qtbot.keyClicks(dialog.title, "Describe briefly")
    dialog.detail.setCurrentIndex(dialog.detail.findData("low"))
    assert dialog.list.currentItem().text() == "Describe briefly"
    assert dialog.current().detail == "low"
    assert dialog.restore_button.isEnabled() and dialog.kind.text() == "Built-in preset, edited"
    dialog.restore_button.click()
    assert dialog.current() == original
    assert (
        dialog.title.text() == original.title and dialog.list.currentItem().text() == original.title
    )
    assert dialog.detail.currentText() == KEEP_DETAIL
    assert not dialog.restore_button.isEnabled()


def test_add_edit_and_save_writes_only_the_changes(
    qtbot, dialog: PresetsDialog, tmp_path: Path
) -> None:
    dialog.add_button.click()
    assert dialog.title.text() == "New preset" and dialog.delete_button.isEnabled()
    qtbot.keyClicks(dialog.title, "Translate to French")  # the title was selected: replaced
    dialog.prompt.setPlainText("Translate the text in this image to French.")
    dialog.detail.setCurrentIndex(dialog.detail.findData("high"))
    _select(dialog, "read_chart")
    dialog.prompt.setPlainText("Read this chart as a table.")
    _saved(qtbot, dialog)
    data = json.loads(dialog.path.read_text(encoding="utf-8"))
    assert data["presets"] == [
        {"id": "read_chart", "title": "Read a chart", "prompt": "Read this chart as a table.",
         "detail": "high"},
        {"id": "custom_1", "title": "Translate to French",
         "prompt": "Translate the text in this image to French.", "detail": "high"},
    ]  # fmt: skip
    loaded = {preset.id: preset for preset in load_presets(dialog.path)}
    assert loaded["custom_1"].title == "Translate to French"
    assert loaded["describe_image"] == next(
        p for p in builtin_presets() if p.id == "describe_image"
    )


def test_only_added_presets_can_be_deleted(qtbot, dialog: PresetsDialog) -> None:
    count = dialog.list.count()
    dialog.add_button.click()
    dialog.add_button.click()
    assert [p.id for p in dialog.items[-2:]] == ["custom_1", "custom_2"]
    dialog.delete_button.click()
    assert dialog.list.count() == len(dialog.items) == count + 1
    assert dialog.items[-1].id == "custom_1"
    _select(dialog, "make_html")
    dialog.delete_button.click()  # disabled; and refused if called anyway
    dialog._on_delete_button_clicked()
    assert any(p.id == "make_html" for p in dialog.items)


def test_a_preset_without_a_prompt_is_not_saved(qtbot, dialog: PresetsDialog) -> None:
    dialog.add_button.click()
    _select(dialog, "describe_image")
    dialog.save_button.click()
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "needs a title and a prompt" in dialog.error.text()
    assert dialog.current().id == "custom_1"  # the culprit is shown
    assert not dialog.path.exists()


def test_a_failed_save_keeps_the_dialog_and_the_edits(
    qtbot, dialog: PresetsDialog, tmp_path: Path
) -> None:
    """A folder that cannot be created (its name is taken by a file): a real OSError."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    good = dialog.path
    dialog.path = blocker / "presets.json"
    _select(dialog, "compare_images")
    dialog.prompt.setPlainText("Compare carefully.")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert "Could not save the presets" in dialog.error.text()
    assert "Your edits are still here" in dialog.error.text()
    assert dialog.save_button.isEnabled() and dialog.save_button.text() == "Save"
    assert dialog.prompt.toPlainText() == "Compare carefully."
    dialog.path = good  # the user fixed the folder: Save again works
    _saved(qtbot, dialog)
    assert any(p.prompt == "Compare carefully." for p in load_presets(good))


def test_a_full_disk_is_named(qtbot, dialog: PresetsDialog, monkeypatch) -> None:
    def full(path: Path, presets: list) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(presets_dialog, "save_user_presets", full)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=WAIT_MS)
    assert "No space left on device" in dialog.error.text()
    assert str(dialog.path) in dialog.error.text()
    assert dialog.isVisible()


def test_a_broken_user_file_is_named_at_the_top(qtbot, tmp_path: Path) -> None:
    builtins = builtin_presets()
    widget = PresetsDialog(builtins, builtins, tmp_path / "p.json", "The presets file is bad.")
    qtbot.addWidget(widget)
    texts = [label.text() for label in widget.findChildren(presets_dialog.QLabel)]
    assert "The presets file is bad. Saving replaces that file." in texts
