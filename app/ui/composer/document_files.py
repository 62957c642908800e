"""Telling PDFs from images among the files dropped, pasted or picked on the composer.

A drop handler must not touch the disk (a network share can take seconds to answer), so the
GUI thread decides by name alone: a ``.pdf`` file goes to the page picker, whose background
open refuses it with a message if it is not really a PDF. A PDF under another name ("scan", a
download without its suffix) first goes the image way; when decoding it as an image fails on
the pool, ``check_pdf_instead`` reads its header there and turns the refusal into
``PdfNotImage``, so the composer sends it to the page picker instead of calling it broken.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import ImageError

if TYPE_CHECKING:
    from app.ui.composer.pending_images import ImageSource

PDF_SUFFIX = ".pdf"
PDF_MAGIC = b"%PDF-"
HEADER_BYTES = 1024
"""pdfium accepts a PDF whose ``%PDF-`` header comes after some junk, within the first 1 KiB."""


class PdfNotImage(ImageError):
    """A file given as an image is a PDF: it belongs in the page picker."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"'{path.name}' is a PDF, not an image.")
        self.path = path


def is_pdf_name(path: Path) -> bool:
    """By name only (no disk access): safe on the GUI thread."""
    return path.suffix.lower() == PDF_SUFFIX


def split_documents(sources: Iterable[ImageSource]) -> tuple[list[ImageSource], list[Path]]:
    """Images to prepare, and PDFs (by name) for the page picker, each in the order given."""
    images: list[ImageSource] = []
    documents: list[Path] = []
    for source in sources:
        if isinstance(source.data, Path) and is_pdf_name(source.data):
            documents.append(source.data)
        else:
            images.append(source)
    return images, documents


def starts_like_pdf(path: Path) -> bool:
    """True when the file's first KiB holds the PDF header. Reads the disk: pool threads only."""
    try:
        with path.open("rb") as file:
            return PDF_MAGIC in file.read(HEADER_BYTES)
    except OSError:
        return False


def check_pdf_instead(data: object, error: ImageError) -> ImageError:
    """The error to report for a file that failed to decode: ``PdfNotImage`` if it is a PDF."""
    if isinstance(data, Path) and starts_like_pdf(data):
        return PdfNotImage(data)
    return error
