"""Pick the pages of a PDF to ask about, seeing what each costs as pixels and as text.

An open document is a conversation with its own PDF process (``app.workflows.pdf_process``),
one request at a time, so every call into ``app.workflows.documents`` runs on the single
thread of ``document_thread.document_pool()``, on a ``DocumentHolder`` only that thread touches;
the dialog sees plain results (costs, thumbnails, parts). Tasks run in the order they were
queued, so the close queued when the dialog finishes runs after anything still pending, and
tasks that start after it find no document and do nothing.

Thumbnails are rendered one page at a time, each queued when the previous one arrives: a
detail change on a 100-page PDF then waits for one thumbnail, not for all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.conversation import Part
from app.core.images import Detail
from app.ui.common.background import run_in_background
from app.ui.documents.document_thread import (
    THUMB_HEIGHT,
    DocumentHolder,
    OpenedDocument,
    document_pool,
    page_thumbnail,
)
from app.ui.documents.page_picker_body import detail_choice, page_label, picker_body, text_check
from app.ui.theme.dialog_parts import mark_primary
from app.ui.theme.stylesheet import set_tone
from app.ui.theme.theme import colours
from app.workflows.documents import (
    DocumentError,
    PageCost,
    PasswordRequired,
    default_selection,
    document_parts,
    open_document,
)


class PagePickerDialog(QDialog):
    """Open ``path`` off the GUI thread, list its pages with costs, and build the chosen parts.

    After ``exec()`` returns ``Accepted``, ``selected_parts()`` holds the message parts (built
    on the document thread before the dialog accepted) and ``selected_pages()`` the 1-based
    page numbers.
    """

    costs_ready = Signal()  # costs (re)computed and shown: for callers and tests
    failed = Signal(str)  # the document cannot be used; the message is shown in the dialog
    refused = Signal(str)  # it could not be opened and no dialog was shown: the caller says why

    def __init__(self, path: Path, budget_tokens: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.budget_tokens = budget_tokens
        self._pool = document_pool()
        self._holder = DocumentHolder()
        self._costs: list[PageCost] = []
        self._parts: list[Part] = []
        self._ticket = 0  # bumped on each cost request: a late, stale result is dropped
        self._hand_picked = False  # once people tick boxes, option changes keep their choice
        self._checked: list[int] = []  # ticks as last seen, to tell a tick from other changes
        self._ready = False
        self._busy = False
        self._finished = False
        self._open_when_ready = False  # ``open_when_ready``: shown once the document is open

        self.setWindowTitle(f"Choose pages — {self.path.name}")
        self.resize(600, 640)

        self.status_label = QLabel(f"Opening '{self.path.name}'…")
        self.status_label.setWordWrap(True)

        self.detail_combo, self.use_text_check = detail_choice(), text_check()
        self.page_list = QListWidget()
        self.page_list.setIconSize(QSize(THUMB_HEIGHT, THUMB_HEIGHT))
        self.page_list.setUniformItemSizes(True)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.reason_label.setObjectName("dialogNote")
        self.default_button = QPushButton("Default selection")
        self.total_label = QLabel()

        self.body = picker_body(
            self.detail_combo,
            self.use_text_check,
            self.page_list,
            self.reason_label,
            self.total_label,
            self.default_button,
        )
        self.body.setEnabled(False)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Attach")
        self.ok_button.setAccessibleName("Attach the chosen pages")
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button.setEnabled(False)
        mark_primary(self.ok_button, default=False)  # made the default below, once in the dialog

        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.buttons)
        # Enter attaches. Attach is disabled until the costs are in, so without this Qt made
        # Cancel, the first enabled button, the default: Enter cancelled. (Set once the buttons
        # are in the dialog: before, there is no dialog to tell.)
        self.ok_button.setDefault(True)
        self.setMinimumSize(480, 480)

        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        self.detail_combo.currentIndexChanged.connect(self._on_options_changed)
        self.use_text_check.toggled.connect(self._on_options_changed)
        self.page_list.itemChanged.connect(self._on_item_changed)
        self.default_button.clicked.connect(self._apply_default)

        self._open(None)

    # ------------------------------------------------------------------------- public API
    def selected_pages(self) -> list[int]:
        """1-based numbers of the ticked pages, in document order."""
        return [
            self._costs[row].page
            for row in range(self.page_list.count())
            if self.page_list.item(row).checkState() == Qt.CheckState.Checked
        ]

    def selected_parts(self) -> list[Part]:
        """The message parts for the chosen pages; empty until the dialog has accepted."""
        return list(self._parts)

    def detail(self) -> Detail:
        return Detail(self.detail_combo.currentData())

    def use_text(self) -> bool:
        return self.use_text_check.isChecked()

    def total_tokens(self) -> int:
        """Tokens of the ticked pages as they would be sent with the current options."""
        chosen = set(self.selected_pages())
        use_text = self.use_text()
        return sum(c.tokens(use_text) for c in self._costs if c.page in chosen)

    @property
    def ready(self) -> bool:
        """The document is open and its costs for the current options are shown."""
        return self._ready

    # ------------------------------------------------------------------------ lifecycle
    def open_when_ready(self) -> None:
        """Open (window-modal) once the document has opened and its pages are listed.

        A PDF that cannot be opened never shows the dialog: it is refused with the PDF
        process's message (``refused``), for the caller to show where the user dropped it.
        """
        if self._ready:
            self.open()
        else:
            self._open_when_ready = True

    def done(self, result: int) -> None:
        """Close the document on its thread, after whatever is still queued there."""
        if not self._finished:
            self._finished = True
            holder = self._holder
            run_in_background(holder.close, lambda _result: None, pool=self._pool)
        super().done(result)

    def _run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[Exception], None] | None = None,
    ) -> None:
        run_in_background(fn, on_done, on_failed, pool=self._pool, guard=self)

    # ----------------------------------------------------------------------- opening
    def _open(self, password: str | None) -> None:
        holder, path = self._holder, self.path
        detail = self.detail()

        def work() -> OpenedDocument:
            if holder.closed:
                raise DocumentError("The dialog was closed.")
            if holder.doc is None:
                holder.doc = open_document(path, password)
            return OpenedDocument(holder.doc.pages, holder.doc.page_costs(detail))

        self._run(work, self._on_opened, self._on_open_failed)

    def _on_open_failed(self, error: Exception) -> None:
        if self._finished:
            return
        if isinstance(error, PasswordRequired):
            password, ok = QInputDialog.getText(
                self if self.isVisible() else self.parentWidget(),  # over what the user sees
                "Password required",
                str(error),
                QLineEdit.EchoMode.Password,
            )
            if ok:
                self.status_label.setText(f"Opening '{self.path.name}'…")
                self._open(password)
            else:
                self._fail(f"'{self.path.name}' was not opened: it needs its password.")
            return
        if isinstance(error, DocumentError):
            self._fail(str(error))
        else:
            self._fail(f"'{self.path.name}' cannot be opened ({error}).")

    def _on_opened(self, opened: OpenedDocument) -> None:
        if self._finished:
            return
        self._show_costs(opened.costs)
        if self._open_when_ready:
            self._open_when_ready = False
            self.open()
        if opened.pages:
            self._queue_thumbnail(0)

    def _fail(self, message: str) -> None:
        """Show why the document is unusable; closing is all that is left to do."""
        self._ready = False
        self.status_label.setText(message)
        self.body.hide()
        self.ok_button.hide()
        self.cancel_button.setText("Close")
        self.cancel_button.setEnabled(True)
        self.failed.emit(message)
        if self._open_when_ready:  # never shown: a dialog holding one line helps nobody
            self._open_when_ready = False
            self.refused.emit(message)
            self.reject()

    # ------------------------------------------------------------------------- costs
    def _on_options_changed(self) -> None:
        if not self._costs or self._finished:
            return
        self._ticket += 1
        ticket, holder, detail = self._ticket, self._holder, self.detail()
        self._ready = False
        self.ok_button.setEnabled(False)
        self.total_label.setText("Counting tokens…")

        def done(costs: list[PageCost]) -> None:
            if ticket == self._ticket and not self._finished:
                self._show_costs(costs)

        self._run(lambda: holder.require().page_costs(detail), done, self._on_costs_failed)

    def _on_costs_failed(self, error: Exception) -> None:
        if not self._finished:
            self._fail(str(error))

    def _show_costs(self, costs: list[PageCost]) -> None:
        """Fill or refresh the list; keep hand-picked ticks, else apply the default selection."""
        keep = set(self.selected_pages()) if self._hand_picked else None
        fresh = self.page_list.count() != len(costs)
        self._costs = costs
        self.page_list.blockSignals(True)
        if fresh:
            self.page_list.clear()
        for row, cost in enumerate(costs):
            item = self.page_list.item(row) if not fresh else QListWidgetItem()
            item.setText(page_label(cost))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            if fresh:
                item.setCheckState(Qt.CheckState.Unchecked)
                self.page_list.addItem(item)
        self.page_list.blockSignals(False)
        self._ready = True
        self.status_label.setText(
            f"'{self.path.name}': {len(costs)} page{'s' if len(costs) != 1 else ''}."
        )
        self.body.setEnabled(True)
        if fresh:
            self.page_list.setFocus()  # off Cancel, where Qt put it while the list was disabled
        if keep is None:
            self._apply_default()
        else:
            self._set_checked(keep)
            self._update_total()
        self.costs_ready.emit()

    def _apply_default(self) -> None:
        selection = default_selection(self._costs, self.budget_tokens, self.use_text())
        self._set_checked(set(selection.pages))
        self._hand_picked = False
        self.reason_label.setText(selection.reason)
        self._update_total()

    def _set_checked(self, pages: set[int]) -> None:
        self.page_list.blockSignals(True)
        for row, cost in enumerate(self._costs):
            state = Qt.CheckState.Checked if cost.page in pages else Qt.CheckState.Unchecked
            self.page_list.item(row).setCheckState(state)
        self.page_list.blockSignals(False)
        self._checked = self.selected_pages()

    def _on_item_changed(self, _item: QListWidgetItem) -> None:
        """A tick or untick by hand; other item changes (a thumbnail arriving) are no choice."""
        checked = self.selected_pages()
        if checked == self._checked:
            return
        self._checked = checked
        self._hand_picked = True
        self.reason_label.setText("Your own choice of pages.")
        self._update_total()

    def _update_total(self) -> None:
        total, count = self.total_tokens(), len(self.selected_pages())
        plural = "s" if count != 1 else ""
        text = f"{count} page{plural}: about {total:,} of {self.budget_tokens:,} tokens"
        over = total > self.budget_tokens
        if over:
            text += f" — {total - self.budget_tokens:,} too many"
        self.total_label.setText(text)
        set_tone(self.total_label, "danger" if over else "")
        self.ok_button.setEnabled(self._ready and not self._busy and count > 0 and not over)
        self.ok_button.setToolTip(
            "The chosen pages do not fit in the model's context." if over else ""
        )

    # --------------------------------------------------------------------- thumbnails
    def _queue_thumbnail(self, index: int) -> None:
        holder = self._holder

        def done(image: QImage | None) -> None:
            if image is None or self._finished:
                return
            item = self.page_list.item(index)
            if item is not None:
                item.setIcon(QIcon(QPixmap.fromImage(image)))
            self._next_thumbnail(index)

        def failed(_error: Exception) -> None:
            self._next_thumbnail(index)  # a page that cannot be drawn keeps no picture

        frame = colours().border_strong  # read here: the theme belongs to the GUI thread
        self._run(lambda: page_thumbnail(holder, index, frame), done, failed)

    def _next_thumbnail(self, index: int) -> None:
        if not self._finished and index + 1 < self.page_list.count():
            self._queue_thumbnail(index + 1)

    # ------------------------------------------------------------------------------ OK
    def _on_ok(self) -> None:
        """Build the parts on the document thread, then accept once they are ready."""
        pages = self.selected_pages()
        if not pages or self._busy:
            return
        holder, detail, use_text = self._holder, self.detail(), self.use_text()
        self._busy = True
        self.ok_button.setEnabled(False)
        self.body.setEnabled(False)
        self.status_label.setText(f"Preparing {len(pages)} page{'s' if len(pages) != 1 else ''}…")

        def done(parts: list[Part]) -> None:
            if self._finished:
                return
            self._parts = parts
            self._busy = False
            self.accept()

        def failed(error: Exception) -> None:
            self._busy = False
            self.body.setEnabled(True)
            self.status_label.setText(str(error))
            self._update_total()

        self._run(lambda: document_parts(holder.require(), pages, detail, use_text), done, failed)
