"""The image cards in the composer: a long file name is elided to the card, never clipped."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from app.ui.composer.composer import Composer

WAIT_MS = 10_000


def test_a_long_name_is_elided_in_the_middle_and_named_in_full_elsewhere(
    qtbot, composer: Composer, image_file
) -> None:
    long_name = "settings-of-the-mail-client-after-the-update.png"
    composer.add_files([image_file(64, 48, long_name)])
    ready = lambda: composer.images.all_ready and composer.images.rowCount() == 1  # noqa: E731
    qtbot.waitUntil(ready, timeout=WAIT_MS)
    QApplication.processEvents()  # the card's layout settles
    card = composer.strip.card(0)
    shown = card.name_label.text()
    assert shown != long_name and "…" in shown
    assert shown.endswith(".png")  # the middle goes: the type stays readable
    # What is drawn fits the room the layout gave the label (else the end is cut off).
    assert card.name_label.fontMetrics().horizontalAdvance(shown) <= card.name_label.width()
    assert card.cost_label.x() >= card.name_label.geometry().right()
    assert long_name in card.accessibleName() and long_name in card.remove_button.toolTip()
