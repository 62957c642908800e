"""The first-run assistant, offscreen, with fake probe/scan/downloader."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QThreadPool

from app.core.budget import GIB
from app.core.model_files import inspect_mmproj, inspect_text_model
from app.models.catalog import load_catalog
from app.models.discovery import ModelPair, ScanResult
from app.models.download import DownloadError, Progress
from app.models.hardware import CUDA_REINSTALL, GpuInfo, HardwareReport
from app.ui.setup.setup_assistant import SetupAssistant


class InlinePool(QThreadPool):
    """Runs background work at once, on the calling thread (Picard's trick)."""

    def start(self, runnable, priority: int = 0) -> None:  # type: ignore[override]
        runnable.run()


class FakeDownloader:
    def __init__(self, result: tuple[Path, Path] | None = None) -> None:
        self.result = result
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def download_pair(self, quant, progress):
        progress(Progress(quant.model.filename, 3 * GIB, 7 * GIB, 50e6, 1, 2))
        if self.result is None:
            raise DownloadError("network", "The connection was lost; it will resume.")
        return self.result


def _report(gpu: bool = True, cuda: bool = True) -> HardwareReport:
    gpus = (GpuInfo("NVIDIA RTX 4070", 12 * GIB, 11 * GIB, "nvidia"),) if gpu else ()
    backends = ("CUDA", "CPU") if cuda else ("CPU",)
    return HardwareReport(backends, cuda, gpus, 32 * GIB, 24 * GIB, 200 * GIB, Path("/home"))


def _scan(tiny_pair) -> ScanResult:
    text, proj = inspect_text_model(tiny_pair.model), inspect_mmproj(tiny_pair.mmproj)
    return ScanResult(pairs=[ModelPair(text, proj, "Hugging Face cache", "Q4_K_M")])


def _assistant(qtbot, tiny_pair, report=None, downloader=None) -> SetupAssistant:
    widget = SetupAssistant(
        catalog=load_catalog(),
        probe_fn=lambda: report or _report(),
        scan_fn=lambda folders: _scan(tiny_pair),
        downloader=downloader or FakeDownloader(),
        pool=InlinePool(),
    )
    qtbot.addWidget(widget)
    widget.resize(760, 620)
    widget.start()
    return widget


def test_a_found_pair_is_listed_and_chosen(qtbot, tiny_pair, tmp_path: Path) -> None:
    widget = _assistant(qtbot, tiny_pair)
    assert widget.pair_list.count() == 1 and "Found 1 Pixtral model." in widget.scan_status.text()
    with qtbot.waitSignal(widget.model_chosen) as chosen:
        widget.use_button.click()
    assert chosen.args == [str(tiny_pair.model), str(tiny_pair.mmproj)]
    assert widget.grab().save(str(Path(os.environ.get("SHOT_DIR", tmp_path)) / "setup.png"))


def test_the_recommendation_and_its_memory_estimate_show_before_download(qtbot, tiny_pair) -> None:
    widget = _assistant(qtbot, tiny_pair)
    text = widget.recommend_label.text()
    assert "Q4_K_M" in text and "Memory needed: ≈" in text and "GiB on the GPU" in text
    assert widget.download_button.isEnabled()
    assert "NVIDIA RTX 4070" in widget.hardware_label.text()


def test_a_gpu_the_build_cannot_use_is_explained(qtbot, tiny_pair) -> None:
    widget = _assistant(qtbot, tiny_pair, report=_report(gpu=True, cuda=False))
    assert CUDA_REINSTALL in widget.hardware_label.text()


def test_download_reports_progress_and_ends_in_model_chosen(qtbot, tiny_pair) -> None:
    paths = (tiny_pair.model, tiny_pair.mmproj)
    widget = _assistant(qtbot, tiny_pair, downloader=FakeDownloader(paths))
    with qtbot.waitSignal(widget.model_chosen) as chosen:
        widget.download_button.click()
    qtbot.waitUntil(lambda: widget.progress.value() > 0)
    assert chosen.args == [str(paths[0]), str(paths[1])]


def test_a_failed_download_offers_to_resume(qtbot, tiny_pair, tmp_path: Path) -> None:
    widget = _assistant(qtbot, tiny_pair, downloader=FakeDownloader(None))
    widget.show()
    assert not widget.download_status.isVisible()  # no empty line before it has news
    widget.download_button.click()
    qtbot.waitUntil(lambda: "resume" in widget.download_status.text())
    assert widget.download_status.isVisible()
    assert widget.download_button.text() == "Resume download"
    assert widget.download_button.isEnabled()
    qtbot.waitUntil(  # laid out again for its longer words, not clipped
        lambda: widget.download_button.width() >= widget.download_button.sizeHint().width()
    )
    widget.grab().save(str(Path(os.environ.get("SHOT_DIR", tmp_path)) / "setup-resume.png"))


def test_one_primary_action_using_what_was_found_else_downloading(qtbot, tiny_pair) -> None:
    widget = _assistant(qtbot, tiny_pair)
    widget.show()
    qtbot.waitExposed(widget)
    assert widget.use_button.property("primary") and not widget.download_button.property("primary")
    assert widget.download_button.width() < widget.width() // 3  # as wide as its words
    widget._on_scan_done(ScanResult())
    assert widget.download_button.property("primary")


def test_each_remote_backend_has_its_button(qtbot, tiny_pair) -> None:
    """One button per remote backend in the registry, in its order, naming its kind."""
    from app.backends import BACKENDS

    widget = _assistant(qtbot, tiny_pair)
    remote = [spec for spec in BACKENDS if spec.remote]
    assert list(widget.remote_buttons) == [spec.kind for spec in remote]
    for spec in remote:
        button = widget.remote_buttons[spec.kind]
        assert button.text() == spec.setup_action
        with qtbot.waitSignal(widget.backend_requested) as requested:
            button.click()
        assert requested.args == [spec.kind]


def test_a_look_alike_and_skipped_entries_are_explained(qtbot, tmp_path: Path) -> None:
    """A Mistral Small pair is not offered, and the user reads why; so are skipped entries."""
    from app.models.discovery import scan
    from tests.fixtures.pixtral_gguf import TINY, write_pixtral_pair

    write_pixtral_pair(tmp_path / "small", TINY, variant="mistral-small")
    (tmp_path / "loop.gguf").symlink_to(tmp_path / "loop.gguf")
    widget = SetupAssistant(
        catalog=load_catalog(),
        probe_fn=_report,
        scan_fn=lambda folders: scan(locations=[], extra_folders=[tmp_path]),
        downloader=FakeDownloader(),
        pool=InlinePool(),
    )
    qtbot.addWidget(widget)
    widget.start()
    shown = widget.scan_status.text()
    assert widget.pair_list.count() == 0
    assert "No Pixtral model" in shown
    assert "Not offered:" in shown and "Mistral Small" in shown
    assert "Skipped 1 entry" in shown


def test_the_search_status_uses_the_room_beside_the_buttons(qtbot, tiny_pair) -> None:
    """A one-line status must not wrap into a narrow column next to the buttons."""
    widget = _assistant(qtbot, tiny_pair)
    widget.show()
    qtbot.waitExposed(widget)
    status = widget.scan_status
    assert status.width() > 300
    assert status.heightForWidth(status.width()) <= status.fontMetrics().lineSpacing() + 4


def test_the_found_list_is_sized_to_its_pairs_and_absent_when_none(qtbot, tiny_pair) -> None:
    """No empty box when nothing was found (it reads as a failure); one row when one was."""
    widget = _assistant(qtbot, tiny_pair)
    widget.show()
    qtbot.waitExposed(widget)
    listed = widget.pair_list
    assert listed.isVisible() and widget.use_button.isVisible()
    assert listed.height() < 3 * listed.sizeHintForRow(0)
    widget._on_scan_done(ScanResult())
    assert not listed.isVisible() and not widget.use_button.isVisible()
    assert "No Pixtral model" in widget.scan_status.text()
