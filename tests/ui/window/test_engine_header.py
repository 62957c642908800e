"""The header says only what is true: which model and where, how loading goes, where messages
go, and a Private box that stays in place; nothing it shows changes its height or wraps."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from app import backends
from app.backends import LA_PLATEFORME, LOCAL, OPENAI_SERVER
from app.engine.base import EngineError, ErrorKind, Loading, LoadStage
from app.models import hardware
from app.settings import Settings
from app.ui.theme.theme import Theme
from app.ui.window.engine_header import LOAD_FAILED, EngineHeader
from app.ui.window.model_control import LOAD_BAR_WIDTH, badge_words

MODEL = "/models/pixtral-12b-Q4_K_M.gguf"


@pytest.fixture(params=["light", "dark"])
def header(qtbot, unthemed_afterwards, request: pytest.FixtureRequest) -> EngineHeader:
    """The header as the app shows it: under the theme's stylesheet, at a narrow width."""
    Theme.install(unthemed_afterwards, request.param)
    shown = EngineHeader()
    qtbot.addWidget(shown)
    shown.resize(900, shown.height())
    shown.show()
    return shown


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


def test_the_model_control_names_the_model_and_where_it_runs(header: EngineHeader) -> None:
    header.show_model(MODEL, "CUDA", loaded=True)
    button = header.model_button
    assert button.name_label.text() == "Pixtral 12B · Q4_K_M"
    assert button.where_label.text() == "Local · CUDA"
    header.show_model(MODEL, "", "≈ 9.1 GB: 7.5 GB on the GPU", loaded=False)
    assert button.where_label.text() == "Local · needs ≈ 9.1 GB"
    assert "Memory: ≈ 9.1 GB: 7.5 GB on the GPU" in button.toolTip()
    header.show_remote(LA_PLATEFORME.target(), "pixtral-large-latest")
    assert button.where_label.text() == "La Plateforme"
    assert button.name_label.text() == "pixtral-large-latest"


def test_loading_replaces_the_control_on_one_line_without_moving_the_header(
    header: EngineHeader, qtbot
) -> None:
    height = header.height()
    header.show_model(MODEL, "", loaded=False)
    header.show_loading(Loading(LoadStage.STARTING, 0.0))
    bar = header.load_bar
    assert bar.isVisible() and not header.model_button.isVisible()
    assert bar.format() == "Loading the model… 0%"
    header.show_loading(Loading(LoadStage.MMPROJ, 0.5))
    assert bar.format() == "Loading the vision encoder… 50%" and bar.value() == 50
    # Longer words than the bar holds are elided on its one line, whole in the tooltip.
    words = "Loading the model from a folder with a very long name indeed, " * 3
    bar.set_progress(words, 70)
    qtbot.wait(10)
    assert "…" in bar.format() and bar.toolTip() == f"{words} 70%"
    assert bar.fontMetrics().horizontalAdvance(bar.format()) <= LOAD_BAR_WIDTH
    assert bar.width() == LOAD_BAR_WIDTH and header.height() == height
    header.show_loaded()
    assert not bar.isVisible() and header.model_button.isVisible()
    assert header.height() == height


def test_a_failure_says_so_briefly_and_shows_the_details(
    header: EngineHeader, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    height = header.height()
    header.show_model(MODEL, "", loaded=False)
    header.show_loading(Loading(LoadStage.MODEL, 0.3))
    error = EngineError(ErrorKind.MODEL_FILE, "The mmproj is not Pixtral's.", detail="log tail")
    header.show_failure(error, LOCAL.kind, MODEL)
    assert header.model_button.isVisible() and not header.load_bar.isVisible()
    assert header.details_button.isVisible() and LOAD_FAILED in header.summary()
    assert header.model_button.where_label.text() == "could not load"
    assert header.height() == height
    shown: list[tuple[str, str]] = []

    def close_box() -> None:
        from PySide6.QtWidgets import QApplication, QMessageBox

        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        shown.append((box.text(), box.detailedText()))
        box.reject()

    QTimer.singleShot(0, close_box)
    header.details_button.click()
    assert shown == [("The mmproj is not Pixtral's.", "log tail")]
    header.show_loading(Loading(LoadStage.STARTING, 0.0))  # trying again clears the note
    assert not header.details_button.isVisibleTo(header)


def test_the_badge_says_where_messages_go_at_one_size(header: EngineHeader) -> None:
    badge = header.badge
    width = badge.width()
    assert badge_words(LOCAL.target())[0] == "Local — nothing leaves this computer"
    assert badge.text() == "Local — nothing leaves this computer"
    badge.show_target(LA_PLATEFORME.target())
    assert badge.text() == "Sent to La Plateforme"
    assert "La Plateforme (Mistral servers)" in badge.toolTip()
    badge.show_target(OPENAI_SERVER.target("http://gpu-box:8000/v1"))
    assert badge.text() == "Sent to gpu-box:8000"
    long_host = "http://" + "a-very-long-server-name." * 4 + "example.org:8000/v1"
    badge.show_target(OPENAI_SERVER.target(long_host))
    assert "…" in badge.text() and "example.org:8000" in badge.toolTip()
    assert badge.width() == width


def test_the_model_control_opens_from_the_keyboard(header: EngineHeader, qtbot) -> None:
    header.show_model(MODEL, "CUDA", loaded=True)
    button = header.model_button
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert button.accessibleName() and "Pixtral 12B" in button.toolTip()
    opened: list[bool] = []

    def look_and_close() -> None:
        opened.append(header.model_menu.isVisible())
        header.model_menu.close()

    for count, key in enumerate((Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space), 1):
        QTimer.singleShot(50, look_and_close)
        button.setFocus()
        QTest.keyClick(button, key)
        qtbot.waitUntil(lambda: len(opened) == count, timeout=2000)  # noqa: B023 (waited here)
    assert opened == [True, True, True]


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
