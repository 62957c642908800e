"""PDF documents for Q&A: open, price each page as pixels and as text, pick pages, build parts.

Pages are rendered by pdfium (``pypdfium2``) at exactly the size the chosen detail level
allows, then go through ``prepare_image`` like any other picture, so a page's token count is
the one the rest of the app already trusts. The text layer, where a page has one, is offered
alongside because it is usually an order of magnitude cheaper than the page's pixels; scanned
pages have none and can only be sent as images.

Costs are computed from the page size alone, without rendering: the page picker shows the
cost of every page of a 100-page PDF at once, and rendering is the slow part.

pdfium is not thread-safe, not even across documents: the UI must make every call into this
module (and any other pypdfium2 use) from one worker thread.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

from app.core.conversation import ImagePart, Part, TextPart
from app.core.errors import ImageError, UserFacingError
from app.core.images import Detail, PreparedImage, patch_grid, prepare_image
from app.workflows.citations import (
    Citation,
    document_header,
    find_citation_spans,
    find_citations,
    page_label,
)

__all__ = [
    "Citation",
    "Document",
    "DocumentError",
    "PageCost",
    "PasswordRequired",
    "Selection",
    "default_selection",
    "document_parts",
    "find_citation_spans",
    "find_citations",
    "open_document",
]

CHARS_PER_TOKEN = 4
"""Rough chars per token for prose; good enough to compare text with pixels, not to bill."""
DEFAULT_SHARE = 0.6
"""Share of the budget a default selection may fill, leaving room for question and answer."""

_ERR_PASSWORD = 4  # pdfium's FPDF_ERR_PASSWORD


class DocumentError(UserFacingError):
    """A document (or a file given as one) cannot be opened or read."""


class PasswordRequired(DocumentError):
    """The PDF is encrypted and no password, or a wrong one, was given: the UI asks for it."""

    def __init__(self, name: str, wrong_password: bool) -> None:
        self.name = name
        self.wrong_password = wrong_password
        if wrong_password:
            message = f"The password for '{name}' is not correct. Try again."
        else:
            message = f"'{name}' is protected by a password. Enter it to open the document."
        super().__init__(message)


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
    """An open PDF. Use as a context manager, or call ``close()``, to free pdfium's memory.

    Methods taking ``index`` count from 0 like Python; page numbers shown to people, in
    ``PageCost.page``, ``Selection.pages`` and citations count from 1.
    """

    def __init__(self, path: Path, pdf: pdfium.PdfDocument) -> None:
        self.path = path
        self.name = path.name
        self._pdf = pdf
        self._info: dict[int, _PageInfo] = {}

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._pdf.close()

    @property
    def pages(self) -> int:
        return len(self._pdf)

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
        self._check_index(index)
        info = self._page_info(index)
        scale = _render_scale(info.width, info.height, detail.max_side)
        label = f"{self.name} p. {index + 1}"
        try:
            page = self._pdf[index]
            try:
                bitmap = page.render(scale=scale, may_draw_forms=True)
                image = bitmap.to_pil()
            finally:
                page.close()
        except pdfium.PdfiumError as exc:
            raise DocumentError(f"Page {index + 1} of '{self.name}' cannot be drawn.") from exc
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", compress_level=1)
        try:
            return prepare_image(out.getvalue(), detail, name=label)
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

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.pages:
            raise DocumentError(f"'{self.name}' has no page {index + 1}.")

    def _page_info(self, index: int) -> _PageInfo:
        info = self._info.get(index)
        if info is None:
            self._check_index(index)
            try:
                page = self._pdf[index]
                try:
                    textpage = page.get_textpage()
                    text = textpage.get_text_bounded().replace("\r\n", "\n").strip()
                    textpage.close()
                    info = _PageInfo(page.get_width(), page.get_height(), text)
                finally:
                    page.close()
            except pdfium.PdfiumError as exc:
                raise DocumentError(f"Page {index + 1} of '{self.name}' is damaged.") from exc
            if info.width <= 0 or info.height <= 0:
                raise DocumentError(f"Page {index + 1} of '{self.name}' has no area to show.")
            self._info[index] = info
        return info


def open_document(path: str | Path, password: str | None = None) -> Document:
    """Open a PDF; raise ``PasswordRequired`` if it is encrypted, ``DocumentError`` if unusable.

    The file is read into memory first: pdfium then never holds the file open (Windows could
    not delete or replace it otherwise) and non-ASCII paths need no special care.
    """
    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError(f"'{name}' does not exist (it may have been moved).") from None
    except IsADirectoryError:
        raise DocumentError(f"'{name}' is a folder, not a PDF.") from None
    except OSError as exc:
        raise DocumentError(f"'{name}' cannot be read ({exc.strerror or exc}).") from exc
    if not data:
        raise DocumentError(f"'{name}' is empty (0 bytes); it is not a PDF.")
    try:
        pdf = pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        if exc.err_code == _ERR_PASSWORD:
            raise PasswordRequired(name, wrong_password=password is not None) from None
        if b"%PDF-" not in data[:1024]:
            raise DocumentError(f"'{name}' is not a PDF.") from None
        raise DocumentError(f"'{name}' is damaged and cannot be opened as a PDF.") from None
    return Document(path, pdf)


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
    parts: list[Part] = [TextPart(document_header(doc.name, doc.pages, pages))]
    for page in pages:
        index = page - 1
        text = doc.page_text(index)
        if use_text_for_text_pages and text:
            parts.append(TextPart(_text_block(doc.name, index, text)))
        else:
            parts.append(TextPart(page_label(doc.name, page)))
            parts.append(ImagePart(doc.render_page(index, detail)))
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
