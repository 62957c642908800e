"""Markdown from the model is rendered as text, never trusted markup."""

from __future__ import annotations

import re

from app.ui.theme.tokens import COLOURS, TRANSCRIPT_COLOURS, Scheme
from app.ui.transcript.markdown_render import (
    COPY_ICON_ROOM,
    LIGHT,
    MarkdownStream,
    RenderTheme,
    is_web_url,
    render_markdown,
    render_plain,
)


def _anchors(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', html)


def test_raw_html_is_shown_as_text() -> None:
    html = render_markdown("<script>alert(1)</script> and <b>bold</b>\n\n<div>block</div>").html
    assert "<script" not in html and "<b>" not in html and "<div" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_only_http_links_are_clickable() -> None:
    text = (
        "[web](https://example.com/a?b=1) [plain](http://x.org) [js](javascript:alert(1)) "
        "[file](file:///etc/passwd) [ftp](ftp://x.org/f) [rel](notes.html) <https://auto.org>"
    )
    html = render_markdown(text).html
    assert _anchors(html) == ["https://example.com/a?b=1", "http://x.org", "https://auto.org"]
    assert "javascript" not in " ".join(_anchors(html))
    assert ">ftp<" not in html and "ftp" in html  # the text stays, as text


def test_is_web_url() -> None:
    assert is_web_url("https://a.b/c") and is_web_url("HTTP://a.b")
    assert not is_web_url("javascript:alert(1)")
    assert not is_web_url("file:///etc/passwd")
    assert not is_web_url("https://")


def test_images_are_never_loaded() -> None:
    html = render_markdown("![a cat](https://evil.example/track.png) ![](file:///x.png)").html
    assert "<img" not in html
    assert "[image: a cat]" in html


def test_tables_render_as_html_tables() -> None:
    html = render_markdown("| a | b |\n|--:|:-:|\n| 1 | 2 |\n").html
    assert "<table" in html and "<th" in html and '<td align="right">1</td>' in html


def test_code_blocks_are_highlighted_and_indexed() -> None:
    text = (
        "intro\n\n```python\ndef f():\n    return 1\n```\n\n"
        "    indented = True\n\n```\nplain\n```\n"
    )
    rendered = render_markdown(text)
    assert rendered.code_blocks == ("def f():\n    return 1", "indented = True", "plain")
    assert _anchors(rendered.html) == ["copy-code:0", "copy-code:1", "copy-code:2"]
    assert 'style="color:' in rendered.html  # Pygments inline styles, no CSS classes
    assert "class=" not in rendered.html


DARK = RenderTheme.for_scheme(Scheme.DARK)


def test_light_and_dark_code_colors_differ() -> None:
    code = "```python\ndef f():\n    return 'x'\n```\n"
    light, dark = render_markdown(code, LIGHT).html, render_markdown(code, DARK).html
    assert light != dark
    assert DARK.muted in dark and LIGHT.muted in light  # the header's language name
    # The box and its header bar are painted by the view (rounded), not by the table.
    assert "background" not in light.split("<pre")[0] and "background" not in dark


def test_theme_colours_come_from_the_tokens() -> None:
    for scheme in Scheme:
        theme, colours = RenderTheme.for_scheme(scheme), COLOURS[scheme]
        assert (theme.text, theme.muted, theme.link) == (
            colours.text,
            colours.text_muted,
            colours.accent,
        )
        assert theme.pygments_style == TRANSCRIPT_COLOURS[scheme].code_style
    assert RenderTheme() == LIGHT == RenderTheme.for_scheme(Scheme.LIGHT)


def test_code_header_names_the_language_and_offers_copy() -> None:
    html = render_markdown("```py\nx = 1\n```\n\n```\nplain\n```\n").html
    assert ">Python</td>" in html and ">code</td>" in html
    assert html.count(f"{COPY_ICON_ROOM}Copy</a>") == 2


def test_user_text_is_plain() -> None:
    html = render_plain("a <b>\n# not a heading").html
    assert "&lt;b&gt;<br># not a heading" in html and "<h1" not in html


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


SAMPLE = (
    "# Title\n\nSome *text* with a [link](https://a.org).\n\n"
    "```python\nfor i in range(3):\n    print(i)\n```\n\n"
    "- one\n- two\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\nSetext\n---\n\n"
    "> quote\n\n```js\nlet x = 1;\n```\n\nThe end.\n"
)


def test_streaming_ends_equal_to_a_full_render() -> None:
    for size in (1, 3, 17):
        stream = MarkdownStream()
        text = ""
        for chunk in _chunks(SAMPLE, size):
            text += chunk
            partial = stream.render(text)
            assert len(partial.code_blocks) <= 2
        final = stream.finish(text)
        full = render_markdown(SAMPLE)
        assert final.html == full.html
        assert final.code_blocks == full.code_blocks


def test_streaming_rerenders_only_the_tail() -> None:
    stream = MarkdownStream()
    text = "\n\n".join(f"Paragraph {i} " + "word " * 200 for i in range(60))
    first = stream.render(text)
    grown = stream.render(text + " more")
    assert len(first.segments) > 3
    # every segment but the last two (the filling one and the open block) is the same object
    assert all(a is b for a, b in zip(first.segments[:-2], grown.segments[:-2], strict=True))


def test_streaming_restarts_when_the_text_is_replaced() -> None:
    stream = MarkdownStream()
    stream.render("first answer\n\nsecond paragraph")
    assert stream.render("other").html == render_markdown("other").html


def test_late_reference_definitions_are_resolved_at_the_end() -> None:
    text = "See [the docs][d].\n\nMore text.\n\n[d]: https://docs.example\n"
    stream = MarkdownStream()
    for i in range(1, len(text) + 1):
        stream.render(text[:i])
    assert _anchors(stream.finish(text).html) == ["https://docs.example"]
