"""Dropped PDFs open the page picker, one after another; their pages go with the next message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from app.core.images import Detail
from app.ui.window.main_window import MainWindow
from tests.fixtures.pixtral_gguf import GgufPair
from tests.ui.drops import drop_on, file_urls
from tests.ui.window.test_main_window import _close, _open, _settings
from tests.workflows.pdf_factory import ScannedPage, TextPage, write_broken, write_pdf

WAIT_MS = 10_000


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_pair: GgufPair) -> Iterator[MainWindow]:
    opened = _open(qtbot, _settings(tmp_path, tiny_pair), tmp_path / "data")
    yield opened
    _close(opened)


def _drop(window: MainWindow, *paths: Path) -> None:
    drop_on(window.composer, file_urls(*paths))


def _picker_for(qtbot, window: MainWindow, name: str):
    """The picker for ``name`` once it shows (after its document has opened)."""
    qtbot.waitUntil(
        lambda: (
            (picker := window.dialogs.picker) is not None
            and picker.path.name == name
            and picker.isVisible()
        ),
        timeout=WAIT_MS,
    )
    return window.dialogs.picker


def test_dropped_pdfs_open_the_picker_in_turn_and_their_pages_go_together(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    first = write_pdf(tmp_path / "lease.pdf", [TextPage(["Rent 900."]), ScannedPage((300, 200))])
    second = write_pdf(tmp_path / "invoice.pdf", [TextPage(["Total 12."])])
    _drop(window, first, second)
    assert window.dialogs.picker is None  # not inside the drop handler: on the next turn
    picker = _picker_for(qtbot, window, "lease.pdf")
    assert picker.isModal() and picker.ready  # shown with its pages listed
    qtbot.waitUntil(lambda: not picker.page_list.item(1).icon().isNull(), timeout=WAIT_MS)
    with qtbot.waitSignal(picker.costs_ready, timeout=WAIT_MS):  # the scan fits at low detail
        picker.detail_combo.setCurrentIndex(picker.detail_combo.findData(Detail.LOW))
    picker.page_list.item(1).setCheckState(Qt.CheckState.Checked)
    picker.ok_button.click()
    second_picker = _picker_for(qtbot, window, "invoice.pdf")
    qtbot.waitUntil(lambda: second_picker.ready, timeout=WAIT_MS)
    second_picker.ok_button.click()
    qtbot.waitUntil(lambda: window.dialogs.picker is None, timeout=WAIT_MS)
    chips = window.composer.document_chips
    assert chips.isVisible() and chips.captions() == ["lease.pdf · pp. 1–2", "invoice.pdf · p. 1"]
    assert window.composer.editor.placeholderText().startswith("Ask about lease.pdf and invoice")
    texts = [getattr(p, "text", "") for p in window.composer.document_parts]
    assert any("[lease.pdf p. 2]" in t for t in texts) and any("Total 12." in t for t in texts)
    assert "private" in window.activity.text()


def test_a_file_named_pdf_that_is_not_one_is_refused_inline_without_a_dialog(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    fake = tmp_path / "contract.pdf"
    fake.write_bytes(b"GIF89a this is no PDF at all" * 20)
    broken = write_broken(tmp_path / "cut.pdf")
    later = write_pdf(tmp_path / "notes.pdf", [TextPage(["Notes."])])
    _drop(window, fake, broken, later)
    picker = _picker_for(qtbot, window, "notes.pdf")  # the good one after them still opens
    notice = window.composer.notice
    assert notice.isVisible()  # where a broken image is refused, not in a dialog
    assert len(notice.messages) == 2
    assert "contract.pdf" in notice.messages[0] and "not a PDF" in notice.messages[0]
    assert "cut.pdf" in notice.messages[1] and "damaged" in notice.messages[1]
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    assert shown == [picker]
    picker.reject()
    qtbot.waitUntil(lambda: window.dialogs.picker is None, timeout=WAIT_MS)
    assert window.composer.document_chips.isHidden()


def test_the_attach_button_offers_several_pdfs_at_once(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    pdf = write_pdf(tmp_path / "notes.pdf", [TextPage(["Notes."])])
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args, **kwargs: ([str(pdf)], ""))
    window.composer.tools.document_action.trigger()
    picker = _picker_for(qtbot, window, "notes.pdf")
    picker.reject()
    qtbot.waitUntil(lambda: window.dialogs.picker is None, timeout=WAIT_MS)


def test_picking_pages_of_an_attached_document_again_does_not_count_them_twice(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    pdf = write_pdf(tmp_path / "memo.pdf", [TextPage(["First memo page."]), TextPage(["Two."])])
    _drop(window, pdf)
    picker = _picker_for(qtbot, window, "memo.pdf")
    qtbot.waitUntil(lambda: picker.ready, timeout=WAIT_MS)
    picker.ok_button.click()
    qtbot.waitUntil(lambda: window.dialogs.picker is None, timeout=WAIT_MS)
    attached = window.composer.document_tokens_of("memo.pdf")
    assert attached > 0
    window.update_meter()
    _drop(window, pdf)
    again = _picker_for(qtbot, window, "memo.pdf")
    budget = window.composer.meter.budget
    assert budget is not None and budget.needed >= attached  # the meter counts the pages...
    # ...but the picker for the same document gets them back: a new choice replaces them.
    assert again.budget_tokens == budget.n_ctx - budget.needed + attached
    again.reject()
    qtbot.waitUntil(lambda: window.dialogs.picker is None, timeout=WAIT_MS)
