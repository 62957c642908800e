"""What a script hands the command line, read the Unix way and bounded.

A prompt can be an argument, ``-`` (standard input: ``pdftotext x.pdf - | pixtral-desk ask -``)
or a file (``--prompt-file``): a long document does not fit the operating system's argument
limit (~128 KB on Linux), a pipe or a file has none. Images come by repeated flag or by a
quoted glob the command expands itself, so ``--image 'scans/*.png'`` works in any shell. PDF
pages go through the window's document code (``app.workflows.documents``): the same rendering
in the same sandboxed PDF process, the same page labels the model cites and the same costs.

Every input is outside input, so each has a bound and a one-sentence refusal.
"""

from __future__ import annotations

import argparse
import glob
import itertools
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from app.core.conversation import ImagePart, Part, TextPart
from app.core.errors import UserFacingError
from app.core.images import Detail
from app.workflows.documents import (
    Document,
    default_selection,
    document_parts,
    open_document,
)

MAX_PROMPT_BYTES = 16 * 1024 * 1024
"""16 MB of text is ~4 million tokens, 30 times the largest context: anything longer is a
mistake (a binary file, a runaway pipe), refused before it fills memory."""
MAX_SCHEMA_BYTES = 256 * 1024
"""A JSON schema for one answer is a few kilobytes; a larger file is not read."""
MAX_GLOB_MATCHES = 100_000
"""The files one command line may name, globs expanded: a batch over a whole disk is not a
receipts folder. A glob is read no further than this, so ``'/**'`` is refused at once instead
of after a walk over every file on the disk."""
STDIN = "-"


class PageMode(StrEnum):
    """How PDF pages are sent. ``text``: the text layer where a page has one, the picture
    where it has none (the window's default); ``images``: every page as its picture;
    ``both``: the picture followed by the text layer (layout and exact characters)."""

    TEXT = "text"
    IMAGES = "images"
    BOTH = "both"


def add_page_flags(parser: argparse.ArgumentParser, pages_default: str) -> None:
    """``--pages`` and ``--as``, the one definition ``ask`` and ``batch`` share: the same
    choices, default and help, and a page list whose form is checked as the line is read
    (before a model loads or a PDF opens). ``pages_default`` says which pages go without it."""
    parser.add_argument(
        "--pages", type=_page_list, default=None,
        help=f"PDF pages, like 1-3,7 (default: {pages_default.replace('%', '%%')})",
    )  # fmt: skip
    parser.add_argument(
        "--as", dest="page_mode", choices=[m.value for m in PageMode], default=PageMode.TEXT.value,
        action=_NotedWhenTyped,
        help="PDF pages as their text layer (where they have one), as images, or both "
        f"(default: {PageMode.TEXT.value})",
    )  # fmt: skip


def page_mode(args: object) -> PageMode:
    """How PDF pages are sent (``--as``, text unless typed)."""
    return PageMode(getattr(args, "page_mode", PageMode.TEXT.value))


def typed(args: object, dest: str) -> bool:
    """Whether the flag behind ``dest`` was on the command line (``_NotedWhenTyped``), not
    left at its default: ``ask`` refuses ``--as`` without a PDF, and says so."""
    return bool(getattr(args, f"{dest}_typed", False))


class _NotedWhenTyped(argparse.Action):
    """Stores the value as argparse would, and notes that the flag was typed (``typed``)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)
        setattr(namespace, f"{self.dest}_typed", True)


def _page_list(raw: str) -> str:
    """``--pages`` as argparse reads it: the text as given, once its form is right."""
    try:
        _page_ranges(raw)
    except UserFacingError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return raw


def read_prompt(prompt: str | None, prompt_file: Path | None, stdin: BinaryIO | None = None) -> str:
    """The prompt: ``--prompt-file``'s text, then the argument (``-`` reads standard input).

    Both may be given: the file is the material and the argument the question about it, as
    ``llm`` joins a piped text and its prompt. Raises ``UserFacingError`` when there is none.
    """
    texts = []
    if prompt_file is not None:
        texts.append(
            _read_text(stdin) if str(prompt_file) == STDIN else _read_file(prompt_file, "prompt")
        )
    if prompt == STDIN:
        texts.append(_read_text(stdin))
    elif prompt:
        texts.append(prompt)
    text = "\n\n".join(t.strip() for t in texts if t.strip())
    if not text:
        raise UserFacingError(
            "There is no prompt: give it as an argument, as - to read standard input, or with "
            "--prompt-file."
        )
    return text


def _read_text(stdin: BinaryIO | None) -> str:
    stream = stdin if stdin is not None else sys.stdin.buffer
    data = stream.read(MAX_PROMPT_BYTES + 1)
    return _decoded(data, "standard input")


def _read_file(path: Path, what: str) -> str:
    return _decoded(_read_bytes(path, what, MAX_PROMPT_BYTES), f"'{path}'")


def _read_bytes(path: Path, what: str, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of the file (one more says it is too large), or why not."""
    try:
        if path.is_dir():
            raise UserFacingError(f"The {what} file '{path}' is a folder.")
        with path.open("rb") as handle:
            return handle.read(limit + 1)
    except FileNotFoundError:
        raise UserFacingError(f"The {what} file '{path}' does not exist.") from None
    except OSError as exc:
        raise UserFacingError(
            f"The {what} file '{path}' cannot be read ({exc.strerror})."
        ) from None


def _decoded(data: bytes, where: str) -> str:
    if len(data) > MAX_PROMPT_BYTES:
        raise UserFacingError(
            f"The prompt from {where} is over {MAX_PROMPT_BYTES // 1024 // 1024} MB; "
            "no context holds that much text."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserFacingError(
            f"The prompt from {where} is not UTF-8 text (byte {exc.start}); convert it first, "
            "e.g. with pdftotext or iconv."
        ) from None


def expand_paths(patterns: list[str] | list[Path]) -> list[Path]:
    """Each path as given, or the sorted files a glob pattern (``*``, ``?``, ``[``) matches.

    A name that exists is taken as is even if it holds glob characters; a pattern that
    matches nothing is refused (a typo would otherwise answer nothing, silently).
    """
    paths: list[Path] = []
    for pattern in map(str, patterns):
        room = MAX_GLOB_MATCHES - len(paths)
        literal = Path(pattern).exists() or not glob.has_magic(pattern)
        matches = (
            [pattern]
            if literal
            else list(itertools.islice(glob.iglob(pattern, recursive=True), room + 1))
        )
        if not matches:
            raise UserFacingError(f"No file matches '{pattern}'.")
        if len(matches) > room:
            raise UserFacingError(
                f"'{pattern}' brings the files named to over {MAX_GLOB_MATCHES:,}; "
                "name fewer at a time."
            )
        found = [Path(match) for match in sorted(matches)]
        paths.extend(found if literal else [path for path in found if not path.is_dir()])
    return paths


def parse_pages(spec: str, total: int, name: str) -> tuple[int, ...]:
    """``"1-3,7"`` → ``(1, 2, 3, 7)``: pages as people write them, checked against ``total``."""
    ranges = _page_ranges(spec)
    last = max(end for _start, end in ranges)
    if last > total:
        raise UserFacingError(
            f"'{name}' has {total} page{'s' if total != 1 else ''}; there is no page {last}."
        )
    pages = itertools.chain.from_iterable(range(start, end + 1) for start, end in ranges)
    return tuple(dict.fromkeys(pages))  # each page once, in the order first named


def _page_ranges(spec: str) -> list[tuple[int, int]]:
    """The ranges a page list names, each ``first <= last`` from page 1; whatever the PDF."""
    ranges: list[tuple[int, int]] = []
    for item in spec.replace(" ", "").split(","):
        if not item:
            continue
        first, dash, last = item.partition("-")
        try:
            start = int(first)
            end = int(last) if dash else start
        except ValueError:
            raise UserFacingError(
                f"'{spec}' is not a list of pages; write it like 1-3,7."
            ) from None
        if start < 1 or end < start:
            raise UserFacingError(f"'{item}' is not a page range; pages count from 1.")
        ranges.append((start, end))
    if not ranges:
        raise UserFacingError(f"'{spec}' names no page.")
    return ranges


def page_parts(doc: Document, pages: tuple[int, ...], mode: PageMode, detail: Detail) -> list[Part]:
    """The chosen pages as the window sends them (header, labels, text or pictures).

    ``both`` adds each drawn page's text layer after its picture, under the same label.
    """
    parts = document_parts(doc, pages, detail, use_text_for_text_pages=mode is PageMode.TEXT)
    if mode is not PageMode.BOTH:
        return parts
    drawn = iter(pages)
    out: list[Part] = []
    for part in parts:
        out.append(part)
        if isinstance(part, ImagePart):
            text = doc.page_text(next(drawn) - 1)
            if text:
                out.append(TextPart(f"{text}\n"))
    return out


def pdf_parts(
    path: Path,
    pages_spec: str | None,
    mode: PageMode,
    detail: Detail,
    budget_tokens: int,
    notice: Callable[[str], None],
) -> list[Part]:
    """A PDF's pages for one question. Without ``pages_spec`` the window's default choice:
    the first pages that fit 60 % of the context, said on stderr when that is not all."""
    with open_document(path) as doc:
        if pages_spec:
            pages = parse_pages(pages_spec, doc.pages, doc.name)
        else:
            selection = default_selection(
                doc.page_costs(detail), budget_tokens, mode is PageMode.TEXT
            )
            if not selection.pages:
                raise UserFacingError(selection.reason)
            if len(selection.pages) < doc.pages:
                notice(f"{doc.name}: {selection.reason} (choose with --pages)")
            pages = selection.pages
        return page_parts(doc, pages, mode, detail)


def read_schema(path: Path) -> str:
    """A JSON schema file as compact JSON text (the form ``Sampling.json_schema`` carries)."""
    data = _read_bytes(path, "JSON schema", MAX_SCHEMA_BYTES)
    if len(data) > MAX_SCHEMA_BYTES:
        raise UserFacingError(
            f"The JSON schema '{path}' is over {MAX_SCHEMA_BYTES // 1024} KB, too large to "
            "be a schema."
        )
    return schema_text(_decoded(data, f"'{path}'"), f"'{path}'")


def schema_text(raw: str, where: str) -> str:
    """Check that ``raw`` is a JSON object (a schema) and return it compact."""
    try:
        schema = json.loads(raw)
    except RecursionError:
        raise UserFacingError(f"The JSON schema {where} is nested too deeply.") from None
    except json.JSONDecodeError as exc:
        raise UserFacingError(
            f"The JSON schema {where} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})."
        ) from None
    if not isinstance(schema, dict):
        raise UserFacingError(f"The JSON schema {where} must be a JSON object.")
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))
