"""A batch's inputs: each image one input, each page of a PDF one input.

PDFs are opened once up front only to count their pages (a damaged one becomes an input that
fails, not a run that stops), then again when their first page comes up and kept open while
their pages are answered: one PDF process per file, not per page. Pages go through the
window's document code, so a page carries the same header and label the window sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.commands.inputs import PageMode, expand_paths, page_parts, parse_pages
from app.core.conversation import ImagePart, Part
from app.core.errors import UserFacingError
from app.core.images import Detail, prepare_image
from app.workflows.documents import Document, open_document

PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class BatchItem:
    """One input: an image file, or one page of a PDF. ``name`` is its key in the output
    (``scan.png``, ``contract.pdf#page=3``), the one ``--resume`` matches on."""

    path: Path
    page: int | None = None
    problem: str = ""
    """Why the file cannot be read at all (found while counting a PDF's pages)."""

    @property
    def name(self) -> str:
        return str(self.path) if self.page is None else f"{self.path}#page={self.page}"


def is_pdf(path: Path) -> bool:
    """A PDF by its name or, whatever its name, by its first bytes."""
    if path.suffix.lower() == ".pdf":
        return True
    try:
        with path.open("rb") as handle:
            return handle.read(len(PDF_MAGIC)) == PDF_MAGIC
    except OSError:
        return False  # the image reader says what is wrong with it


def expand_items(patterns: list[str], pages_spec: str | None) -> list[BatchItem]:
    """The inputs in the order given, globs expanded and PDFs split into their pages."""
    items: list[BatchItem] = []
    for path in expand_paths(patterns):
        if not is_pdf(path):
            items.append(BatchItem(path))
            continue
        try:
            with open_document(path) as doc:
                pages = (
                    parse_pages(pages_spec, doc.pages, doc.name)
                    if pages_spec
                    else tuple(range(1, doc.pages + 1))
                )
        except UserFacingError as exc:
            items.append(BatchItem(path, problem=str(exc)))
            continue
        items.extend(BatchItem(path, page) for page in pages)
    if not items:
        raise UserFacingError("There is nothing to answer: --each named no file.")
    return items


class ItemReader:
    """Reads each input's parts; keeps the current PDF open across its pages."""

    def __init__(self, detail: Detail, mode: PageMode) -> None:
        self.detail = detail
        self.mode = mode
        self._doc: Document | None = None

    def parts(self, item: BatchItem) -> list[Part]:
        """Raises ``UserFacingError`` (a bad image, a damaged page) with one sentence."""
        if item.problem:
            raise UserFacingError(item.problem)
        if item.page is None:
            return [ImagePart(prepare_image(item.path, self.detail))]
        if self._doc is None or self._doc.path != item.path:
            self.close()
            self._doc = open_document(item.path)
        return page_parts(self._doc, (item.page,), self.mode, self.detail)

    def close(self) -> None:
        if self._doc is not None:
            self._doc.close()
            self._doc = None
