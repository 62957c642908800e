"""Highlighting ahead finds exactly the blocks the renderer highlights."""

from __future__ import annotations

from app.ui.transcript.markdown_render import LIGHT, highlight_code, render_markdown
from app.ui.transcript.render_steps import fenced_code, highlight_ahead

ANSWER = (
    "Text first.\n\n```Python extra words\nprint('a')\n\n\n```\n\n~~~~\nplain ~~~ text\n~~~~\n\n"
    "````md\n```inner```\n````\n\n- item\n\n```\n\n```\n"
)


def test_blocks_highlighted_ahead_leave_the_renderer_nothing_to_highlight() -> None:
    blocks = fenced_code(ANSWER.replace("\n", "\r\n"))
    assert [language for _code, language in blocks] == ["Python", "", "md"]
    highlight_code.cache_clear()
    for block in blocks:
        highlight_ahead(block, LIGHT.pygments_style)
    misses = highlight_code.cache_info().misses
    rendered = render_markdown(ANSWER, LIGHT)
    assert len(rendered.code_blocks) == 4  # the empty one is never highlighted
    assert highlight_code.cache_info().misses == misses


def test_the_usual_lexers_are_imported_off_the_gui_thread() -> None:
    import sys
    import threading

    from app.ui.transcript.render_steps import warm_highlighters

    warmer = warm_highlighters()
    assert warmer is not threading.current_thread() and warmer is warm_highlighters()  # once
    warmer.join(timeout=30)
    assert "pygments.lexers.python" in sys.modules and "pygments.lexers.javascript" in sys.modules
