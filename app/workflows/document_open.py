"""Opening a PDF in its own process, and the sentences for what can go wrong doing so.

Split from ``documents`` so the page logic there stays short; ``documents`` re-exports
``DocumentError`` and ``PasswordRequired``, the names callers catch. Every failure of the PDF
process, whether out of time, out of memory or a crash, becomes one ``DocumentError`` that
names the file and what was being done with it, and says nothing was sent.
"""

from __future__ import annotations

import stat
from pathlib import Path

from app.core.errors import UserFacingError
from app.core.memory_watch import EXIT_OVER_MEMORY
from app.workflows.pdf_process import GIB, MIB, PdfFailure, PdfLimits, PdfProcess


class DocumentError(UserFacingError):
    """A document (or a file given as one) cannot be opened or read."""


class PasswordRequired(DocumentError):
    """The PDF is encrypted and no password, or a wrong one, was given: the UI asks for it."""

    def __init__(self, name: str, wrong_password: bool) -> None:
        self.name = name
        self.wrong_password = wrong_password
        if wrong_password:
            message = f"The password for '{name}' is not correct. Try again."
        else:
            message = f"'{name}' is protected by a password. Enter it to open the document."
        super().__init__(message)


def check_file(path: Path, limits: PdfLimits) -> None:
    """Refuse what is plainly no PDF, or too large, before a process is started for it."""
    name = path.name
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DocumentError(f"'{name}' does not exist (it may have been moved).") from None
    except OSError as exc:
        raise DocumentError(f"'{name}' cannot be read ({exc.strerror or exc}).") from exc
    if stat.S_ISDIR(info.st_mode):
        raise DocumentError(f"'{name}' is a folder, not a PDF.")
    if info.st_size == 0:
        raise DocumentError(f"'{name}' is empty (0 bytes); it is not a PDF.")
    if info.st_size > limits.max_file_bytes:
        raise DocumentError(_too_big(name, limits))


def start_process(path: Path, password: str | None, limits: PdfLimits) -> tuple[PdfProcess, int]:
    """A PDF process with ``path`` open in it, and the page count."""
    name = path.name
    try:
        process = PdfProcess(limits)
    except OSError as exc:  # no process to be had (too many open, no memory left)
        message = f"'{name}' cannot be opened: the PDF reader did not start ({exc})."
        raise DocumentError(message) from exc
    try:
        reply = process.request(("open", str(path), password, limits.max_file_bytes), limits.open_s)
    except PdfFailure as failure:
        raise budget_error(name, "open", failure, limits) from None
    if reply[0] == "ok":
        return process, int(reply[1])
    process.close()
    reason = reply[1]
    if reason == "password":
        raise PasswordRequired(name, wrong_password=password is not None)
    messages = {
        "unreadable": f"'{name}' cannot be read ({reply[2] if len(reply) > 2 else ''}).",
        "too_big": _too_big(name, limits),
        "empty": f"'{name}' is empty (0 bytes); it is not a PDF.",
        "not_pdf": f"'{name}' is not a PDF.",
    }
    raise DocumentError(messages.get(reason, f"'{name}' is damaged and cannot be opened as a PDF."))


def budget_error(name: str, action: str, failure: PdfFailure, limits: PdfLimits) -> DocumentError:
    """One sentence for a PDF process that ran out of time or memory, or crashed."""
    if failure.kind == "time":
        deadline = limits.open_s if action == "open" else limits.page_s
        cost = f"takes too long to {action} (over {deadline:g} s)"
    elif limits.memory_bytes:
        memory = _size(limits.memory_bytes)
        cost = f"needs more than {memory} of memory to {action}"
        if failure.exitcode != EXIT_OVER_MEMORY:  # the watch says so; a limit's abort does not
            cost += ", or crashed the PDF reader"
    else:
        cost = f"crashed the PDF reader trying to {action}"
    return DocumentError(
        f"'{name}' {cost}; it may be damaged or hostile, so it was stopped. Nothing was sent."
    )


def _too_big(name: str, limits: PdfLimits) -> str:
    return (
        f"'{name}' is larger than {_size(limits.max_file_bytes)}, the most a document may be; "
        "split it or send the pages you need."
    )


def _size(count: int) -> str:
    return f"{count / GIB:g} GiB" if count >= GIB else f"{count / MIB:g} MiB"
