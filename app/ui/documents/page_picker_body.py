"""The page picker's body: how pages are sent, and the pages with what each costs.

Only layout and words, kept apart from the dialog's document-thread logic so each file stays
small: two titled sections, the options above the page list, the running total under it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.core.images import Detail
from app.ui.common.detail_words import detail_label
from app.ui.theme.dialog_parts import Section
from app.workflows.documents import PageCost


def page_label(cost: PageCost) -> str:
    """Both prices side by side, so people see how much cheaper the text layer is."""
    text = f"{cost.text_tokens_estimate:,} tok (text)" if cost.has_text else "no text layer"
    return f"p. {cost.page} — {cost.image_tokens:,} tok (image) / {text}"


def detail_choice() -> QComboBox:
    """Detail levels in words ("Native (1024 px)"), each holding its ``Detail``; Native first
    chosen: a page's small print needs every pixel."""
    combo = QComboBox()
    for detail in Detail:
        combo.addItem(detail_label(detail), detail)
    combo.setCurrentIndex(combo.findData(Detail.NATIVE))
    combo.setToolTip("How many pixels of each page the model sees.")
    return combo


def text_check() -> QCheckBox:
    check = QCheckBox("Use the text layer for pages that have one")
    check.setChecked(True)
    check.setToolTip("Text is far cheaper than pixels, but loses layout, figures and handwriting.")
    return check


def picker_body(
    detail: QWidget,
    use_text: QWidget,
    pages: QWidget,
    reason: QLabel,
    total: QLabel,
    default_button: QWidget,
) -> QWidget:
    """The options section (detail, text layer) over the pages section (list, why these
    pages, the total and "Default selection")."""
    options = Section("How pages are sent", "Pixels keep layout and figures; text is cheaper.")
    options.add_row("Detail", detail)
    options.add_wide(use_text)
    detail.setAccessibleName("Detail")
    listed = Section("Pages", "Tick the pages to ask about; each shows what it costs.")
    listed.body.addWidget(pages, 1)
    listed.body.addWidget(reason)
    total_row = QHBoxLayout()
    total_row.addWidget(total, 1)
    total_row.addWidget(default_button)
    listed.body.addLayout(total_row)
    body = QWidget()
    column = QVBoxLayout(body)
    column.setContentsMargins(0, 0, 0, 0)
    column.addWidget(options)
    column.addWidget(listed, 1)
    return body
