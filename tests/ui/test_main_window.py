"""The placeholder window: it opens, says what the engine is set to, and never shows a traceback."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings
from app.ui.main_window import MainWindow
from tests.fixtures.pixtral_gguf import GgufPair


def _window(qtbot, tmp_path: Path, **values: str) -> MainWindow:
    settings = Settings(tmp_path / "settings.ini")
    for key, value in values.items():
        settings[key] = value
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    return window


def test_without_a_model_it_says_how_to_set_one(qtbot, tmp_path: Path) -> None:
    window = _window(qtbot, tmp_path)
    assert "No model is set yet" in window.status_label.text()
    assert window.windowTitle() == "Pixtral Desk"


def test_with_a_model_pair_it_names_it(qtbot, tmp_path: Path, tiny_pair: GgufPair) -> None:
    window = _window(qtbot, tmp_path, model=str(tiny_pair.model), mmproj=str(tiny_pair.mmproj))
    assert "with images" in window.status_label.text()


def test_a_broken_model_is_explained(qtbot, tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_text("these are my notes, definitely not a model file")
    window = _window(qtbot, tmp_path, model=str(broken))
    assert "GGUF signature" in window.status_label.text()


def test_settings_round_trip(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "s.ini")
    settings["n_ctx"] = "8192"
    settings["kv_type"] = "q8_0"
    settings.save()
    again = Settings(tmp_path / "s.ini")
    assert again["n_ctx"] == 8192 and again["kv_type"] == "q8_0"
    (tmp_path / "s.ini").write_text("[engine]\nn_ctx = lots\nkv_type = q2\n")
    fallback = Settings(tmp_path / "s.ini")
    assert fallback["n_ctx"] == 0 and fallback["kv_type"] == "f16"


def test_the_window_icon_is_found(qtbot, tmp_path: Path) -> None:
    from app.resources import resource

    assert resource("icons", "pixtral-desk.svg").is_file()
    assert not _window(qtbot, tmp_path).windowIcon().isNull()
