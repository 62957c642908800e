"""How a turn shows in the window while it runs: the answer growing in the transcript, what
the engine is doing on the activity line, Send turning into Stop and back.

The session says what happens (started, a token, prefill progress, usage, finished, failed, a
save that failed); this turns each event into what the user sees. The window keeps what is
not the turn's: which messages a conversation shows, the engine's label, the meter, and the
offer of another backend after a failure (handed in as callbacks).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel

from app.core.conversation import MessageStatus
from app.engine.base import EngineError, Finished, FinishReason, Prefill, Usage
from app.ui.composer.composer import Composer
from app.ui.session.chat_session import ChatSession
from app.ui.session.session_history import OpenedConversation
from app.ui.theme.stylesheet import set_tone
from app.ui.transcript.answer_byline import model_badge, where_ran
from app.ui.transcript.transcript_model import TranscriptModel


class TurnDisplay:
    """Connects the session's turn events to the transcript, the activity line and the
    composer; ``show_messages`` shows the conversation the turn is in, ``refresh_engine``
    and ``update_meter`` are the window's, ``offer_fallback`` gets a failure and its answer's
    row."""

    def __init__(
        self,
        session: ChatSession,
        transcript: TranscriptModel,
        composer: Composer,
        activity: QLabel,
        show_messages: Callable[[OpenedConversation], None],
        refresh_engine: Callable[[], None],
        update_meter: Callable[[], None],
        offer_fallback: Callable[[EngineError, int], None],
    ) -> None:
        self.session = session
        self.transcript = transcript
        self.composer = composer
        self.activity = activity
        self.show_messages = show_messages
        self.refresh_engine = refresh_engine
        self.update_meter = update_meter
        self.offer_fallback = offer_fallback
        session.turn_started.connect(self._on_session_turn_started)
        session.token_received.connect(self._on_session_token_received)
        session.prefill_progressed.connect(self._on_session_prefill_progressed)
        session.usage_ready.connect(self._on_session_usage_ready)
        session.turn_finished.connect(self._on_session_turn_finished)
        session.turn_failed.connect(self._on_session_turn_failed)
        session.storage_failed.connect(self._on_session_storage_failed)
        session.bridge.decode_rate_changed.connect(self._on_bridge_decode_rate_changed)

    def _on_session_turn_started(self, opened: OpenedConversation) -> None:
        set_tone(self.activity)
        self.composer.clear_after_send()
        self.composer.set_generating(True)
        self.show_messages(opened)
        self.activity.setText("Starting…")

    def _on_session_token_received(self, text: str) -> None:
        if self.transcript.rowCount():
            self.transcript.append_text(self.transcript.rowCount() - 1, text)

    def _on_session_prefill_progressed(self, event: Prefill) -> None:
        if event.images_total and event.images_done < event.images_total:
            self.activity.setText(f"Encoding image {event.images_done + 1} of {event.images_total}")
        elif event.tokens_total:
            percent = int(100 * event.tokens_done / max(event.tokens_total, 1))
            self.activity.setText(f"Reading {event.tokens_total:,} tokens — {percent} %")

    def _on_bridge_decode_rate_changed(self, rate: float) -> None:
        self.activity.setText(f"Writing… {rate:.1f} tokens/s")

    def _on_session_usage_ready(self, usage: Usage) -> None:
        reused = f", {usage.cached_tokens:,} reused" if usage.cached_tokens else ""
        self.activity.setText(
            f"{usage.generated_tokens:,} tokens at {usage.tokens_per_s:.1f} tokens/s · "
            f"first token after {usage.ttft_s:.2f} s · prompt {usage.prompt_tokens:,}{reused} · "
            f"{usage.device}"
        )
        self.refresh_engine()  # the engine's owner has noted the device it names

    def _on_session_turn_finished(self, finished: Finished) -> None:
        row = self.transcript.rowCount() - 1
        stopped = finished.reason is FinishReason.CANCELLED
        if row >= 0:
            self.transcript.set_text(row, finished.text)
            self.transcript.set_status(
                row, MessageStatus.STOPPED if stopped else MessageStatus.COMPLETE
            )
            self.transcript.set_limit_reached(row, finished.reason is FinishReason.LENGTH)
            if self.session.messages:  # its usage, just stored, says where it ran
                answer = self.session.messages[-1].stored
                self.transcript.set_byline(row, model_badge(answer), where_ran(answer))
        if stopped:
            self.activity.setText("Stopped; the partial answer is kept.")
        self.composer.set_generating(False)
        self.update_meter()

    def _on_session_turn_failed(self, error: EngineError) -> None:
        row = self.transcript.rowCount() - 1
        if row >= 0:
            if error.text:
                self.transcript.set_text(row, error.text)
            self.transcript.set_error(row, error.message)
        self.activity.setText("")
        self.composer.set_generating(False)
        if row >= 0:
            self.offer_fallback(error, row)

    def _on_session_storage_failed(self, message: str) -> None:
        """Shown inline, never as a modal box: whatever was typed stays in the composer."""
        self.composer.set_generating(self.session.generating)
        self.activity.setText(f"⚠ {message} Your message is still in the box.")
        set_tone(self.activity, "danger")
