"""The transcript's message actions: what the user does to one message, and how they reach it.

Split from ``chat_view`` along the input seam: the view keeps scrolling, the streaming refresh
and the caret; this mixin keeps the actions themselves (copy, prompt, the signals the window acts
on), the buttons under a row (shown on hover and on the keyboard's current row, faded in and
out), the keyboard's pick among them (Left/Right, Enter, Escape) and the context menu.
A mixin, not a helper object, so each override and each attribute stays on the view itself
and nothing runs at another time than before. ``ChatView.__init__`` creates the state it uses
(``_hover``, ``_picked``, ``_leaving``, ``_fade``, ``_fade_out``, ``prompt_view``).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QUrl, QVariantAnimation
from PySide6.QtGui import QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu

from app.core.conversation import MessageStatus, Role
from app.ui.transcript.citation_links import parse_page_href
from app.ui.transcript.markdown_render import is_web_url
from app.ui.transcript.message_actions import ActionState
from app.ui.transcript.prompt_view import PromptView
from app.ui.transcript.transcript_model import TranscriptItem


class MessageActionInput:
    """Mixed into ``ChatView`` (before ``QListView``): its message actions and their input."""

    # --- actions --------------------------------------------------------------------------

    def copy_message(self, row: int) -> None:
        QGuiApplication.clipboard().setText(self.model().item(row).text)
        self.message_copied.emit(row)

    def show_prompt(self, row: int) -> None:
        """Open a read-only view of everything the question at ``row`` sent to the model."""
        if self.prompt_view is not None:
            self.prompt_view.close()
        self.prompt_view = PromptView(self.model().item(row).sent, self)
        self.prompt_view.show()

    def copy_code(self, row: int, index: int) -> None:
        QGuiApplication.clipboard().setText(self.model().code_block(row, index))
        self.code_copied.emit(row, index)

    def _on_delegate_anchor_clicked(self, row: int, href: str) -> None:
        if href.startswith("copy-code:"):
            self.copy_code(row, int(href.removeprefix("copy-code:") or -1))
        elif href.startswith("action:"):
            self._trigger(row, href.removeprefix("action:"))
        elif (pages := parse_page_href(href)) is not None:
            self.page_citation_activated.emit(row, list(pages))
        elif is_web_url(href):
            QDesktopServices.openUrl(QUrl(href))

    def _trigger(self, row: int, action: str) -> None:
        handlers = {
            "copy": lambda: self.copy_message(row),
            "regenerate": lambda: self.regenerate_requested.emit(row),
            "edit": lambda: self.edit_requested.emit(row),
            "delete": lambda: self.delete_requested.emit(row),
            "retry": lambda: self.retry_requested.emit(row),
            "continue": lambda: self.continue_requested.emit(row),
            "branch-prev": lambda: self.branch_requested.emit(row, -1),
            "branch-next": lambda: self.branch_requested.emit(row, 1),
        }
        if action in handlers:
            handlers[action]()

    # --- the action buttons: shown on the hovered row and the keyboard's current row ------

    def actions_shown(self, row: int) -> bool:
        current = row == self.currentIndex().row() and self.hasFocus()
        return row >= 0 and (row == self._hover[0] or current or row == self._leaving)

    def actions_opacity(self, row: int) -> float:
        """The hovered row's buttons fade in, the row the pointer left fades them out (the
        keyboard's current row shows them at once)."""
        if row == self.currentIndex().row() and self.hasFocus():
            return 1.0
        if row == self._leaving:
            return float(self._fade_out.currentValue())
        running = self._fade.state() == QVariantAnimation.State.Running
        return float(self._fade.currentValue()) if running and row == self._hover[0] else 1.0

    def _on_fade_value_changed(self, _value: float) -> None:
        self._repaint_actions(self._hover[0])  # that one row's buttons, nothing else

    def _on_fade_out_value_changed(self, _value: float) -> None:
        self._repaint_actions(self._leaving)

    def _on_fade_out_finished(self) -> None:
        row, self._leaving = self._leaving, -1
        self._repaint_actions(row)  # gone: the room stays, blank

    def _start_fades(self, left: int, entered: int) -> None:
        """The row the pointer left fades its buttons out while the row it entered fades
        them in, from where the fade-out had got to if the pointer came straight back."""
        start = 0.0
        if entered >= 0 and entered == self._leaving:
            start = float(self._fade_out.currentValue())
        fading_in = self._fade.state() == QVariantAnimation.State.Running  # into ``left``
        old, self._leaving = self._leaving, left
        self._fade_out.stop()
        self._repaint_actions(old)  # a fade cut short is cleared, not left half-drawn
        if left >= 0:
            self._fade_out.setStartValue(float(self._fade.currentValue()) if fading_in else 1.0)
            self._fade_out.start()
        if entered >= 0:
            self._fade.setStartValue(start)
            self._fade.start()

    def action_state(self, row: int) -> ActionState:
        hovered = self._hover[1] if row == self._hover[0] else ""
        picked = self._picked if row == self.currentIndex().row() and self.hasFocus() else ""
        return ActionState(hovered, picked)

    def _repaint_actions(self, *rows: int) -> None:
        model = self.model()
        for row in set(rows):
            if model is not None and 0 <= row < model.rowCount():
                index = model.index(row, 0)
                self.viewport().update(self.delegate.actions_rect(index, self.visualRect(index)))

    def _set_hover(self, row: int, href: str) -> None:
        hover = (row, href.removeprefix("action:") if href.startswith("action:") else "")
        if hover != self._hover:
            before, self._hover = self._hover, hover
            if row != before[0]:
                self._start_fades(before[0], row)
            self._repaint_actions(before[0], row)

    def currentChanged(self, current: QModelIndex, previous: QModelIndex) -> None:
        super().currentChanged(current, previous)
        self._picked = ""
        self._repaint_actions(previous.row(), current.row())

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self._repaint_actions(self.currentIndex().row())

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self._repaint_actions(self.currentIndex().row())

    def leaveEvent(self, event) -> None:
        self._set_hover(-1, "")
        super().leaveEvent(event)

    def mouseMoveEvent(self, event) -> None:
        index = self.indexAt(event.position().toPoint())
        kind, value = "", ""
        if index.isValid():
            kind, value = self.delegate.hit_test(
                index, self.visualRect(index), event.position().toPoint()
            )
        self._set_hover(index.row() if index.isValid() else -1, str(value) if kind else "")
        shape = Qt.CursorShape.PointingHandCursor if kind else Qt.CursorShape.ArrowCursor
        self.viewport().setCursor(shape)
        super().mouseMoveEvent(event)

    def pick_action(self, step: int) -> str:
        """Move the keyboard's pick along the current row's buttons (wrapping); its name."""
        index = self.currentIndex()
        if not index.isValid():
            return ""
        names = [b.name for b in self.delegate.layout_for(index).actions.enabled()]
        if not names:
            self._picked = ""
        elif self._picked not in names:
            self._picked = names[0] if step > 0 else names[-1]
        else:
            self._picked = names[(names.index(self._picked) + step) % len(names)]
        self._repaint_actions(index.row())
        return self._picked

    def keyPressEvent(self, event) -> None:
        row = self.currentIndex().row()
        key = event.key()
        if row >= 0 and event.matches(QKeySequence.StandardKey.Copy):
            self.copy_message(row)
            return
        if row >= 0 and key == Qt.Key.Key_Delete:
            self.delete_requested.emit(row)
            return
        if row >= 0 and key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.pick_action(1 if key == Qt.Key.Key_Right else -1)
            return
        if (
            row >= 0
            and self._picked
            and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
        ):
            self._trigger(row, self._picked)
            return
        if row >= 0 and self._picked and key == Qt.Key.Key_Escape:
            self._picked = ""
            self._repaint_actions(row)
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event) -> None:
        index = (
            self.indexAt(event.pos())
            if event.reason() == event.Reason.Mouse
            else self.currentIndex()
        )
        if not index.isValid():
            return
        menu = self.context_menu(index.row())
        menu.exec(event.globalPos())

    def context_menu(self, row: int) -> QMenu:
        """The per-message menu; the same actions as the links under each message."""
        item: TranscriptItem = self.model().item(row)
        menu = QMenu(self)
        menu.setAccessibleName("Message actions")
        menu.addAction("&Copy message", lambda: self._trigger(row, "copy"))
        for i, _code in enumerate(self.model().rendered(row).code_blocks):
            menu.addAction(f"Copy code block {i + 1}", lambda i=i: self.copy_code(row, i))
        streaming = item.status == MessageStatus.STREAMING
        if item.role == Role.USER:
            menu.addAction("&Edit and resend", lambda: self._trigger(row, "edit")).setEnabled(
                not streaming
            )
        else:
            menu.addAction("&Regenerate", lambda: self._trigger(row, "regenerate")).setEnabled(
                not streaming
            )
        if item.sent:
            menu.addAction("Show &prompt", lambda: self.show_prompt(row))
        if item.status == MessageStatus.FAILED:
            menu.addAction("Re&try", lambda: self._trigger(row, "retry"))
        if item.limit_reached and not streaming:
            menu.addAction("C&ontinue the answer", lambda: self._trigger(row, "continue"))
        if item.branch_count > 1:
            menu.addAction(
                "&Previous version", lambda: self._trigger(row, "branch-prev")
            ).setEnabled(item.branch_index > 0)
            menu.addAction("&Next version", lambda: self._trigger(row, "branch-next")).setEnabled(
                item.branch_index < item.branch_count - 1
            )
        menu.addSeparator()
        menu.addAction("&Delete", lambda: self._trigger(row, "delete")).setEnabled(not streaming)
        return menu
