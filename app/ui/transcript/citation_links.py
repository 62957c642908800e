"""Page citations in answers as links of our own scheme, never as web links.

A citation such as "p. 3" or "pp. 3–5" becomes ``<a href="pixtral-page:3,4,5">``. The scheme is
internal: the transcript turns a click on it into a signal, ``QDesktopServices`` never sees
it, and ``is_web_url`` refuses it, so an answer cannot smuggle a real URL in through a
citation. The markdown renderer calls ``link_citations`` for plain text only, so citations in
code (inline or fenced) and inside the model's own links stay text.
"""

from __future__ import annotations

from collections.abc import Iterable

from markdown_it.common.utils import escapeHtml

from app.workflows.citations import find_citation_spans

PAGE_SCHEME = "pixtral-page"


def page_href(pages: Iterable[int]) -> str:
    return f"{PAGE_SCHEME}:{','.join(str(page) for page in pages)}"


def parse_page_href(href: str) -> tuple[int, ...] | None:
    """The pages a ``pixtral-page:`` link names; None for any other link or a malformed one."""
    scheme, sep, rest = href.partition(":")
    if scheme != PAGE_SCHEME or not sep:
        return None
    try:
        pages = tuple(int(item) for item in rest.split(","))
    except ValueError:
        return None
    return pages if pages and all(page >= 1 for page in pages) else None


def link_citations(text: str, colour: str) -> str:
    """``text`` escaped for HTML (as markdown-it escapes it), each page citation a page link."""
    out: list[str] = []
    at = 0
    for citation in find_citation_spans(text):
        out.append(escapeHtml(text[at : citation.start]))
        label = escapeHtml(text[citation.start : citation.end])
        out.append(f'<a href="{page_href(citation.pages)}" style="color: {colour};">{label}</a>')
        at = citation.end
    out.append(escapeHtml(text[at:]))
    return "".join(out)
