"""Clicking a page citation shows the page as it was sent, or says it was not sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from app.core.images import Detail
from app.ui.common.image_viewer import ImageViewerDialog
from app.ui.documents.page_citations import (
    PageTextDialog,
    not_sent_notice,
    open_cited_page,
    page_ranges,
)
from app.workflows.citations import SentPage, sent_pages
from app.workflows.documents import document_parts, open_document
from tests.workflows.pdf_factory import ScannedPage, TextPage, write_pdf


@pytest.fixture
def sent(tmp_path: Path) -> list[SentPage]:
    pdf = write_pdf(
        tmp_path / "lease.pdf",
        [TextPage(["Rent: 900 euros."]), ScannedPage((300, 200), (200, 30, 30)), TextPage(["x"])],
    )
    with open_document(pdf) as doc:
        return sent_pages(document_parts(doc, [1, 2], Detail.LOW, True))


@pytest.fixture
def parent(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_an_image_page_opens_in_the_viewer_with_its_pixels(qtbot, parent, sent) -> None:
    dialog = open_cited_page(parent, sent, [2])
    assert isinstance(dialog, ImageViewerDialog)
    assert dialog.isVisible() and dialog.windowTitle() == "p. 2 — lease.pdf"
    assert dialog.image is sent[1].image
    red = dialog.image.rgb[:3]
    assert red[0] > 150 and red[1] < 80  # the scanned page's colour, as sent
    dialog.close()


def test_a_text_page_shows_the_text_the_model_read(qtbot, parent, sent) -> None:
    dialog = open_cited_page(parent, sent, [1, 2])
    assert isinstance(dialog, PageTextDialog)
    assert dialog.windowTitle() == "p. 1 — lease.pdf"
    assert dialog.text.toPlainText() == "Rent: 900 euros." and dialog.text.isReadOnly()
    dialog.close()


def test_a_page_not_sent_gives_a_notice(qtbot, parent, sent) -> None:
    notice = open_cited_page(parent, sent, [3])
    assert notice == (
        "p. 3 was not sent in this chat, so it cannot be shown (sent: lease.pdf p. 1–2)."
    )
    assert "no document pages" in not_sent_notice([], [4, 5])
    assert not_sent_notice([], [4, 5]).startswith("pp. 4–5 ")


def test_page_ranges() -> None:
    assert page_ranges([5, 1, 2, 3, 9, 10]) == "1–3, 5, 9–10"
    assert page_ranges([4]) == "4"
