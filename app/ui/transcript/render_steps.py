"""Rendering an answer in small steps, so that no event-loop pass waits on a whole one.

An answer with a few code blocks costs 10–30 ms to render (Pygments is two thirds of it,
profiled on the 2,000-message benchmark conversation), more than one 60 Hz frame. The view
measures rows off screen a few milliseconds per pass; this lets it highlight one code block
per step first (``highlight_code`` keeps the result), so the rendering itself, in a later
step, finds them done and costs only the Markdown.

The blocks are found with a regular expression, not the Markdown parser (that is the other
third of the cost). A block it gets wrong (a fence inside a list, say) is only highlighted
later with the rest: what is shown always comes from the parser.
"""

from __future__ import annotations

import re

from app.ui.transcript.markdown_render import highlight_code

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
