"""The settings' choices read as words while the settings file keeps its values."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QGroupBox, QLabel

from app.settings import Settings
from app.ui.common.path_edit import PathEdit
from app.ui.setup.setting_words import label
from app.ui.setup.settings_dialog import SettingsDialog
from app.ui.theme.dialog_parts import Section


def test_choices_show_words_and_store_the_same_values(qtbot, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.ini")
    dialog = SettingsDialog(settings, None)
    qtbot.addWidget(dialog)
    shown = {
        key: dialog.editors[key].currentText()  # type: ignore[attr-defined]
        for key in ("backend", "system_placement", "detail")
    }
    assert shown == {
        "backend": "This computer (local model)",
        "system_placement": "As the model was trained (last message)",
        "detail": "Native (1024 px)",
    }
    detail = dialog.editors["detail"]
    assert isinstance(detail, QComboBox)
    assert detail.itemText(0) == "Low (256 px)"
    detail.setCurrentIndex(detail.findText("Low (256 px)"))
    placement = dialog.editors["system_placement"]
    assert isinstance(placement, QComboBox)
    placement.setCurrentIndex(placement.findText("First message (keeps the cache)"))
    dialog.apply()
    again = Settings(tmp_path / "settings.ini")
    assert (again["detail"], again["system_placement"], again["backend"]) == (
        "low",
        "first",
        "local",
    )


def test_the_models_page_choosing_a_model_selects_this_computer(qtbot, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.ini")
    settings["backend"] = "mistral"
    dialog = SettingsDialog(settings, None)
    qtbot.addWidget(dialog)
    assert dialog.editors["backend"].currentText() == "La Plateforme"  # type: ignore[attr-defined]
    dialog._on_models_page_default_changed("/m/a.gguf", "/m/p.gguf")
    assert dialog.values()["backend"] == "local"
    assert isinstance(dialog.editors["model"], PathEdit)
    assert dialog.values()["model"] == "/m/a.gguf"


def test_internal_values_read_as_words_and_are_stored_unchanged(qtbot, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.ini")
    settings["kv_type"] = "q8_0"
    dialog = SettingsDialog(settings, None)
    qtbot.addWidget(dialog)
    kv = dialog.editors["kv_type"]
    assert isinstance(kv, QComboBox) and kv.currentText() == "Compact (8-bit)"
    assert [kv.itemText(i) for i in range(kv.count())] == [
        "Full precision (16-bit)", "Compact (8-bit)", "Smallest (4-bit)",
    ]  # fmt: skip
    labels = {label.text() for label in dialog.findChildren(QLabel)}
    assert {"Conversation length (tokens)", "Conversation memory"} <= labels
    assert not {"n_ctx", "kv_type", "KV cache type"} & labels
    assert dialog.editors["n_ctx"].text() == "Pick from memory"  # type: ignore[attr-defined]
    kv.setCurrentIndex(kv.findData("q4_0"))
    dialog.apply()
    assert Settings(tmp_path / "settings.ini")["kv_type"] == "q4_0"


def test_every_group_is_a_section_with_a_heading_and_a_description(qtbot, tmp_path: Path) -> None:
    dialog = SettingsDialog(Settings(tmp_path / "settings.ini"), "Be brief.")
    qtbot.addWidget(dialog)
    assert not dialog.findChildren(QGroupBox)  # no bare frames with a title on their border
    sections = dialog.findChildren(Section)
    assert len(sections) >= 8
    for section in sections:
        assert section.heading.text() and section.description.text(), section.heading.text()
    # Every editor sits in a section, labelled by its row.
    for key, editor in dialog.editors.items():
        parent = editor.parentWidget()
        while parent is not None and not isinstance(parent, Section):
            parent = parent.parentWidget()
        assert parent is not None, key
        assert editor.accessibleName().lower().endswith(label(key).lower())
