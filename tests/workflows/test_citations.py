"""Which document pages a question sent, found again from its parts, and where a citation leads."""

from __future__ import annotations

from pathlib import Path

from app.core.conversation import TextPart
from app.core.images import Detail
from app.workflows.citations import (
    SentPage,
    cited_page,
    page_label,
    page_ranges,
    question_shown,
    question_words,
    sent_pages,
)
from app.workflows.documents import document_parts, open_document
from tests.workflows.pdf_factory import ScannedPage, TextPage, write_pdf


def test_sent_pages_round_trip_document_parts(tmp_path: Path) -> None:
    pdf = write_pdf(
        tmp_path / "lease [v2].pdf",
        [TextPage(["Rent: 900 euros."]), ScannedPage((300, 200)), TextPage(["Signed."])],
    )
    with open_document(pdf) as doc:
        parts = document_parts(doc, [1, 2], Detail.LOW, True)
    parts.append(TextPart("What is the rent? [not a label p. 4]\n"))
    pages = sent_pages(parts)
    assert [(p.document, p.page) for p in pages] == [("lease [v2].pdf", 1), ("lease [v2].pdf", 2)]
    assert pages[0].text == "Rent: 900 euros." and pages[0].image is None
    assert pages[1].image is not None and pages[1].text == ""
    assert pages[1].image.name == "lease [v2].pdf p. 2"


def test_a_label_without_its_image_is_no_page() -> None:
    label = TextPart(page_label("a.pdf", 3))
    assert sent_pages([label, TextPart("question")]) == []
    assert sent_pages([label]) == []


def test_cited_page_prefers_the_latest_copy_and_the_first_sent_page() -> None:
    first = SentPage("a.pdf", 3, text="old")
    second = SentPage("b.pdf", 3, text="new")
    four = SentPage("b.pdf", 4, text="four")
    sent = [first, second, four]
    assert cited_page(sent, [3]) is second
    assert cited_page(sent, [2, 4, 3]) is four  # p. 2 was not sent: the next cited page
    assert cited_page(sent, [9]) is None
    assert cited_page([], [1]) is None


def test_page_ranges_read_as_people_cite() -> None:
    assert page_ranges([4]) == "p. 4"
    assert page_ranges([5, 1, 2, 3, 3]) == "pp. 1–3, 5"
    assert page_ranges([7, 9]) == "pp. 7, 9"
    assert page_ranges([]) == ""


def test_a_document_question_is_shown_as_one_line_per_document(tmp_path: Path) -> None:
    lease = write_pdf(
        tmp_path / "lease.pdf",
        [TextPage(["Rent: 900 euros."]), TextPage(["Deposit."]), ScannedPage((300, 200))],
    )
    memo = write_pdf(tmp_path / "memo.pdf", [TextPage(["Memo."])])
    with open_document(lease) as doc:
        parts = document_parts(doc, [1, 2, 3], Detail.LOW, True)
    with open_document(memo) as doc:
        parts += document_parts(doc, [1], Detail.LOW, True)
    parts.append(TextPart("What is the rent?"))
    shown = question_shown(parts)
    assert shown == ("lease.pdf · pp. 1–3 (p. 3 as an image)\nmemo.pdf · p. 1\n\nWhat is the rent?")
    assert "Rent: 900" not in shown
    assert question_shown([TextPart("Just a question")]) is None


def test_a_jobs_instructions_are_shown_as_its_label_and_the_users_wishes() -> None:
    prompt = TextPart("Write one HTML file that reproduces this screenshot.", label="Make HTML")
    assert question_shown([prompt, TextPart("use a dark theme")]) == "Make HTML · use a dark theme"
    assert question_shown([prompt]) == "Make HTML"
    assert question_words([prompt, TextPart("use a dark theme")]) == "use a dark theme"
