"""HTML found in streamed answers, the external resources the preview blocks, and the prompts."""

from __future__ import annotations

from itertools import pairwise

import pytest

from app.workflows.screenshot_to_html import (
    HtmlExtractor,
    external_resources,
    extract_html,
    fix_differences_prompt,
    make_html_prompt,
)

PAGE = '<!DOCTYPE html>\n<html>\n<body>\n<div class="a">Hi</div>\n</body>\n</html>'
ANSWER = f"Here is the page:\n\n```html\n{PAGE}\n```\n\nIt uses flexbox."


def stream(text: str, cuts: list[int]) -> tuple[HtmlExtractor, list[str]]:
    """Feed ``text`` cut at the given offsets; return the extractor and every update it gave."""
    extractor = HtmlExtractor()
    updates = []
    bounds = [0, *cuts, len(text)]
    for start, end in pairwise(bounds):
        update = extractor.feed(text[start:end])
        if update is not None:
            updates.append(update)
    return extractor, updates


def test_fenced_block_streamed_one_character_at_a_time() -> None:
    extractor, updates = stream(ANSWER, list(range(1, len(ANSWER))))
    assert extractor.result() == PAGE
    assert updates[-1] == PAGE
    assert len(updates) == len(set(updates)), "an update is given only when the page changed"
    for update in updates:
        assert "`" not in update, "a half-streamed closing fence is never shown"
        assert not update.rstrip().endswith(("<", "<d", "<di")), "nor a half-streamed tag"


@pytest.mark.parametrize("marker", ["``", "```", "```ht", "```html"])
def test_split_inside_the_fence_marker(marker: str) -> None:
    cut = ANSWER.index("```html") + len(marker)
    extractor, updates = stream(ANSWER, [cut])
    assert extractor.result() == PAGE
    assert updates == [PAGE]


def test_split_inside_tags_and_closing_fence() -> None:
    cuts = [ANSWER.index("<bo") + 3, ANSWER.index('class="') + 4, ANSWER.rindex("```") + 1]
    extractor, updates = stream(ANSWER, cuts)
    assert extractor.result() == PAGE
    assert "<bo" not in updates[0]
    assert updates[0].endswith("<html>")


def test_unterminated_fence_gives_the_partial_page() -> None:
    extractor = HtmlExtractor()
    assert extractor.feed("Sure!\n```html\n<!DOCTYPE html>\n<html><body><h1>Ti") == (
        "<!DOCTYPE html>\n<html><body><h1>Ti"
    )
    assert extractor.feed("tle</h1><p cla") == "<!DOCTYPE html>\n<html><body><h1>Title</h1>"
    assert extractor.result() == "<!DOCTYPE html>\n<html><body><h1>Title</h1><p cla"


def test_untagged_fence_that_looks_like_html() -> None:
    assert extract_html("```\n<div>box</div>\n```") == "<div>box</div>"
    assert extract_html("```\nls -la\n```") is None
    assert extract_html("~~~\n<body>x</body>\n~~~") == "<body>x</body>"


def test_bare_document_without_fences() -> None:
    text = f"Of course.\n{PAGE}\nEnjoy!"
    assert extract_html(text) == PAGE
    extractor, updates = stream(text, [30, 45])
    assert extractor.result() == PAGE
    assert updates[-1] == PAGE
    assert extract_html("<!doctype html><html><body>still writ") == (
        "<!doctype html><html><body>still writ"
    )


def test_no_html() -> None:
    extractor = HtmlExtractor()
    assert extractor.feed("I cannot see an interface in this image.") is None
    assert extractor.feed("") is None
    assert extractor.result() is None
    assert extract_html("Use a <div> for it.") is None
    assert extract_html("```python\nprint('<div>')\n```") is None


def test_several_fences_prefer_the_html_tagged_one() -> None:
    text = (
        "CSS first:\n```css\nbody { margin: 0 }\n```\n"
        "Snippet:\n```\n<div>a much longer untagged snippet ................ </div>\n```\n"
        f"The file:\n```html\n{PAGE}\n```\n"
    )
    assert extract_html(text) == PAGE


def test_several_html_fences_prefer_the_largest() -> None:
    text = f"The header:\n```html\n<header>x</header>\n```\nThe page:\n```html\n{PAGE}\n```"
    assert extract_html(text) == PAGE


def test_longer_fence_holds_backticks() -> None:
    body = "<div>\n```\nnot a fence end\n</div>"
    assert extract_html(f"````html\n{body}\n````") == body


def test_external_resources_are_listed_once_in_page_order() -> None:
    html = """<!DOCTYPE html><html><head>
    <link rel="stylesheet" href="https://cdn.example.com/tw.css">
    <link rel="canonical" href="https://example.com/page">
    <link rel="icon" href="//icons.example.com/fav.ico">
    <link rel="stylesheet" href="local.css">
    <script src="https://cdn.example.com/lib.js"></script>
    <script type="module">import x from "https://esm.example.com/x"; const y = "a<b";</script>
    <style>
      @import url("https://fonts.example.com/css?family=Inter");
      @import 'http://old.example.com/reset.css';
      .hero { background: url(https://img.example.com/bg.png) }
      .logo { background: url('data:image/png;base64,AAAA') }
      .local { background: url(img/bg.png) }
    </style></head>
    <body style="background-image: url('//img.example.com/body.jpg')">
      <img src="https://img.example.com/a.png" srcset="https://img.example.com/a2.png 2x, b.png 3x">
      <img src="data:image/gif;base64,R0lGOD">
      <img src="./pic.png">
      <iframe src="https://maps.example.com/embed"></iframe>
      <a href="https://example.com/elsewhere">a link is not loaded</a>
      <script src="https://cdn.example.com/lib.js"></script>
    </body></html>"""
    assert external_resources(html) == [
        "https://cdn.example.com/tw.css",
        "//icons.example.com/fav.ico",
        "https://cdn.example.com/lib.js",
        "https://esm.example.com/x",
        "https://fonts.example.com/css?family=Inter",
        "http://old.example.com/reset.css",
        "https://img.example.com/bg.png",
        "//img.example.com/body.jpg",
        "https://img.example.com/a.png",
        "https://img.example.com/a2.png",
        "https://maps.example.com/embed",
    ]


def test_self_contained_page_has_no_external_resources() -> None:
    assert external_resources(PAGE) == []
    assert external_resources("") == []


def test_make_html_prompt_keeps_the_preset_and_adds_the_offline_rules() -> None:
    prompt = make_html_prompt("Recreate this dashboard.", 1280, 720)
    assert prompt.startswith("Recreate this dashboard.")
    assert "1280×720" in prompt
    assert "CDN" in prompt
    assert "```html" in prompt
    assert "<style>" in prompt
    assert "http" not in prompt, "our prompts must not suggest any network resource"
    assert make_html_prompt("  ", 10, 20).startswith("Answer with")


def test_fix_differences_prompt_names_the_images_in_order() -> None:
    prompt = fix_differences_prompt()
    assert prompt.index("first image") < prompt.index("second")
    assert "original" in prompt
    assert "CDN" in prompt
    assert "640×480" in fix_differences_prompt(640, 480)
