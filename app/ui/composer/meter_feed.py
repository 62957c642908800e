"""Feeds the context meter: a quick estimate at once, the engine's exact count when idle.

While the user types, the meter shows the conversation's size as the engine last reported it
(prompt + answer of the last turn) plus an estimate for the composition. Once the composition
has rested for ``COUNT_DELAY_MS``, the engine tokenizes the whole next turn off the GUI thread
and the meter shows that exact number, so "does it fit?" is answered before sending.

The exact count is of the composer's ``Composition``, the same value Send hands to the session,
laid out by the engine's own prompt builder: what was counted is what is sent. ``counted`` keeps
the request behind the number shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from PySide6.QtCore import QObject, QTimer

from app.backends import can
from app.core.budget import TurnBudget
from app.core.composition import Composition
from app.core.conversation import Role
from app.engine.base import GenerationRequest
from app.engine.capabilities import Capability, TokenCounter
from app.engine.local.protocol import Counted
from app.ui.common.background import run_in_background
from app.ui.composer.composer import Composer
from app.ui.composer.context_meter import estimate_tokens
from app.ui.session.chat_session import ChatSession

COUNT_DELAY_MS = 400


class MeterFeed(QObject):
    def __init__(
        self,
        session: ChatSession,
        composer: Composer,
        max_tokens: Callable[[], int],
        n_ctx: Callable[[], int],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.composer = composer
        self.max_tokens = max_tokens
        self.n_ctx = n_ctx
        self.exact_count: Counted | None = None
        self.counted: GenerationRequest | None = None  # what ``exact_count`` counted
        self._timer = QTimer(self, singleShot=True, interval=COUNT_DELAY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    def update(self) -> None:
        """Show the estimate now and schedule the exact count."""
        usage = self.session.last_usage
        if usage is not None:
            used = usage.prompt_tokens + usage.generated_tokens
        else:
            used = sum(
                estimate_tokens(m.core.text) + sum(i.tokens for i in m.core.images) + 4
                for m in self.session.messages
            )
        self.composer.meter.set_budget(
            used,
            estimate_tokens(self.composer.text()) + self.composer.pending_document_tokens(),
            self.composer.pending_image_tokens(),
            self.max_tokens(),
            self.n_ctx(),
        )
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        backend = self.session.backend()
        composition = self.composer.composition()
        if (
            not can(backend, Capability.COUNTS_TOKENS)
            or self.session.generating
            or (composition.empty and not self.session.messages)
        ):
            return
        counter = cast(TokenCounter, backend)
        counted = self._next_turn(composition)

        def done(result: object) -> None:
            if not isinstance(result, Counted) or self.composer.composition() != composition:
                return  # the composition changed meanwhile; a newer count is on its way
            self.exact_count = result
            self.counted = counted
            budget = TurnBudget(
                result.prompt_tokens, sum(result.image_tokens), self.max_tokens(), self.n_ctx()
            )
            self.composer.meter.set_turn_budget(budget)

        run_in_background(lambda: counter.count_tokens(counted), done, guard=self)

    def _next_turn(self, composition: Composition) -> GenerationRequest:
        """The request sending ``composition`` now would make: the branch shown, then the
        question exactly as the session will store it (an empty one when nothing is typed, so
        the meter still shows what the conversation itself costs)."""
        request = self.session.request()
        messages = [shown.core for shown in self.session.messages]
        if not composition.empty or not messages or messages[-1].role is not Role.USER:
            messages.append(composition.message())
        return GenerationRequest(
            messages, request.system_prompt, request.placement, request.sampling
        )
