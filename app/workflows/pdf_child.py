"""The PDF process: every pdfium call of the app runs here, never in the app's own process.

pdfium parses whatever a PDF holds. A 381 KB file whose content stream inflates to ~200 MB of
drawing operators took 58 s and 3.7 GB to draw in the app's process, and when memory runs out
pdfium aborts (SIGABRT) instead of raising, which would take the window down with it. Here the
process lives under an address-space limit set before any PDF is read, so a hostile file ends
this process, and only it; ``pdf_process`` in the app turns that into a ``DocumentError``.

Requests and replies are plain tuples over a ``multiprocessing`` pipe (see ``serve``): the app
never needs pypdfium2's objects, only page counts, sizes, text and PNG bytes.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
from multiprocessing.connection import Connection
from typing import Any

import pypdfium2 as pdfium

from app.core.memory_watch import watch_memory

_ERR_PASSWORD = 4  # pdfium's FPDF_ERR_PASSWORD
PDF_MAGIC = b"%PDF-"
HEADER_BYTES = 1024
"""pdfium accepts a PDF whose ``%PDF-`` header comes after some junk, within the first 1 KiB."""

Reply = tuple[Any, ...]


def serve(conn: Connection, memory_bytes: int | None, watch_only: bool = False) -> None:
    """Answer requests from ``conn`` until it closes or ``None`` arrives.

    Requests: ``("open", path, password, max_bytes)``, ``("info", index)``,
    ``("render", index, scale)``. Replies start with ``"ok"`` or ``"error"`` and a reason
    the app words for people (see ``pdf_process.PdfProcess.request``).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C belongs to the app
    guard_memory(memory_bytes, watch_only)
    pdf: pdfium.PdfDocument | None = None
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        if request is None:
            break
        try:
            if request[0] == "open":
                reply, pdf = _open(*request[1:])
            elif pdf is None:
                reply = ("error", "closed")
            elif request[0] == "info":
                reply = _info(pdf, request[1])
            elif request[0] == "render":
                reply = _render(pdf, request[1], request[2])
            else:
                reply = ("error", "unknown", request[0])
        except MemoryError:
            # Python's own allocations hit the limit; what is left of this process is suspect.
            with contextlib.suppress(Exception):  # failing to say so reads as a death anyway
                conn.send(("error", "memory"))
            break
        except Exception as exc:  # a reply, not a dead process: the app words it
            reply = ("error", "failed", f"{type(exc).__name__}: {exc}")
        conn.send(reply)
    if pdf is not None:
        pdf.close()


def guard_memory(memory_bytes: int | None, watch_only: bool = False) -> str:
    """Cap this process's memory: "address space" where the OS enforces a limit (Linux),
    else "watch" (``memory_watch``: macOS, Windows; tests ask for it with ``watch_only``),
    "none" where neither can be had."""
    if memory_bytes is None:
        return "none"
    if not watch_only and limit_memory(memory_bytes):
        return "address space"
    return "watch" if watch_memory(memory_bytes) else "none"


def limit_memory(memory_bytes: int | None) -> bool:
    """Cap this process's address space; False where the platform cannot (Windows, some macOS).

    RLIMIT_AS, not RLIMIT_RSS (which Linux ignores): a failed allocation then ends pdfium
    (abort) or raises MemoryError here, long before the computer starts swapping.
    """
    if memory_bytes is None:
        return False
    try:
        import resource
    except ImportError:  # Windows: the watch takes over (guard_memory)
        return False
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            memory_bytes = min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, hard))
    except (ValueError, OSError):
        return False
    return True


def _open(
    path: str, password: str | None, max_bytes: int
) -> tuple[Reply, pdfium.PdfDocument | None]:
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > max_bytes:
                return ("error", "too_big"), None
            data = file.read(size + 1)  # read(n) allocates n up front: never ask for the cap
    except OSError as exc:
        return ("error", "unreadable", exc.strerror or str(exc)), None
    if len(data) > max_bytes:
        return ("error", "too_big"), None
    if not data:
        return ("error", "empty"), None
    try:
        pdf = pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        if exc.err_code == _ERR_PASSWORD:
            return ("error", "password"), None
        if PDF_MAGIC not in data[:HEADER_BYTES]:
            return ("error", "not_pdf"), None
        return ("error", "damaged"), None
    return ("ok", len(pdf)), pdf


def _info(pdf: pdfium.PdfDocument, index: int) -> Reply:
    """Width and height in points (rotation applied) and the text layer, stripped."""
    try:
        page = pdf[index]
        try:
            textpage = page.get_textpage()
            text = textpage.get_text_bounded().replace("\r\n", "\n").strip()
            textpage.close()
            return ("ok", page.get_width(), page.get_height(), text)
        finally:
            page.close()
    except pdfium.PdfiumError:
        return ("error", "damaged")


def _render(pdf: pdfium.PdfDocument, index: int, scale: float) -> Reply:
    """The page drawn at ``scale`` as RGB PNG bytes (fast compression: it crosses a pipe once)."""
    try:
        page = pdf[index]
        try:
            image = page.render(scale=scale, may_draw_forms=True).to_pil()
        finally:
            page.close()
    except pdfium.PdfiumError:
        return ("error", "undrawable")
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", compress_level=1)
    return ("ok", out.getvalue())
