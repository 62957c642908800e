"""Page references in answers ("p. 3", "page 3", "pp. 3–5"), so the UI can make them clickable.

The document prompt labels every page "p. N" and asks the model to cite that way, but models
also write "page 3", "pages 3 and 4" or "pp. 3-5"; all of them should lead to the page.

The label format (``page_label``, in ``app.core.document_marks`` so the engine can recognise a
document too) is the only record, in a stored question, of which pages of which document were
sent, so a reopened chat finds its pages again from the message parts alone (``sent_pages``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.core.conversation import ImagePart, Part, TextPart
from app.core.document_marks import LABEL as _LABEL
from app.core.document_marks import document_header, is_document_text, page_label
from app.core.images import PreparedImage

__all__ = [
    "Citation",
    "SentPage",
    "cited_page",
    "document_header",
    "find_citation_spans",
    "is_document_text",
    "page_label",
    "page_ranges",
    "question_shown",
    "question_words",
    "sent_pages",
]

MAX_RANGE = 50
"""A range wider than this ("pp. 1–900") is taken as its two ends, not every page between."""

_NUMBER_LIST = r"\d{1,5}(?:\s*(?:[-–—]|to)\s*\d{1,5})?"
_CITATION = re.compile(
    rf"\b(?:pp?\.|pages?|pgs?\.)\s*(?P<numbers>{_NUMBER_LIST}"
    rf"(?:\s*(?:,|&|and)\s*{_NUMBER_LIST})*)",
    re.IGNORECASE,
)
_ITEM = re.compile(r"(\d{1,5})(?:\s*(?:[-–—]|to)\s*(\d{1,5}))?")


@dataclass(frozen=True)
class Citation:
    """One reference in the answer: where it stands (for linking) and the pages it names."""

    start: int
    end: int
    pages: tuple[int, ...]


def find_citation_spans(answer: str, page_count: int | None = None) -> list[Citation]:
    """Every page reference in ``answer`` with its character span, in reading order.

    With ``page_count``, pages outside ``1..page_count`` are dropped (a model may cite a page
    it never saw); a reference left with no page is not reported.
    """
    citations = []
    for match in _CITATION.finditer(answer):
        pages: list[int] = []
        for item in _ITEM.finditer(match.group("numbers")):
            first = int(item.group(1))
            last = int(item.group(2)) if item.group(2) else first
            low, high = min(first, last), max(first, last)
            span = range(low, high + 1) if high - low <= MAX_RANGE else (low, high)
            pages.extend(page for page in span if page not in pages)
        if page_count is not None:
            pages = [page for page in pages if 1 <= page <= page_count]
        pages = [page for page in pages if page >= 1]
        if pages:
            citations.append(Citation(match.start(), match.end(), tuple(pages)))
    return citations


@dataclass(frozen=True)
class SentPage:
    """One document page that went with a question: as pixels (``image``) or as ``text``."""

    document: str
    page: int
    image: PreparedImage | None = None
    text: str = ""


def sent_pages(parts: Iterable[Part]) -> list[SentPage]:
    """The document pages among a message's parts, in the order they were sent.

    A label part followed by an image is a page sent as pixels; a label with text after it in
    the same part is a page sent as its text layer. Other parts (the question) are ignored.
    """
    found: list[SentPage] = []
    pending: tuple[str, int] | None = None  # a bare label, waiting for its image
    for part in parts:
        if isinstance(part, ImagePart):
            if pending is not None:
                found.append(SentPage(pending[0], pending[1], image=part.image))
            pending = None
            continue
        if not isinstance(part, TextPart):
            continue
        pending = None
        match = _LABEL.match(part.text)
        if match is None:
            continue
        name, page = match.group("name"), int(match.group("page"))
        body = part.text[match.end() :].strip()
        if body:
            found.append(SentPage(name, page, text=body))
        else:
            pending = (name, page)
    return found


def page_ranges(pages: Iterable[int]) -> str:
    """``[1, 2, 3, 5]`` → ``"pp. 1–3, 5"``; one page → ``"p. 4"`` (as people cite pages)."""
    ordered = sorted(set(pages))
    spans: list[str] = []
    start = previous = None
    for page in [*ordered, None]:
        if page is not None and previous is not None and page == previous + 1:
            previous = page
            continue
        if start is not None:
            spans.append(f"{start}–{previous}" if previous != start else str(start))
        start = previous = page
    prefix = "p." if len(ordered) == 1 else "pp."
    return f"{prefix} {', '.join(spans)}" if spans else ""


def question_words(parts: Iterable[Part]) -> str:
    """What the user typed, without the documents' text or a job's instructions (what an edit
    starts from)."""
    return "".join(
        part.text
        for part in parts
        if isinstance(part, TextPart) and not part.label and not is_document_text(part)
    )


def question_shown(parts: Sequence[Part]) -> str | None:
    """A question as the transcript shows it, when the app wrote part of it: what the user did
    ("Make HTML · use a dark theme"), one line per document instead of the text of every page
    ("lease.pdf · pp. 1–3"; a 50-page contract would fill the screen), then the user's words.

    None when the message is the user's words alone (show its text as it is).
    """
    pages = sent_pages(parts)
    labels = [part.label for part in parts if isinstance(part, TextPart) and part.label]
    if not pages and not labels:
        return None
    words = question_words(parts).strip()
    if labels and not pages:
        wishes = " ".join(words.split())
        return " · ".join(dict.fromkeys(labels)) + (f" · {wishes}" if wishes else "")
    lines: list[str] = []
    for name in dict.fromkeys(page.document for page in pages):
        mine = [page for page in pages if page.document == name]
        images = [page.page for page in mine if page.image is not None]
        line = f"{name} · {page_ranges(page.page for page in mine)}"
        if images:
            pictures = "as an image" if len(images) == 1 else "as images"
            line += f" ({page_ranges(images)} {pictures})"
        lines.append(line)
    return "\n".join(lines) + (f"\n\n{words}" if words else "")


def cited_page(sent: Sequence[SentPage], pages: Iterable[int]) -> SentPage | None:
    """The sent page a citation leads to: its first page that was sent, latest copy first.

    Latest first because a chat that attached two documents is most likely answering about
    the one sent last; a range ("pp. 3–5") opens the first of its pages that was sent.
    """
    for page in pages:
        for candidate in reversed(sent):
            if candidate.page == page:
                return candidate
    return None
