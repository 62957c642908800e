"""Screenshot-to-HTML: find the page in a streamed answer, list what it would fetch, word prompts.

No Qt here: the studio window feeds answer chunks to :class:`HtmlExtractor` and shows whatever
it returns in the sandboxed preview, asks :func:`external_resources` which URLs the sandbox
will block (so it can say so instead of showing a silently broken page), and sends the prompts
built by :func:`make_html_prompt` and :func:`fix_differences_prompt`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

PAGE_ANSWER_TOKENS = 8192
"""Answer limit of Make HTML: a page with its CSS runs to thousands of tokens, and one cut at
the app's default 1,024 is no page at all; the room left in the context still caps it."""

# A fence line as CommonMark has it: up to 3 spaces, 3+ backticks or tildes, an info string.
_FENCE_OPEN = re.compile(r"[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^`\n]*?)[ \t]*")
_FENCE_CLOSE = re.compile(r"[ \t]{0,3}(`{3,}|~{3,})[ \t]*")
# What tells an untagged (or wrongly tagged) fenced block apart from a shell or Python one.
_HTML_MARKERS = re.compile(r"<!doctype\b|<html\b|<body\b|<div\b", re.IGNORECASE)
_HTML_LANGS = frozenset({"html", "htm", "xhtml", "html5"})
# Code languages whose blocks are never the page, even when they mention "<div".
_WEB_LANGS = frozenset({"css", "js", "javascript", "ts", "typescript", "jsx", "tsx"})
_OTHER_LANGS = _WEB_LANGS | {"python", "py", "json", "bash", "sh", "shell", "console", "diff"}
_DOC_START = re.compile(r"<!doctype\s+html\b|<html\b", re.IGNORECASE)
_DOC_END = re.compile(r"</html\s*>", re.IGNORECASE)
# A tag still being streamed ("<di", '<a href="ht') at the very end of a partial page.
_PARTIAL_TAG = re.compile(r"<[^<>]*\Z")


@dataclass(frozen=True)
class _Block:
    lang: str
    body: str
    closed: bool


def _fenced_blocks(text: str) -> list[_Block]:
    """Split ``text`` into fenced blocks; the last one may be open (still streaming).

    The last line of ``text`` may be incomplete: an opening fence only counts once its line has
    ended (its info string may still be arriving), while a partial closing fence inside a block
    ("``") is dropped rather than shown as page text.
    """
    blocks: list[_Block] = []
    lines = text.split("\n")
    fence = ""
    lang = ""
    body: list[str] = []
    for index, line in enumerate(lines):
        last = index == len(lines) - 1
        if not fence:
            match = _FENCE_OPEN.fullmatch(line)
            if match and not last:
                fence, lang, body = match.group(1), match.group(2).split(" ")[0].lower(), []
            continue
        close = _FENCE_CLOSE.fullmatch(line)
        if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence):
            blocks.append(_Block(lang, "\n".join(body), closed=True))
            fence = ""
            continue
        if last and line.strip() and set(line.strip()) <= {fence[0]}:
            continue  # the closing fence, half streamed
        body.append(line)
    if fence:
        blocks.append(_Block(lang, "\n".join(body), closed=False))
    return blocks


def _best_block(blocks: list[_Block]) -> _Block | None:
    """The largest html-tagged block, else the largest one that looks like HTML.

    Models often show a CSS or JS snippet next to the page, or a small excerpt before the full
    file; the largest html block is the file.
    """
    tagged = [b for b in blocks if b.lang in _HTML_LANGS]
    if tagged:
        return max(tagged, key=lambda b: len(b.body))
    looking = [b for b in blocks if b.lang not in _OTHER_LANGS and _HTML_MARKERS.search(b.body)]
    return max(looking, key=lambda b: len(b.body)) if looking else None


def _bare_document(text: str) -> tuple[str, bool] | None:
    """A page written without fences: from ``<!DOCTYPE html>``/``<html`` to the last ``</html>``."""
    start = _DOC_START.search(text)
    if not start:
        return None
    ends = list(_DOC_END.finditer(text, start.start()))
    if ends:
        return text[start.start() : ends[-1].end()], True
    return text[start.start() :], False


def extract_html(text: str, *, streaming: bool = False) -> str | None:
    """The HTML page in a model answer, or None when it holds none.

    With ``streaming`` the answer may be cut anywhere, so a tag still being written at the very
    end is left out: the preview then never flashes "<di" as text between two chunks.
    """
    found: tuple[str, bool] | None
    block = _best_block(_fenced_blocks(text))
    found = (block.body, block.closed) if block else _bare_document(text)
    if found is None:
        return None
    html, complete = found
    if streaming and not complete:
        html = _PARTIAL_TAG.sub("", html)
    html = html.strip("\n")
    return html if html.strip() else None


class HtmlExtractor:
    """Follows a streamed answer and yields the page so far, for a live preview.

    The whole answer is re-read on each chunk (answers are tens of kilobytes, the scan is linear
    and in C), which makes splits anywhere — inside a fence marker, inside a tag — a non-issue.
    """

    def __init__(self) -> None:
        self._chunks: list[str] = []
        self._last: str | None = None

    @property
    def text(self) -> str:
        """The answer fed so far."""
        return "".join(self._chunks)

    def feed(self, text: str) -> str | None:
        """Add a chunk; return the page so far only when it differs from the last one returned.

        None means "nothing new to render", so the caller reloads the preview only when needed.
        """
        if not text:
            return None
        self._chunks.append(text)
        html = extract_html(self.text, streaming=True)
        if html is None or html == self._last:
            return None
        self._last = html
        return html

    def result(self) -> str | None:
        """The page in everything fed, taken as the full answer (nothing trimmed); None if none."""
        return extract_html(self.text)


# --- resources the page would fetch --------------------------------------------------------------

_EXTERNAL = re.compile(r"^(?:https?:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(['"])([^'"]+)\1""", re.IGNORECASE)
# ES module imports ("import x from 'https://esm.sh/...'", "import('https://...')").
_JS_IMPORT = re.compile(
    r"""\bimport\s*(?:\(\s*|[\w${}\s,*]*?\bfrom\s*|)(['"])((?:https?:)?//[^'"]+)\1"""
)
# Attributes whose URL the browser loads on its own (links a person clicks are not listed).
_URL_ATTRS: dict[str, tuple[str, ...]] = {
    "script": ("src",),
    "img": ("src",),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "source": ("src",),
    "track": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "input": ("src",),
    "object": ("data",),
    "body": ("background",),
    "table": ("background",),
    "td": ("background",),
}
_SRCSET_TAGS = frozenset({"img", "source"})
# <link rel=...> values that make the browser fetch the href.
_LOADING_RELS = frozenset(
    {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "manifest", "apple-touch-icon"}
)


class _ResourceParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in _URL_ATTRS.get(tag, ()):
            if name in values:
                self.urls.append(values[name])
        if tag in _SRCSET_TAGS and "srcset" in values:
            candidates = (part.split() for part in values["srcset"].split(","))
            self.urls.extend(words[0] for words in candidates if words)
        if tag == "link" and _LOADING_RELS & set(values.get("rel", "").lower().split()):
            self.urls.append(values.get("href", ""))
        if "style" in values:
            self.urls.extend(_css_urls(values["style"]))
        if tag in ("style", "script"):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self.urls.extend(_css_urls(data))
        elif self._in == "script":
            self.urls.extend(match.group(2) for match in _JS_IMPORT.finditer(data))


def _css_urls(css: str) -> list[str]:
    """URLs in ``url(...)`` and ``@import "..."``, in the order they appear."""
    found = [(m.start(), m.group(2)) for m in _CSS_URL.finditer(css)]
    found += [(m.start(), m.group(2)) for m in _CSS_IMPORT.finditer(css)]
    return [url for _, url in sorted(found)]


def external_resources(html: str) -> list[str]:
    """Every http(s) or protocol-relative URL the page would load, once each, in page order.

    The preview has no network, so these are the resources it blocks; listing them lets it say
    why a page looks broken (a CDN stylesheet, a web font). ``data:`` URLs and relative paths
    are not listed: they are not fetched from the network. URLs a script builds at run time
    (``fetch(...)``) cannot be seen here.
    """
    parser = _ResourceParser()
    parser.feed(html)
    parser.close()
    seen: dict[str, None] = {}
    for url in parser.urls:
        url = url.strip()
        if _EXTERNAL.match(url):
            seen.setdefault(url, None)
    return list(seen)


# --- prompts -------------------------------------------------------------------------------------

_OUTPUT_RULES = """\
Answer with exactly one complete, self-contained HTML file in a single ```html code block:
- start with <!DOCTYPE html> and end with </html>;
- put all CSS in a <style> element and any JavaScript in a <script> element of the same file;
- load nothing from the network: no CDN links, no external fonts, stylesheets, scripts or images \
(the page is shown offline and anything external is blocked); use system fonts, and inline SVG \
or CSS shapes in place of pictures and icons;
- size the page {size} so it matches the screenshot."""


def _rules(width: int | None, height: int | None) -> str:
    size = f"for a viewport of {width}×{height} pixels" if width and height else "to its size"
    return _OUTPUT_RULES.format(size=size)


def make_html_prompt(preset_text: str, width: int, height: int) -> str:
    """The "Make HTML" instruction: the user's editable preset plus the rules the preview needs.

    The rules are appended here rather than kept in the preset so that editing the preset can
    never bring back CDN links (which the offline preview would block) or a mismatched size
    (which would spoil the side-by-side comparison of the refine loop).
    """
    rules = _rules(width, height)
    preset_text = preset_text.strip()
    return f"{preset_text}\n\n{rules}" if preset_text else rules


def fix_differences_prompt(width: int | None = None, height: int | None = None) -> str:
    """The refine-loop instruction, sent with the original screenshot and the current render.

    Images come in that order (original first), so the prompt names them; the model already
    has its previous HTML in the conversation and is asked for the whole corrected file, since
    a partial patch could not be previewed.
    """
    size = f" at {width}×{height} pixels" if width and height else ""
    rules = _rules(width, height)
    return (
        "The first image is the original screenshot; the second is your HTML page as rendered"
        f"{size}. Compare them closely — layout, spacing, sizes, colours, fonts, text, borders, "
        "alignment, missing or extra elements — and list the differences briefly. Then fix "
        "every difference in your previous HTML.\n\n" + rules
    )
