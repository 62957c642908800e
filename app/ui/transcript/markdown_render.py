"""Markdown answers to HTML for Qt's rich-text engine, never trusting the model's markup.

Why markdown-it-py and not ``QTextDocument.setMarkdown``: Qt's
importer (md4c) passes raw HTML in the answer straight into the document, offers no hook for
code fences (so no Pygments highlighting and no per-block "Copy" link) and no control over
which links become anchors. markdown-it-py with ``html=False`` turns any ``<script>`` or
``<b>`` into visible text, lets us render only http(s) links as anchors, replace images by
their alt text (nothing is ever fetched), and emit tables and code blocks in the HTML4 subset
that ``QTextDocument`` lays out (tables, ``<pre>``, inline styles).

Streaming: a 20,000-token answer is ~80 KB; parsing and laying it out again for every
16 ms chunk would stall the window (measured ~40 ms parse, ~150 ms ``setHtml`` + layout).
``MarkdownStream`` freezes every top-level block that a later block has closed, renders it
once, and re-renders only the trailing open block. The HTML comes in *segments* of a few KB,
so the view can keep one ``QTextDocument`` per segment and rebuild only the last one.

In a conversation about document pages, ``cite_pages`` turns page citations in the answer's
plain text into ``pixtral-page:`` links (``citation_links``); text in code never goes through
that rule, so a citation inside code stays text.
"""

from __future__ import annotations

import functools
import html as html_lib
import itertools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from app.ui.theme.tokens import COLOURS, TRANSCRIPT_COLOURS, Scheme
from app.ui.transcript.citation_links import link_citations

SEGMENT_CHARS = 1500
"""Close an HTML segment once it holds this many characters (one document each in the view)."""

LIVE_HIGHLIGHT_CHARS = 1500
"""A code block still streaming is highlighted again on every chunk only up to this size
(Pygments takes ~1 ms per 500 characters); a longer one stays plain until it is complete."""

WEB_SCHEMES = frozenset({"http", "https"})

CODE_PAD = {"side": 12, "header": 7, "body_top": 10, "body_bottom": 12}
"""A code block's cell padding in pixels: the view finds its header bar and body around
their first and last lines by these."""
COPY_ICON_ROOM = "&nbsp;" * 5
"""Room at the start of a code block's Copy link for the icon the view paints there."""


_LIGHT, _LIGHT_CODE = COLOURS[Scheme.LIGHT], TRANSCRIPT_COLOURS[Scheme.LIGHT]


@dataclass(frozen=True)
class RenderTheme:
    """Colors as ``#rrggbb``, from the theme's tokens for the scheme the view shows."""

    dark: bool = False
    text: str = _LIGHT.text
    muted: str = _LIGHT.text_muted
    link: str = _LIGHT.accent
    code_background: str = _LIGHT_CODE.code_body
    border: str = _LIGHT.border

    @classmethod
    def for_scheme(cls, scheme: Scheme) -> RenderTheme:
        colours, code = COLOURS[scheme], TRANSCRIPT_COLOURS[scheme]
        return cls(
            dark=scheme is Scheme.DARK,
            text=colours.text,
            muted=colours.text_muted,
            link=colours.accent,
            code_background=code.code_body,
            border=colours.border,
        )

    @property
    def scheme(self) -> Scheme:
        return Scheme.DARK if self.dark else Scheme.LIGHT

    @property
    def pygments_style(self) -> str:
        return TRANSCRIPT_COLOURS[self.scheme].code_style


LIGHT = RenderTheme()


@dataclass(frozen=True)
class Rendered:
    """HTML in segments (concatenate for the whole) and the text of each code block by index.

    A ``copy-code:N`` anchor in the HTML refers to ``code_blocks[N]``.
    """

    segments: tuple[str, ...]
    code_blocks: tuple[str, ...] = ()

    @property
    def html(self) -> str:
        return "".join(self.segments)


def document_css(theme: RenderTheme) -> str:
    """Default style sheet for each ``QTextDocument`` that shows rendered HTML."""
    return (
        "p, ul, ol, blockquote, pre, table { margin-top: 0px; margin-bottom: 8px; }"
        "h1, h2, h3, h4, h5, h6 { margin-top: 6px; margin-bottom: 6px; font-weight: 600; }"
        "h1 { font-size: x-large; } h2 { font-size: large; } h3 { font-size: medium; }"
        "h4, h5, h6 { font-size: medium; }"
        f"blockquote {{ color: {theme.muted}; margin-left: 12px; }}"
        f"a {{ color: {theme.link}; text-decoration: none; }}"
        "li { margin-bottom: 2px; }"
    )


def is_web_url(href: str) -> bool:
    """Only http(s) URLs with a host may become clickable links."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.netloc)


def render_markdown(text: str, theme: RenderTheme = LIGHT, cite_pages: bool = False) -> Rendered:
    """Render a whole answer at once (history, finished answers)."""
    env = _new_env(theme, [], {}, cite_pages)
    tokens = _MD.parse(_normalize(text), env)
    segments: list[str] = []
    current: list[str] = []
    size = 0
    starts = _block_starts(tokens)
    for begin, end in itertools.pairwise([*starts, len(tokens)]):
        part = _MD.renderer.render(tokens[begin:end], _MD.options, env)
        current.append(part)
        size += len(part)
        if size >= SEGMENT_CHARS:
            segments.append("".join(current))
            current, size = [], 0
    if current or not segments:
        segments.append("".join(current))
    return Rendered(tuple(segments), tuple(env["code_blocks"]))


def render_plain(text: str) -> Rendered:
    """User messages are shown as typed: escaped, whitespace kept, no Markdown."""
    body = html_lib.escape(_normalize(text)).replace("\n", "<br>")
    return Rendered((f'<p style="white-space: pre-wrap;">{body}</p>',))


class MarkdownStream:
    """Incremental rendering of one growing answer; feed it the whole text each time.

    Blocks before the last top-level block are complete (a later line opened a new block), so
    they are rendered once and kept. Link reference definitions can change earlier blocks;
    ``finish`` then falls back to one full render.
    """

    def __init__(self, theme: RenderTheme = LIGHT, cite_pages: bool = False) -> None:
        self.theme = theme
        self.cite_pages = cite_pages
        self._reset()

    def _reset(self) -> None:
        self._source = ""  # the frozen prefix of the (normalized) text
        self._closed: list[str] = []  # frozen segments that are full
        self._open: list[str] = []  # frozen blocks of the segment still filling
        self._open_size = 0
        self._codes: list[str] = []
        self._references: dict[str, Any] = {}
        self._saw_references = False

    def render(self, text: str) -> Rendered:
        text = _normalize(text)
        if not text.startswith(self._source):
            self._reset()  # the text was replaced, not extended
        tail = text[len(self._source) :]
        env = _new_env(self.theme, list(self._codes), dict(self._references), self.cite_pages)
        tokens = _MD.parse(tail, env)
        starts = _block_starts(tokens)
        if len(starts) >= 2:
            cut = starts[-1]
            for begin, end in itertools.pairwise(starts):
                self._add_frozen(_MD.renderer.render(tokens[begin:end], _MD.options, env))
            self._codes = list(env["code_blocks"])
            line = tokens[cut].map[0] if tokens[cut].map else 0
            self._source += tail[: _line_offset(tail, line)]
            tokens = tokens[cut:]
        references = env.get("references") or {}
        if len(references) > len(self._references):
            self._references = dict(references)
            self._saw_references = True
        env["live"] = True  # the open block: highlight only while cheap
        tail_html = _MD.renderer.render(tokens, _MD.options, env)
        frozen_open = ("".join(self._open),) if self._open else ()
        segments = (*self._closed, *frozen_open, tail_html)
        return Rendered(segments, tuple(env["code_blocks"]))

    def finish(self, text: str) -> Rendered:
        """The final rendering: incremental when that is exact, else one full render."""
        if self._saw_references:
            return render_markdown(text, self.theme, self.cite_pages)
        return self.render(text)

    def _add_frozen(self, html: str) -> None:
        self._open.append(html)
        self._open_size += len(html)
        if self._open_size >= SEGMENT_CHARS:
            self._closed.append("".join(self._open))
            self._open, self._open_size = [], 0


def _normalize(text: str) -> str:
    # markdown-it normalizes line ends before counting lines; do it first so offsets agree.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _line_offset(text: str, line: int) -> int:
    offset = 0
    for _ in range(line):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def _block_starts(tokens: list[Token]) -> list[int]:
    return [i for i, t in enumerate(tokens) if t.level == 0 and t.nesting >= 0 and t.map]


def _new_env(
    theme: RenderTheme, codes: list[str], references: dict[str, Any], cite_pages: bool = False
) -> dict:
    env: dict[str, Any] = {"theme": theme, "code_blocks": codes, "links": [], "cite": cite_pages}
    if references:
        env["references"] = references
    return env


# --- render rules -------------------------------------------------------------------------


def _lexer(language: str):
    try:
        return get_lexer_by_name(language) if language else TextLexer()
    except ClassNotFound:
        return TextLexer()


@functools.lru_cache(maxsize=64)
def language_label(language: str) -> str:
    """A code block's language as people write it: "py" → "Python"; "code" when none."""
    if not language:
        return "code"
    try:
        return get_lexer_by_name(language.lower()).name
    except ClassNotFound:
        return language


@functools.lru_cache(maxsize=8)
def _formatter(style: str) -> HtmlFormatter:
    return HtmlFormatter(noclasses=True, nowrap=True, style=style)


@functools.lru_cache(maxsize=512)
def highlight_code(code: str, language: str, style: str) -> str:
    """Pygments spans with inline colors (``QTextDocument`` knows no CSS classes)."""
    return highlight(code, _lexer(language.lower()), _formatter(style)).rstrip("\n")


def _render_code(renderer, tokens: list[Token], idx: int, options, env: dict) -> str:
    token = tokens[idx]
    theme: RenderTheme = env["theme"]
    language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
    code = token.content.rstrip("\n")
    index = len(env["code_blocks"])
    env["code_blocks"].append(code)
    if env.get("live") and len(code) > LIVE_HIGHLIGHT_CHARS:
        body = html_lib.escape(code)  # colored once the block is complete (frozen)
    else:
        body = highlight_code(code, language, theme.pygments_style) if code else ""
    label = html_lib.escape(language_label(language))
    pad = CODE_PAD
    header_pad = f"{pad['header']}px {pad['side']}px {pad['header']}px {pad['side']}px"
    body_pad = f"{pad['body_top']}px {pad['side']}px {pad['body_bottom']}px {pad['side']}px"
    # No background here: the view paints the rounded header bar and body behind the table
    # (``code_blocks``), which a QTextDocument cannot round. The spaces in the Copy link are
    # where its icon is painted, so the icon clicks like the word.
    return (
        f'<table width="100%" cellspacing="0" cellpadding="0" border="0" '
        f'style="margin-top: 4px; margin-bottom: 8px;">'
        f'<tr><td style="color: {theme.muted}; font-size: small; padding: {header_pad};">'
        f'{label}</td><td align="right" style="font-size: small; padding: {header_pad};">'
        f'<a href="copy-code:{index}" style="color: {theme.muted}; text-decoration: none;">'
        f"{COPY_ICON_ROOM}Copy</a></td></tr>"
        f'<tr><td colspan="2" style="padding: {body_pad};">'
        f'<pre style="margin: 0px; white-space: pre-wrap; font-family: monospace;">{body}'
        f"</pre></td></tr></table>\n"
    )


def _render_code_inline(renderer, tokens: list[Token], idx: int, options, env: dict) -> str:
    theme: RenderTheme = env["theme"]
    code = html_lib.escape(tokens[idx].content)
    return (
        f'<code style="background-color: {theme.code_background}; '
        f'font-family: monospace;">&#8202;{code}&#8202;</code>'
    )


def _render_link_open(renderer, tokens: list[Token], idx: int, options, env: dict) -> str:
    href = str(tokens[idx].attrGet("href") or "")
    clickable = is_web_url(href)
    env["links"].append(clickable)
    if not clickable:
        return ""  # the link text stays, as plain text
    theme: RenderTheme = env["theme"]
    return f'<a href="{html_lib.escape(href)}" style="color: {theme.link};">'


def _render_link_close(renderer, tokens: list[Token], idx: int, options, env: dict) -> str:
    return "</a>" if env["links"] and env["links"].pop() else ""


def _render_text(renderer, tokens: list[Token], idx: int, options, env: dict) -> str:
    """Plain text; page citations become page links, except inside the model's own links."""
    if env.get("cite") and not env["links"]:
        return link_citations(tokens[idx].content, env["theme"].link)
    return escapeHtml(tokens[idx].content)


def _render_image(renderer, tokens: list[Token], idx: int, options, env: dict) -> str:
    # Never an <img>: QTextDocument would try to load the source (local files included).
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    theme: RenderTheme = env["theme"]
    return f'<span style="color: {theme.muted};">[image: {html_lib.escape(alt)}]</span>'


def _render_table_open(renderer, tokens: list[Token], idx: int, options, env: dict) -> str:
    theme: RenderTheme = env["theme"]
    return (
        f'<table border="1" cellspacing="0" cellpadding="6" style="border-collapse: collapse; '
        f'border-color: {theme.border}; border-style: solid; margin-bottom: 8px;">\n'
    )


def _cell_open(tag: str):
    def render(renderer, tokens: list[Token], idx: int, options, env: dict) -> str:
        style = str(tokens[idx].attrGet("style") or "")
        align = style.removeprefix("text-align:").strip() if style else ""
        attrs = f' align="{align}"' if align in {"left", "center", "right"} else ""
        if tag == "th":
            theme: RenderTheme = env["theme"]
            attrs += f' style="background-color: {theme.code_background};"'
        return f"<{tag}{attrs}>"

    return render


def _build_parser() -> MarkdownIt:
    # breaks=True: models write one item per line and mean a line break (like GitHub comments).
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("fence", _render_code)
    md.add_render_rule("code_block", _render_code)
    md.add_render_rule("code_inline", _render_code_inline)
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("link_close", _render_link_close)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("text", _render_text)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("th_open", _cell_open("th"))
    md.add_render_rule("td_open", _cell_open("td"))
    return md


_MD = _build_parser()
