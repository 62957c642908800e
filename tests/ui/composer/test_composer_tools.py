"""The card's tools: one attach button whose menu holds every way in, and Presets."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QToolButton

from app.ui.composer.composer import Composer
from app.ui.composer.screen_capture import CaptureMode
from tests.ui.composer.test_composer import WAIT_MS


def test_the_attach_button_is_one_named_icon_opening_every_way_in(composer: Composer) -> None:
    tools = composer.tools
    button = tools.attach_button
    assert button.menu() is tools.attach_menu
    assert button.popupMode() is QToolButton.ToolButtonPopupMode.InstantPopup
    assert button.toolButtonStyle() is Qt.ToolButtonStyle.ToolButtonIconOnly
    assert not button.icon().isNull() and button.accessibleName() and button.toolTip()
    titles = [a.text() for a in tools.attach_menu.actions() if not a.isSeparator()]
    assert titles == ["Add images…", "Attach PDF…", "Capture screen", "Capture region…"]
    assert all(not a.icon().isNull() for a in tools.attach_menu.actions() if not a.isSeparator())


def test_add_images_from_the_menu_runs_the_file_picker(
    qtbot, composer: Composer, image_file, monkeypatch
) -> None:
    png = image_file(40, 30, "picked.png")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(png)], ""))
    composer.tools.images_action.trigger()
    qtbot.waitUntil(lambda: composer.images.rowCount() == 1, timeout=WAIT_MS)
    assert composer.images.item(0).name == "picked.png"


def test_attach_pdf_from_the_menu_asks_the_window_for_the_page_picker(
    qtbot, composer: Composer
) -> None:
    with qtbot.waitSignal(composer.document_requested, timeout=WAIT_MS):
        composer.tools.document_action.trigger()


def test_the_capture_entries_ask_the_window_and_keep_their_shortcut(composer: Composer) -> None:
    asked: list[str] = []
    composer.tools.capture_requested.connect(asked.append)
    whole = composer.tools.capture_actions[CaptureMode.SCREEN]
    region = composer.tools.capture_actions[CaptureMode.REGION]
    whole.trigger()
    region.trigger()
    assert asked == ["screen", "region"]
    assert region.shortcut().toString() == "Ctrl+Shift+S"  # shown beside it in the menu
    assert region in composer.tools.attach_menu.actions()
    assert region in composer.actions()  # works with the menu closed


def test_presets_is_a_quiet_tool_with_its_menu(composer: Composer) -> None:
    button = composer.tools.presets_button
    assert button.menu() is composer.tools.presets_menu
    assert button.text() == "Presets" and not button.icon().isNull()
    assert button.property("composerTool") is True
    assert composer.make_html_button.property("composerTool") is True
    assert not composer.make_html_button.icon().isNull()
