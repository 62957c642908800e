"""The parts every dialog is built from: titled sections, aligned forms, one kind of button row.

Dialogs looked like a stack of bare group boxes with labels such as ``kv_type``; people read a
dialog by its headings, so each group gets a heading and one line saying what it is for, and
the buttons sit where every desktop puts them (the primary action last, on the right) with the
safe action as the default, so a stray Enter never deletes anything. The look itself lives in
the dialog block of :mod:`app.ui.theme.stylesheet`; these only name the parts it styles.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLayout,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.ui.theme.tokens import SPACING

SECTION = "dialogSection"
HEADING = "sectionHeading"
DESCRIPTION = "sectionDescription"
PAGE = "dialogPage"
"""Object names the dialog block of the stylesheet styles."""


class Section(QFrame):
    """A group of a dialog: a heading, one line on what it is for, then its rows.

    ``form`` is an aligned label/field form for the rows; other content goes in ``body``.
    """

    def __init__(self, heading: str, description: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(SECTION)
        self.setAccessibleName(heading)
        self.heading = QLabel(heading)
        self.heading.setObjectName(HEADING)
        self.heading.setAccessibleName(f"Section: {heading}")
        self.description = QLabel(description)
        self.description.setObjectName(DESCRIPTION)
        self.description.setWordWrap(True)
        self.description.setVisible(bool(description))
        self.body = QVBoxLayout(self)
        gap = SPACING["md"]
        self.body.setContentsMargins(SPACING["lg"], gap, SPACING["lg"], SPACING["lg"])
        self.body.setSpacing(SPACING["sm"])
        self.body.addWidget(self.heading)
        self.body.addWidget(self.description)
        self.body.addSpacing(SPACING["xs"])
        self.form = aligned_form()
        self.body.addLayout(self.form)

    def add_row(self, label: str, field: QWidget | QLayout) -> None:
        """One labelled row of the form, the label centred on its field's line (Qt puts a
        short label at the top of a tall row) and given the field as its buddy."""
        self.form.addRow(label, field)
        if isinstance(field, QAbstractSpinBox):
            # Qt's stylesheet padding does not reach a spin box's text: without this its
            # number sat against the border, left of every other field's text.
            field.lineEdit().setTextMargins(SPACING["sm"] - 1, 0, 0, 0)
        item = self.form.itemAt(self.form.rowCount() - 1, QFormLayout.ItemRole.LabelRole)
        shown = item.widget() if item is not None else None
        if not isinstance(shown, QLabel):
            return
        if isinstance(field, QAbstractScrollArea):  # a tall text box: label its first line
            shown.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            shown.setContentsMargins(0, SPACING["xs"] + 1, 0, 0)
        else:
            shown.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            shown.setMinimumHeight(field.sizeHint().height())

    def add_wide(self, widget: QWidget | QLayout) -> None:
        """A row under the form's fields, aligned with them (a note, a button row)."""
        self.form.addRow("", widget)


class StatusNote(QLabel):
    """A wrapping note under a section's buttons ("Asking La Plateforme…", a download's
    progress) that takes no room until it has something to say: an empty label still kept a
    blank line under the buttons."""

    def __init__(self, object_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        if object_name:
            self.setObjectName(object_name)
        self.setWordWrap(True)
        self.setVisible(False)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setVisible(bool(text))


def aligned_form() -> QFormLayout:
    """A form whose labels line up on the left and whose fields take the rest of the width,
    the same on every platform style (Qt's defaults differ between Fusion and macOS)."""
    form = QFormLayout()
    form.setContentsMargins(0, 0, 0, 0)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    form.setFormAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    form.setHorizontalSpacing(SPACING["lg"])
    form.setVerticalSpacing(SPACING["sm"])
    return form


def align_labels(sections: list[Section]) -> None:
    """Give the labels of every section's form one width, so the fields of a page start on
    one line instead of a step per section."""
    labels = [
        item.widget()
        for section in sections
        for row in range(section.form.rowCount())
        if (item := section.form.itemAt(row, QFormLayout.ItemRole.LabelRole)) is not None
        and item.widget() is not None
    ]
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


def section_page(*sections: QWidget) -> QScrollArea:
    """A tab's page: its sections stacked, scrolling when the dialog is small, never clipped."""
    body = QWidget()
    body.setObjectName(PAGE)
    column = QVBoxLayout(body)
    column.setContentsMargins(SPACING["xs"], SPACING["md"], SPACING["xs"], SPACING["xs"])
    column.setSpacing(SPACING["md"])
    for section in sections:
        column.addWidget(section)
    column.addStretch(1)
    align_labels([s for s in sections if isinstance(s, Section)])
    scroll = QScrollArea()
    scroll.setObjectName(PAGE)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(body)
    return scroll


def mark_primary(button: QPushButton, default: bool = True, primary: bool = True) -> None:
    """Style ``button`` as the dialog's primary action; ``default`` makes Enter press it (pass
    False where the primary action is not the safe one). ``primary=False`` gives it its plain
    look back (a page whose main action changes with what it found)."""
    button.setProperty("primary", primary)
    button.style().unpolish(button)  # a button already polished would keep its plain look
    button.style().polish(button)
    button.setDefault(default)
    button.setAutoDefault(default)


def button_row(
    box: QDialogButtonBox, primary: QDialogButtonBox.StandardButton | None = None
) -> QDialogButtonBox:
    """Give a dialog's button box its look: ``primary`` styled and default. Qt's box already
    orders buttons the platform's way (the accepting one last on Linux and macOS)."""
    if primary is not None:
        button = box.button(primary)
        if button is not None:
            mark_primary(button)
    return box


def confirm_destructive(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Ask before something that cannot be undone; ``action`` names the button ("Delete").

    Cancel is the default and the Escape button, and the destructive button is styled as a
    danger, so the keyboard's quickest answer is always the safe one.
    """
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.NoButton,
                      parent)  # fmt: skip
    act = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    act.setProperty("danger", True)
    act.style().unpolish(act)  # the box polished it when it was added
    act.style().polish(act)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is act
