"""How a document's pages are marked inside a message, and whether a conversation holds any.

A document question is ordinary parts: a header line ("Document 'x.pdf' (12 pages); pages
included: …"), then per page a label ``[x.pdf p. 3]`` followed by the page's text layer or its
rendered image. The header and labels are the only record, in a stored message, that parts came
from a document — so the formats live here, in core, where both the document workflow (which
writes and reads them: ``app.workflows.citations``) and the engine (which must never send a
document to a remote server: ``app.engine.chat_payload``) can reach them.

A page image always follows its label, and every document question carries its header, so a
message holds document pages exactly when one of its text parts is a header or a label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from app.core.conversation import Message, Part, TextPart

LABEL = re.compile(r"\A\[(?P<name>.+) p\. (?P<page>\d{1,5})\]\n")
HEADER = re.compile(r"\ADocument '.+' \(\d+ pages?\); pages included: [\d, ]+\. Cite the pages")


def document_header(name: str, total: int, pages: Sequence[int]) -> str:
    """The line that introduces a document's pages to the model and asks for page citations."""
    listed = ", ".join(str(page) for page in pages)
    return (
        f"Document '{name}' ({total} pages); pages included: {listed}. "
        'Cite the pages you use as "p. N".\n'
    )


def page_label(name: str, page: int) -> str:
    """The line that precedes each page in a document question: ``[report.pdf p. 3]``."""
    return f"[{name} p. {page}]\n"


def labelled_pages(parts: Iterable[Part]) -> list[int]:
    """The page numbers ``parts`` carry labels for, in the order they come."""
    pages: list[int] = []
    for part in parts:
        match = LABEL.match(part.text) if isinstance(part, TextPart) else None
        if match:
            pages.append(int(match["page"]))
    return pages


def page_span(pages: Iterable[int]) -> str:
    """Pages as people write them, runs collapsed: "p. 4", "pp. 1–3, 7"; "" for none.

    Shown on a document's chip, where a list of forty numbers would say less than "1–40".
    """
    numbers = sorted(set(pages))
    runs: list[str] = []
    start = 0
    for index in range(1, len(numbers) + 1):
        if index == len(numbers) or numbers[index] != numbers[index - 1] + 1:
            first, last = numbers[start], numbers[index - 1]
            runs.append(str(first) if first == last else f"{first}–{last}")
            start = index
    if not runs:
        return ""
    return ("p. " if len(numbers) == 1 else "pp. ") + ", ".join(runs)


def is_document_text(part: Part) -> bool:
    """True for the text a document question carries for the model: its header and pages."""
    return isinstance(part, TextPart) and bool(LABEL.match(part.text) or HEADER.match(part.text))


def holds_document(messages: Iterable[Message]) -> bool:
    """Whether any of ``messages`` carries pages of a document (as text or as images)."""
    return any(is_document_text(part) for message in messages for part in message.parts)
