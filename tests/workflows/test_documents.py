"""Document Q&A core: opening PDFs, page costs, default selection, parts and citations."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.conversation import ImagePart, TextPart
from app.core.images import Detail
from app.workflows.documents import (
    DocumentError,
    PageCost,
    PasswordRequired,
    default_selection,
    document_parts,
    find_citation_spans,
    open_document,
)
from tests.workflows.pdf_factory import (
    A4_LANDSCAPE,
    ScannedPage,
    TextPage,
    write_broken,
    write_pdf,
)

LINES = ["Invoice 2024-117", "Total due: 1,250.00 EUR", "Payment within 30 days."]


@pytest.fixture
def mixed_pdf(tmp_path: Path) -> Path:
    """Page 1 text, page 2 scanned (landscape), page 3 text."""
    pages = [TextPage(LINES), ScannedPage(A4_LANDSCAPE), TextPage(["Signed by both parties."])]
    return write_pdf(tmp_path / "contract.pdf", pages)


def test_text_and_scanned_pages(mixed_pdf: Path) -> None:
    with open_document(mixed_pdf) as doc:
        assert doc.pages == 3
        assert doc.page_text(0) == "\n".join(LINES)
        assert doc.page_text(1) == ""
        assert doc.page_text(2) == "Signed by both parties."
        assert doc.page_size(1) == (842, 595)
        costs = doc.page_costs(Detail.LOW)
    assert [c.has_text for c in costs] == [True, False, True]
    assert costs[1].text_chars == 0 and costs[1].text_tokens_estimate == 0
    assert costs[0].text_chars == len("\n".join(LINES))
    # Text is far cheaper than pixels, which is why it is offered.
    assert costs[0].text_tokens_estimate < costs[0].image_tokens


@pytest.mark.parametrize("detail", list(Detail))
def test_costs_equal_rendered_tokens(mixed_pdf: Path, detail: Detail) -> None:
    with open_document(mixed_pdf) as doc:
        costs = doc.page_costs(detail)
        for index in range(doc.pages):
            image = doc.render_page(index, detail)
            assert image.tokens == costs[index].image_tokens
            assert max(image.size) <= detail.max_side
            assert max(image.source_size) == detail.max_side
            assert image.name == f"contract.pdf p. {index + 1}"


def test_scanned_page_renders_its_pixels(mixed_pdf: Path) -> None:
    with open_document(mixed_pdf) as doc:
        image = doc.render_page(1, Detail.LOW)
    assert image.size[0] > image.size[1]  # landscape stays landscape
    assert (40, 40, 40) in {tuple(image.rgb[i : i + 3]) for i in range(0, len(image.rgb), 3)}


def test_password_required_wrong_and_right(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "payslip.pdf", [TextPage(["Net pay 3,100"])], user_password="s3")
    with pytest.raises(PasswordRequired) as missing:
        open_document(path)
    assert not missing.value.wrong_password
    assert "payslip.pdf" in str(missing.value) and "password" in str(missing.value)
    with pytest.raises(PasswordRequired) as wrong:
        open_document(path, password="nope")
    assert wrong.value.wrong_password and "not correct" in str(wrong.value)
    with open_document(path, password="s3") as doc:
        assert doc.page_text(0) == "Net pay 3,100"


def test_broken_pdf_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"'cut\.pdf' is damaged"):
        open_document(write_broken(tmp_path / "cut.pdf"))


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"hello, not a pdf at all", "not a PDF")],
)
def test_non_pdf_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "notes.pdf"
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=message) as error:
        open_document(path)
    assert "notes.pdf" in str(error.value)
    assert not isinstance(error.value, PasswordRequired)


def test_missing_file_and_bad_index(tmp_path: Path, mixed_pdf: Path) -> None:
    with pytest.raises(DocumentError, match="does not exist"):
        open_document(tmp_path / "gone.pdf")
    with open_document(mixed_pdf) as doc, pytest.raises(DocumentError, match="no page 4"):
        doc.render_page(3, Detail.LOW)


def test_default_selection_on_sixty_pages(tmp_path: Path) -> None:
    pages = [ScannedPage() if i % 2 else TextPage([f"Page {i + 1} text"]) for i in range(60)]
    with open_document(write_pdf(tmp_path / "report.pdf", pages)) as doc:
        costs = doc.page_costs(Detail.MEDIUM)
    budget = 8_000
    selection = default_selection(costs, budget)
    assert selection.pages == tuple(range(1, len(selection.pages) + 1))
    assert 1 < len(selection.pages) < 60
    assert selection.tokens <= budget * 0.6
    assert selection.tokens == sum(costs[p - 1].tokens(True) for p in selection.pages)
    assert f"first {len(selection.pages)} of 60 pages" in selection.reason
    # Sending every page as an image fits fewer pages.
    as_images = default_selection(costs, budget, use_text_for_text_pages=False)
    assert len(as_images.pages) < len(selection.pages)


def test_default_selection_edges() -> None:
    cost = PageCost(page=1, image_tokens=300, text_chars=0, text_tokens_estimate=0, has_text=False)
    assert default_selection([cost], 10_000).reason.startswith("Showing page")
    nothing = default_selection([cost], 100)
    assert nothing.pages == () and "lower detail" in nothing.reason
    assert default_selection([], 100).pages == ()


def test_document_parts_label_pages(mixed_pdf: Path) -> None:
    with open_document(mixed_pdf) as doc:
        parts = document_parts(doc, [1, 2], Detail.LOW, use_text_for_text_pages=True)
        assert isinstance(parts[0], TextPart) and 'as "p. N"' in parts[0].text
        assert parts[1] == TextPart("[contract.pdf p. 1]\n" + "\n".join(LINES) + "\n")
        assert parts[2] == TextPart("[contract.pdf p. 2]\n")
        assert isinstance(parts[3], ImagePart) and parts[3].image.name == "contract.pdf p. 2"
        assert len(parts) == 4
        images = document_parts(doc, [1], Detail.LOW, use_text_for_text_pages=False)
        assert isinstance(images[-1], ImagePart)
        assert document_parts(doc, [], Detail.LOW) == []


def find_citations(answer: str, page_count: int | None = None) -> list[int]:
    """The pages ``answer`` cites, each once, in the order first cited."""
    seen: list[int] = []
    for citation in find_citation_spans(answer, page_count):
        seen.extend(page for page in citation.pages if page not in seen)
    return seen


@pytest.mark.parametrize(
    ("answer", "pages"),
    [
        ("The total is on p. 3.", [3]),
        ("See page 2 and Page 7", [2, 7]),
        ("Covered in pp. 3–5 (also p.9)", [3, 4, 5, 9]),
        ("pages 4-6, 8 and 10", [4, 5, 6, 8, 10]),
        ("pp. 5-3", [3, 4, 5]),
        ("p. 2, then p. 2 again, then p. 1", [2, 1]),
        ("No citation in step 3 or app. 4", []),
        ("pp. 1–900", [1, 900]),
    ],
)
def test_find_citations(answer: str, pages: list[int]) -> None:
    assert find_citations(answer) == pages


def test_citations_clip_to_document_and_give_spans() -> None:
    answer = "Totals (p. 2) differ from p. 99."
    assert find_citations(answer, page_count=10) == [2]
    [span] = find_citation_spans(answer, page_count=10)
    assert answer[span.start : span.end] == "p. 2" and span.pages == (2,)


def test_a_real_scan_renders_its_pixels(tmp_path: Path) -> None:
    """pdf_factory's JPEG scans (used by the documents benchmark) are drawn from the JPEG."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (170, 220), (20, 90, 200)).save(out, format="JPEG", quality=95)
    pdf = write_pdf(tmp_path / "scan.pdf", [ScannedPage(jpeg=out.getvalue())])
    with open_document(pdf) as doc:
        assert doc.page_text(0) == ""
        red, green, blue = doc.render_page(0, Detail.LOW).rgb[:3]
    assert red < 60 and 60 < green < 120 and blue > 160
