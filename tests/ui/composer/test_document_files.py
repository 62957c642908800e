"""PDFs among dropped files: by name on the GUI thread, by header on the pool."""

from __future__ import annotations

from pathlib import Path

from app.core.errors import ImageError
from app.core.images import Detail
from app.ui.composer.document_files import (
    PdfNotImage,
    check_pdf_instead,
    is_pdf_name,
    split_documents,
    starts_like_pdf,
)
from app.ui.composer.pending_images import ImageSource
from tests.workflows.pdf_factory import TextPage, write_pdf


def test_split_keeps_order_and_sends_only_named_pdfs_to_the_picker(tmp_path: Path) -> None:
    sources = [
        ImageSource(tmp_path / "a.png", "a.png", Detail.LOW),
        ImageSource(tmp_path / "Report.PDF", "Report.PDF"),
        ImageSource(b"%PDF-1.4 bytes from a browser", "x.pdf"),
        ImageSource(tmp_path / "b.pdf", "b.pdf"),
    ]
    images, documents = split_documents(sources)
    assert [s.name for s in images] == ["a.png", "x.pdf"]  # bytes have no file to open
    assert documents == [tmp_path / "Report.PDF", tmp_path / "b.pdf"]
    assert is_pdf_name(Path("x.Pdf")) and not is_pdf_name(Path("pdf"))


def test_header_check_finds_a_pdf_under_any_name(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "scan", [TextPage(["hello"])])
    junk_first = tmp_path / "junk"
    junk_first.write_bytes(b"\0" * 100 + pdf.read_bytes())
    text = tmp_path / "notes.txt"
    text.write_text("not a pdf")
    assert starts_like_pdf(pdf) and starts_like_pdf(junk_first)
    assert not starts_like_pdf(text) and not starts_like_pdf(tmp_path / "missing")
    refused = ImageError("not an image")
    found = check_pdf_instead(pdf, refused)
    assert isinstance(found, PdfNotImage) and found.path == pdf
    assert check_pdf_instead(text, refused) is refused
    assert check_pdf_instead(pdf.read_bytes(), refused) is refused
