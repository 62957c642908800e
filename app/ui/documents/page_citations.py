"""Show the page a citation in an answer names.

The page is shown as it was sent, from the question's own parts: the rendered image for a page
sent as pixels (the same viewer as any sent image), the text layer for a page sent as text.
Nothing is re-opened from disk: the PDF may have moved since, and what the model read is what
the citation refers to. A citation of a page that was never sent gets a sentence saying which
pages were, rather than a click that does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.ui.common.image_viewer import ImageViewerDialog
from app.workflows.citations import SentPage, cited_page


class PageTextDialog(QDialog):
    """A page that went to the model as its text layer: that text, read-only."""

    def __init__(self, page: SentPage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self.setAccessibleName(f"Text of p. {page.page} of {page.document}")
        note = QLabel("This page was sent as its text layer; this is the text the model read.")
        note.setWordWrap(True)
        self.text = QPlainTextEdit(page.text, self)
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Page text")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(560, 640)


def open_cited_page(
    parent: QWidget, sent: Sequence[SentPage], pages: Sequence[int]
) -> QDialog | str:
    """Open (window-modal, without blocking) the first cited page that was sent.

    Returns the dialog, or, when none of ``pages`` was sent in this chat, a notice to show.
    """
    page = cited_page(sent, pages)
    if page is None:
        return not_sent_notice(sent, pages)
    dialog: QDialog
    dialog = ImageViewerDialog(page.image, parent) if page.image else PageTextDialog(page, parent)
    dialog.setWindowTitle(f"p. {page.page} — {page.document}")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def not_sent_notice(sent: Sequence[SentPage], pages: Sequence[int]) -> str:
    """One sentence: the cited page was not sent, and which pages were."""
    cited = f"p. {pages[0]}" if len(pages) == 1 else f"pp. {page_ranges(pages)}"
    by_document: dict[str, list[int]] = {}
    for page in sent:
        by_document.setdefault(page.document, []).append(page.page)
    if not by_document:
        return f"{cited} cannot be shown: no document pages were sent in this chat."
    listed = "; ".join(f"{name} p. {page_ranges(nums)}" for name, nums in by_document.items())
    return f"{cited} was not sent in this chat, so it cannot be shown (sent: {listed})."


def page_ranges(pages: Sequence[int]) -> str:
    """``[1, 2, 3, 5]`` → ``"1–3, 5"``."""
    ordered = sorted(set(pages))
    runs: list[list[int]] = []
    for page in ordered:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)
