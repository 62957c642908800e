"""Shared setup for the window tests: short job answers on the tiny model.

Make HTML and document questions ask for answers of thousands of tokens (a page, a cited
summary). The tiny random model never ends an answer by itself, so each such turn would write
all of them (~30 s on two cores). Window tests keep the app's answer limit small
(``max_tokens`` 24) for the same reason; here the jobs' limits shrink with it. A test about
the limits themselves sets them back (``real_job_limits``).
"""

from __future__ import annotations

import pytest

TEST_JOB_LIMIT = 32


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
