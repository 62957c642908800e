"""How a document's pages are marked inside a message, and whether a conversation holds any.

A document question is ordinary parts: a header line ("Document 'x.pdf' (12 pages); pages
included: …"), then per page a label ``[x.pdf p. 3]`` followed by the page's text layer or its
rendered image. The header and labels are the only record, in a stored message, that parts came
from a document — so the formats live here, in core, where both the document workflow (which
writes and reads them: ``app.workflows.citations``) and the engine (which must never send a
document to a remote server: ``app.engine.chat_payload``, issue 12) can reach them.

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


def is_document_text(part: Part) -> bool:
    """True for the text a document question carries for the model: its header and pages."""
    return isinstance(part, TextPart) and bool(LABEL.match(part.text) or HEADER.match(part.text))


def holds_document(messages: Iterable[Message]) -> bool:
    """Whether any of ``messages`` carries pages of a document (as text or as images)."""
    return any(is_document_text(part) for message in messages for part in message.parts)
