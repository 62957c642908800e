"""Choosing model files by hand remembers their folder for the model lists."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from PySide6.QtWidgets import QFileDialog, QWidget

from app.models.model_folders import ModelFolders
from app.ui.window.backend_switch import BackendSwitcher


def test_the_chosen_models_folder_is_remembered(qtbot, tmp_path: Path, monkeypatch) -> None:
    model = tmp_path / "anywhere" / "model.gguf"
    mmproj = tmp_path / "anywhere" / "mmproj.gguf"
    answers = iter([(str(model), ""), (str(mmproj), "")])
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: next(answers))
    parent = QWidget()
    qtbot.addWidget(parent)
    engine = SimpleNamespace(settings=SimpleNamespace(path=tmp_path / "settings.ini"))
    switcher = BackendSwitcher(engine, None, lambda _text: None, parent)  # type: ignore[arg-type]
    used: list[tuple[str, str]] = []
    monkeypatch.setattr(switcher, "use_model_files", lambda m, p: used.append((m, p)))
    switcher.choose_model_files()
    assert used == [(str(model), str(mmproj))]
    assert ModelFolders.beside(tmp_path / "settings.ini").folders() == [tmp_path / "anywhere"]
