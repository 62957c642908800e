"""Rendering an answer in small steps, so that no event-loop pass waits on a whole one.

An answer with a few code blocks costs 10–30 ms to render (Pygments is two thirds of it,
profiled on the 2,000-message benchmark conversation), more than one 60 Hz frame. The view
measures rows off screen a few milliseconds per pass; this lets it highlight one code block
per step first (``highlight_code`` keeps the result), so the rendering itself, in a later
step, finds them done and costs only the Markdown.

The blocks are found with a regular expression, not the Markdown parser (that is the other
third of the cost). A block it gets wrong (a fence inside a list, say) is only highlighted
later with the rest: what is shown always comes from the parser.

The first block of a language also imports its Pygments lexer and style (20–50 ms, the worst
frame of the streaming benchmark); ``warm_highlighters`` does that for the usual languages on
a thread of its own when the transcript is made.
"""

from __future__ import annotations

import contextlib
import re
import threading

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

from app.ui.theme.tokens import TRANSCRIPT_COLOURS
from app.ui.transcript.markdown_render import highlight_code

WARM_LANGUAGES = (
    "python", "javascript", "typescript", "json", "bash", "html", "css", "sql", "c", "cpp",
    "java", "rust", "go", "yaml", "markdown",
)  # fmt: skip
_warming: list[threading.Thread] = []

_FENCE = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*)\n(?P<code>.*?)\n?^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def fenced_code(text: str) -> list[tuple[str, str]]:
    """(code, language) of each fenced block, as the renderer will ask ``highlight_code``."""
    blocks = []
    for match in _FENCE.finditer(text.replace("\r\n", "\n")):
        info = match["info"].strip()
        language = info.split(maxsplit=1)[0] if info else ""
        code = match["code"].rstrip("\n")
        if code:
            blocks.append((code, language))
    return blocks


def highlight_ahead(block: tuple[str, str], style: str) -> None:
    """Highlight one block now, so that rendering its answer later finds it done."""
    code, language = block
    highlight_code(code, language, style)


def warm_highlighters() -> threading.Thread:
    """Import the usual languages' lexers and the schemes' styles off the GUI thread, once
    per process (a lexer imported there first would cost a frame or three)."""
    if not _warming:
        _warming.append(threading.Thread(target=_import_highlighters, name="warm-lexers"))
        _warming[0].daemon = True
        _warming[0].start()
    return _warming[0]


def _import_highlighters() -> None:
    with contextlib.suppress(Exception):  # an unknown name (a fence's language half-streamed,
        get_lexer_by_name("-")  # "pyt") makes Pygments read the plugins' entry points: 45 ms
    styles = {colours.code_style for colours in TRANSCRIPT_COLOURS.values()}
    for language in WARM_LANGUAGES:
        for style in styles:  # a formatter of its own: the GUI thread's are not shared
            with contextlib.suppress(Exception):  # a missing lexer only stays cold
                highlight("x", get_lexer_by_name(language), HtmlFormatter(style=style))
