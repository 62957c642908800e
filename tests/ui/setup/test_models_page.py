"""The Models settings page: list, set default, delete, and the folders it searches."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from app.core.model_files import inspect_mmproj, inspect_text_model
from app.models.discovery import ModelPair, ScanResult
from app.models.model_folders import ModelFolders
from app.ui.setup.models_page import ModelsPage


class InlinePool(QThreadPool):
    def start(self, runnable, priority: int = 0) -> None:  # type: ignore[override]
        runnable.run()


def _pairs(tiny_pair, tmp_path: Path) -> ScanResult:
    """Two models sharing one projector; the second lives behind an HF-cache style symlink."""
    shutil.copy(tiny_pair.model, tmp_path / "a.gguf")
    shutil.copy(tiny_pair.mmproj, tmp_path / "mmproj.gguf")
    (tmp_path / "blobs").mkdir()
    shutil.copy(tiny_pair.model, tmp_path / "blobs" / "123")
    os.symlink(tmp_path / "blobs" / "123", tmp_path / "b.gguf")
    proj = inspect_mmproj(tmp_path / "mmproj.gguf")
    return ScanResult(
        pairs=[
            ModelPair(inspect_text_model(tmp_path / "a.gguf"), proj, "Folder", "F32"),
            ModelPair(inspect_text_model(tmp_path / "b.gguf"), proj, "Hugging Face cache", "F32"),
        ]
    )


def _page(qtbot, result: ScanResult, confirm=lambda *_: True) -> ModelsPage:
    page = ModelsPage(
        default_model=str(result.pairs[0].model.path),
        scan_fn=lambda folders: result,
        confirm=confirm,
        pool=InlinePool(),
    )
    qtbot.addWidget(page)
    page.resize(760, 300)
    page.refresh()
    return page


def test_pairs_are_listed_with_size_quantization_and_place(qtbot, tiny_pair, tmp_path) -> None:
    page = _page(qtbot, _pairs(tiny_pair, tmp_path))
    assert page.table.rowCount() == 2
    assert page.table.item(0, 1).text() == "F32" and page.table.item(0, 2).text().endswith("GB")
    assert page.table.item(1, 3).text().startswith("Hugging Face cache: ")
    assert page.table.item(0, 4).text() == "✓" and page.table.item(1, 4).text() == ""
    assert page.grab().save(str(Path(os.environ.get("SHOT_DIR", tmp_path)) / "models_page.png"))


def test_model_actions_wait_for_a_selected_model(qtbot, tiny_pair, tmp_path) -> None:
    """Delete and Use by default act on the selection; enabled without one, they did nothing."""
    page = _page(qtbot, _pairs(tiny_pair, tmp_path))
    page.table.clearSelection()
    assert not page.delete_button.isEnabled() and not page.default_button.isEnabled()
    page.table.selectRow(0)
    assert page.delete_button.isEnabled() and page.default_button.isEnabled()


def test_set_default_emits_and_marks_it(qtbot, tiny_pair, tmp_path) -> None:
    page = _page(qtbot, _pairs(tiny_pair, tmp_path))
    page.table.selectRow(1)
    with qtbot.waitSignal(page.default_changed) as changed:
        page.default_button.click()
    assert changed.args == [str(tmp_path / "b.gguf"), str(tmp_path / "mmproj.gguf")]
    assert page.table.item(1, 4).text() == "✓" and page.table.item(0, 4).text() == ""


def test_delete_keeps_a_shared_projector_and_removes_cache_blobs(
    qtbot, tiny_pair, tmp_path
) -> None:
    page = _page(qtbot, _pairs(tiny_pair, tmp_path))
    page.table.selectRow(1)
    page.delete_button.click()
    assert not (tmp_path / "b.gguf").exists() and not (tmp_path / "blobs" / "123").exists()
    assert (tmp_path / "mmproj.gguf").exists()  # still used by a.gguf
    assert page.table.rowCount() == 1
    page.table.selectRow(0)
    page.delete_button.click()
    assert not (tmp_path / "a.gguf").exists() and not (tmp_path / "mmproj.gguf").exists()


def test_delete_asks_first(qtbot, tiny_pair, tmp_path) -> None:
    page = _page(qtbot, _pairs(tiny_pair, tmp_path), confirm=lambda *_: False)
    page.table.selectRow(0)
    page.delete_button.click()
    assert (tmp_path / "a.gguf").exists() and page.table.rowCount() == 2


def test_per_model_settings_are_shown_saved_and_reset(qtbot, tiny_pair, tmp_path) -> None:
    from app.models.model_overrides import ModelOverrides

    result = _pairs(tiny_pair, tmp_path)
    store = ModelOverrides.beside(tmp_path / "settings.ini")
    store.set(tmp_path / "b.gguf", n_gpu_layers=12)
    page = ModelsPage(
        scan_fn=lambda folders: result,
        pool=InlinePool(),
        overrides=store,
        defaults={"n_gpu_layers": -1, "n_ctx": 0, "kv_type": "f16"},
    )
    qtbot.addWidget(page)
    page.refresh()
    assert not page.override_box.isEnabled()  # nothing selected yet
    page.table.selectRow(0)
    assert page.override_box.isEnabled()
    assert page.gpu_layers.text() == "All" and page.context.text() == "Pick from memory"
    assert "engine settings" in page.override_status.text()
    page.gpu_layers.setValue(20)
    page.context.setValue(16384)
    page.kv_type.setCurrentIndex(page.kv_type.findData("q8_0"))
    with qtbot.waitSignal(page.overrides_saved) as saved:
        page.save_button.click()
    assert saved.args == [str(tmp_path / "a.gguf")]
    assert store.get(tmp_path / "a.gguf") == {"n_gpu_layers": 20, "n_ctx": 16384, "kv_type": "q8_0"}
    # The other model shows its own saved value over the defaults.
    page.table.selectRow(1)
    assert page.gpu_layers.value() == 12 and page.kv_type.currentData() == "f16"
    page.table.selectRow(0)
    assert page.context.value() == 16384
    page.reset_button.click()
    assert store.get(tmp_path / "a.gguf") == {} and page.gpu_layers.value() == -1


def test_without_an_overrides_store_the_editor_stays_off(qtbot, tiny_pair, tmp_path) -> None:
    page = _page(qtbot, _pairs(tiny_pair, tmp_path))
    page.table.selectRow(0)
    assert not page.override_box.isEnabled()
    page.save_button.click()  # does nothing, raises nothing
    assert not (tmp_path / "models.json").exists()


def test_a_folder_added_in_the_assistant_is_listed_by_a_later_page(qtbot, tmp_path) -> None:
    """The reported bug: a model from an added folder ran, yet the page said "0 installed"."""
    from app.models.catalog import load_catalog
    from app.models.discovery import scan
    from app.models.model_folders import ModelFolders
    from app.ui.setup.setup_assistant import SetupAssistant
    from tests.fixtures.pixtral_gguf import write_pixtral_pair
    from tests.ui.setup.test_setup_assistant import FakeDownloader, _report

    own = write_pixtral_pair(tmp_path / "my models")
    settings = tmp_path / "config" / "settings.ini"

    def no_home(folders: list[Path]) -> ScanResult:
        return scan(locations=[], extra_folders=folders)  # the real home stays out of it

    def assistant() -> SetupAssistant:
        widget = SetupAssistant(
            catalog=load_catalog(), probe_fn=_report, scan_fn=no_home,
            downloader=FakeDownloader(), pool=InlinePool(),
            folders=ModelFolders.beside(settings),
        )  # fmt: skip
        qtbot.addWidget(widget)
        widget.start()
        return widget

    first = assistant()
    assert first.pair_list.count() == 0
    first.add_folder(tmp_path / "my models")
    assert first.pair_list.count() == 1
    assert assistant().pair_list.count() == 1  # a new assistant (the next start) remembers it

    page = ModelsPage(scan_fn=no_home, pool=InlinePool(), folders=ModelFolders.beside(settings))
    qtbot.addWidget(page)
    page.resize(760, 420)
    page.refresh()
    assert page.status.text() == "1 installed"
    assert page.pairs[0].key == (str(own.model), str(own.mmproj))
    assert page.table.item(0, 3).text() == f"Folder: {tmp_path / 'my models'}"
    shot = Path(os.environ.get("SHOT_DIR", tmp_path)) / "models_page_added_folder.png"
    assert page.grab().save(str(shot))


def test_a_folder_added_on_the_page_is_remembered(qtbot, tmp_path) -> None:
    from app.models.discovery import scan
    from app.models.model_folders import ModelFolders
    from tests.fixtures.pixtral_gguf import write_pixtral_pair

    write_pixtral_pair(tmp_path / "models")
    store = ModelFolders.beside(tmp_path / "settings.ini")
    page = ModelsPage(
        scan_fn=lambda folders: scan(locations=[], extra_folders=folders),
        pool=InlinePool(),
        folders=store,
    )
    qtbot.addWidget(page)
    page.refresh()
    assert page.status.text() == "0 installed" and page.add_folder_button.text() == "Add folder…"
    page.add_folder(tmp_path / "models")
    assert page.status.text() == "1 installed"
    assert store.folders() == [tmp_path / "models"]


def _remembered(tmp_path: Path) -> tuple[ModelFolders, Path, Path]:
    """A store with three folders: two with a model pair each, one since unplugged."""
    from tests.fixtures.pixtral_gguf import write_pixtral_pair

    store = ModelFolders.beside(tmp_path / "config" / "settings.ini")
    usb, downloads = tmp_path / "usb stick", tmp_path / "Downloads" / "pixtral"
    write_pixtral_pair(usb)
    write_pixtral_pair(downloads)
    for folder in (downloads, usb, tmp_path / "mistyped folder"):
        store.add(folder)
    return store, usb, downloads


def _folder_page(qtbot, store: ModelFolders, always: list[tuple[str, Path]]) -> ModelsPage:
    from app.models.discovery import scan

    page = ModelsPage(
        scan_fn=lambda folders: scan(locations=always, extra_folders=folders),
        pool=InlinePool(),
        folders=store,
        always_fn=lambda: always,
    )
    qtbot.addWidget(page)
    page.resize(820, 640)
    page.refresh()
    return page


def test_remembered_folders_are_listed_and_a_missing_one_marked(qtbot, tmp_path) -> None:
    store, usb, downloads = _remembered(tmp_path)
    page = _folder_page(qtbot, store, [])
    shown = [page.folder_list.list.item(i).text() for i in range(page.folder_list.list.count())]
    assert shown == [str(downloads), str(usb), f"{tmp_path / 'mistyped folder'}  ·  not found"]
    assert page.status.text() == "2 installed"


def test_removing_a_folder_forgets_it_keeps_its_files_and_searches_again(qtbot, tmp_path) -> None:
    store, usb, downloads = _remembered(tmp_path)
    page = _folder_page(qtbot, store, [])
    page.folder_list.list.setCurrentRow(1)
    page.folder_list.remove_button.click()
    assert store.folders() == [downloads, tmp_path / "mistyped folder"]
    assert page.status.text() == "1 installed" and page.pairs[0].model.path.parent == downloads
    assert sorted(p.name for p in usb.iterdir())  # its files are still there
    page.add_folder(usb)  # added again this session, then removed: gone from both lists
    page.remove_folder(usb)
    assert page.status.text() == "1 installed" and usb not in store.folders()


def test_an_always_searched_folder_is_shown_and_kept(qtbot, tmp_path) -> None:
    store, _usb, downloads = _remembered(tmp_path)
    page = _folder_page(qtbot, store, [("Hugging Face cache", downloads)])
    first = page.folder_list.folders[0]
    assert first.always == "Hugging Face cache" and first.path == downloads
    page.folder_list.list.setCurrentRow(0)
    assert not page.folder_list.remove_button.isEnabled()
    assert page.folder_list.list.count() == 3  # listed once, though also remembered


def test_a_removal_that_cannot_be_saved_says_so(qtbot, tmp_path) -> None:
    store, usb, _downloads = _remembered(tmp_path)
    page = _folder_page(qtbot, store, [])
    store.path.with_name(store.path.name + ".tmp").mkdir()  # the write fails, even as root
    page.remove_folder(usb)
    assert page.folder_list.note.text().startswith("Could not save the folder list")
    assert usb in [f.path for f in page.folder_list.folders]  # back, as it still is searched


@pytest.mark.parametrize("appearance", ["light", "dark"])
def test_the_folder_list_renders_in_both_schemes(
    qtbot, unthemed_afterwards, tmp_path, appearance: str
) -> None:
    from app.ui.theme.theme import Theme

    Theme.install(unthemed_afterwards, appearance)
    store, _usb, _downloads = _remembered(tmp_path)
    hub = tmp_path / "huggingface" / "hub"
    hub.mkdir(parents=True)
    page = _folder_page(qtbot, store, [("Hugging Face cache", hub)])
    page.folder_list.list.setCurrentRow(1)  # the missing one unselected, to see it muted
    assert page.folder_list.list.count() == 4
    shot = Path(os.environ.get("SHOT_DIR", tmp_path)) / f"models_page_folders_{appearance}.png"
    assert page.grab().save(str(shot))
