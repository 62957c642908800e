"""The model menu lists the pairs a real scan finds (off the GUI thread), the registry's remote
backends, and Load / Unload for the chosen local model; each entry says what was chosen."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QThreadPool

from app.backends import BACKENDS, LA_PLATEFORME, LOCAL
from app.models.discovery import scan
from app.models.model_folders import ModelFolders
from app.ui.window.model_menu import NONE_FOUND, EngineChoice, ModelMenu
from tests.fixtures.pixtral_gguf import write_pixtral_pair


def _menu(qtbot, folder: Path, threads: list[threading.Thread]) -> ModelMenu:
    def scan_here(extra: list[Path]) -> object:
        threads.append(threading.current_thread())
        return scan(locations=[("Folder", folder)], extra_folders=extra)

    menu = ModelMenu(scan_fn=scan_here, pool=QThreadPool())
    qtbot.addWidget(menu)
    return menu


def test_the_pairs_found_on_disk_are_listed_and_chosen_by_path(qtbot, tmp_path: Path) -> None:
    pair = write_pixtral_pair(tmp_path / "models" / "tiny")
    write_pixtral_pair(tmp_path / "models" / "other", seed=1)
    threads: list[threading.Thread] = []
    menu = _menu(qtbot, tmp_path / "models", threads)
    menu.start_scan()
    qtbot.waitUntil(lambda: menu.scanned, timeout=10_000)
    assert threads and threads[0] is not threading.main_thread()  # the disk is read elsewhere
    assert len(menu.pairs) == 2
    titles = [a for a in menu.actions() if a.toolTip().startswith(str(tmp_path))]
    # The same model twice (general.name and quantization from the headers): the folder
    # tells them apart.
    name = "Pixtral Desk Random Weight Test Model · F32"
    assert sorted(a.text() for a in titles) == [f"{name} — other", f"{name} — tiny"]
    chosen = next(a for a in titles if a.toolTip().startswith(str(pair.model)))
    with qtbot.waitSignal(menu.pair_chosen) as picked:
        chosen.trigger()
    assert picked.args == [str(pair.model), str(pair.mmproj)]
    menu.set_choice(EngineChoice(LOCAL.kind, str(pair.model), loaded=True))
    marked = [a for a in menu.actions() if a.isChecked()]
    assert len(marked) == 1 and marked[0].toolTip().startswith(str(pair.model))


def test_a_remembered_folder_is_searched(qtbot, tmp_path: Path) -> None:
    pair = write_pixtral_pair(tmp_path / "mine")
    folders = ModelFolders(tmp_path / "model_folders.json")
    folders.add(tmp_path / "mine")
    menu = ModelMenu(folders=folders, pool=QThreadPool(), scan_fn=lambda extra: scan([], extra))
    qtbot.addWidget(menu)
    menu.start_scan()
    qtbot.waitUntil(lambda: menu.scanned, timeout=10_000)
    assert [p.key for p in menu.pairs] == [(str(pair.model), str(pair.mmproj))]


def test_nothing_found_says_so(qtbot, tmp_path: Path) -> None:
    menu = _menu(qtbot, tmp_path, [])
    menu.start_scan()
    qtbot.waitUntil(lambda: menu.scanned, timeout=10_000)
    assert NONE_FOUND in menu.entry_texts()


def test_the_remote_backends_are_the_registrys(qtbot, tmp_path: Path) -> None:
    menu = _menu(qtbot, tmp_path, [])
    remote = [spec for spec in BACKENDS if spec.remote]
    assert remote and all(spec.label in menu.entry_texts() for spec in remote)
    for spec in remote:
        with qtbot.waitSignal(menu.backend_chosen) as chosen:
            menu.action_named(spec.label).trigger()
        assert chosen.args == [spec.kind]
    menu.set_choice(EngineChoice(LA_PLATEFORME.kind, "pixtral-large-latest"))
    assert menu.action_named(LA_PLATEFORME.label).isChecked()
    assert "Load model" not in menu.entry_texts()  # nothing to load on a server


def test_load_and_unload_follow_the_local_model(qtbot, tmp_path: Path) -> None:
    menu = _menu(qtbot, tmp_path, [])
    menu.set_choice(EngineChoice(LOCAL.kind, "/m/model.gguf", loaded=False))
    with qtbot.waitSignal(menu.load_requested):
        menu.action_named("Load model").trigger()
    menu.set_choice(EngineChoice(LOCAL.kind, "/m/model.gguf", loading=True))
    assert not menu.action_named("Loading the model…").isEnabled()
    menu.set_choice(EngineChoice(LOCAL.kind, "/m/model.gguf", loaded=True))
    unload = menu.action_named("Unload model — free its memory")
    assert unload is not None and unload.isEnabled()
    with qtbot.waitSignal(menu.unload_requested):
        unload.trigger()
    menu.set_choice(EngineChoice(LOCAL.kind, "/m/model.gguf", loaded=True, busy=True))
    assert not menu.action_named("Unload model — free its memory").isEnabled()
    with qtbot.waitSignal(menu.manage_requested):
        menu.action_named("Manage models…").trigger()
