"""PDFs are read in a process of their own: hostile files cost that process, never the app.

The bombs here are small files whose one content stream inflates to tens of MB of drawing
operators (``0 0 1 1 re f``): pdfium turns each 13-byte operator into a path object of ~370
bytes, so 64 MB of stream asks for ~1.9 GB (measured when pdfium still ran in the app's
process: 8.8 s). The budgets are lowered for the tests (``PdfLimits``) so each bomb fails in a
second.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
import time
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.images import Detail
from app.workflows import documents
from app.workflows.documents import DocumentError, PdfLimits, open_document
from tests.fixtures.process_memory import (
    linux_only,
    peak_rss_mb,
    process_gone,
    reset_peak_rss,
    rss_mb,
)
from tests.workflows.pdf_factory import A4_LANDSCAPE, ScannedPage, TextPage, pdf_bytes, write_pdf

MIB = 1024 * 1024
BOMB_OP = b"0 0 1 1 re f\n"
TEST_LIMITS = PdfLimits(memory_bytes=384 * MIB, open_s=10.0, page_s=10.0)
"""Small enough that a bomb fails fast, large enough for any honest test page."""


def bomb_pdf(path: Path, inflated_mb: int) -> Path:
    """Page 1: a Flate content stream of ``inflated_mb`` MB of rectangles; page 2: plain text.

    Compressed a megabyte at a time, so writing it costs the test process no memory.
    """
    packer = zlib.compressobj(9)
    chunk = BOMB_OP * (MIB // len(BOMB_OP))
    stream = b"".join(packer.compress(chunk) for _ in range(inflated_mb)) + packer.flush()
    text = b"BT /F1 12 Tf 72 700 Td (Still readable) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%b\nendstream" % (len(stream), stream),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R "
        b"/Resources << /Font << /F1 7 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%b\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%b\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def pid_of(doc: object) -> int | None:
    process = doc._process  # type: ignore[attr-defined]  # the test reaches into the document
    return None if process is None else process.pid


@linux_only
@pytest.mark.parametrize("watch_only", [False, True], ids=["address space", "watch"])
def test_inflating_content_stream_fails_within_budget(tmp_path: Path, watch_only: bool) -> None:
    """A 64 MB-inflating page: DocumentError in seconds, the app's memory barely moves.

    When pdfium still ran in the app's own process, this page took ~4.5 s and ~1.9 GB to read.
    The same under the watch that stands in for the address-space limit on macOS and Windows.
    """
    limits = replace(TEST_LIMITS, watch_memory_only=watch_only)
    path = bomb_pdf(tmp_path / "bomb.pdf", inflated_mb=64)
    assert path.stat().st_size < 200_000
    reset_peak_rss()
    before = rss_mb()
    started = time.monotonic()
    with open_document(path, limits=limits) as doc:
        with pytest.raises(DocumentError) as error:
            doc.page_costs(Detail.LOW)
        elapsed = time.monotonic() - started
        message = str(error.value)
        assert message.startswith("'bomb.pdf' needs more than 384 MiB of memory to read page 1")
        assert ("crashed" in message) is not watch_only  # the watch knows why it ended
        assert message.endswith(
            "it may be damaged or hostile, so it was stopped. Nothing was sent."
        )
        # The same page is refused at once now; the other page still reads, in a new process.
        with pytest.raises(DocumentError, match="read page 1") as again:
            doc.render_page(0, Detail.LOW)
        # Refused from memory (the mechanism, not a 0.1 s limit): the same error, and no
        # process was started to try the page again.
        assert again.value is error.value and doc._process is None
        assert doc.page_text(1) == "Still readable"
    assert elapsed < limits.page_s
    assert peak_rss_mb() - before < 64, "pdfium's memory must not land in the app's process"


def test_slow_page_is_stopped_at_its_deadline(tmp_path: Path) -> None:
    path = bomb_pdf(tmp_path / "slow.pdf", inflated_mb=32)  # ~2 s to read on a 2-core box
    limits = PdfLimits(memory_bytes=None, open_s=10.0, page_s=0.25)
    with open_document(path, limits=limits) as doc:
        started = time.monotonic()
        with pytest.raises(DocumentError, match=r"'slow\.pdf' takes too long to read page 1 \("):
            doc.page_text(0)
        assert time.monotonic() - started < limits.page_s + 2.0
        assert doc.page_size(1) == (612, 792)
    # Drawing parses the page again: with its size and text read, drawing alone runs late.
    with open_document(path, limits=replace(limits, page_s=10.0)) as doc:
        assert doc.page_text(0) == ""
        doc.limits = limits
        with pytest.raises(DocumentError, match=r"takes too long to draw page 1 \(over 0\.25 s\)"):
            doc.render_page(0, Detail.LOW)


@linux_only
@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGABRT"])
def test_process_killed_mid_page_is_a_document_error(tmp_path: Path, signal_name: str) -> None:
    """Whatever ends the PDF process mid-request, the caller gets a DocumentError at once."""
    path = bomb_pdf(tmp_path / "bomb.pdf", inflated_mb=64)
    limits = PdfLimits(memory_bytes=None, open_s=10.0, page_s=30.0)
    with open_document(path, limits=limits) as doc:
        pid = pid_of(doc)
        assert pid is not None
        killer = threading.Timer(0.3, os.kill, (pid, getattr(signal, signal_name)))
        killer.start()
        started = time.monotonic()
        with pytest.raises(DocumentError, match="crashed the PDF reader"):
            doc.page_text(0)
        assert time.monotonic() - started < 5.0
        killer.join()
        assert process_gone(pid)
        assert doc.page_text(1) == "Still readable"  # a fresh process took over
    with open_document(write_pdf(tmp_path / "next.pdf", [TextPage(["Next"])])) as doc:
        assert doc.page_text(0) == "Next"


@linux_only
def test_closing_leaves_no_process_behind(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "a.pdf", [TextPage(["A"])])
    doc = open_document(path)
    pid = pid_of(doc)
    assert pid is not None and not process_gone(pid)
    doc.close()
    doc.close()  # twice is harmless
    assert process_gone(pid)
    with pytest.raises(DocumentError, match="closed"):
        doc.page_text(0)
    # Dropped without close(): the process is still ended once the document is collected.
    dropped = open_document(path)
    pid = pid_of(dropped)
    del dropped
    deadline = time.monotonic() + 5
    while not process_gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_gone(pid)


def test_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "big.pdf", [TextPage(["x" * MIB])])
    limits = PdfLimits(max_file_bytes=MIB)
    with pytest.raises(DocumentError, match=r"'big\.pdf' is larger than 1 MiB, the most"):
        open_document(path, limits=limits)


def test_too_many_image_pages_are_refused_before_drawing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(documents, "MAX_IMAGE_PAGES", 2)
    path = write_pdf(tmp_path / "scans.pdf", [ScannedPage()] * 3 + [TextPage(["text"])])
    with open_document(path) as doc:
        drawn: list[int] = []
        monkeypatch.setattr(doc, "render_page", lambda index, _detail: drawn.append(index))
        with pytest.raises(DocumentError, match=r"3 pages of 'scans\.pdf' .* at most 2 at a time"):
            documents.document_parts(doc, [1, 2, 3, 4], Detail.LOW)
        assert drawn == []
        assert len(documents.document_parts(doc, [1, 4], Detail.LOW)) == 4


def test_start_up_is_cheap(tmp_path: Path) -> None:
    """One process per document is affordable: opening a one-page PDF takes well under 1 s."""
    path = write_pdf(tmp_path / "a.pdf", [TextPage(["A"])])
    open_document(path).close()  # the fork server, where there is one, starts once
    started = time.monotonic()
    for _ in range(3):
        with open_document(path) as doc:
            assert doc.page_text(0) == "A"
    assert (time.monotonic() - started) / 3 < 1.0


SEED_PDF = pdf_bytes([TextPage(["Seed page"]), ScannedPage(A4_LANDSCAPE)])
FUZZ_LIMITS = PdfLimits(memory_bytes=512 * MIB, open_s=5.0, page_s=5.0)


@st.composite
def damaged_pdfs(draw: st.DrawFn) -> bytes:
    """A valid two-page PDF with a few bytes flipped, cut, inserted or deleted."""
    data = bytearray(SEED_PDF)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data) - 1))
        edit = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if edit == "flip":
            data[at] = draw(st.integers(0, 255))
        elif edit == "cut":
            del data[at:]
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[at : at + draw(st.integers(1, 64))]
        if not data:
            data = bytearray(b"%")
    return bytes(data)


@settings(max_examples=60, deadline=None, database=None)
@given(st.one_of(damaged_pdfs(), st.binary(min_size=1, max_size=512)))
def test_any_bytes_give_a_document_or_a_document_error(data: bytes) -> None:
    """Whatever the bytes, the app sees a Document or a DocumentError, never a crash."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.pdf"
        path.write_bytes(data)
        try:
            doc = open_document(path, limits=FUZZ_LIMITS)
        except DocumentError:
            return
        with doc:
            for index in range(min(doc.pages, 2)):
                with contextlib.suppress(DocumentError):
                    doc.page_text(index)
                    doc.render_page(index, Detail.LOW)
