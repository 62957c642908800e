"""The settings dialog: every declared setting has an editor; remote models come from the API."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QInputDialog, QLineEdit

from app.settings import SETTINGS, Settings
from app.ui.setup.settings_dialog import SettingsDialog, choose
from tests.engine.fake_servers import FakeChatServer


def test_every_setting_has_an_editor_and_saves(qtbot, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.ini")
    dialog = SettingsDialog(settings, "Be brief.")
    qtbot.addWidget(dialog)
    assert set(dialog.editors) == {s.key for s in SETTINGS}
    dialog.editors["n_ctx"].setValue(16384)
    choose(dialog.editors["kv_type"], "q8_0")  # shown as "Compact (8-bit)"
    dialog.apply()
    again = Settings(tmp_path / "settings.ini")
    assert again["n_ctx"] == 16384 and again["kv_type"] == "q8_0"
    assert dialog.system_prompt.toPlainText() == "Be brief."


def test_la_plateforme_models_are_listed_from_the_api(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key-000")
    offered: list[list[str]] = []

    def pick(_parent, _title, _label, items, current, _editable):
        offered.append(list(items))
        return items[current], True

    monkeypatch.setattr(QInputDialog, "getItem", pick)
    with FakeChatServer("mistral") as server:
        settings = Settings(tmp_path / "settings.ini")
        settings["mistral_server_url"] = server.url
        dialog = SettingsDialog(settings, None)
        qtbot.addWidget(dialog)
        dialog._on_models_button_clicked()
        editor = dialog.editors["mistral_model"]
        assert isinstance(editor, QLineEdit)
        qtbot.waitUntil(lambda: bool(editor.text()), timeout=10_000)
    assert offered and editor.text() in offered[0]
    assert "pixtral" in editor.text()


def test_the_seed_reads_random_until_the_user_fixes_one(qtbot, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.ini")
    assert settings["seed"] == -1  # a new seed for every answer
    dialog = SettingsDialog(settings, None)
    qtbot.addWidget(dialog)
    seed = dialog.editors["seed"]
    assert seed.text() == "Random each answer" and seed.minimum() == -1
    seed.setValue(1234)
    dialog.apply()
    assert Settings(tmp_path / "settings.ini")["seed"] == 1234


def test_an_empty_history_folder_names_the_default_it_means(qtbot, tmp_path: Path) -> None:
    from app.storage.history import default_data_dir

    dialog = SettingsDialog(Settings(tmp_path / "settings.ini"), None)
    qtbot.addWidget(dialog)
    folder = dialog.editors["data_dir"]
    assert isinstance(folder, QLineEdit) and folder.text() == ""
    assert str(default_data_dir()) in folder.placeholderText()
