"""Page references in answers ("p. 3", "page 3", "pp. 3–5"), so the UI can make them clickable.

The document prompt labels every page "p. N" and asks the model to cite that way, but models
also write "page 3", "pages 3 and 4" or "pp. 3-5"; all of them should lead to the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def find_citations(answer: str, page_count: int | None = None) -> list[int]:
    """The pages ``answer`` cites, each once, in the order first cited."""
    seen: list[int] = []
    for citation in find_citation_spans(answer, page_count):
        seen.extend(page for page in citation.pages if page not in seen)
    return seen
