"""The header says only what is true: where the model runs, how loading goes, and a Private
box that stays in place."""

from __future__ import annotations

import pytest

from app import backends
from app.engine.base import Loading, LoadStage
from app.models import hardware
from app.settings import Settings
from app.ui.window.engine_header import LOAD_BAR_WIDTH, EngineHeader


@pytest.mark.parametrize("gpu", [False, True])
def test_the_memory_needed_names_the_gpu_only_where_there_is_one(
    tiny_pair, monkeypatch: pytest.MonkeyPatch, gpu: bool
) -> None:
    monkeypatch.setattr(hardware, "gpu_usable", lambda: gpu)
    values = dict(Settings(tiny_pair.model.parent / "header-settings.ini").items())
    values.update(model=str(tiny_pair.model), mmproj=str(tiny_pair.mmproj), n_ctx=2048)
    backend = backends.make_backend(values)
    try:
        memory = backends.memory_estimate(backend)
    finally:
        backend.close()
    assert memory.startswith("≈")
    assert ("on the GPU" in memory) is gpu


def test_loading_says_what_it_loads_on_one_line(qtbot) -> None:
    header = EngineHeader()
    qtbot.addWidget(header)
    header.resize(900, 40)
    header.show()
    header.show_loading(Loading(LoadStage.STARTING, 0.0))
    bar = header.load_bar
    assert bar.isVisible() and bar.format() == "Loading the model… 0%"
    assert bar.fontMetrics().horizontalAdvance(bar.format()) <= LOAD_BAR_WIDTH
    assert bar.height() < 2 * bar.fontMetrics().height() + 8  # one line, not two
    header.show_loading(Loading(LoadStage.MMPROJ, 0.5))
    assert bar.format() == "Loading the vision encoder… 50%" and bar.value() == 50
    header.show_loaded()
    assert not bar.isVisible()


def test_the_private_box_stays_in_place_and_says_why_it_is_off(qtbot) -> None:
    header = EngineHeader()
    qtbot.addWidget(header)
    header.resize(900, 40)
    header.show()
    header.show_private(None)
    qtbot.wait(10)
    box = header.private_box
    where = box.geometry()
    assert box.isVisible() and not box.isEnabled()
    assert "conversation" in box.toolTip()
    header.show_private(True)
    qtbot.wait(10)
    assert box.isEnabled() and box.isChecked() and box.geometry() == where
    assert "never leaves this computer" in box.toolTip()
    header.show_private(None)
    assert not box.isEnabled() and not box.isChecked()
