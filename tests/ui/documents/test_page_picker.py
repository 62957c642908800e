"""The page picker: opens off the GUI thread, prices pages, asks for passwords, builds parts."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QInputDialog

from app.core.conversation import TextPart
from app.core.images import Detail
from app.ui.documents.page_picker import PagePickerDialog
from tests.workflows.pdf_factory import ScannedPage, TextPage, write_broken, write_pdf

WAIT_MS = 10_000
BUDGET = 32_000


def _text_pdf(tmp_path: Path, name: str = "report.pdf", password: str | None = None) -> Path:
    pages = [TextPage([f"Page {n} says hello.", "A second line of prose."]) for n in (1, 2, 3)]
    return write_pdf(tmp_path / name, pages, user_password=password)


def _picker(qtbot, path: Path, budget: int = BUDGET) -> PagePickerDialog:
    dialog = PagePickerDialog(path, budget)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _wait_ready(qtbot, dialog: PagePickerDialog) -> None:
    qtbot.waitUntil(lambda: dialog.ready, timeout=WAIT_MS)


def test_text_pdf_lists_every_page_with_the_default_selection_ticked(qtbot, tmp_path) -> None:
    dialog = _picker(qtbot, _text_pdf(tmp_path))
    assert not dialog.ready  # opening happens off the GUI thread
    _wait_ready(qtbot, dialog)
    assert dialog.page_list.count() == 3
    first = dialog.page_list.item(0).text()
    assert first.startswith("p. 1 — ") and "tok (image)" in first and "tok (text)" in first
    assert dialog.selected_pages() == [1, 2, 3]
    assert "all 3 pages" in dialog.reason_label.text()
    assert dialog.ok_button.isEnabled()
    # Thumbnails arrive one by one from the document thread.
    qtbot.waitUntil(
        lambda: all(not dialog.page_list.item(r).icon().isNull() for r in range(3)),
        timeout=WAIT_MS,
    )


def test_unticking_a_page_lowers_the_total(qtbot, tmp_path) -> None:
    dialog = _picker(qtbot, _text_pdf(tmp_path))
    _wait_ready(qtbot, dialog)
    before = dialog.total_tokens()
    label_before = dialog.total_label.text()
    dialog.page_list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert dialog.selected_pages() == [1, 3]
    assert 0 < dialog.total_tokens() < before
    assert dialog.total_label.text() != label_before and "2 pages" in dialog.total_label.text()
    dialog.page_list.item(0).setCheckState(Qt.CheckState.Unchecked)
    dialog.page_list.item(2).setCheckState(Qt.CheckState.Unchecked)
    assert dialog.total_tokens() == 0 and not dialog.ok_button.isEnabled()


def test_switching_detail_recomputes_image_costs_and_text_layer_toggle_changes_total(
    qtbot, tmp_path
) -> None:
    path = write_pdf(tmp_path / "scan.pdf", [ScannedPage(), TextPage(["Short text."])])
    dialog = _picker(qtbot, path)
    _wait_ready(qtbot, dialog)
    native = dialog.page_list.item(0).text()
    assert "no text layer" in native
    native_total = dialog.total_tokens()
    with qtbot.waitSignal(dialog.costs_ready, timeout=WAIT_MS):
        dialog.detail_combo.setCurrentIndex(dialog.detail_combo.findData(Detail.LOW))
    assert dialog.detail() is Detail.LOW
    assert dialog.page_list.item(0).text() != native
    assert dialog.total_tokens() < native_total
    low_total = dialog.total_tokens()
    with qtbot.waitSignal(dialog.costs_ready, timeout=WAIT_MS):
        dialog.use_text_check.setChecked(False)  # page 2 now goes as pixels too
    assert dialog.total_tokens() > low_total


def test_encrypted_pdf_asks_for_the_password_until_it_is_right(
    qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([("wrong", True), ("secret", True)])
    prompts: list[str] = []

    def fake_get_text(_parent, _title, label, *_args, **_kwargs):
        prompts.append(label)
        return next(answers)

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(fake_get_text))
    dialog = _picker(qtbot, _text_pdf(tmp_path, "locked.pdf", password="secret"))
    _wait_ready(qtbot, dialog)
    assert len(prompts) == 2
    assert "protected by a password" in prompts[0] and "not correct" in prompts[1]
    assert dialog.page_list.count() == 3


def test_cancelling_the_password_leaves_only_close(
    qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *_a, **_k: ("", False)))
    dialog = _picker(qtbot, _text_pdf(tmp_path, "locked.pdf", password="secret"))
    with qtbot.waitSignal(dialog.failed, timeout=WAIT_MS):
        pass
    assert "needs its password" in dialog.status_label.text()
    assert dialog.ok_button.isHidden() and dialog.cancel_button.text() == "Close"


def test_broken_pdf_shows_the_message_and_can_only_be_closed(qtbot, tmp_path) -> None:
    dialog = _picker(qtbot, write_broken(tmp_path / "cut.pdf"))
    with qtbot.waitSignal(dialog.failed, timeout=WAIT_MS) as blocker:
        pass
    assert "cut.pdf" in blocker.args[0]
    assert dialog.status_label.text() == blocker.args[0]
    assert dialog.body.isHidden() and dialog.ok_button.isHidden()
    dialog.cancel_button.click()
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_ok_builds_the_parts_before_accepting(qtbot, tmp_path) -> None:
    dialog = _picker(qtbot, _text_pdf(tmp_path))
    _wait_ready(qtbot, dialog)
    dialog.page_list.item(2).setCheckState(Qt.CheckState.Unchecked)
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        dialog.ok_button.click()
    assert dialog.selected_pages() == [1, 2]
    parts = dialog.selected_parts()
    text = "".join(p.text for p in parts if isinstance(p, TextPart))
    assert "p. 1" in text and "Page 1 says hello." in text and "Page 3" not in text


def test_enter_attaches_the_chosen_pages(qtbot, tmp_path) -> None:
    from PySide6.QtTest import QTest

    dialog = _picker(qtbot, _text_pdf(tmp_path))
    _wait_ready(qtbot, dialog)
    assert dialog.ok_button.isDefault() and not dialog.cancel_button.isDefault()
    assert dialog.ok_button.text() == "Attach"
    assert dialog.focusWidget() is dialog.page_list
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.selected_parts()


def test_opened_when_ready_it_shows_only_once_the_pages_are_listed(qtbot, tmp_path) -> None:
    dialog = PagePickerDialog(_text_pdf(tmp_path), BUDGET)
    qtbot.addWidget(dialog)
    dialog.open_when_ready()
    assert not dialog.isVisible()  # opening happens off the GUI thread, unseen
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    assert dialog.ready and dialog.page_list.count() == 3 and dialog.isModal()


def test_a_broken_pdf_opened_when_ready_is_refused_without_a_dialog(qtbot, tmp_path) -> None:
    dialog = PagePickerDialog(write_broken(tmp_path / "cut.pdf"), BUDGET)
    qtbot.addWidget(dialog)
    refusals: list[tuple[str, bool]] = []
    dialog.refused.connect(lambda message: refusals.append((message, dialog.isVisible())))
    with qtbot.waitSignal(dialog.finished, timeout=WAIT_MS):
        dialog.open_when_ready()
    [(message, shown)] = refusals
    assert "cut.pdf" in message and "damaged" in message
    assert not shown and not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected
