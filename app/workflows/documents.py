"""PDF documents for Q&A: open, price each page as pixels and as text, pick pages, build parts.

Pages are rendered by pdfium (``pypdfium2``) at exactly the size the chosen detail level
allows, then go through ``prepare_image`` like any other picture, so a page's token count is
the one the rest of the app already trusts. The text layer, where a page has one, is offered
alongside because it is usually an order of magnitude cheaper than the page's pixels; scanned
pages have none and can only be sent as images.

Costs are computed from the page size alone, without rendering: the page picker shows the
cost of every page of a 100-page PDF at once, and rendering is the slow part.

pdfium never runs in this process: each open ``Document`` has its own PDF process
(``pdf_process``) with a memory limit and a deadline per request, and a file that exhausts
either becomes a ``DocumentError`` instead of a frozen or killed window. A ``Document``'s
requests are serialised by a lock, so pdfium's lack of thread safety no longer binds callers.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.conversation import ImagePart, Part, TextPart
from app.core.errors import ImageError
from app.core.images import Detail, PreparedImage, patch_grid, prepare_image
from app.workflows.citations import (
    Citation,
    document_header,
    find_citation_spans,
    page_label,
)
from app.workflows.document_open import (
    DocumentError,
    PasswordRequired,
    budget_error,
    check_file,
    start_process,
)
from app.workflows.pdf_process import DEFAULT_LIMITS, PdfFailure, PdfLimits, PdfProcess

__all__ = [
    "DOCUMENT_ANSWER_TOKENS",
    "Citation",
    "Document",
    "DocumentError",
    "PageCost",
    "PasswordRequired",
    "PdfLimits",
    "Selection",
    "default_selection",
    "document_parts",
    "find_citation_spans",
    "open_document",
]

CHARS_PER_TOKEN = 4
"""Rough chars per token for prose; good enough to compare text with pixels, not to bill."""
DEFAULT_SHARE = 0.6
"""Share of the budget a default selection may fill, leaving room for question and answer."""
DOCUMENT_ANSWER_TOKENS = 2048
"""Answer limit of a question about a document: summaries and cited answers run longer than a
chat reply (the app's default limit is 1,024); the room left in the context still caps it."""
MAX_IMAGE_PAGES = 1000
"""Pages one ``document_parts`` call may draw. A Letter or A4 page costs ~224 tokens at low
detail, so a 128K context holds ~585: only a runaway script meets the cap, never a person
picking pages, and it bounds how long one call may spend drawing."""


@dataclass(frozen=True)
class PageCost:
    """What one page costs to send. ``page`` is the 1-based page number people see."""

    page: int
    image_tokens: int
    text_chars: int
    text_tokens_estimate: int
    has_text: bool

    def tokens(self, use_text: bool) -> int:
        """Tokens this page takes when sent as text (if it has any) or else as an image."""
        return self.text_tokens_estimate if use_text and self.has_text else self.image_tokens


@dataclass(frozen=True)
class Selection:
    """Pages to send (1-based numbers, in order) and a sentence saying why these."""

    pages: tuple[int, ...]
    reason: str
    tokens: int = 0


@dataclass
class _PageInfo:
    width: float
    height: float
    text: str


class Document:
    """An open PDF and its PDF process. Use as a context manager, or call ``close()``.

    Methods taking ``index`` count from 0 like Python; page numbers shown to people, in
    ``PageCost.page``, ``Selection.pages`` and citations count from 1.

    A page that exhausts the process's memory or time is remembered and refused at once
    afterwards; the process is replaced (and the file opened again) for the next request, so
    one hostile page leaves the others usable.
    """

    def __init__(
        self,
        path: Path,
        pages: int,
        process: PdfProcess,
        password: str | None = None,
        limits: PdfLimits = DEFAULT_LIMITS,
    ) -> None:
        self.path = path
        self.name = path.name
        self.pages = pages
        self.limits = limits
        self._password = password
        self._process: PdfProcess | None = process
        self._closed = False
        self._lock = threading.Lock()
        self._info: dict[int, _PageInfo] = {}
        self._failed: dict[int, DocumentError] = {}

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the PDF process (it is reaped: no zombie is left); safe to call twice."""
        with self._lock:
            self._closed = True
            process, self._process = self._process, None
        if process is not None:
            process.close()

    def page_text(self, index: int) -> str:
        """The page's text layer, stripped; empty for scanned (image-only) pages."""
        return self._page_info(index).text

    def page_size(self, index: int) -> tuple[float, float]:
        """Width and height in PDF points (1/72 in), as displayed (rotation applied)."""
        info = self._page_info(index)
        return info.width, info.height

    def render_page(self, index: int, detail: Detail | str = Detail.NATIVE) -> PreparedImage:
        """Render the page so its longest side meets the detail's cap, then prepare it."""
        detail = Detail.parse(detail)
        info = self._page_info(index)
        scale = _render_scale(info.width, info.height, detail.max_side)
        reply = self._page_request(index, ("render", index, scale), "draw")
        if reply[0] != "ok":
            raise DocumentError(f"Page {index + 1} of '{self.name}' cannot be drawn.")
        try:
            return prepare_image(reply[1], detail, name=f"{self.name} p. {index + 1}")
        except ImageError as exc:
            raise DocumentError(f"Page {index + 1} of '{self.name}': {exc}") from exc

    def page_costs(self, detail: Detail | str = Detail.NATIVE) -> list[PageCost]:
        """Every page's cost as an image at ``detail`` (exact) and as text (estimated)."""
        detail = Detail.parse(detail)
        costs = []
        for index in range(self.pages):
            info = self._page_info(index)
            width, height = _render_size(info.width, info.height, detail.max_side)
            chars = len(info.text)
            text_tokens = estimate_text_tokens(_text_block(self.name, index, info.text))
            costs.append(
                PageCost(
                    page=index + 1,
                    image_tokens=patch_grid(width, height, detail.max_side).tokens,
                    text_chars=chars,
                    text_tokens_estimate=text_tokens if chars else 0,
                    has_text=chars > 0,
                )
            )
        return costs

    def _page_info(self, index: int) -> _PageInfo:
        info = self._info.get(index)
        if info is None:
            reply = self._page_request(index, ("info", index), "read")
            if reply[0] != "ok":
                raise DocumentError(f"Page {index + 1} of '{self.name}' is damaged.")
            info = _PageInfo(*reply[1:])
            if not (_positive(info.width) and _positive(info.height)):
                raise DocumentError(f"Page {index + 1} of '{self.name}' has no area to show.")
            self._info[index] = info
        return info

    def _page_request(self, index: int, message: tuple[Any, ...], verb: str) -> tuple[Any, ...]:
        """Ask the process about one page; a page that broke the budget once is refused."""
        if not 0 <= index < self.pages:
            raise DocumentError(f"'{self.name}' has no page {index + 1}.")
        failed = self._failed.get(index)
        if failed is not None:
            raise failed
        with self._lock:
            process = self._running()
            try:
                return process.request(message, self.limits.page_s)
            except PdfFailure as failure:
                self._process = None
                error = budget_error(self.name, f"{verb} page {index + 1}", failure, self.limits)
                self._failed[index] = error
                raise error from None

    def _running(self) -> PdfProcess:
        """The live PDF process, replacing one that failed (the file is opened again)."""
        if self._closed:
            raise DocumentError(f"'{self.name}' is closed.")
        if self._process is None:
            self._process, _pages = start_process(self.path, self._password, self.limits)
        return self._process


def open_document(
    path: str | Path, password: str | None = None, limits: PdfLimits = DEFAULT_LIMITS
) -> Document:
    """Open a PDF; raise ``PasswordRequired`` if it is encrypted, ``DocumentError`` if unusable.

    The PDF process reads the whole file into its memory: pdfium then never holds the file
    open (Windows could not delete or replace it otherwise) and non-ASCII paths need no care.
    Files over ``limits.max_file_bytes`` are refused before anything reads them.
    """
    path = Path(path)
    check_file(path, limits)
    process, pages = start_process(path, password, limits)
    return Document(path, pages, process, password, limits)


def estimate_text_tokens(text: str) -> int:
    """About one token per four characters of prose."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def default_selection(
    costs: list[PageCost],
    budget_tokens: int,
    use_text_for_text_pages: bool = True,
    share: float = DEFAULT_SHARE,
) -> Selection:
    """The first pages that fit in ``share`` of the budget, and a sentence saying so.

    The first pages, not the cheapest ones: a document's start (title, summary, parties to a
    contract) is what a question most often needs, and a gap-free run is easy to extend by hand.
    """
    limit = int(budget_tokens * share)
    chosen: list[int] = []
    total = 0
    for cost in costs:
        tokens = cost.tokens(use_text_for_text_pages)
        if total + tokens > limit:
            break
        chosen.append(cost.page)
        total += tokens
    count = len(costs)
    if count == 0:
        return Selection((), "The document has no pages.", 0)
    if len(chosen) == count:
        noun = "page" if count == 1 else f"all {count} pages"
        return Selection(tuple(chosen), f"Showing {noun} (about {total:,} tokens).", total)
    if not chosen:
        need = costs[0].tokens(use_text_for_text_pages)
        reason = (
            f"Page 1 alone takes about {need:,} tokens, more than the {limit:,} available; "
            "choose a lower detail level or a model with a larger context."
        )
        return Selection((), reason, 0)
    reason = (
        f"Showing the first {len(chosen)} of {count} pages to stay within about {limit:,} "
        f"tokens ({round(share * 100)}% of the context); pick other pages to ask about them."
    )
    return Selection(tuple(chosen), reason, total)


def document_parts(
    doc: Document,
    selection: Selection | list[int] | tuple[int, ...],
    detail: Detail | str = Detail.NATIVE,
    use_text_for_text_pages: bool = True,
) -> list[Part]:
    """Message parts for the chosen pages, each labelled "p. N" so answers can cite it.

    Pages with a text layer go as text when ``use_text_for_text_pages``; the others (and all
    pages otherwise) as their label followed by the rendered image.
    """
    pages = selection.pages if isinstance(selection, Selection) else tuple(selection)
    if not pages:
        return []
    texts = {page: doc.page_text(page - 1) for page in pages}
    drawn = [page for page in pages if not (use_text_for_text_pages and texts[page])]
    if len(drawn) > MAX_IMAGE_PAGES:
        raise DocumentError(
            f"{len(drawn)} pages of '{doc.name}' would be sent as images; choose at most "
            f"{MAX_IMAGE_PAGES} at a time."
        )
    drawn_set = set(drawn)
    parts: list[Part] = [TextPart(document_header(doc.name, doc.pages, pages))]
    for page in pages:
        index = page - 1
        if page in drawn_set:
            parts.append(TextPart(page_label(doc.name, page)))
            parts.append(ImagePart(doc.render_page(index, detail)))
        else:
            parts.append(TextPart(_text_block(doc.name, index, texts[page])))
    return parts


def _text_block(name: str, index: int, text: str) -> str:
    return f"{page_label(name, index + 1)}{text}\n"


def _render_scale(width: float, height: float, max_side: int) -> float:
    """The scale that brings the longest side to ``max_side`` pixels, never one over.

    pypdfium2 sizes the bitmap ``ceil(side * scale)``; floating point can make that one pixel
    more than asked, which would then cost a needless resample, so step the scale down.
    """
    scale = max_side / max(width, height)
    while math.ceil(max(width, height) * scale) > max_side:
        scale = math.nextafter(scale, 0)
    return scale


def _render_size(width: float, height: float, max_side: int) -> tuple[int, int]:
    """The bitmap size pypdfium2 produces at ``_render_scale`` (same formula as its render)."""
    scale = _render_scale(width, height, max_side)
    return max(math.ceil(width * scale), 1), max(math.ceil(height * scale), 1)


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0
