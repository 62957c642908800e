"""Shared setup for the window tests: short job answers on the tiny model, and Qt objects of a
finished test freed on the GUI thread.

Make HTML and document questions ask for answers of thousands of tokens (a page, a cited
summary). The tiny random model never ends an answer by itself, so each such turn would write
all of them (~30 s on two cores). Window tests keep the app's answer limit small
(``max_tokens`` 24) for the same reason; here the jobs' limits shrink with it. A test about
the limits themselves sets them back (``real_job_limits``).

Cycles are collected on the GUI thread after each test (``tests/conftest.py``), never by a
pool thread.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

TEST_JOB_LIMIT = 32


@pytest.fixture
def unthemed_afterwards(qapp):
    """The shared application, given back without a theme and with its old palette and sheet."""
    from app.ui.theme.theme import Theme

    palette, sheet = qapp.palette(), qapp.styleSheet()
    yield qapp
    theme = Theme.of(qapp)
    if theme is not None:
        theme.uninstall()
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)


@pytest.fixture(autouse=True)
def empty_clipboard_afterwards() -> Iterator[None]:
    """A test's QMimeData left on the clipboard is freed twice at interpreter exit (PySide 6.11:
    the clipboard owns it and so does its Python wrapper), a segfault after all tests passed
    that makes pytest's exit status 139. The app itself never puts a QMimeData there."""
    yield
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear()


@pytest.fixture(autouse=True)
def short_job_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.ui.session.chat_session.DOCUMENT_ANSWER_TOKENS", TEST_JOB_LIMIT)
    monkeypatch.setattr("app.ui.studio.studio_link.PAGE_ANSWER_TOKENS", TEST_JOB_LIMIT)


@pytest.fixture
def real_job_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limits the app ships with, for a test on a server that ends its answers."""
    from app.workflows.documents import DOCUMENT_ANSWER_TOKENS
    from app.workflows.screenshot_to_html import PAGE_ANSWER_TOKENS

    monkeypatch.setattr(
        "app.ui.session.chat_session.DOCUMENT_ANSWER_TOKENS", DOCUMENT_ANSWER_TOKENS
    )
    monkeypatch.setattr("app.ui.studio.studio_link.PAGE_ANSWER_TOKENS", PAGE_ANSWER_TOKENS)
