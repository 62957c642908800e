"""The settings' choices read as words while the settings file keeps its values."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox

from app.settings import Settings
from app.ui.common.path_edit import PathEdit
from app.ui.setup.settings_dialog import SettingsDialog


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
