"""Dialog parts: a destructive confirmation answers Enter and Escape with the safe choice;
sections show their heading and description; the combo arrow the stylesheet names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.ui.theme.dialog_parts import Section, confirm_destructive
from app.ui.theme.stylesheet import build_stylesheet
from app.ui.theme.tokens import Scheme


def _answer_with(key: Qt.Key, seen: list[str]) -> None:
    def press() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, press)
            return
        seen.append(box.defaultButton().text())
        QTest.keyClick(box, key)

    QTimer.singleShot(0, press)


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Escape])
def test_enter_and_escape_cancel_a_destructive_confirmation(qtbot, key: Qt.Key) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: list[str] = []
    _answer_with(key, seen)
    assert confirm_destructive(parent, "Delete model", "Delete a.gguf?", "Delete") is False
    assert seen == ["Cancel"]


def test_a_section_shows_its_heading_and_description(qtbot) -> None:
    section = Section("Performance", "How the model uses memory.")
    qtbot.addWidget(section)
    assert section.heading.text() == "Performance" and section.accessibleName() == "Performance"
    assert not section.description.isHidden()
    assert Section("Alone").description.isHidden()  # no empty line under a bare heading


@pytest.mark.parametrize("scheme", list(Scheme))
def test_the_combo_arrow_the_dialog_block_names_exists(scheme: Scheme) -> None:
    sheet = build_stylesheet(scheme)
    paths = re.findall(r"image: url\(([^)]+)\)", sheet)
    assert any(f"caret-down-{scheme.value}.png" in path for path in paths)
    for path in paths:
        assert Path(path).is_file(), path  # a missing file shows no arrow, silently


def test_a_spin_box_s_number_starts_where_other_fields_text_does(qtbot, app) -> None:
    """Qt's stylesheet padding does not reach a spin box's text; ``add_row`` sets it."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QLineEdit, QSpinBox

    from app.ui.theme.theme import Theme

    Theme.install(app, "light")
    section = Section("Performance")
    qtbot.addWidget(section)
    spin, line = QSpinBox(), QLineEdit("512")
    spin.setRange(0, 1000)
    spin.setValue(512)
    section.add_row("Prompt batch", spin)
    section.add_row("Name", line)
    section.resize(400, 160)
    section.show()
    qtbot.waitExposed(section)

    def text_x(edit: QLineEdit) -> int:
        edit.setCursorPosition(0)
        return edit.mapTo(section, QPoint(edit.cursorRect().center().x(), 0)).x()

    assert abs(text_x(spin.lineEdit()) - text_x(line)) <= 3


def test_a_status_note_takes_no_room_until_it_has_something_to_say(qtbot) -> None:
    from PySide6.QtWidgets import QVBoxLayout

    from app.ui.theme.dialog_parts import StatusNote

    page = QWidget()
    qtbot.addWidget(page)
    note = StatusNote()
    QVBoxLayout(page).addWidget(note)
    page.show()
    qtbot.waitExposed(page)
    assert not note.isVisible()
    note.setText("Asking La Plateforme…")
    assert note.isVisible()
    note.setText("")
    assert not note.isVisible()
