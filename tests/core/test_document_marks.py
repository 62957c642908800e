"""Document page labels read back, and page lists written the way people write them."""

from __future__ import annotations

from app.core.conversation import TextPart
from app.core.document_marks import document_header, labelled_pages, page_label, page_span


def test_page_runs_collapse_into_ranges() -> None:
    assert page_span([]) == ""
    assert page_span([4]) == "p. 4"
    assert page_span([1, 2, 3]) == "pp. 1–3"
    assert page_span([7, 1, 2, 3, 9, 10, 2]) == "pp. 1–3, 7, 9–10"
    assert page_span([5, 6]) == "pp. 5–6"


def test_the_pages_of_a_document_question_are_read_from_its_labels() -> None:
    parts = [
        TextPart(document_header("lease.pdf", 9, [1, 2, 5])),
        TextPart(page_label("lease.pdf", 1) + "Rent 900."),
        TextPart(page_label("lease.pdf", 2)),  # a page sent as an image: label, then picture
        TextPart(page_label("lease.pdf", 5) + "Signed."),
        TextPart("[not a label] p. 3"),
    ]
    assert labelled_pages(parts) == [1, 2, 5]
