"""Page citations become pixtral-page links in answers, never in code nor inside web links."""

from __future__ import annotations

import re

from app.ui.transcript.citation_links import link_citations, page_href, parse_page_href
from app.ui.transcript.markdown_render import MarkdownStream, is_web_url, render_markdown

ANSWER = (
    "The rent is 900 euros (p. 1); the deposit is on pp. 3–5 and **page 2**.\n\n"
    "Use `p. 4` in code, or [p. 6](https://example.com/p6).\n\n"
    "```\nprint('see p. 7')\n```\n"
)


def _anchors(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', html)


def test_hrefs_round_trip_and_are_never_web_urls() -> None:
    assert page_href([3, 4, 5]) == "pixtral-page:3,4,5"
    assert parse_page_href("pixtral-page:3,4,5") == (3, 4, 5)
    assert parse_page_href("pixtral-page:2") == (2,)
    for bad in ("pixtral-page:", "pixtral-page:x", "pixtral-page:0", "https://p.org/3", "p. 3"):
        assert parse_page_href(bad) is None, bad
    assert not is_web_url("pixtral-page:3")


def test_link_citations_escapes_the_rest() -> None:
    html = link_citations("<b>see p. 2</b> & more", "#123456")
    assert html == (
        '&lt;b&gt;see <a href="pixtral-page:2" style="color: #123456;">p. 2</a>'
        "&lt;/b&gt; &amp; more"
    )


def test_answers_link_citations_only_outside_code_and_links() -> None:
    html = render_markdown(ANSWER, cite_pages=True).html
    pages = [href for href in _anchors(html) if href.startswith("pixtral-page:")]
    assert pages == ["pixtral-page:1", "pixtral-page:3,4,5", "pixtral-page:2"]
    assert "https://example.com/p6" in _anchors(html)
    assert "p. 4" in html and "see p. 7" in html  # left as code text


def test_without_documents_answers_have_no_page_links() -> None:
    assert not any(h.startswith("pixtral-page:") for h in _anchors(render_markdown(ANSWER).html))


def test_streamed_render_keeps_the_links() -> None:
    stream = MarkdownStream(cite_pages=True)
    for end in range(1, len(ANSWER) + 1, 7):
        stream.render(ANSWER[:end])
    final = stream.finish(ANSWER)
    assert final.html == render_markdown(ANSWER, cite_pages=True).html
    assert _anchors(final.html).count("pixtral-page:3,4,5") == 1
