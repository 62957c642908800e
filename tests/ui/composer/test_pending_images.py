"""The pending image strip: off-thread preparation, costs, detail, remove, reorder, viewer."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QMimeData, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from app.core.images import Detail, prepare_image
from app.ui.composer.pending_images import ImageSource, PendingImagesModel, image_pool
from app.ui.composer.pending_strip import CARD_MIME, PendingImagesStrip
from tests.ui.drops import drop_event

WAIT_MS = 10_000


def tab_order(start: QWidget, count: int) -> list[QWidget]:
    """The widgets Tab visits from ``start``, as Qt picks them: the focus chain, tabbable only."""
    order, widget = [start], start
    while len(order) <= count:
        widget = widget.nextInFocusChain()
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisibleTo(start.window()):
            order.append(widget)
    return order


@pytest.fixture
def strip(qtbot) -> PendingImagesStrip:
    model = PendingImagesModel()
    view = PendingImagesStrip(model)
    qtbot.addWidget(view)
    view.resize(700, view.sizeHint().height())
    view.show()
    return view


def _add(qtbot, model: PendingImagesModel, paths: list[Path]) -> None:
    model.add(ImageSource(p, p.name) for p in paths)
    qtbot.waitUntil(lambda: model.all_ready, timeout=WAIT_MS)


def _names(model: PendingImagesModel) -> list[str]:
    return [item.name for item in model.items()]


def test_images_show_at_once_as_placeholders_and_fill_in_off_the_gui_thread(
    qtbot, strip: PendingImagesStrip, image_file
) -> None:
    model = strip.model
    paths = [image_file(1024, 1024, "a.png"), image_file(300, 200, "b.png")]
    model.add(ImageSource(p, p.name) for p in paths)
    assert model.rowCount() == 2 and model.preparing == 2  # nothing decoded yet
    assert strip.card(0).cost_label.text() == "… tok"
    qtbot.waitUntil(lambda: model.all_ready, timeout=WAIT_MS)
    expected = [prepare_image(p).tokens for p in paths]
    assert [item.tokens for item in model.items()] == expected == [4160, 13 * 20]
    assert strip.card(0).cost_label.text() == "4,160 tok"
    assert model.total_tokens == sum(expected)
    assert all(item.thumbnail is not None for item in model.items())
    assert strip.card(1).picture.pixmap() is not None
    assert [img.name for img in model.images()] == ["a.png", "b.png"]


def test_a_non_image_and_a_broken_file_are_refused_by_name(
    qtbot, strip: PendingImagesStrip, image_file, tmp_path: Path
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    broken = image_file(400, 300, "broken.png")
    broken.write_bytes(broken.read_bytes()[:60])
    good = image_file(64, 64, "good.png")
    refused: list[str] = []
    strip.model.image_refused.connect(refused.append)
    strip.model.add(ImageSource(p, p.name) for p in (text, good, broken))
    qtbot.waitUntil(lambda: len(refused) == 2 and strip.model.all_ready, timeout=WAIT_MS)
    assert _names(strip.model) == ["good.png"]
    assert any("notes.txt" in m for m in refused)
    assert any("broken.png" in m for m in refused)


def test_changing_the_detail_reprepares_and_updates_the_cost(
    qtbot, strip: PendingImagesStrip, image_file
) -> None:
    model = strip.model
    _add(qtbot, model, [image_file(1024, 768, "shot.png")])
    assert model.item(0).tokens == 48 * 65
    card = strip.card(0)
    medium = card.detail_box.findText("Medium")
    card.detail_box.setCurrentIndex(medium)
    card.detail_box.activated.emit(medium)  # what a user's pick in the popup emits
    assert model.item(0).tokens == 24 * 33  # arithmetic: updated before the decode finishes
    assert not model.all_ready
    qtbot.waitUntil(lambda: model.all_ready, timeout=WAIT_MS)
    prepared = model.images()[0]
    assert prepared.detail is Detail.MEDIUM and prepared.size == (512, 384)
    assert card.cost_label.text() == "792 tok"


def test_a_stale_preparation_is_dropped(qtbot, strip: PendingImagesStrip, image_file) -> None:
    model = strip.model
    _add(qtbot, model, [image_file(800, 800, "x.png")])
    model.set_detail(0, "low")
    model.set_detail(0, "high")
    qtbot.waitUntil(lambda: model.all_ready, timeout=WAIT_MS)
    # Every preparation has run and its result has been delivered (no guessed wait): the "low"
    # job's result, which may land last, must not win.
    assert image_pool().waitForDone(WAIT_MS)
    QCoreApplication.processEvents()
    assert model.images()[0].detail is Detail.HIGH


def test_remove_by_button_and_by_delete_key(qtbot, strip: PendingImagesStrip, image_file) -> None:
    model = strip.model
    _add(qtbot, model, [image_file(32, 32, f"{n}.png") for n in "abc"])
    qtbot.mouseClick(strip.card(1).remove_button, Qt.MouseButton.LeftButton)
    assert _names(model) == ["a.png", "c.png"]
    strip.card(0).setFocus()
    qtbot.keyClick(strip.card(0), Qt.Key.Key_Delete)
    assert _names(model) == ["c.png"]


def test_reorder_by_keyboard_and_by_drag(qtbot, strip: PendingImagesStrip, image_file) -> None:
    model = strip.model
    _add(qtbot, model, [image_file(32, 32, f"{n}.png") for n in "abc"])
    strip.card(0).setFocus()
    qtbot.keyClick(strip.card(0), Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert _names(model) == ["b.png", "a.png", "c.png"]
    assert strip.card(1).hasFocus()  # focus follows the moved card
    strip.card(2).setFocus()
    qtbot.keyClick(strip.card(2), Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert _names(model) == ["b.png", "c.png", "a.png"]
    qtbot.waitUntil(lambda: strip.card(2).geometry().x() > strip.card(1).geometry().x())
    # Drag "a" (last) and drop it left of the first card's centre.
    mime = QMimeData()
    mime.setData(CARD_MIME, str(model.item(2).key).encode())
    left = strip.widget().mapTo(strip, strip.card(0).geometry().topLeft())
    strip.dropEvent(drop_event(mime, QPointF(left.x() + 2, left.y() + 5), Qt.DropAction.MoveAction))
    assert _names(model) == ["a.png", "b.png", "c.png"]


def test_clicking_a_thumbnail_opens_the_prepared_image_large(
    qtbot, strip: PendingImagesStrip, image_file
) -> None:
    _add(qtbot, strip.model, [image_file(2000, 1000, "wide.png")])
    card = strip.card(0)
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton, pos=card.picture.geometry().center())
    viewer = strip.viewer
    assert viewer is not None and viewer.isVisible()
    assert "wide.png" in viewer.caption.text()
    assert "2000×1000" in viewer.caption.text() and "1024×512" in viewer.caption.text()
    viewer.close()
    qtbot.keyClick(card, Qt.Key.Key_Return)
    assert strip.viewer is not viewer and strip.viewer.isVisible()
    strip.viewer.close()


def test_an_in_memory_image_is_encoded_off_thread_and_kept_as_bytes(
    qtbot, strip: PendingImagesStrip
) -> None:
    image = QImage(320, 240, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkCyan)
    strip.model.add([ImageSource(image, "pasted image")])
    qtbot.waitUntil(lambda: strip.model.all_ready, timeout=WAIT_MS)
    source = strip.model.sources()[0]
    assert isinstance(source.data, bytes) and source.data.startswith(b"\x89PNG")
    assert strip.model.item(0).tokens == 15 * 21


def test_every_card_control_is_named_tipped_and_tabbable(
    qtbot, strip: PendingImagesStrip, image_file
) -> None:
    _add(qtbot, strip.model, [image_file(32, 32, "a.png"), image_file(32, 32, "b.png")])
    for row in range(2):
        card = strip.card(row)
        for widget in (card, card.detail_box, card.remove_button):
            assert widget.accessibleName(), widget
            assert widget.toolTip(), widget
            assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus
    first, second = strip.card(0), strip.card(1)
    assert tab_order(first, 4) == [
        first,
        first.detail_box,
        first.remove_button,
        second,
        second.detail_box,
    ]
    assert not strip.isHidden()
    strip.model.clear()
    assert strip.isHidden()


@pytest.mark.parametrize("appearance", [None, "light", "dark"])
def test_a_card_shows_its_whole_detail_choice_and_an_icon_to_remove_it(
    qtbot, unthemed_afterwards, strip: PendingImagesStrip, image_file, appearance: str | None
) -> None:
    if appearance is not None:  # the app stylesheet's paddings must leave room too
        from app.ui.theme.theme import Theme

        Theme.install(unthemed_afterwards, appearance)
    _add(qtbot, strip.model, [image_file(1600, 1200, "a-long-screenshot-name.png")])
    card = strip.card(0)
    qtbot.waitUntil(lambda: card.detail_box.width() > 0)
    assert card.detail_box.currentText() == "Native"
    assert card.detail_box.width() >= card.detail_box.sizeHint().width()  # not clipped
    assert card.geometry().contains(card.detail_box.geometry().translated(card.pos()))
    remove = card.remove_button
    assert not remove.icon().isNull() and not remove.text().strip("×")
    assert remove.accessibleName() == "Remove a-long-screenshot-name.png"


def test_the_strip_keeps_room_for_its_scroll_bar_only_while_cards_overflow(
    qtbot, strip: PendingImagesStrip, image_file
) -> None:
    _add(qtbot, strip.model, [image_file(32, 32, "a.png")])
    one_row = strip.height()
    assert one_row <= strip.card(0).height() + PendingImagesStrip.ROW_SLACK
    _add(qtbot, strip.model, [image_file(32, 32, f"more{i}.png") for i in range(8)])
    qtbot.waitUntil(lambda: strip.horizontalScrollBar().maximum() > 0, timeout=WAIT_MS)
    assert strip.height() > one_row  # the bar does not cover the cards
    strip.resize(4000, strip.height())
    qtbot.waitUntil(lambda: strip.height() == one_row)


def test_a_big_drop_hands_the_pool_one_job_more_than_its_threads_at_a_time(
    qtbot, image_file
) -> None:
    model = PendingImagesModel()
    paths = [image_file(64 + i, 48) for i in range(8)]
    handed: list[int] = []
    submit = model._submit
    model._submit = lambda *args: (handed.append(model._running), submit(*args))
    model.add(ImageSource(p, p.name) for p in paths)
    model.set_detail(7, "low")  # re-detailed before it started: prepared once, at low
    qtbot.waitUntil(lambda: model.all_ready, timeout=WAIT_MS)
    assert max(handed) <= image_pool().maxThreadCount()  # running before each hand-over
    assert len(handed) == len(paths)
    assert model.item(7).detail is Detail.LOW
